"""The delivery worker at rest: it looks once per poll, yet an email queued meanwhile is taken at once."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from crm_kit.testing import eventually
from crm_notifier.bootstrap import compose
from crm_notifier.service_layer import QueueRequestedEmail
from crm_notifier.store.tables import deliveries
from crm_notifier.testing import free_port


async def test_an_idle_worker_claims_once_per_poll_and_still_takes_a_queued_email_at_once(
    notifier_settings, database_url: str
) -> None:
    # Every commit wakes the worker, its own empty claim's too: it used to claim in a loop while idle.
    service, uses = compose(notifier_settings(free_port(), database_url=database_url, deliver_poll_seconds=30.0))
    await service.migrate()
    commits = 0

    def counted() -> None:
        nonlocal commits
        commits += 1

    service.db.on_commit(counted)
    stop = asyncio.Event()
    worker = asyncio.create_task(service.workers["deliver"](stop))
    try:
        await asyncio.sleep(1.0)
        assert commits <= 3  # the first pass (a recovery, a claim), not hundreds
        await uses.queue_requested_email(
            QueueRequestedEmail("e1", "0190a000-0000-7000-8000-0000000000e1", "ana", None, ["ion@alfa.ro"],
                                "Oferta", "Text", None, []),
        )  # fmt: skip

        async def attempted() -> bool:  # no SMTP server listens: the claim's attempt fails and is retried later
            async with service.db.read() as conn:
                return bool((await conn.execute(sa.select(deliveries.c.attempts))).scalar_one() >= 1)

        await eventually(attempted, timeout=5)  # well before the next 30-second poll
    finally:
        stop.set()
        await worker
        await service.db.dispose()
