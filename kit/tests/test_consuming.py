"""The service's FastStream subscriber, in memory (TestKafkaBroker): inbox, acks after the commit, DLQ, the event scope.

The same router runs against the real broker in test_outbox_inbox.py, test_batch_handlers.py and test_faults.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from faststream import AckPolicy, BaseMiddleware
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.subscriber.usecase import BatchSubscriber
from faststream.message import AckStatus, StreamMessage
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_contracts import topics
from crm_contracts.base import Envelope, Event
from crm_kit import consuming
from crm_kit.cloudevents import header_text
from crm_kit.ids import new_id
from crm_kit.inbox import Context, Subscriptions
from crm_kit.service import Service
from crm_kit.settings import ServiceSettings
from crm_kit.store import kit_tables
from crm_kit.transactions import Emit, SqlUnitOfWork

metadata = sa.MetaData()
kit_tables(metadata)
effects = sa.Table(
    "effects",
    metadata,
    sa.Column("item_id", sa.String, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True)),
)


class Noted(Event):
    """A test event on the tasks topic."""

    topic: ClassVar[str] = topics.TASKS
    event_name: ClassVar[str] = "KitNoted"
    key_field: ClassVar[str] = "item_id"
    item_id: str = Field(description="id")


class Effects:
    """A repository adapter: one row per handled event."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, item_id: str, at: datetime) -> None:
        await self.conn.execute(effects.insert().values(item_id=item_id, at=at))


class NoEvents:
    """A publisher adapter that publishes nothing."""

    def __init__(self, emit: Emit) -> None:
        self.emit = emit


EVENT_TIME = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def _service(tmp_path: Path, subs: Subscriptions, database_url: str | None = None) -> Service:
    settings = ServiceSettings(
        service_name="fsprobe",
        topic_prefix="mem.",
        database_url=database_url or f"sqlite+aiosqlite:///{tmp_path / 'fsprobe.db'}",
        blob_dir=tmp_path / "blobs",
        max_attempts=2,
        retry_backoff_seconds=0.0,
    )
    return Service(name="fsprobe", settings=settings, metadata=metadata, subscriptions=subs)


def _recording(subs: Subscriptions, tmp_path: Path) -> Service:
    """A service whose handler stores each event through a unit of work (as the services' handlers do)."""
    service = _service(tmp_path, subs)
    uow = SqlUnitOfWork(service.db, service.outbox, repository=Effects, publisher=NoEvents)

    @subs.on(Noted)
    async def note(ctx: Context, event: Noted) -> None:
        if event.item_id == "poison":
            raise RuntimeError("cannot note poison")
        async with uow() as work:
            await work.repo.add(event.item_id, work.now)

    return service


Settled = list[AckStatus | None]


def _settlements(broker: KafkaBroker) -> Settled:
    """How FastStream settled each batch message (acked, nacked), recorded by a middleware on ``broker``."""
    settled: Settled = []

    class Record(BaseMiddleware):
        async def consume_scope(
            self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
        ) -> Any:
            try:
                return await call_next(msg)
            finally:
                settled.append(msg.committed)

    broker.add_middleware(Record)
    return settled


async def _deliver(broker: KafkaBroker, event: Event, *, event_id: str | None = None, ce_type: str = "") -> None:
    envelope = Envelope(
        id=event_id or str(new_id()),
        source="/crm/test",
        type=ce_type or event.ce_type(),
        time=EVENT_TIME,
        subject=event.key(),
    )
    await broker.publish(
        event.payload(), f"mem.{event.topic}", key=event.key().encode(), headers=dict(header_text(envelope))
    )


async def _rows(service: Service, table: sa.Table) -> list[sa.Row[Any]]:
    async with service.db.read() as conn:
        return list(await conn.execute(sa.select(table)))


@pytest.fixture
async def recording(tmp_path: Path) -> AsyncIterator[Service]:
    service = _recording(Subscriptions(), tmp_path)
    await service.db.create_all()
    yield service
    await service.db.dispose()


def test_a_services_subscriptions_are_one_batch_subscriber_with_manual_acks_over_its_topics(tmp_path: Path) -> None:
    service = _recording(Subscriptions(), tmp_path)
    router = service.kafka_router()
    (subscriber,) = router.subscribers
    assert isinstance(subscriber, BatchSubscriber)
    assert subscriber.ack_policy is AckPolicy.MANUAL
    assert subscriber.topic_names == ["mem.crm.tasks"]
    assert subscriber.group_id == "mem.crm-fsprobe"
    assert subscriber.max_records == service.settings.consumer_batch_size
    assert subscriber.get_msg.__qualname__.startswith("_fetch_without_nap")  # ADR 0012


async def test_an_event_is_handled_in_its_own_time_recorded_in_the_inbox_and_acked(recording: Service) -> None:
    broker = recording.kafka_broker()
    settled = _settlements(broker)
    async with TestKafkaBroker(broker) as br:
        await _deliver(br, Noted(item_id="a"), event_id="ev-a")
    assert [(r.item_id, r.at.replace(tzinfo=UTC)) for r in await _rows(recording, effects)] == [("a", EVENT_TIME)]
    assert [r.event_id for r in await _rows(recording, recording.consumer.inbox)] == ["ev-a"]
    assert settled == [AckStatus.ACKED]


async def test_a_redelivered_event_is_skipped_by_the_inbox_and_acked(recording: Service) -> None:
    broker = recording.kafka_broker()
    settled = _settlements(broker)
    async with TestKafkaBroker(broker) as br:
        await _deliver(br, Noted(item_id="a"), event_id="same")
        await _deliver(br, Noted(item_id="a"), event_id="same")
    assert len(await _rows(recording, effects)) == 1
    assert recording.consumer.stats.skipped_duplicates == 1
    assert settled == [AckStatus.ACKED, AckStatus.ACKED]


async def test_an_event_failing_every_attempt_goes_to_the_dlq_through_the_outbox_and_is_acked(
    recording: Service,
) -> None:
    broker = recording.kafka_broker()
    settled = _settlements(broker)
    async with TestKafkaBroker(broker) as br:
        await _deliver(br, Noted(item_id="poison"))
    (dead,) = await _rows(recording, recording.outbox.table)
    headers = dict(dead.headers)  # stored as [name, text] pairs
    assert dead.topic == "mem.crm.tasks.dlq"
    assert headers["dlq_attempts"] == "2"
    assert "cannot note poison" in headers["dlq_error"]
    assert await _rows(recording, effects) == []
    assert recording.consumer.stats.dead_lettered == 1
    assert settled == [AckStatus.ACKED]


async def test_an_event_nobody_here_subscribed_to_is_ignored_and_acked(recording: Service) -> None:
    broker = recording.kafka_broker()
    settled = _settlements(broker)
    async with TestKafkaBroker(broker) as br:
        await _deliver(br, Noted(item_id="a"), ce_type="crm.tasks.SomethingElse.v1")
    assert await _rows(recording, effects) == []
    assert recording.consumer.stats.ignored == 1
    assert settled == [AckStatus.ACKED]


async def test_a_database_outage_nacks_the_batch_so_it_is_read_again_from_the_committed_offset(
    tmp_path: Path,
) -> None:
    subs = Subscriptions()
    handled: list[str] = []

    @subs.on(Noted)
    async def note(ctx: Context, event: Noted) -> None:
        handled.append(event.item_id)

    # SQLite cannot create a file in a missing folder: every transaction fails as in an outage.
    service = _service(tmp_path, subs, f"sqlite+aiosqlite:///{tmp_path / 'no-such-folder' / 'x.db'}")
    router = consuming.build_router(service.consumer, ["mem.crm.tasks"], batch_size=10, retry_pause=0.0)
    broker = consuming.build_broker("unused:9092", router)
    settled = _settlements(broker)
    try:
        async with TestKafkaBroker(broker) as br:
            await _deliver(br, Noted(item_id="a"))
    finally:
        await service.db.dispose()
    assert handled == []
    assert service.consumer.stats.dead_lettered == 0
    assert settled == [AckStatus.NACKED]


async def test_the_event_time_is_the_units_of_work_clock_not_the_wall_clock(recording: Service) -> None:
    broker = recording.kafka_broker()
    async with TestKafkaBroker(broker) as br:
        await _deliver(br, Noted(item_id="late"))
    (row,) = await _rows(recording, effects)
    assert datetime.now(UTC) - row.at.replace(tzinfo=UTC) > timedelta(days=1)


class _Consumer:
    """A consumer whose ``getmany`` answers after ``after`` seconds with ``records`` (by partition)."""

    def __init__(self, after: float, records: dict[str, list[str]]) -> None:
        self.after, self.records = after, records
        self.asked: list[dict[str, Any]] = []

    async def getmany(self, **kwargs: Any) -> dict[str, list[str]]:
        self.asked.append(kwargs)
        await asyncio.sleep(self.after)
        return self.records


async def timed(fetch: Callable[[Any], Awaitable[Any]], consumer: _Consumer) -> tuple[Any, float]:
    loop = asyncio.get_running_loop()
    began = loop.time()
    got = await fetch(consumer)
    return got, loop.time() - began


async def test_the_fetch_hands_over_every_partitions_records_as_one_batch_of_at_most_the_batch_size() -> None:
    fetch = consuming._fetch_without_nap(max_records=7)
    consumer = _Consumer(0.0, {"p0": ["a", "b"], "p1": ["c"]})
    got, _ = await timed(fetch, consumer)
    assert got == ("a", "b", "c")
    assert consumer.asked == [{"timeout_ms": consuming.FETCH_TIMEOUT_MS, "max_records": 7}]


async def test_an_empty_fetch_that_waited_its_timeout_returns_without_fastreams_second_wait() -> None:
    # FastStream's own fetch sleeps another batch_timeout_ms here: an event arriving then waits for it.
    timeout = consuming.FETCH_TIMEOUT_MS / 1000
    _, took = await timed(consuming._fetch_without_nap(10), _Consumer(timeout, {}))
    assert took < 1.5 * timeout


async def test_an_empty_fetch_that_came_back_early_sleeps_out_the_timeout_so_an_idle_consumer_never_spins() -> None:
    timeout = consuming.FETCH_TIMEOUT_MS / 1000
    got, took = await timed(consuming._fetch_without_nap(10), _Consumer(0.0, {}))
    assert got == ()
    assert took >= 0.9 * timeout
