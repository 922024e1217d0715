"""The composition root: settings, store, outbox, use cases, consumer handlers, delivery worker and HTTP app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from litestar import Litestar

from crm_kit.http import create_app
from crm_kit.service import Service
from crm_kit.testing.fakes import FakeClock, FakeUnitOfWork
from crm_kit.transactions import SqlUnitOfWork
from crm_kit.unit_of_work import UnitOfWork, utcnow
from crm_notifier.api.controllers import CONTROLLERS, blob_check
from crm_notifier.credentials import CredentialBox
from crm_notifier.delivering import DeliveryWorker
from crm_notifier.domain.failures import RetryPolicy
from crm_notifier.domain.models import ServerConfig
from crm_notifier.events.publisher import CausedOutbox, KafkaPublisher
from crm_notifier.events.subscribers import build_subscriptions
from crm_notifier.ports import Publisher, Repository
from crm_notifier.rendering import Renderer
from crm_notifier.service_layer import UseCases
from crm_notifier.settings import NotifierSettings
from crm_notifier.smtp import SmtpMailer
from crm_notifier.store.repository import SqlRepository
from crm_notifier.store.tables import metadata

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


def fallback_server(settings: NotifierSettings) -> ServerConfig:
    """The server from the settings, used while no mail server is configured (the local sink by default)."""
    return ServerConfig(
        key="settings",
        name="settings",
        host=settings.smtp_host,
        port=settings.smtp_port,
        tls_mode=settings.smtp_tls_mode,
        sender=settings.smtp_sender,
        username=settings.smtp_username or None,
        password=settings.smtp_password or None,
        rate_per_minute=settings.smtp_rate_per_minute,
        timeout=settings.smtp_timeout_seconds,
    )


def compose(
    settings: NotifierSettings | None = None,
    *,
    repository: Repository | None = None,
    publisher: Publisher | None = None,
    clock: Callable[[], datetime] | None = None,
) -> tuple[Service, UseCases]:
    """Build the notifier and its use cases (``reseal`` runs one of them without starting the service).

    Args:
        settings: the notifier's settings (from the environment when None).
        repository: an in-memory repository for tests; with ``publisher``, no database is written.
        publisher: a recording publisher for tests.
        clock: the time of changes made outside an event handler.
    """
    settings = settings or NotifierSettings()
    service = Service(name="notifier", settings=settings, metadata=metadata, migrations=MIGRATIONS)
    uow: UnitOfWork[Repository, Publisher]
    if repository is not None and publisher is not None:
        fake_clock = clock if isinstance(clock, FakeClock) else FakeClock(clock()) if clock else FakeClock()
        uow = FakeUnitOfWork(repository, publisher, fake_clock)
    else:
        # The outbox of units of work outside an event handler names each fact's cause (see CausedOutbox).
        outbox = CausedOutbox(metadata, service.outbox.source, settings.topic)
        uow = SqlUnitOfWork(
            service.db, outbox, repository=SqlRepository, publisher=KafkaPublisher, clock=clock or utcnow
        )
    mailer = SmtpMailer(settings.idle_connection_seconds, settings.smtp_source_address)
    uses = UseCases(
        uow,
        templates=Renderer(settings.web_base_url, settings.default_language, settings.timezone),
        sealer=CredentialBox(settings.credentials_key),
        mailer=mailer,
        blobs=service.blobs,
        fallback_server=fallback_server(settings),
        retry=RetryPolicy(settings.max_send_attempts, settings.send_backoff_seconds, settings.send_backoff_max_seconds),
        default_language=settings.default_language,
        max_message_bytes=settings.max_message_bytes,
        smtp_timeout_seconds=settings.smtp_timeout_seconds,
    )
    service.subscriptions = build_subscriptions(uses)
    worker = DeliveryWorker(
        uses,
        mailer,
        service.blobs.get,
        batch_size=settings.deliver_batch_size,
        poll_seconds=settings.deliver_poll_seconds,
        claim_timeout_seconds=settings.claim_timeout_seconds,
        connections_per_server=settings.connections_per_server,
        max_message_bytes=settings.max_message_bytes,
    )
    service.db.on_commit(worker.wake)
    service.workers["deliver"] = worker.run

    def make_app(svc: Service) -> Litestar:
        return create_app(
            svc, CONTROLLERS, dependencies={"uses": lambda: uses}, title="CRM notifier", blob_refs=blob_check(uses)
        )

    service.app_factory = make_app
    return service, uses


def bootstrap(
    settings: NotifierSettings | None = None,
    *,
    repository: Repository | None = None,
    publisher: Publisher | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Service:
    """Build the notifier; nothing runs until the service's loops are started (see ``compose``)."""
    return compose(settings, repository=repository, publisher=publisher, clock=clock)[0]
