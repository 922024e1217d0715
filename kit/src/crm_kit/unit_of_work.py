"""The unit of work every use case runs in: a port, with nothing of SQL, Kafka or the contracts in it.

A use case asks for a unit of work and gets a :class:`Work`: ``work.repo`` (the service's repository
port, bound to one transaction), ``work.publisher`` (the service's publisher port, bound to that
transaction's outbox) and ``work.now`` (when the change happens). State and events commit together
or not at all. ``uow.reading()`` gives the repository for a query.

The SQL implementation is :class:`crm_kit.transactions.SqlUnitOfWork` (it also joins the transaction of
the event being handled); the in-memory one for unit tests is :class:`crm_kit.testing.fakes.FakeUnitOfWork`.
A service layer imports only this module of the two, so it stays free of frameworks (``make lint``
checks it with import-linter).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

R = TypeVar("R")
P = TypeVar("P")


def utcnow() -> datetime:
    """The wall clock, timezone-aware (the default clock of every service)."""
    return datetime.now(UTC)


class Unavailable(Exception):
    """The store (or another part of the infrastructure) did not answer: not the request's fault; try again.

    A real unit of work raises it for connection failures and timeouts, so a use case can tell them apart
    from a rule that refused (and never records them as the request's failure); the HTTP edge answers 503,
    the consumer rereads the batch.
    """


@dataclass(frozen=True)
class Work(Generic[R, P]):
    """One open unit of work, as a use case sees it."""

    repo: R
    publisher: P
    now: datetime


class UnitOfWork(Protocol[R, P]):
    """The port use cases depend on: ``async with uow() as work: ...`` (real or fake)."""

    def __call__(self) -> AbstractAsyncContextManager[Work[R, P]]:
        """Open a unit of work (or join the event handler's): state and events commit together."""
        ...

    def reading(self) -> AbstractAsyncContextManager[R]:
        """The repository for a query: nothing is written, nothing is published."""
        ...
