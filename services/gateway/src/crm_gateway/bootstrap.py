"""The gateway's composition root: settings, store, live hub and app, wired once."""

from __future__ import annotations

from pathlib import Path

from crm_gateway.app import create_app
from crm_gateway.live import LiveHub
from crm_gateway.settings import GatewaySettings
from crm_gateway.store.tables import metadata
from crm_kit.service import Service


def bootstrap(settings: GatewaySettings | None = None) -> Service:
    """The gateway service: HTTP app plus the ``live`` worker feeding the SSE streams."""
    settings = settings or GatewaySettings()
    hub = LiveHub(settings.kafka_bootstrap, settings.topic_prefix)
    service = Service(
        name="gateway",
        settings=settings,
        metadata=metadata,
        migrations=Path(__file__).resolve().parent / "store" / "migrations",
        workers={"live": hub.run},
        app_factory=lambda svc: create_app(svc, settings, hub),
    )
    service.hub = hub  # type: ignore[attr-defined]
    return service
