"""The composition root: settings, store, use cases, subscribers and HTTP app of the opportunities service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from litestar import Litestar

from crm_kit.http import blob_refs_in, create_app
from crm_kit.service import Service
from crm_kit.testing.fakes import FakeClock, FakeUnitOfWork
from crm_kit.transactions import OutboxEmit, SqlUnitOfWork
from crm_kit.unit_of_work import UnitOfWork, utcnow
from crm_opportunities.api.controllers import CONTROLLERS
from crm_opportunities.events.publisher import KafkaPublisher
from crm_opportunities.events.subscribers import build_subscriptions
from crm_opportunities.ports import Publisher, Repository
from crm_opportunities.service_layer import UseCases
from crm_opportunities.settings import OpportunitiesSettings
from crm_opportunities.store import tables
from crm_opportunities.store.repository import SqlRepository
from crm_opportunities.store.tables import metadata

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


def bootstrap(
    settings: OpportunitiesSettings | None = None,
    *,
    repository: Repository | None = None,
    publisher: Publisher | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Service:
    """The opportunities service, wired: one place builds every part.

    Args:
        settings: the service's settings (default: from the environment).
        repository: an in-memory repository (with ``publisher``): the use cases run on fakes, not the store.
        publisher: the fake publisher that goes with ``repository``.
        clock: the time of changes made outside event handlers (a ``FakeClock`` with fakes).

    Raises:
        ValueError: only one of ``repository`` and ``publisher`` is given.
    """
    settings = settings or OpportunitiesSettings()
    service = Service(name="opportunities", settings=settings, metadata=metadata, migrations=MIGRATIONS)
    uow: UnitOfWork[Repository, Publisher]
    if repository is not None and publisher is not None:
        fake_clock = clock if isinstance(clock, FakeClock) else FakeClock(clock()) if clock else FakeClock()
        uow = FakeUnitOfWork[Repository, Publisher](repository, publisher, fake_clock)
    elif repository is None and publisher is None:
        currency = settings.currency

        def kafka(emit: OutboxEmit) -> Publisher:
            return KafkaPublisher(emit, currency)

        uow = SqlUnitOfWork[Repository, Publisher](
            service.db, service.outbox, repository=SqlRepository, publisher=kafka, clock=clock or utcnow
        )
    else:
        raise ValueError("give both a repository and a publisher (fakes), or neither")
    uses = UseCases(uow, currency=settings.currency, offer_validity_days=settings.offer_validity_days)
    service.subscriptions = build_subscriptions(uses)

    def make_app(service: Service) -> Litestar:
        return create_app(
            service,
            CONTROLLERS,
            dependencies={"uses": lambda: uses},
            title="CRM opportunities",
            blob_refs=blob_refs_in(service.db, tables.documents.c.printout_sha256),
        )

    service.app_factory = make_app
    return service
