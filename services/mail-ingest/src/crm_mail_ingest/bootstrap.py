"""The composition root of mail-ingest: settings, store, folder, importer, watcher, HTTP app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from litestar import Litestar

from crm_kit.http import create_app
from crm_kit.service import Service
from crm_mail_ingest.api.controllers import blob_check, upload_routes
from crm_mail_ingest.events.publisher import MailPublisher
from crm_mail_ingest.events.subscribers import subscriptions
from crm_mail_ingest.folder import ImportFolder
from crm_mail_ingest.importer import Importer
from crm_mail_ingest.settings import MailIngestSettings
from crm_mail_ingest.store.tables import metadata
from crm_mail_ingest.watcher import Watcher

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


@dataclass
class MailIngest:
    """The wired service and the parts tests and benchmarks reach for."""

    service: Service
    folder: ImportFolder
    importer: Importer
    watcher: Watcher


def build(settings: MailIngestSettings | None = None) -> MailIngest:
    """Wire everything once; nothing runs until the service is started."""
    settings = settings or MailIngestSettings()
    parts: dict[str, object] = {}

    def make_app(service: Service) -> Litestar:
        return create_app(
            service,
            [upload_routes(settings.max_file_bytes)],
            dependencies={
                "importer": lambda: parts["importer"],
                "folder": lambda: parts["folder"],
                "db": lambda: service.db,
            },
            title="CRM mail-ingest",
            blob_refs=blob_check(service.db),
        )

    service = Service(
        name="mail-ingest",
        settings=settings,
        metadata=metadata,
        migrations=MIGRATIONS,
        subscriptions=subscriptions,
        app_factory=make_app,
    )
    folder = ImportFolder(settings.inbox)
    importer = Importer(service.db, MailPublisher(service.outbox, settings.topic), service.blobs, folder, settings)
    watcher = Watcher(importer, folder, settings)
    service.workers["watch"] = watcher.run
    parts.update(importer=importer, folder=folder)
    return MailIngest(service, folder, importer, watcher)


def bootstrap(settings: MailIngestSettings | None = None) -> Service:
    """The service, as the kit's CLI and the local runner expect it."""
    return build(settings).service
