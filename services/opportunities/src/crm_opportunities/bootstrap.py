"""The composition root: settings, store, use cases, subscribers and HTTP app of the opportunities service."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar

from crm_kit.http import blob_refs_in, create_app
from crm_kit.service import Service
from crm_opportunities.api.controllers import CONTROLLERS, Edge
from crm_opportunities.events.subscribers import build_subscriptions
from crm_opportunities.service_layer import Opportunities
from crm_opportunities.settings import OpportunitiesSettings
from crm_opportunities.store import tables
from crm_opportunities.store.repository import Repository
from crm_opportunities.store.tables import metadata

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


def bootstrap(settings: OpportunitiesSettings | None = None) -> Service:
    """The opportunities service, wired: one place builds every part."""
    settings = settings or OpportunitiesSettings()
    app = Opportunities(Repository(), currency=settings.currency, offer_validity_days=settings.offer_validity_days)

    def make_app(service: Service) -> Litestar:
        edge = Edge(service=service, app=app)
        return create_app(
            service,
            CONTROLLERS,
            dependencies={"edge": lambda: edge},
            title="CRM opportunities",
            blob_refs=blob_refs_in(service.db, tables.documents.c.printout_sha256),
        )

    return Service(
        name="opportunities",
        settings=settings,
        metadata=metadata,
        migrations=MIGRATIONS,
        subscriptions=build_subscriptions(app),
        app_factory=make_app,
    )
