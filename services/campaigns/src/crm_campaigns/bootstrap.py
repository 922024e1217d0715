"""The composition root of the campaigns service: settings, store, use cases, subscribers, HTTP app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from litestar import Litestar

from crm_campaigns.api.controllers import CampaignController
from crm_campaigns.events.publisher import KafkaPublisher
from crm_campaigns.events.subscribers import build_subscriptions
from crm_campaigns.ports import Publisher, Repository
from crm_campaigns.service_layer import UseCases
from crm_campaigns.settings import CampaignsSettings
from crm_campaigns.store.repository import SqlRepository
from crm_campaigns.store.tables import metadata
from crm_kit.http import create_app
from crm_kit.service import Service
from crm_kit.testing.fakes import FakeClock, FakeUnitOfWork
from crm_kit.transactions import Emit, SqlUnitOfWork
from crm_kit.unit_of_work import UnitOfWork, utcnow

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


def bootstrap(
    settings: CampaignsSettings | None = None,
    *,
    repository: Repository | None = None,
    publisher: Publisher | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> Service:
    """Wire the campaigns service once (tests pass their own settings, or fakes of the ports).

    Args:
        settings: the service's settings (default: from the environment).
        repository: an in-memory repository (with ``publisher``): the use cases run on fakes, not the store.
        publisher: the fake publisher that goes with ``repository``.
        clock: the time of changes made outside event handlers (a ``FakeClock`` with fakes).

    Raises:
        ValueError: only one of ``repository`` and ``publisher`` is given.
    """
    settings = settings or CampaignsSettings()
    service = Service(name="campaigns", settings=settings, metadata=metadata, migrations=MIGRATIONS)
    uow: UnitOfWork[Repository, Publisher]
    if repository is not None and publisher is not None:
        fake_clock = clock if isinstance(clock, FakeClock) else FakeClock(clock()) if clock else FakeClock()
        uow = FakeUnitOfWork[Repository, Publisher](repository, publisher, fake_clock)
    elif repository is None and publisher is None:
        chunk = settings.request_chunk

        def kafka(emit: Emit) -> Publisher:
            return KafkaPublisher(emit, chunk)

        uow = SqlUnitOfWork[Repository, Publisher](
            service.db, service.outbox, repository=SqlRepository, publisher=kafka, clock=clock or utcnow
        )
    else:
        raise ValueError("give both a repository and a publisher (fakes), or neither")
    uses = UseCases(uow, chunk=settings.request_chunk)
    service.subscriptions = build_subscriptions(uses)

    def make_app(service: Service) -> Litestar:
        return create_app(service, [CampaignController], dependencies={"uses": lambda: uses}, title="CRM campaigns")

    service.app_factory = make_app
    return service
