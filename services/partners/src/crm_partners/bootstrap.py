"""The composition root: settings, store, publisher, use cases, subscribers and HTTP app, wired once."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar

from crm_kit.http import blob_refs_in, create_app
from crm_kit.service import Service
from crm_partners.api.controllers import controllers
from crm_partners.events.publisher import Publisher
from crm_partners.events.subscribers import subscriptions
from crm_partners.handlers import Directory
from crm_partners.settings import PartnersSettings
from crm_partners.store import tables
from crm_partners.store.tables import metadata

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


def bootstrap(settings: PartnersSettings | None = None) -> Service:
    """The partners service, ready to run (nothing connects until it is started)."""
    settings = settings or PartnersSettings()
    service = Service(
        name="partners",
        settings=settings,
        metadata=metadata,
        migrations=MIGRATIONS,
        subscriptions=subscriptions,
    )
    directory = Directory(service.db, Publisher(service.outbox), service.blobs, settings)

    def make_app(svc: Service) -> Litestar:
        app = create_app(
            svc,
            controllers,
            dependencies={"directory": lambda: directory},
            title="CRM partners",
            blob_refs=blob_refs_in(svc.db, tables.dossier_documents.c.sha256),
        )
        app.state["directory"] = directory
        app.on_shutdown.append(directory.wait_for_imports)
        return app

    service.app_factory = make_app
    return service


def directory_of(app: Litestar) -> Directory:
    """The use cases behind an app (tests wait for background imports through it)."""
    found: Directory = app.state["directory"]
    return found
