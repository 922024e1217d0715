"""The idempotent consumer: inbox dedupe, handler and effects in one transaction, offsets after commit.

Per fetched batch: one database transaction runs every new event's handler and records its
``ce_id`` in the ``inbox`` table; the Kafka offsets are committed only after that transaction
commits (by the service's FastStream subscriber, ``crm_kit.consuming``). A handler that raises is
retried with backoff (inside a savepoint) a bounded number of times; then the record goes to
``<topic>.dlq`` through the outbox, in the same transaction, and the partition moves on. Database
or broker outages are not poison: the batch is rolled back and read again from the committed offset.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from aiokafka import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_contracts import topics
from crm_contracts.base import ContractError, Envelope, Event
from crm_kit import transactions
from crm_kit.cloudevents import MissingHeaders, from_headers
from crm_kit.logs import correlation
from crm_kit.outbox import Outbox
from crm_kit.store import Database, dialect_insert
from crm_kit.transactions import EventScope, current_event
from crm_kit.unit_of_work import Unavailable

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)

TRANSIENT = (*transactions.TRANSIENT, Unavailable)
"""Failures of the infrastructure, not of the message: retried forever, never dead-lettered."""


@dataclass
class Context:
    """What a handler gets besides its event: the transaction, the envelope, and a publisher."""

    conn: AsyncConnection
    envelope: Envelope
    outbox: Outbox

    async def publish(self, event: Event, *, now: datetime | None = None) -> Envelope:
        """Publish through the outbox, caused by (and correlated with) the event being handled."""
        return await self.outbox.add(
            self.conn,
            event,
            now=now,
            correlation_id=self.envelope.correlationid or self.envelope.id,
            causation_id=self.envelope.id,
        )

    async def publish_many(self, events: Sequence[Event]) -> None:
        """Publish several events through the outbox in one statement, each caused by the event being handled."""
        await self.outbox.add_many(
            self.conn,
            events,
            correlation_id=self.envelope.correlationid or self.envelope.id,
            causation_id=self.envelope.id,
        )


Handler = Callable[[Context, Any], Awaitable[None]]
BatchHandler = Callable[[list[tuple[Context, Any]]], Awaitable[None]]


@dataclass
class _Route(Generic[E]):
    event_cls: type[E]
    handler: Any  # Handler, or BatchHandler when ``batch``
    batch: bool = False


@dataclass
class Subscriptions:
    """A service's event handlers, by contract event class (the service's router)."""

    routes: dict[str, list[_Route[Any]]] = field(default_factory=dict)

    def on(self, event_cls: type[E]) -> Callable[[Handler], Handler]:
        """Register ``handler(ctx, event)`` for one event class."""

        def register(handler: Handler) -> Handler:
            self.routes.setdefault(event_cls.ce_type(), []).append(_Route(event_cls, handler))
            return handler

        return register

    def on_batch(self, event_cls: type[E]) -> Callable[[BatchHandler], BatchHandler]:
        """Register ``handler([(ctx, event), ...])``, the throughput path for one event class.

        It is called once per fetched batch with every new record of that class, in offset
        order, after the batch's per-record handlers and in the same transaction, so it can
        read and write for many events in a few statements. If it raises, the batch is redone
        record by record and it is called with one record at a time (retries, then the DLQ).
        """

        def register(handler: BatchHandler) -> BatchHandler:
            self.routes.setdefault(event_cls.ce_type(), []).append(_Route(event_cls, handler, batch=True))
            return handler

        return register

    def topics(self) -> list[str]:
        """The logical topics these handlers listen on."""
        return sorted({r.event_cls.topic for rs in self.routes.values() for r in rs})


class _HandlerFailed(Exception):
    """A handler raised on the fast path; the batch is redone record by record."""


class PoisonMessage(Exception):
    """A record that can never be handled (bad headers, bad payload)."""


@dataclass
class InboxStats:
    handled: int = 0
    skipped_duplicates: int = 0
    dead_lettered: int = 0
    ignored: int = 0


class InboxConsumer:
    """A service's inbox: runs fetched records through its handlers exactly-once in effect (module docstring).

    It neither fetches nor commits offsets: the service's FastStream subscriber (``crm_kit.consuming``)
    hands it each batch and commits after it, and the replay (``crm_kit.replay``) hands it records it
    reads without a group.
    """

    def __init__(
        self,
        db: Database,
        subscriptions: Subscriptions,
        outbox: Outbox,
        *,
        group_id: str,
        max_attempts: int = 5,
        backoff_seconds: float = 0.2,
        transaction_seconds: float = 0.5,
    ) -> None:
        self.db = db
        self.transaction_seconds = transaction_seconds
        self.subscriptions = subscriptions
        self.outbox = outbox
        self.group_id = group_id
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.inbox = db.metadata.tables["inbox"]
        self.stats = InboxStats()
        self.assigned = asyncio.Event()
        """Set once the subscriber was assigned partitions (benchmarks and tests wait for it)."""

    async def apply(self, records: Sequence[ConsumerRecord[Any, Any]]) -> None:
        """Run the handlers of ``records`` and record them in the inbox; commits no offset.

        One transaction holds the records handled within about ``transaction_seconds``; a longer batch
        takes several, one after another.

        The service's subscriber calls it once per fetched batch and commits the offsets after it returns;
        the replay (``crm_kit.replay``) calls it with records of partitions it reads without a group.

        Raises:
            Exception: a failure of the infrastructure (``TRANSIENT``, or anything else the dead-letter
                path itself could not absorb); the batch is read again, and its parts already committed
                are skipped by the inbox.
        """
        rest = records
        while rest:
            # A batch of bulk work (M7's requests of 500 opportunities each) commits every
            # ``transaction_seconds``, so what it did shows while it runs; the offsets still wait for
            # the whole batch, and a redelivered part is skipped by the inbox.
            stats = InboxStats(**vars(self.stats))
            try:
                # Fast path: every handler in one transaction, no savepoints.
                async with self.db.transaction() as conn:
                    taken = await self._handle_records(conn, rest, careful=False)
            except _HandlerFailed:
                # Some handler failed: roll back and redo the part one savepoint per record,
                # so only the failing record is retried and, at last, dead-lettered.
                self.stats = stats
                async with self.db.transaction() as conn:
                    taken = await self._handle_records(conn, rest, careful=True)
            rest = rest[taken:]

    async def _handle_records(
        self, conn: AsyncConnection, records: Sequence[ConsumerRecord[Any, Any]], *, careful: bool
    ) -> int:
        """Handle records from the first on in ``conn`` until they end or the time is up; how many were taken."""
        deadline = time.monotonic() + self.transaction_seconds
        prepared: list[tuple[int, ConsumerRecord[Any, Any], Envelope | None, str | None]] = []
        subscribed = self.subscriptions.routes
        ignored: list[int] = []
        for position, record in enumerate(records):
            ce_type = _ce_type(record.headers)
            if ce_type is not None and ce_type not in subscribed:
                # Another consumer's event on a shared topic (often this service's own): skipped
                # before its envelope is even built.
                ignored.append(position)
                continue
            try:
                envelope = from_headers(record.headers)
            except MissingHeaders as exc:
                prepared.append((position, record, None, str(exc)))
                continue
            prepared.append((position, record, envelope, None))
        ids = [e.id for _, _, e, _ in prepared if e is not None]
        seen: set[str] = set()
        if ids:
            t = self.inbox
            rows = await conn.execute(
                sa.select(t.c.event_id).where(t.c.consumer == self.group_id).where(t.c.event_id.in_(ids))
            )
            seen = {r.event_id for r in rows}
        done: list[dict[str, Any]] = []
        now = datetime.now(UTC)
        pending: dict[int, tuple[_Route[Any], list[tuple[Context, Any]]]] = {}
        taken = len(records)
        for position, record, maybe_envelope, header_error in prepared:
            if time.monotonic() > deadline and (done or pending):
                # Time is up: this record and the rest go to the next transaction.
                taken = position
                break
            if maybe_envelope is None:
                await self._dead_letter(conn, record, None, header_error or "bad headers", 1)
                continue
            envelope = maybe_envelope
            routes = subscribed[envelope.type]  # unsubscribed types were skipped above
            if envelope.id in seen:
                self.stats.skipped_duplicates += 1
                continue
            seen.add(envelope.id)
            if careful:
                outcome = await self._handle_one(conn, record, envelope, routes)
            else:
                if pending and not all(r.batch and id(r) in pending for r in routes):
                    # A batch handler takes a run of its events at once, never events that came after another
                    # kind: a partner's registration is handled before the task that names it, as fetched.
                    await self._flush(pending)
                try:
                    await self._apply(conn, record, envelope, routes, pending)
                except TRANSIENT:
                    raise
                except Exception as exc:
                    raise _HandlerFailed from exc
                self.stats.handled += 1
                outcome = "done"
            done.append(
                {
                    "consumer": self.group_id,
                    "event_id": envelope.id,
                    "ce_type": envelope.type,
                    "outcome": outcome,
                    "processed_at": now,
                }
            )
        await self._flush(pending)
        if done:
            await conn.execute(dialect_insert(conn)(self.inbox).on_conflict_do_nothing(), done)
        self.stats.ignored += sum(1 for i in ignored if i < taken)
        return taken

    @staticmethod
    async def _flush(pending: dict[int, tuple[_Route[Any], list[tuple[Context, Any]]]]) -> None:
        """Run the queued batch handlers, each with its run of events, and empty the queue."""
        for route, items in pending.values():
            try:
                await route.handler(items)
            except TRANSIENT:
                raise
            except Exception as exc:
                raise _HandlerFailed from exc
        pending.clear()

    async def _handle_one(
        self, conn: AsyncConnection, record: ConsumerRecord[Any, Any], envelope: Envelope, routes: list[_Route[Any]]
    ) -> str:
        attempt = 0
        while True:
            attempt += 1
            try:
                async with conn.begin_nested():
                    await self._apply(conn, record, envelope, routes)
                self.stats.handled += 1
                return "done"
            except TRANSIENT:
                raise
            except (PoisonMessage, ContractError) as exc:
                await self._dead_letter(conn, record, envelope, str(exc), attempt)
                return "dead"
            except Exception as exc:
                if attempt >= self.max_attempts:
                    log.error("event %s failed %d times, dead-lettered: %r", envelope.id, attempt, exc)
                    await self._dead_letter(conn, record, envelope, f"{type(exc).__name__}: {exc}", attempt)
                    return "dead"
                log.warning("event %s attempt %d failed: %r", envelope.id, attempt, exc)
                await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))

    async def _apply(
        self,
        conn: AsyncConnection,
        record: ConsumerRecord[Any, Any],
        envelope: Envelope,
        routes: list[_Route[Any]],
        pending: dict[int, tuple[_Route[Any], list[tuple[Context, Any]]]] | None = None,
    ) -> None:
        """Run a record's handlers; batch handlers are queued in ``pending`` (or called at once)."""
        with correlation(envelope.correlationid or envelope.id):
            ctx = Context(conn=conn, envelope=envelope, outbox=self.outbox)
            for route in routes:
                try:
                    event = route.event_cls.model_validate_json(record.value)
                except Exception as exc:
                    raise PoisonMessage(f"invalid payload for {envelope.type}: {exc}") from None
                if not route.batch:
                    token = current_event.set(EventScope(conn, ctx.publish, envelope, ctx.publish_many))
                    try:
                        await route.handler(ctx, event)
                    finally:
                        current_event.reset(token)
                elif pending is None:
                    await route.handler([(ctx, event)])
                else:
                    pending.setdefault(id(route), (route, []))[1].append((ctx, event))

    async def _dead_letter(
        self,
        conn: AsyncConnection,
        record: ConsumerRecord[Any, Any],
        envelope: Envelope | None,
        error: str,
        attempts: int,
    ) -> None:
        self.stats.dead_lettered += 1
        headers = list(record.headers or ())
        headers += [
            ("dlq_error", error[:2000].encode()),
            ("dlq_attempts", str(attempts).encode()),
            ("dlq_consumer", self.group_id.encode()),
            ("dlq_topic", record.topic.encode()),
            ("dlq_partition", str(record.partition).encode()),
            ("dlq_offset", str(record.offset).encode()),
        ]
        await self.outbox.add_raw(
            conn,
            event_id=f"dlq:{self.group_id}:{record.topic}:{record.partition}:{record.offset}",
            topic=topics.dlq(record.topic),
            key=(record.key or b"").decode("utf-8", "replace"),
            ce_type=envelope.type if envelope else "unknown",
            headers=headers,
            payload=record.value or b"",
        )


def _ce_type(headers: Sequence[tuple[str, bytes]] | None) -> str | None:
    """The record's ce_type header, if it has one (the last one wins, as in ``from_headers``)."""
    found = None
    for key, value in headers or ():
        if key == "ce_type":
            found = value
    return None if found is None else found.decode("utf-8", "replace")


@asynccontextmanager
async def batch_scope(
    items: Sequence[tuple[Context, Any]], *, cause_of: Callable[[Event], str | None] | None = None
) -> AsyncIterator[None]:
    """The event scope of an ``on_batch`` handler: its use case joins the inbox transaction.

    The inbox sets ``current_event`` around each per-event handler, not around a batch handler (a batch has
    many envelopes); without this scope a batch's use case would open a second transaction. One scope for the
    batch: the inbox's connection, the last event's time, and an ``emit`` that answers each fact with the event
    ``cause_of`` names (the last one otherwise), collected and written to the outbox in one statement when the
    body returns.
    """
    first, last = items[0][0], items[-1][0]
    envelopes = {ctx.envelope.id: ctx.envelope for ctx, _ in items}
    rows: list[dict[str, Any]] = []

    async def emit(event: Event) -> Envelope:
        cause = envelopes.get((cause_of(event) if cause_of else None) or "", last.envelope)
        envelope, row = first.outbox.prepare(
            event, correlation_id=cause.correlationid or cause.id, causation_id=cause.id
        )
        rows.append(row)
        return envelope

    token = current_event.set(EventScope(first.conn, emit, last.envelope))
    try:
        yield
    finally:
        current_event.reset(token)
    await first.outbox.write(first.conn, rows)
