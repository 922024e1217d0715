"""The composition root of the campaigns service: settings, store, subscribers, HTTP app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from litestar import Litestar

from crm_campaigns.api.campaigns import CampaignController, Store
from crm_campaigns.events.subscribers import build_subscriptions
from crm_campaigns.settings import CampaignsSettings
from crm_campaigns.store.tables import metadata
from crm_kit.http import create_app
from crm_kit.service import Service

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def bootstrap(settings: CampaignsSettings | None = None, clock: Callable[[], dt.datetime] = _utc_now) -> Service:
    """Wire the campaigns service once (tests pass their own settings)."""
    settings = settings or CampaignsSettings()

    def make_app(service: Service) -> Litestar:
        store = Store(service, settings.request_chunk, clock)
        return create_app(service, [CampaignController], dependencies={"store": lambda: store}, title="CRM campaigns")

    return Service(
        name="campaigns",
        settings=settings,
        metadata=metadata,
        migrations=MIGRATIONS,
        subscriptions=build_subscriptions(settings.request_chunk),
        app_factory=make_app,
    )
