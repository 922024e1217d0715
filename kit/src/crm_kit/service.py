"""A running service: its store, outbox, relay, consumer, HTTP app and extra workers, wired once."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from crm_kit import kafka
from crm_kit.blobs import BlobStore
from crm_kit.inbox import InboxConsumer, Subscriptions
from crm_kit.migrations import upgrade
from crm_kit.outbox import Outbox, Relay
from crm_kit.settings import ServiceSettings
from crm_kit.store import Database
from crm_kit.waiting import nap

if TYPE_CHECKING:
    from faststream.kafka import KafkaBroker, KafkaRouter
    from litestar import Litestar

log = logging.getLogger(__name__)

Worker = Callable[[asyncio.Event], Awaitable[None]]


@dataclass
class Service:
    """Everything one service process runs; built by the service's ``bootstrap()``."""

    name: str
    settings: ServiceSettings
    metadata: sa.MetaData
    migrations: Path | None = None
    subscriptions: Subscriptions = field(default_factory=Subscriptions)
    workers: dict[str, Worker] = field(default_factory=dict)
    app_factory: Callable[[Service], Litestar] | None = None
    db: Database = field(init=False)
    outbox: Outbox = field(init=False)
    relay: Relay = field(init=False)
    blobs: BlobStore = field(init=False)
    broker: kafka.BrokerLink = field(init=False)
    _consumer: InboxConsumer | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.db = Database(self.settings.resolved_database_url(), self.metadata)
        self.outbox = Outbox(self.metadata, f"/crm/{self.name}", self.settings.topic)
        self.relay = Relay(
            self.db,
            self.settings.kafka_bootstrap,
            name=self.name,
            batch_size=self.settings.relay_batch_size,
            poll_seconds=self.settings.relay_poll_seconds,
        )
        self.db.on_commit(self.relay.wake)
        self.blobs = BlobStore(self.settings.blob_dir, self.settings.blob_max_bytes)
        self.broker = kafka.BrokerLink()
        self.relay.broker = self.broker

    @property
    def group_id(self) -> str:
        return f"{self.settings.topic_prefix}crm-{self.name}"

    @property
    def consumer(self) -> InboxConsumer:
        if self._consumer is None:
            self._consumer = InboxConsumer(
                self.db,
                self.subscriptions,
                self.outbox,
                group_id=self.group_id,
                max_attempts=self.settings.max_attempts,
                backoff_seconds=self.settings.retry_backoff_seconds,
                transaction_seconds=self.settings.consumer_transaction_seconds,
            )
        return self._consumer

    def kafka_router(self) -> KafkaRouter:
        """The service's subscriptions as one FastStream router (one batch subscriber over its topics)."""
        from crm_kit import consuming  # FastStream loads when consuming starts: /healthz does not wait for it

        return consuming.build_router(
            self.consumer,
            [self.settings.topic(t) for t in self.subscriptions.topics()],
            batch_size=self.settings.consumer_batch_size,
        )

    def kafka_broker(self) -> KafkaBroker:
        """A new FastStream broker holding the service's router; ``consume`` starts and stops it."""
        from crm_kit import consuming

        return consuming.build_broker(self.settings.kafka_bootstrap, self.kafka_router())

    def app(self) -> Litestar:
        """The service's HTTP app."""
        if self.app_factory is None:
            raise RuntimeError(f"{self.name} has no HTTP app")
        return self.app_factory(self)

    async def migrate(self) -> None:
        """Bring the store to the newest schema (alembic when the service has migrations)."""
        if self.migrations is not None:
            await asyncio.to_thread(upgrade, self.migrations, self.db.url)
        else:
            await self.db.create_all()

    async def ensure_topics(self) -> None:
        """Create the project's topics now (the broker must answer)."""
        await kafka.ensure_topics(
            self.settings.kafka_bootstrap,
            kafka.all_topic_names(self.settings.topic_prefix),
            self.settings.topic_partitions,
        )

    async def prepare_topics(self, stop: asyncio.Event) -> None:
        """Create the project's topics in the background, retrying until the broker answers."""
        await self.broker.prepare_topics(
            self.settings.kafka_bootstrap,
            kafka.all_topic_names(self.settings.topic_prefix),
            self.settings.topic_partitions,
            stop,
        )

    async def consume(self, stop: asyncio.Event) -> None:
        """Consume once the topics exist (a consumer subscribed to missing topics would not see them for minutes)."""
        await nap(float("inf"), self.broker.topics_ready, stop)
        if not stop.is_set() and self.subscriptions.topics():
            from crm_kit import consuming

            await consuming.run(self.kafka_broker(), self.broker, stop, name=self.group_id)

    async def serve(self, stop: asyncio.Event) -> None:
        """Serve HTTP until ``stop`` is set."""
        import uvicorn

        from crm_kit.http import SERVER_KEEP_ALIVE_SECONDS

        config = uvicorn.Config(
            self.app(),
            host=self.settings.host,
            port=self.settings.port,
            log_config=None,
            lifespan="on",
            timeout_keep_alive=SERVER_KEEP_ALIVE_SECONDS,
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        await stop.wait()
        server.should_exit = True
        await task

    def parts(self, which: set[str]) -> dict[str, Worker]:
        """The named loops to run: ``serve``, ``consume``, ``relay`` and the service's own workers."""
        loops: dict[str, Worker] = {}
        if "serve" in which and self.app_factory is not None:
            loops["serve"] = self.serve
        if "consume" in which and self.subscriptions.routes:
            loops["consume"] = self.consume
        if "relay" in which:
            loops["relay"] = self.relay.run
        for name, worker in self.workers.items():
            if name in which or "workers" in which:
                loops[name] = worker
        return loops

    async def run(self, which: set[str], stop: asyncio.Event) -> None:
        """Run the chosen loops until ``stop``; if one of them fails, stop the others and re-raise.

        The topics are created in the background: the HTTP API serves (and writes to the outbox)
        while the broker is unreachable, and ``/readyz`` says so.
        """
        loops = self.parts(which)
        tasks: dict[asyncio.Future[None], str] = {asyncio.ensure_future(fn(stop)): name for name, fn in loops.items()}
        stopper: asyncio.Future[None] = asyncio.ensure_future(_wait(stop))
        if "consume" in loops or "relay" in loops:
            self.broker.used = True
            tasks[asyncio.ensure_future(self.prepare_topics(stop))] = "topics"
        try:
            pending: set[asyncio.Future[None]] = {*tasks, stopper}
            while stopper in pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    error = task.exception()
                    if task is not stopper and error is not None:
                        log.error("%s loop %s failed", self.name, tasks[task], exc_info=error)
                        raise error
                if any(tasks.get(t) != "topics" for t in done if t is not stopper):
                    break
        finally:
            stop.set()
            stopper.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(task, timeout=10)
            await self.db.dispose()


def tune_gc(threshold: int) -> None:
    """Collect garbage less often in a service process (ADR 0004).

    Everything alive after start-up (modules, tables, compiled templates and statements) is moved
    out of the collector's sight (``gc.freeze``), and young collections run every ``threshold``
    allocations instead of 700: per-event work allocates many short-lived objects, and at the
    default every batch of events paid for several collections. 0 leaves the defaults.
    """
    if threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(threshold, second, third)


async def _wait(event: asyncio.Event) -> None:
    await event.wait()


@dataclass
class Running:
    """A service started in the background of the current event loop (tests, one-process runs)."""

    service: Service
    stop_event: asyncio.Event
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.stop_event.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.task, timeout=20)


async def start_in_background(service: Service, which: set[str] | None = None) -> Running:
    """Migrate, then run the service's loops as a task of the current loop."""
    await service.migrate()
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(which or {"consume", "relay", "workers"}, stop))
    return Running(service, stop, task)
