"""Units of work on a service's database and outbox: the SQL side of :mod:`crm_kit.unit_of_work`.

While an event handler runs (the inbox consumer's transaction), a unit of work *joins* that
transaction instead of opening one: the handler's effects, its outgoing events (caused by and
correlated with the event being handled) and the inbox row commit together, and ``now`` is the
event's own time, so a replay records the same times. Controllers and subscribers therefore call
the same use-case methods, and neither knows about connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_contracts.base import Envelope, Event
from crm_kit.unit_of_work import Unavailable, Work, utcnow

if TYPE_CHECKING:
    from crm_kit.outbox import Outbox
    from crm_kit.store import Database

R = TypeVar("R")
P = TypeVar("P")

TRANSIENT = (sa.exc.OperationalError, sa.exc.InterfaceError, ConnectionError, OSError, asyncio.TimeoutError)
"""Failures of the infrastructure, not of the request or message: retried, never recorded as its failure."""

Emit = Callable[[Event], Awaitable[Envelope]]
"""Queues one contract event in the current transaction's outbox; only publisher adapters call it."""

EmitMany = Callable[[Sequence[Event]], Awaitable[None]]
"""Queues several contract events in the current transaction's outbox in one statement."""


@dataclass(frozen=True)
class EventScope:
    """The transaction of the event being handled, set by the inbox consumer around each handler."""

    conn: AsyncConnection
    emit: Emit
    envelope: Envelope
    emit_many: EmitMany | None = None
    """Several events in one statement, each caused by the handled event (``emit`` one by one when None)."""

    @property
    def now(self) -> datetime:
        """When the fact happened (its ``ce_time``)."""
        return self.envelope.time.astimezone(UTC)


@dataclass(frozen=True)
class OutboxEmit:
    """The ``Emit`` a real unit of work hands its publisher: one event at a time, or prepared rows at once.

    Bulk publishers (an import batch, a broadcast) build rows with ``outbox.prepare`` (e.g. in a worker
    process, with their own correlation) and write them in one statement with :meth:`write`; one multi-row
    insert costs a tenth of one statement per event on SQLite. Inside an event handler a single event
    goes through the handler's publisher (``delegate``), so it is caused by the event being handled.
    """

    outbox: Outbox
    conn: AsyncConnection
    now: datetime
    delegate: Emit | None = None
    delegate_many: EmitMany | None = None

    async def __call__(self, event: Event) -> Envelope:
        if self.delegate is not None:
            return await self.delegate(event)
        return await self.outbox.add(self.conn, event, now=self.now)

    async def many(self, events: Sequence[Event]) -> None:
        """Queue several events in one statement; inside a handler each is caused by the handled event.

        A per-event handler that opens thousands of records (M7: 500 opportunities per command) writes
        their events in one multi-row insert instead of one statement each; inside a batch handler the
        batch's publisher already collects every event into one statement, so they go to it one by one.
        """
        if self.delegate_many is not None:
            await self.delegate_many(events)
        elif self.delegate is not None:
            for event in events:
                await self.delegate(event)
        else:
            await self.outbox.add_many(self.conn, events, now=self.now)

    async def write(self, rows: Sequence[dict[str, Any]]) -> None:
        """Write rows built by ``Outbox.prepare`` in one statement (nothing for none)."""
        await self.outbox.write(self.conn, rows)


current_event: ContextVar[EventScope | None] = ContextVar("crm_current_event", default=None)
"""Set while an event handler runs; a unit of work opened then joins the handler's transaction."""


class SqlUnitOfWork(Generic[R, P]):
    """Units of work on the service's database and outbox.

    Args:
        db: the service's database.
        outbox: the service's outbox (events commit with the state).
        repository: builds the repository adapter bound to one connection.
        publisher: builds the publisher adapter bound to one ``emit`` (an :class:`OutboxEmit`).
        clock: the time of changes made outside an event handler.
    """

    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        *,
        repository: Callable[[AsyncConnection], R],
        publisher: Callable[[OutboxEmit], P],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.repository = repository
        self.publisher = publisher
        self.clock = clock

    def __call__(self) -> AbstractAsyncContextManager[Work[R, P]]:
        return self._open()

    @asynccontextmanager
    async def _open(self) -> AsyncIterator[Work[R, P]]:
        scope = current_event.get()
        if scope is not None:
            # Inside an event handler: its transaction, its publisher (causation), its time.
            emit = OutboxEmit(self.outbox, scope.conn, scope.now, delegate=scope.emit, delegate_many=scope.emit_many)
            yield Work(self.repository(scope.conn), self.publisher(emit), scope.now)
            return
        try:
            async with self.db.transaction() as conn:
                now = self.clock()
                yield Work(self.repository(conn), self.publisher(OutboxEmit(self.outbox, conn, now)), now)
        except TRANSIENT as exc:
            raise Unavailable(f"{type(exc).__name__}: {exc}"[:300]) from exc

    def reading(self) -> AbstractAsyncContextManager[R]:
        return self._read()

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[R]:
        """A read-only view: the repository on a read connection (no outbox, no writer slot)."""
        scope = current_event.get()
        if scope is not None:
            yield self.repository(scope.conn)
            return
        try:
            async with self.db.read() as conn:
                yield self.repository(conn)
        except TRANSIENT as exc:
            raise Unavailable(f"{type(exc).__name__}: {exc}"[:300]) from exc
