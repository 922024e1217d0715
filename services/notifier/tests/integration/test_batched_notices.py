"""Task news handled a batch at a time: few statements, still once per (cause, user), parked when unknown."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from crm_notifier.bootstrap import bootstrap
from crm_notifier.domain.models import Notice, StaffMember
from crm_notifier.events.publisher import Publisher
from crm_notifier.notifying import Notifier
from crm_notifier.rendering import Renderer
from crm_notifier.store import repository as repo
from crm_notifier.store import tables as t

ANA = "0190a000-0000-7000-8000-00000000a0a0"
BOB = "0190a000-0000-7000-8000-00000000b0b0"
NEW = "0190a000-0000-7000-8000-00000000c0c0"


def notice(staff_id: str, title: str) -> Notice:
    return Notice(kind="task_assigned", mode="task", staff_id=staff_id, context={"title": title, "by": "x"})


async def test_a_batch_of_notices_stores_each_message_once_and_publishes_only_new_ones(notifier_settings) -> None:
    service = bootstrap(notifier_settings(2525))
    await service.migrate()
    notifier = Notifier(Renderer("http://crm", "ro"), Publisher(service.outbox))
    now = datetime.now(UTC)
    try:
        async with service.db.transaction() as conn:
            await repo.save_staff(conn, StaffMember(ANA, "Ana", "ana@firma.ro", "ana"))
            await repo.save_staff(conn, StaffMember(BOB, "Bob", "bob@firma.ro", None))
            await notifier.tell(conn, "e1", notice(ANA, "Earlier"), now)
        async with service.db.transaction() as conn:
            await notifier.tell_many(
                conn,
                [
                    ("e1", notice(ANA, "Again")),  # already told: no second message, no event
                    ("e2", notice(ANA, "One")),
                    ("e2", notice(ANA, "One, repeated")),  # same cause and user in one batch
                    ("e3", notice(BOB, "Two")),  # not a user: an email
                    ("e4", notice(NEW, "Three")),  # unknown yet: parked
                ],
                now,
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
