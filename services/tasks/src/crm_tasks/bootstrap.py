"""The composition root of the tasks service: settings, unit of work, use cases, subscribers, scheduler, HTTP app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from litestar import Litestar

from crm_kit.http import create_app
from crm_kit.service import Service
from crm_kit.testing.fakes import FakeClock, FakeUnitOfWork
from crm_kit.transactions import SqlUnitOfWork
from crm_kit.unit_of_work import UnitOfWork, utcnow
from crm_tasks.api.controllers import CONTROLLERS, blob_check
from crm_tasks.events.publisher import KafkaPublisher
from crm_tasks.events.subscribers import build_subscriptions
from crm_tasks.ports import Publisher, Repository
from crm_tasks.printout import EstimatePrinter
from crm_tasks.scheduler import Scheduler
from crm_tasks.service_layer import UseCases
from crm_tasks.settings import TasksSettings
from crm_tasks.store.repository import SqlRepository
from crm_tasks.store.tables import metadata

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


def bootstrap(
    settings: TasksSettings | None = None,
    *,
    repository: Repository | None = None,
    publisher: Publisher | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Service:
    """Wire the tasks service; tests pass their own settings and clock, or fakes of the ports.

    Args:
        settings: the service's settings (default: from the environment).
        repository: an in-memory repository; with ``publisher``, the use cases run on fakes (no store).
        publisher: a fake publisher (recorded domain calls instead of the outbox).
        clock: the time of changes (default: the wall clock).
    """
    settings = settings or TasksSettings()
    service = Service(name=settings.service_name, settings=settings, metadata=metadata, migrations=MIGRATIONS)
    uow: UnitOfWork[Repository, Publisher]
    if repository is not None and publisher is not None:
        fake_clock = clock if isinstance(clock, FakeClock) else FakeClock(clock()) if clock else FakeClock()
        uow = FakeUnitOfWork(repository, publisher, fake_clock)
        clock = fake_clock
    else:
        uow = SqlUnitOfWork(
            service.db, service.outbox, repository=SqlRepository, publisher=KafkaPublisher, clock=clock or utcnow
        )
    uses = UseCases(
        uow,
        blobs=service.blobs,
        printer=EstimatePrinter(settings.currency, ZoneInfo(settings.timezone)),
        timezone=settings.timezone,
        billing_quantum_minutes=settings.billing_quantum_minutes,
        billing_rounding=settings.billing_rounding,
        max_planned_hours=settings.max_planned_hours,
        clock=clock or utcnow,
        currency=settings.currency,
    )
    service.subscriptions = build_subscriptions(uses)
    service.workers = {
        "schedule": Scheduler(
            uses,
            interval=settings.scheduler_interval_seconds,
            batch_size=settings.scheduler_batch_size,
            claim_delay=settings.scheduler_claim_delay_seconds,
        )
    }

    def make_app(svc: Service) -> Litestar:
        return create_app(
            svc, CONTROLLERS, dependencies={"uses": lambda: uses}, title="CRM tasks", blob_refs=blob_check(uses)
        )

    service.app_factory = make_app
    return service
