"""Task news handled a batch at a time: few statements, still once per (cause, user), parked when unknown."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import UUID, uuid4

import sqlalchemy as sa

from crm_contracts.base import Envelope
from crm_contracts.tasks import TaskAssigned
from crm_kit.inbox import Context
from crm_notifier.bootstrap import compose
from crm_notifier.service_layer import SaveStaffMember, TellTaskAssigned
from crm_notifier.store import tables as t

ANA = "0190a000-0000-7000-8000-00000000a0a0"
BOB = "0190a000-0000-7000-8000-00000000b0b0"
NEW = "0190a000-0000-7000-8000-00000000c0c0"


def assigned(staff_id: str, title: str) -> TaskAssigned:
    return TaskAssigned(task_id=uuid4(), title=title, responsible_staff_id=UUID(staff_id), assigned_by="x")


async def test_a_batch_of_notices_stores_each_message_once_and_publishes_only_new_ones(
    notifier_settings, database_url: str
) -> None:
    # On SQLite and PostgreSQL: the new messages are told apart by the insert's RETURNING, per dialect.
    service, uses = compose(notifier_settings(2525, database_url=database_url))
    await service.migrate()
    route = service.subscriptions.routes[TaskAssigned.ce_type()][0]
    now = datetime.now(UTC)
    try:
        await uses.staff_changed(SaveStaffMember(ANA, "Ana", "ana@firma.ro", "ana"))
        await uses.staff_changed(SaveStaffMember(BOB, "Bob", "bob@firma.ro", None))
        await uses.tasks_assigned([TellTaskAssigned("e1", "t0", "Earlier", "x", ANA, None)])
        async with service.db.transaction() as conn:

            def item(cause: str, event: TaskAssigned) -> tuple[Context, TaskAssigned]:
                envelope = Envelope(id=cause, source="/crm/tasks", type=TaskAssigned.ce_type(), time=now)
                return Context(conn, envelope, service.outbox), event

            await route.handler(
                [
                    item("e1", assigned(ANA, "Again")),  # already told: no second message, no event
                    item("e2", assigned(ANA, "One")),
                    item("e2", assigned(ANA, "One, repeated")),  # same cause and user in one batch
                    item("e3", assigned(BOB, "Two")),  # not a user: an email
                    item("e4", assigned(NEW, "Three")),  # unknown yet: parked
                ]
            )
        async with service.db.read() as conn:
            messages = (await conn.execute(sa.select(t.messages.c.cause_event_id, t.messages.c.title))).all()
            emails = (await conn.execute(sa.select(t.deliveries.c.cause_event_id, t.deliveries.c.recipient))).all()
            parked = (await conn.execute(sa.select(t.parked.c.cause_event_id, t.parked.c.staff_id))).all()
            outbox = (
                await conn.execute(sa.select(service.outbox.table.c.ce_type, service.outbox.table.c.headers))
            ).all()
        assert sorted(m.cause_event_id for m in messages) == ["e1", "e2"]
        assert [(e.cause_event_id, e.recipient) for e in emails] == [("e3", "bob@firma.ro")]
        assert [(p.cause_event_id, p.staff_id) for p in parked] == [("e4", NEW)]
        posted = [dict(h) for ce_type, h in outbox if "MessagePosted" in ce_type]
        assert sorted(h.get("ce_causationid") or h.get("causationid") for h in posted) == ["e1", "e2"]
    finally:
        await service.db.dispose()


async def test_a_notice_and_its_staff_member_arriving_at_once_never_leave_the_notice_parked(
    notifier_settings, pg_database: str
) -> None:
    # Staff members come on the partners topic, task news on the tasks topic: two instances of one
    # group may own one each and handle them at the same moment (two concurrent applies here).
    # Without the lock, the notice's transaction can miss the member being stored while the member's
    # transaction misses the notice being parked.
    service, uses = compose(notifier_settings(2525, database_url=pg_database))
    await service.migrate()
    rounds = 40
    try:
        for i in range(rounds):
            staff = str(uuid4())
            await asyncio.gather(
                uses.tasks_assigned([TellTaskAssigned(f"race-{i}", f"t{i}", f"Task {i}", "x", staff, None)]),
                uses.staff_changed(SaveStaffMember(staff, f"User {i}", f"u{i}@firma.ro", f"user{i}")),
            )
        async with service.db.read() as conn:
            parked = (await conn.execute(sa.select(sa.func.count()).select_from(t.parked))).scalar_one()
            told = (await conn.execute(sa.select(sa.func.count()).select_from(t.messages))).scalar_one()
        assert (parked, told) == (0, rounds)
    finally:
        await service.db.dispose()
