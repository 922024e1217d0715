"""The composition root: settings, store, publisher, use cases, subscribers and HTTP app, wired once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from litestar import Litestar

from crm_kit.http import blob_refs_in, create_app
from crm_kit.service import Service
from crm_kit.testing.fakes import FakeClock, FakeUnitOfWork
from crm_kit.transactions import SqlUnitOfWork
from crm_kit.unit_of_work import UnitOfWork, utcnow
from crm_partners.api.controllers import controllers
from crm_partners.events.publisher import KafkaPublisher
from crm_partners.events.subscribers import build_subscriptions
from crm_partners.ports import Publisher, Repository
from crm_partners.service_layer import UseCases
from crm_partners.settings import PartnersSettings
from crm_partners.store import tables
from crm_partners.store.repository import SqlRepository
from crm_partners.store.tables import metadata

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


def compose(
    settings: PartnersSettings | None = None,
    *,
    repository: Repository | None = None,
    publisher: Publisher | None = None,
    clock: Callable[[], datetime] | None = None,
) -> tuple[Service, UseCases]:
    """The partners service and the use cases behind it (see ``bootstrap``; the history rebuild needs both).

    Raises:
        ValueError: only one of ``repository`` and ``publisher`` was given.
    """
    settings = settings or PartnersSettings()
    service = Service(name="partners", settings=settings, metadata=metadata, migrations=MIGRATIONS)
    uow: UnitOfWork[Repository, Publisher]
    if repository is not None and publisher is not None:
        fake_clock = clock if isinstance(clock, FakeClock) else FakeClock(clock()) if clock else None
        uow = FakeUnitOfWork(repository, publisher, fake_clock)
    elif repository is None and publisher is None:
        uow = SqlUnitOfWork(
            service.db, service.outbox, repository=SqlRepository, publisher=KafkaPublisher, clock=clock or utcnow
        )
    else:
        raise ValueError("give both a repository and a publisher (fakes), or neither")
    uses = UseCases(
        uow,
        blobs=service.blobs,
        list_page_max=settings.list_page_max,
        history_page_max=settings.history_page_max,
        import_max_rows=settings.import_max_rows,
        import_progress_every=settings.import_progress_every,
    )
    service.subscriptions = build_subscriptions(uses)

    def make_app(svc: Service) -> Litestar:
        app = create_app(
            svc,
            controllers,
            dependencies={"uses": lambda: uses},
            title="CRM partners",
            blob_refs=blob_refs_in(svc.db, tables.dossier_documents.c.sha256),
        )
        app.on_shutdown.append(uses.wait_for_imports)
        return app

    service.app_factory = make_app
    return service, uses


def bootstrap(
    settings: PartnersSettings | None = None,
    *,
    repository: Repository | None = None,
    publisher: Publisher | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Service:
    """The partners service, ready to run (nothing connects until it is started).

    Args:
        settings: the service's settings (from the environment when None).
        repository: an in-memory repository for tests (with ``publisher``); the SQL store when None.
        publisher: a recording publisher for tests (with ``repository``); the outbox when None.
        clock: the time of changes (the wall clock when None).
    """
    service, _ = compose(settings, repository=repository, publisher=publisher, clock=clock)
    return service
