"""The reminder scheduler (T10, C2): a worker that asks the use cases to fire due reminders, in batches.

Exactly once per (task, reminder time): ``UseCases.fire_due_reminders`` claims reminder rows with an
UPDATE that re-checks ``fired_at IS NULL`` under the database's lock, in the same unit of work that
queues TaskDue. Two schedulers never both claim a row; a scheduler killed before its commit leaves
the row unclaimed for the next pass (its own after a restart, or the other instance's).
"""

from __future__ import annotations

import asyncio
import logging

from crm_kit.waiting import nap
from crm_tasks.service_layer import FireDueReminders, UseCases

log = logging.getLogger(__name__)


class Scheduler:
    """Fires due reminders every ``interval`` seconds; the service's ``schedule`` worker (``await scheduler(stop)``)."""

    def __init__(
        self, uses: UseCases, *, interval: float = 5.0, batch_size: int = 500, claim_delay: float = 0.0
    ) -> None:
        self.uses = uses
        self.interval = interval
        self.batch = FireDueReminders(limit=batch_size, pause_before_commit=claim_delay)
        self.fired = 0

    async def tick(self) -> int:
        """Fire every reminder due now (a batch per unit of work); returns how many fired."""
        fired = 0
        while True:
            count = await self.uses.fire_due_reminders(self.batch)
            fired += count
            self.fired += count
            if count < self.batch.limit:
                return fired

    async def __call__(self, stop: asyncio.Event) -> None:
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
