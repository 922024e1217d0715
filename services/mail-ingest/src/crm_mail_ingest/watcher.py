"""The folder worker (an adapter): scans the import folder and hands complete files to the use cases in batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path

from crm_kit.waiting import nap
from crm_mail_ingest.domain.importing import Prepared
from crm_mail_ingest.domain.intake import StabilityTracker
from crm_mail_ingest.folder import ImportFolder
from crm_mail_ingest.service_layer import AbandonFiles, RecordFiles, ResumeFiles, TakeFiles, UseCases

log = logging.getLogger(__name__)

ORPHAN_GRACE_SECONDS = 60.0
"""A file left in processing/ this long while the worker runs was abandoned (an outage): import it again."""


class Watcher:
    """Polls the inbox; a file is taken once its size and mtime held still across two scans.

    Before each pass it follows the saved import folder and default format (C4, ``follow``), so an
    administrator's change applies from the next pass, without a restart.
    """

    def __init__(self, uses: UseCases, folder: ImportFolder, *, scan_seconds: float, batch_files: int) -> None:
        self.uses = uses
        self.folder = folder
        self.scan_seconds = scan_seconds
        self.batch_files = batch_files
        self.tracker = StabilityTracker()
        self.passes = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Scan and import until ``stop``; errors are logged and the next pass tries again."""
        await asyncio.to_thread(self.folder.ensure)
        try:
            await self.uses.start()
        except Exception:
            log.exception("the import worker processes did not start; the first import retries")
        resumed = False
        last_sweep = time.monotonic()
        while not stop.is_set():
            try:
                await self.follow()
                if not resumed:
                    # Whatever a crash left in processing/ is finished first (resume).
                    await self.sweep(grace=0.0, stop=stop)
                    resumed = True
                elif time.monotonic() - last_sweep > ORPHAN_GRACE_SECONDS:
                    await self.sweep(grace=ORPHAN_GRACE_SECONDS, stop=stop)
                    last_sweep = time.monotonic()
                await self.scan_once(stop)
            except Exception:
                log.exception("import pass failed; the next pass retries")
            self.passes += 1
            await nap(self.scan_seconds, stop)

    async def follow(self) -> bool:
        """Scan the folder saved now (C4); whether it changed (then its files are watched from scratch)."""
        settings = await self.uses.follow_import_settings()
        root = Path(settings.folder)
        if root == self.folder.root:
            return False
        log.info("the import folder is now %s (was %s)", root, self.folder.root)
        self.folder = ImportFolder(root)
        self.tracker = StabilityTracker()  # sizes seen in the old folder say nothing of the new one
        return True

    async def scan_once(self, stop: asyncio.Event | None = None) -> int:
        """One scan: import the files that were already there, unchanged, at the previous scan.

        Batches are pipelined: the next batch is claimed, read and parsed (in the import folder's
        worker processes) while the previous one is written to the database.
        """
        scan = await asyncio.to_thread(self.folder.scan)
        ready = self.tracker.stable(scan)
        size = self.batch_files
        done = 0
        preparing: asyncio.Task[list[Prepared]] | None = None
        try:
            for start in range(0, len(ready), size):
                if stop is not None and stop.is_set():
                    break
                names = ready[start : start + size]
                for name in names:
                    self.tracker.forget(name)
                upcoming = asyncio.create_task(self.uses.take(TakeFiles(tuple(names))))
                if preparing is not None:
                    current, preparing = preparing, None
                    done += len(await self.uses.record(RecordFiles(tuple(await current))))
                preparing = upcoming
            if preparing is not None:
                current, preparing = preparing, None
                done += len(await self.uses.record(RecordFiles(tuple(await current))))
        finally:
            if preparing is not None:
                # A failure left a prepared batch behind: its files stay in processing/ for the sweep.
                with contextlib.suppress(BaseException):
                    await self.uses.abandon(AbandonFiles(tuple(await preparing)))
        return done

    async def sweep(self, *, grace: float, stop: asyncio.Event | None = None) -> int:
        """Import files left in processing/ (after a crash or outage), skipping ones in flight."""
        return await self.uses.resume(ResumeFiles(grace_seconds=grace))
