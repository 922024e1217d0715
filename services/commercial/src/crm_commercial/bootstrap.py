"""The composition root: settings, unit of work, use cases, subscribers, printout worker and HTTP app, wired once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from litestar import Litestar

from crm_commercial.api.controllers import CONTROLLERS
from crm_commercial.events.publisher import KafkaPublisher, answer_in_handler
from crm_commercial.events.subscribers import build_subscriptions
from crm_commercial.ports import Publisher, Repository
from crm_commercial.printing import PdfPrinter, Printouts
from crm_commercial.printouts import Issuer
from crm_commercial.service_layer import UseCases
from crm_commercial.settings import CommercialSettings
from crm_commercial.store import tables
from crm_commercial.store.repository import SqlRepository
from crm_commercial.store.tables import metadata
from crm_kit.http import blob_refs_in, create_app
from crm_kit.service import Service
from crm_kit.testing.fakes import FakeClock, FakeUnitOfWork
from crm_kit.transactions import Emit, SqlUnitOfWork
from crm_kit.unit_of_work import UnitOfWork, utcnow

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


def bootstrap(
    settings: CommercialSettings | None = None,
    *,
    repository: Repository | None = None,
    publisher: Publisher | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Service:
    """Build the commercial service (nothing connects until it runs).

    Args:
        settings: the service's settings (from the environment when omitted).
        repository: an in-memory repository (with ``publisher``): the use cases run on fakes, not the database.
        publisher: the fake publisher that goes with ``repository``.
        clock: the time of changes and queries (the wall clock when omitted).
    """
    settings = settings or CommercialSettings()
    # fontTools logs every glyph subset at INFO, once per printout.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    service = Service(name="commercial", settings=settings, metadata=metadata, migrations=MIGRATIONS)
    uow: UnitOfWork[Repository, Publisher]
    if repository is not None and publisher is not None:
        fake_clock = clock if isinstance(clock, FakeClock) else FakeClock(clock()) if clock else FakeClock()
        uow = FakeUnitOfWork(repository, publisher, fake_clock)
        clock = fake_clock
    else:
        answer = answer_in_handler(service.outbox)

        def kafka_publisher(emit: Emit) -> KafkaPublisher:
            return KafkaPublisher(emit, answer)

        uow = SqlUnitOfWork(
            service.db, service.outbox, repository=SqlRepository, publisher=kafka_publisher, clock=clock or utcnow
        )
    uses = UseCases(
        uow,
        printer=PdfPrinter(
            Issuer(settings.company_name, settings.company_fiscal_code, settings.company_address), settings.font_dir
        ),
        blobs=service.blobs,
        clock=clock or utcnow,
        currency=settings.currency,
        timezone=ZoneInfo(settings.timezone),
        offer_valid_days=settings.offer_valid_days,
    )
    service.subscriptions = build_subscriptions(uses)
    printouts = Printouts(uses)
    service.db.on_commit(printouts.wake)
    service.workers["printouts"] = printouts.run

    def make_app(svc: Service) -> Litestar:
        return create_app(
            svc,
            CONTROLLERS,
            dependencies={"uses": lambda: uses},
            title="CRM commercial (ERP side)",
            blob_refs=blob_refs_in(svc.db, tables.documents.c.printout_sha256, tables.articles.c.photos),
        )

    service.app_factory = make_app
    return service
