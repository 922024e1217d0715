"""The composition root of the tasks service: settings, store, publisher, subscribers, scheduler, HTTP app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from litestar import Litestar

from crm_kit.http import create_app
from crm_kit.service import Service
from crm_tasks.api.controllers import CONTROLLERS, blob_check
from crm_tasks.events.publisher import Publisher
from crm_tasks.events.subscribers import make_subscriptions
from crm_tasks.scheduler import Scheduler
from crm_tasks.settings import TasksSettings
from crm_tasks.store.tables import metadata
from crm_tasks.usecases import Deps

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def bootstrap(settings: TasksSettings | None = None, clock: Callable[[], datetime] = _utcnow) -> Service:
    """Wire the tasks service; tests pass their own settings and clock."""
    settings = settings or TasksSettings()
    service = Service(name=settings.service_name, settings=settings, metadata=metadata, migrations=MIGRATIONS)
    publisher = Publisher(service.outbox)
    deps = Deps(settings=settings, publisher=publisher, blobs=service.blobs)
    service.subscriptions = make_subscriptions(deps, clock, service.outbox.source)
    scheduler = Scheduler(
        service.db,
        publisher,
        clock,
        interval=settings.scheduler_interval_seconds,
        batch_size=settings.scheduler_batch_size,
        claim_delay=settings.scheduler_claim_delay_seconds,
    )
    service.workers = {"schedule": scheduler.run}

    def make_app(svc: Service) -> Litestar:
        return create_app(
            svc,
            CONTROLLERS,
            dependencies={"db": lambda: svc.db, "deps": lambda: deps, "clock": lambda: clock},
            title="CRM tasks",
            blob_refs=blob_check(svc.db),
        )

    service.app_factory = make_app
    return service
