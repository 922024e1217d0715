"""The composition root of mail-ingest: settings, store, folder, use cases, watcher, subscribers, HTTP app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from litestar import Litestar

from crm_kit.http import create_app
from crm_kit.service import Service
from crm_kit.testing.fakes import FakeClock, FakeUnitOfWork
from crm_kit.transactions import SqlUnitOfWork
from crm_kit.unit_of_work import UnitOfWork, utcnow
from crm_mail_ingest.api.controllers import ImportSettingsController, blob_check, upload_routes
from crm_mail_ingest.domain.import_settings import ImportSettings
from crm_mail_ingest.events.publisher import KafkaPublisher, PublisherSpec, WorkerEvents
from crm_mail_ingest.events.subscribers import build_subscriptions
from crm_mail_ingest.files import FolderFiles
from crm_mail_ingest.folder import ImportFolder
from crm_mail_ingest.ports import Publisher, Repository
from crm_mail_ingest.service_layer import UseCases
from crm_mail_ingest.settings import MailIngestSettings
from crm_mail_ingest.store.repository import SqlRepository
from crm_mail_ingest.store.tables import metadata
from crm_mail_ingest.watcher import Watcher

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


@dataclass
class MailIngest:
    """The wired service and the parts tests and benchmarks reach for."""

    service: Service
    settings: MailIngestSettings
    folder: ImportFolder
    files: FolderFiles
    uses: UseCases
    watcher: Watcher


def build(
    settings: MailIngestSettings | None = None,
    *,
    repository: Repository | None = None,
    publisher: Publisher | None = None,
    clock: Callable[[], datetime] | None = None,
) -> MailIngest:
    """Wire everything once (fakes of the store and the events when given); nothing runs until started."""
    settings = settings or MailIngestSettings()
    service = Service(name="mail-ingest", settings=settings, metadata=metadata, migrations=MIGRATIONS)
    uow: UnitOfWork[Repository, Publisher]
    if (repository is None) != (publisher is None):
        raise TypeError("give fakes of both ports (repository and publisher), or neither")
    if repository is not None and publisher is not None:
        fake_clock = clock if isinstance(clock, FakeClock) else FakeClock(clock()) if clock else FakeClock()
        uow = FakeUnitOfWork(repository, publisher, fake_clock)
    else:
        uow = SqlUnitOfWork(
            service.db, service.outbox, repository=SqlRepository, publisher=KafkaPublisher, clock=clock or utcnow
        )
    folder = ImportFolder(settings.inbox)
    files = FolderFiles(folder, service.blobs, settings)
    events = WorkerEvents(PublisherSpec(service.outbox.source, settings.topic), files.in_record_worker)
    uses = UseCases(
        uow,
        files=files,
        events=events,
        triage_staff_id=settings.triage_staff_id,
        max_body_chars=settings.max_body_chars,
        task_deadline_working_days=settings.task_deadline_working_days,
        local_timezone=ZoneInfo(settings.local_timezone),
        max_file_bytes=lambda: settings.max_file_bytes,  # read at each upload: an administrator may raise it
        batch_files=settings.batch_files,
        import_defaults=ImportSettings(str(settings.inbox), settings.export_format),
        clock=clock or utcnow,
    )
    watcher = Watcher(uses, folder, scan_seconds=settings.scan_seconds, batch_files=settings.batch_files)
    service.subscriptions = build_subscriptions(uses)
    service.workers["watch"] = watcher.run

    def make_app(service: Service) -> Litestar:
        return create_app(
            service,
            [upload_routes(settings.max_file_bytes), ImportSettingsController],
            dependencies={"uses": lambda: uses},
            title="CRM mail-ingest",
            blob_refs=blob_check(uses),
        )

    service.app_factory = make_app
    return MailIngest(service, settings, folder, files, uses, watcher)


def bootstrap(
    settings: MailIngestSettings | None = None,
    *,
    repository: Repository | None = None,
    publisher: Publisher | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Service:
    """The service, as the kit's CLI and the local runner expect it (fakes of the ports when given)."""
    return build(settings, repository=repository, publisher=publisher, clock=clock).service
