"""The gateway's composition root: settings, store, use cases, live hub and app, wired once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from litestar import Litestar

from crm_gateway.app import create_app
from crm_gateway.auth.passwords import Passwords
from crm_gateway.auth.tokens import TokenIssuer
from crm_gateway.domain.logins import ThrottlePolicy
from crm_gateway.events.publisher import NoEvents
from crm_gateway.live import LiveHub
from crm_gateway.ports import PasswordHasher, Publisher, Repository
from crm_gateway.service_layer import UseCases
from crm_gateway.settings import GatewaySettings
from crm_gateway.store.repository import SqlRepository
from crm_gateway.store.tables import metadata
from crm_kit.service import Service
from crm_kit.testing.fakes import FakeClock, FakeUnitOfWork
from crm_kit.transactions import Emit, SqlUnitOfWork
from crm_kit.unit_of_work import UnitOfWork, utcnow


def bootstrap(
    settings: GatewaySettings | None = None,
    *,
    repository: Repository | None = None,
    publisher: Publisher | None = None,
    clock: Callable[[], datetime] | None = None,
    passwords: PasswordHasher | None = None,
) -> Service:
    """The gateway service: HTTP app plus the ``live`` worker feeding the SSE streams.

    Args:
        settings: the gateway's settings (default: from the environment).
        repository: an in-memory repository: the use cases run on fakes, not the store.
        publisher: the fake publisher that goes with ``repository`` (the gateway publishes nothing:
            ``NoEvents`` when left out).
        clock: the time of changes and of session/lock expiry (a ``FakeClock`` with fakes).
        passwords: a password hasher (default: argon2 with the settings' cost).
    """
    settings = settings or GatewaySettings()
    hub = LiveHub(settings.kafka_bootstrap, settings.topic_prefix)
    service = Service(
        name="gateway",
        settings=settings,
        metadata=metadata,
        migrations=Path(__file__).resolve().parent / "store" / "migrations",
        workers={"live": hub.run},
    )
    uow: UnitOfWork[Repository, Publisher]
    if repository is not None:
        now = clock if isinstance(clock, FakeClock) else FakeClock(clock()) if clock else FakeClock()
        uow = FakeUnitOfWork[Repository, Publisher](repository, publisher or NoEvents(), now)
        clock = now
    else:

        def no_events(emit: Emit) -> Publisher:
            return NoEvents(emit)

        uow = SqlUnitOfWork[Repository, Publisher](
            service.db, service.outbox, repository=SqlRepository, publisher=no_events, clock=clock or utcnow
        )
    tokens = TokenIssuer(settings.token_secret, timedelta(hours=settings.token_ttl_hours))
    uses = UseCases(
        uow,
        passwords=passwords or Passwords(settings.argon2_time_cost, settings.argon2_memory_kib),
        tokens=tokens,
        throttle=ThrottlePolicy(
            user_failures=settings.login_max_failures_user,
            address_failures=settings.login_max_failures_address,
            lock_seconds=settings.login_lock_seconds,
            max_lock_seconds=settings.login_lock_max_seconds,
            window_seconds=settings.login_failure_window_seconds,
        ),
        session_ttl=timedelta(hours=settings.token_ttl_hours),
        clock=clock or utcnow,
    )

    def make_app(service: Service) -> Litestar:
        return create_app(service, settings, hub, uses, tokens)

    service.app_factory = make_app
    service.hub = hub  # type: ignore[attr-defined]
    return service
