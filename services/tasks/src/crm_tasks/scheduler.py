"""The reminder scheduler (T10, C2): claims due reminders and writes TaskDue to the outbox in one transaction.

Exactly once per (task, reminder time): a reminder row is marked fired by an UPDATE that re-checks
``fired_at IS NULL`` under the database's lock, in the same transaction that queues TaskDue. Two
schedulers never both claim a row; a scheduler killed before its commit leaves the row unclaimed
for the next pass (its own after a restart, or the other instance's).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from crm_kit.store import Database
from crm_kit.waiting import nap
from crm_tasks.events.publisher import Publisher
from crm_tasks.store import repository as repo

log = logging.getLogger(__name__)


class Scheduler:
    """Fires due reminders every ``interval`` seconds."""

    def __init__(
        self,
        db: Database,
        publisher: Publisher,
        clock: Callable[[], datetime],
        *,
        interval: float = 5.0,
        batch_size: int = 500,
        claim_delay: float = 0.0,
    ) -> None:
        self.db = db
        self.publisher = publisher
        self.clock = clock
        self.interval = interval
        self.batch_size = batch_size
        self.claim_delay = claim_delay
        self.fired = 0

    async def tick(self) -> int:
        """Fire every reminder due now (in batches); returns how many fired."""
        fired = 0
        while True:
            now = self.clock()
            async with self.db.transaction() as conn:
                due = await repo.claim_due(conn, now, self.batch_size)
                for reminder in due:
                    await self.publisher.task_due(conn, reminder, now)
                if due and self.claim_delay:
                    await asyncio.sleep(self.claim_delay)
            fired += len(due)
            self.fired += len(due)
            if len(due) < self.batch_size:
                return fired

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until ``stop``; a failed pass (database down) is logged and retried on the next one."""
        log.info("reminder scheduler started (every %.1f s)", self.interval)
        while not stop.is_set():
            try:
                count = await self.tick()
                if count:
                    log.info("fired %d reminders", count)
            except Exception:
                log.exception("reminder pass failed; retrying")
            await nap(self.interval, stop)
