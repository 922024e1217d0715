"""In-memory twins of the kit's ports for unit tests of use cases: a unit of work, a clock, a recorded emit.

A service's unit tests build its use cases with ``FakeUnitOfWork(repo=InMemoryRepository(),
publisher=FakePublisher())`` (both the service's own fakes of its ports) and run in milliseconds:
no database, no broker. Like a transaction, a unit of work that raises leaves the fakes as they were.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from crm_contracts.base import Envelope, Event
from crm_kit.unit_of_work import Work

R = TypeVar("R")
P = TypeVar("P")


@dataclass
class FakeClock:
    """A clock that stands still until told to move."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward (``clock.advance(minutes=5)``) and return the new time."""
        self.now += timedelta(**delta)
        return self.now


class FakeUnitOfWork(Generic[R, P]):
    """A unit of work over in-memory fakes; an exception inside it restores their state (a rollback)."""

    def __init__(self, repo: R, publisher: P, clock: FakeClock | None = None) -> None:
        self.repo = repo
        self.publisher = publisher
        self.clock = clock or FakeClock()
        self.commits = 0
        self.rollbacks = 0

    def __call__(self) -> AbstractAsyncContextManager[Work[R, P]]:
        return self._open()

    def reading(self) -> AbstractAsyncContextManager[R]:
        return self._read()

    @asynccontextmanager
    async def _open(self) -> AsyncIterator[Work[R, P]]:
        saved = (copy.deepcopy(vars(self.repo)), copy.deepcopy(vars(self.publisher)))
        try:
            yield Work(self.repo, self.publisher, self.clock())
        except BaseException:
            self.rollbacks += 1
            vars(self.repo).clear()
            vars(self.repo).update(saved[0])
            vars(self.publisher).clear()
            vars(self.publisher).update(saved[1])
            raise
        self.commits += 1

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[R]:
        yield self.repo


@dataclass
class RecordedEmit:
    """An ``Emit`` that keeps the events, for testing a publisher adapter without an outbox."""

    events: list[Event] = field(default_factory=list)

    async def __call__(self, event: Event) -> Envelope:
        self.events.append(event)
        return Envelope(
            id=f"fake-{len(self.events)}",
            source="/crm/test",
            type=event.ce_type(),
            time=datetime.now(UTC),
            subject=None,
        )

    def of(self, kind: type[Any]) -> list[Any]:
        """The recorded events of one contract class."""
        return [e for e in self.events if isinstance(e, kind)]
