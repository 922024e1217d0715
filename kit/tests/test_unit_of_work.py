"""The kit's unit of work: state and events commit together, roll back together, and join an event handler's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import uuid4

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_contracts.base import Event
from crm_contracts.partners import LeadConverted
from crm_kit.inbox import Context
from crm_kit.outbox import Outbox
from crm_kit.store import Database, kit_tables
from crm_kit.testing.fakes import FakeClock, FakeUnitOfWork, RecordedEmit
from crm_kit.transactions import Emit, EventScope, OutboxEmit, SqlUnitOfWork, current_event

metadata = sa.MetaData()
kit_tables(metadata)
leads = sa.Table("leads", metadata, sa.Column("id", sa.Uuid, primary_key=True))


class Leads:
    """A repository adapter bound to one connection."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, lead_id: object) -> None:
        await self.conn.execute(leads.insert().values(id=lead_id))


class Announcer:
    """A publisher adapter: speaks the domain, knows the contract."""

    def __init__(self, emit: Emit) -> None:
        self.emit = emit

    async def converted(self, lead_id: object) -> None:
        await self.emit(LeadConverted(partner_id=lead_id))


class BulkAnnouncer:
    """A publisher adapter that tells many facts at once (one outbox statement)."""

    def __init__(self, emit: OutboxEmit) -> None:
        self.emit = emit

    async def converted(self, lead_ids: Sequence[object]) -> None:
        await self.emit.many([LeadConverted(partner_id=lead_id) for lead_id in lead_ids])


CLOCK = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


async def _counts(db: Database) -> tuple[int, int]:
    async with db.read() as conn:
        n_leads = (await conn.execute(sa.select(sa.func.count()).select_from(leads))).scalar_one()
        n_events = (await conn.execute(sa.select(sa.func.count()).select_from(metadata.tables["outbox"]))).scalar_one()
    return n_leads, n_events


@pytest.fixture
async def uow(database_url: str) -> SqlUnitOfWork[Leads, Announcer]:
    db = Database(database_url, metadata)
    await db.create_all()
    outbox = Outbox(metadata, "/crm/test", lambda t: t)
    return SqlUnitOfWork(db, outbox, repository=Leads, publisher=Announcer, clock=lambda: CLOCK)


async def test_a_unit_of_work_commits_the_state_and_its_event_together(uow: SqlUnitOfWork[Leads, Announcer]) -> None:
    lead = uuid4()
    async with uow() as work:
        assert work.now == CLOCK
        await work.repo.add(lead)
        await work.publisher.converted(lead)
    assert await _counts(uow.db) == (1, 1)
    await uow.db.dispose()


async def test_a_failing_unit_of_work_leaves_neither_the_state_nor_the_event(
    uow: SqlUnitOfWork[Leads, Announcer],
) -> None:
    async def refused() -> None:
        async with uow() as work:
            await work.repo.add(uuid4())
            await work.publisher.converted(uuid4())
            raise RuntimeError("the rule said no")

    with pytest.raises(RuntimeError):
        await refused()
    assert await _counts(uow.db) == (0, 0)
    await uow.db.dispose()


async def test_inside_an_event_handler_the_unit_of_work_joins_its_transaction_and_time(
    uow: SqlUnitOfWork[Leads, Announcer],
) -> None:
    emitted = RecordedEmit()
    cause_time = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
    envelope = (await emitted(LeadConverted(partner_id=uuid4())))._replace(time=cause_time)
    emitted.events.clear()
    async with uow.db.transaction() as conn:
        token = current_event.set(EventScope(conn, emitted, envelope))
        try:
            async with uow() as work:
                assert work.now == cause_time
                await work.repo.add(uuid4())
                await work.publisher.converted(uuid4())
        finally:
            current_event.reset(token)
    # The event went to the handler's publisher (with its causation), not to a second outbox write.
    assert len(emitted.of(LeadConverted)) == 1
    assert await _counts(uow.db) == (1, 0)
    await uow.db.dispose()


async def test_many_events_of_a_unit_of_work_commit_with_its_state(database_url: str) -> None:
    db = Database(database_url, metadata)
    await db.create_all()
    outbox = Outbox(metadata, "/crm/test", lambda t: t)
    uow = SqlUnitOfWork(db, outbox, repository=Leads, publisher=BulkAnnouncer, clock=lambda: CLOCK)
    async with uow() as work:
        await work.repo.add(uuid4())
        await work.publisher.converted([uuid4() for _ in range(3)])
    assert await _counts(db) == (1, 3)
    await db.dispose()


async def test_inside_an_event_handler_many_events_go_to_its_bulk_publisher_at_once(database_url: str) -> None:
    db = Database(database_url, metadata)
    await db.create_all()
    outbox = Outbox(metadata, "/crm/test", lambda t: t)
    uow = SqlUnitOfWork(db, outbox, repository=Leads, publisher=BulkAnnouncer, clock=lambda: CLOCK)
    one_by_one, at_once = RecordedEmit(), list[list[Event]]()

    async def emit_many(events: Sequence[Event]) -> None:
        at_once.append(list(events))

    envelope = await one_by_one(LeadConverted(partner_id=uuid4()))
    one_by_one.events.clear()
    async with db.transaction() as conn:
        for scope in (EventScope(conn, one_by_one, envelope, emit_many), EventScope(conn, one_by_one, envelope)):
            token = current_event.set(scope)
            try:
                async with uow() as work:
                    await work.publisher.converted([uuid4(), uuid4()])
            finally:
                current_event.reset(token)
    # With a bulk publisher the events go to it in one call; without (a batch handler's scope, which
    # collects every event into one statement anyway) they go to the handler's publisher one by one.
    assert [len(events) for events in at_once] == [2]
    assert len(one_by_one.of(LeadConverted)) == 2
    assert await _counts(db) == (0, 0)
    await db.dispose()


async def test_events_a_handler_publishes_at_once_are_each_caused_by_the_handled_event(database_url: str) -> None:
    db = Database(database_url, metadata)
    await db.create_all()
    outbox = Outbox(metadata, "/crm/test", lambda t: t)
    handled, _ = outbox.prepare(LeadConverted(partner_id=uuid4()), correlation_id="journey-1")
    async with db.transaction() as conn:
        await Context(conn, handled, outbox).publish_many([LeadConverted(partner_id=uuid4()) for _ in range(3)])
    async with db.read() as conn:
        rows = (await conn.execute(sa.select(outbox.table.c.headers))).scalars().all()
    causes = {(dict(pairs)["ce_causationid"], dict(pairs)["ce_correlationid"]) for pairs in rows}
    assert (len(rows), causes) == (3, {(handled.id, "journey-1")})
    await db.dispose()


class FakeLeads:
    def __init__(self) -> None:
        self.ids: list[object] = []

    async def add(self, lead_id: object) -> None:
        self.ids.append(lead_id)


async def test_the_fake_unit_of_work_rolls_its_fakes_back_when_the_use_case_raises() -> None:
    emitted = RecordedEmit()
    fake = FakeUnitOfWork(FakeLeads(), Announcer(emitted), FakeClock(CLOCK))
    async with fake() as work:
        await work.repo.add(1)

    async def refused() -> None:
        async with fake() as work:
            await work.repo.add(2)
            raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        await refused()
    assert fake.repo.ids == [1]
    assert (fake.commits, fake.rollbacks) == (1, 1)
