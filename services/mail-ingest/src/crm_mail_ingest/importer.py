"""Importing claimed files: parse, identify, route, store attachments, record and publish, then move.

One batch of files is one database transaction: the import log rows, the message identities
(unique) and the outbox events commit together; only then do the files move to done/ or
failed/. A crash before the commit leaves the files in processing/ (imported again on restart);
a crash after it leaves rows whose file did not move yet, which a restart finishes (same file
name and content hash), so each message is imported once and no file is lost.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from crm_kit.blobs import BlobStore
from crm_kit.ids import new_id
from crm_kit.inbox import TRANSIENT
from crm_kit.store import Database
from crm_mail_ingest.domain.routing import choose_partner, route
from crm_mail_ingest.events.publisher import EmailTask, ImportFailure, MailPublisher, build_events
from crm_mail_ingest.folder import Claimed, ImportFolder
from crm_mail_ingest.preparation import (
    Prepared,
    PrepareOptions,
    claim_and_prepare,
    finish_all,
    prepare_all,
    worker_init,
)
from crm_mail_ingest.settings import MailIngestSettings
from crm_mail_ingest.store import repository

log = logging.getLogger(__name__)

_UNLISTED_NOTE = "Atașări menționate în export, dar nesalvate cu el: "
_CHUNK_FILES = 25
"""Files per task sent to a worker process (small enough that both workers share a batch)."""
_T = TypeVar("_T")
_R = TypeVar("_R")

__all__ = ["Importer", "Prepared"]


_POOLS: dict[tuple[str, int], ProcessPoolExecutor] = {}


def _pool(role: str, processes: int) -> ProcessPoolExecutor:
    """The process's pool of ``processes`` workers for one role (importers share it; it ends with the process).

    ``prepare`` claims and parses the next batch; ``record`` builds a batch's events and moves its
    files. Two pools, so the batch being recorded never waits behind the next one's parsing.
    """
    pool = _POOLS.get((role, processes))
    if pool is None:
        pool = _POOLS[role, processes] = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=worker_init,
            initargs=(os.getpid(),),
        )
    return pool


class Importer:
    """Turns claimed files into import log rows, tasks and events (the watcher and the API share it)."""

    def __init__(
        self,
        db: Database,
        publisher: MailPublisher,
        blobs: BlobStore,
        folder: ImportFolder,
        settings: MailIngestSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.publisher = publisher
        self.blobs = blobs
        self.folder = folder
        self.settings = settings
        self.clock = clock
        self.in_flight: set[str] = set()
        self._parent = os.getpid()

    @property
    def options(self) -> PrepareOptions:
        """The settings preparing a file uses, read now (an administrator may raise a limit)."""
        return PrepareOptions(
            max_file_bytes=self.settings.max_file_bytes,
            max_header_chars=self.settings.max_header_chars,
            export_format=self.settings.export_format,
            local_timezone=self.settings.local_timezone,
            blobs=self.blobs,
        )

    async def import_files(self, claimed: list[Claimed], *, resumed: bool = False) -> list[dict[str, Any]]:
        """Import claimed files (one transaction per batch); returns their import log rows.

        Raises:
            Exception: a transient database failure; the files stay in processing/ for a later pass.
        """
        return await self.commit(await self.prepare(claimed), resumed=resumed)

    async def take(self, names: list[str]) -> list[Prepared]:
        """Claim the named inbox files (into processing/) and prepare them; gone or taken names are skipped."""
        root = self.folder.root
        # A worker process stops claiming once the service process is gone (checked by pid).
        parent = self._parent if self._pool() is not None else None
        self.in_flight.update(names)
        try:
            parts = await self._run(names, lambda chunk: (claim_and_prepare, root, chunk, self.options, parent))
        except BaseException:
            # What a worker claimed stays in processing/; the next sweep imports it.
            self.in_flight.difference_update(names)
            raise
        prepared = [p for part in parts for p in part]
        self.in_flight.difference_update(set(names) - {p.claimed.path.name for p in prepared})
        return prepared

    async def prepare(self, claimed: list[Claimed]) -> list[Prepared]:
        """The work outside the database (read, parse, store attachments), in the worker processes."""
        self.in_flight.update(c.path.name for c in claimed)
        try:
            parts = await self._run(claimed, lambda chunk: (prepare_all, self.folder.root, chunk, self.options))
        except BaseException:
            self.release(claimed)
            raise
        return [p for part in parts for p in part]

    async def _run(self, items: list[_T], call: Callable[[list[_T]], tuple[Any, ...]]) -> list[list[Prepared]]:
        """Run ``call``'s function over chunks of ``items``: in the worker processes, or on the loop."""
        if not items:
            return []
        size = _CHUNK_FILES
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        pool = self._pool()
        if pool is None:
            # No worker processes: on the event loop, yielding between small chunks.
            out = []
            for chunk in chunks:
                fn, *args = call(chunk)
                out.append(fn(*args))
                await asyncio.sleep(0)
            return out
        loop = asyncio.get_running_loop()
        try:
            return list(await asyncio.gather(*(loop.run_in_executor(pool, *call(chunk)) for chunk in chunks)))
        except BrokenProcessPool:
            _POOLS.pop(("prepare", self.settings.prepare_processes), None)
            raise

    def _pool(self, role: str = "prepare") -> ProcessPoolExecutor | None:
        processes = self.settings.prepare_processes
        if not processes:
            return None
        return _pool(role, processes if role == "prepare" else 1)

    async def _after(self, fn: Callable[..., _R], *args: Any) -> _R:
        """Run ``fn(*args)`` in the ``record`` worker process."""
        pool = self._pool("record")
        assert pool is not None
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
        except BrokenProcessPool:
            _POOLS.pop(("record", 1), None)
            raise

    async def start(self) -> None:
        """Start the worker processes now (their imports take a moment), not on the first file."""
        pool = self._pool()
        if pool is not None:
            loop = asyncio.get_running_loop()
            warm = [
                loop.run_in_executor(pool, prepare_all, self.folder.root, [], self.options)
                for _ in range(self.settings.prepare_processes)
            ]
            await asyncio.gather(*warm, self._after(build_events, [], self.publisher.spec, self.clock()))

    def release(self, claimed: list[Claimed]) -> None:
        """Forget files as in flight (they are done, or left in processing/ for a later pass)."""
        self.in_flight.difference_update(c.path.name for c in claimed)

    async def commit(self, prepared: list[Prepared], *, resumed: bool = False) -> list[dict[str, Any]]:
        """Record prepared files and their events in one transaction, then move the files."""
        if not prepared:
            return []
        try:
            try:
                await self._record(prepared, resumed=resumed)
            except TRANSIENT:
                raise
            except Exception:
                if len(prepared) == 1:
                    log.exception("could not record %s; marking it failed", prepared[0].claimed.file_name)
                    await self._record_failure(prepared[0])
                else:
                    log.warning(
                        "batch of %d could not be recorded; retrying file by file", len(prepared), exc_info=True
                    )
                    for item in prepared:
                        try:
                            await self._record([item], resumed=resumed)
                        except TRANSIENT:
                            raise
                        except Exception:
                            log.exception("could not record %s; marking it failed", item.claimed.file_name)
                            await self._record_failure(item)
            await self._finish(prepared)
            return [p.row for p in prepared]
        finally:
            self.release([p.claimed for p in prepared])

    # -- in the database ------------------------------------------------------------------

    async def _record(self, prepared: list[Prepared], *, resumed: bool) -> None:
        """Write the import log rows, message identities and events of a batch in one transaction.

        A batch from the folder is planned on a read connection and its events are built in the
        worker processes, so the write transaction only inserts. A message imported meanwhile by
        someone else (an upload of the same email) breaks the unique constraint of its identity:
        the batch rolls back and ``commit`` records it file by file, which plans and writes in
        one transaction (as do resumed files and single files).
        """
        now = self.clock()
        for item in prepared:
            item.reset()
        if resumed or len(prepared) == 1 or self._pool() is None:
            async with self.db.transaction() as conn:
                plan = await self._plan(conn, prepared, now, resumed=resumed)
                events = self.publisher.batch()
                for job in plan.events:
                    events.add(job, now=now)
                await self._write(conn, plan, events.rows())
            return
        async with self.db.read() as conn:
            plan = await self._plan(conn, prepared, now, resumed=False)
        built = await self._after(build_events, plan.events, self.publisher.spec, now)
        async with self.db.transaction() as conn:
            await self._write(conn, plan, built)

    async def _plan(self, conn: AsyncConnection, prepared: list[Prepared], now: datetime, *, resumed: bool) -> _Plan:
        """Decide each file's status, routing, import log row and events (reads only)."""
        if resumed:
            for item in prepared:
                if item.sha256:
                    item.resume = await repository.unmoved_import(conn, item.claimed.file_name, item.sha256)
        fresh = [p for p in prepared if p.resume is None]
        known = await repository.known_messages(conn, [p.key for p in fresh if p.key and p.status != "failed"])
        partners = await repository.partners_by_email(
            conn, [p.message.sender.email for p in fresh if p.message is not None and p.status == "imported"]
        )
        failing = [p.sha256 for p in fresh if p.status == "failed" and p.sha256]
        kept = {
            sha: self.folder.root / path
            for sha, path in (await repository.kept_failures(conn, failing)).items()
            if (self.folder.root / path).is_file()
        }
        plan = _Plan()
        taken: set[Path] = set()
        for item in prepared:
            if item.resume is not None:
                item.row = item.resume
                continue
            if item.key and item.status != "failed":
                first = known.get(item.key)
                if first is not None:
                    item.status = "duplicate"
                    item.reason = (
                        f"duplicate of {first['file_name'] or 'an earlier import'} (import {first['import_id']})"
                    )
                    item.row["task_id"] = first["task_id"]
                else:
                    known[item.key] = {
                        "import_id": item.import_id,
                        "file_name": item.claimed.file_name,
                        "task_id": None,
                    }
            item.destination = self._destination(item, taken, kept)
            row = self._row(item, now)
            if item.status in ("imported", "ignored"):
                plan.messages.append(
                    {
                        "message_key": item.key,
                        "import_id": item.import_id,
                        "task_id": row["task_id"],
                        "created_at": now,
                    }
                )
            if item.status == "imported":
                assert item.message is not None
                assert item.key is not None
                matched = choose_partner(partners.get(item.message.sender.email, []))
                routing = route(matched, self.settings.triage_staff_id)
                row.update(
                    partner_id=routing.partner_id,
                    partner_name=routing.partner_name,
                    responsible_staff_id=routing.responsible_staff_id,
                    unknown_sender=routing.unknown_sender,
                )
                known[item.key]["task_id"] = row["task_id"]
                plan.messages[-1]["task_id"] = row["task_id"]
                plan.events.append(self._email_task(item, row))
            elif item.status == "failed":
                plan.events.append(
                    ImportFailure(import_id=item.import_id, file_name=row["file_name"], reason=row["reason"] or "")
                )
            item.row = row
            plan.imports.append(row)
        return plan

    async def _write(self, conn: AsyncConnection, plan: _Plan, events: list[dict[str, Any]]) -> None:
        await repository.insert_imports(conn, plan.imports)
        await repository.insert_messages(conn, plan.messages)
        await self.publisher.write(conn, events)

    async def _record_failure(self, item: Prepared) -> None:
        """Record a file that could not be stored normally as failed (minimal row, no identity)."""
        now = self.clock()
        item.reset()
        item.status = "failed"
        item.reason = "could not be recorded (see the service log)"
        item.key = None
        item.message = None
        item.attachments = []
        item.destination = self._destination(item, set())
        row = self._row(item, now)
        events = self.publisher.batch()
        events.add(ImportFailure(import_id=item.import_id, file_name=row["file_name"], reason=row["reason"]), now=now)
        async with self.db.transaction() as conn:
            await repository.insert_imports(conn, [row])
            await events.flush(conn)
        item.row = row

    def _destination(self, item: Prepared, taken: set[Path], kept: dict[str, Path] | None = None) -> Path:
        failed = item.status == "failed"
        if failed and kept is not None and item.sha256:
            # failed/ keeps each content once: a file that fails again (the same upload repeated)
            # points at the copy already there, and ``finish`` drops the new one.
            if item.sha256 in kept:
                return kept[item.sha256]
            kept[item.sha256] = destination = self._destination(item, taken)
            return destination
        planned = item.planned
        if planned is not None and (planned.parent == self.folder.failed) == failed and planned not in taken:
            # Free when the worker looked; if it is taken by the move, ``finish`` picks another.
            taken.add(planned)
            return planned
        name = item.claimed.file_name
        while True:
            candidate = self.folder.destination(name, failed)
            if candidate not in taken:
                taken.add(candidate)
                return candidate
            name = f"{item.import_id[-8:]}-{name}"

    def _row(self, item: Prepared, now: datetime) -> dict[str, Any]:
        message = item.message
        assert item.destination is not None
        return {
            "id": item.import_id,
            "file_name": item.claimed.file_name[:255],
            "stored_path": self.folder.relative(item.destination),
            "file_sha256": item.sha256 or "0" * 64,
            "size": item.size,
            "format": message.format if message else None,
            "encoding": message.encoding[:30] if message else None,
            "status": item.status,
            "reason": item.reason,
            "message_key": item.key,
            "sender": message.sender.email[:320] if message else None,
            "sender_name": (message.sender.name[:300] or None) if message else None,
            "subject": message.subject[:1000] if message else None,
            "sent_at": message.sent_at if message else None,
            "partner_id": None,
            "partner_name": None,
            "task_id": str(new_id()) if item.status == "imported" else item.row.get("task_id"),
            "responsible_staff_id": None,
            "unknown_sender": False,
            "attachments": [
                {"file_name": a.file_name, "sha256": a.sha256, "size": a.size, "content_type": a.content_type}
                for a in item.attachments
            ],
            "created_at": now,
            "moved_at": None,
        }

    def _email_task(self, item: Prepared, row: dict[str, Any]) -> EmailTask:
        message = item.message
        assert message is not None
        assert item.key is not None
        limit = self.settings.max_body_chars
        body = message.body if len(message.body) <= limit else message.body[:limit] + "\n[…]"
        description = body
        if message.listed_attachments and not message.attachments:
            description += "\n\n" + _UNLISTED_NOTE + ", ".join(message.listed_attachments)
        sender = message.sender.email or message.sender.name
        title = " ".join(message.subject.split())[:200] or f"Email de la {sender or 'expeditor necunoscut'}"[:200]
        return EmailTask(
            import_id=item.import_id,
            task_id=row["task_id"],
            file_name=row["file_name"],
            message_key=item.key,
            sender=sender,
            sender_name=message.sender.name or None,
            subject=message.subject,
            title=title,
            description=description,
            body=body,
            sent_at=message.sent_at,
            partner_id=row["partner_id"],
            responsible_staff_id=row["responsible_staff_id"],
            unknown_sender=row["unknown_sender"],
            export_format=message.format,
            attachments=item.attachments,
        )

    # -- after the commit -----------------------------------------------------------------

    async def _finish(self, prepared: list[Prepared]) -> None:
        """Move each file to done/ or failed/ (reason beside it), then record where it went."""
        moves_list = [
            (item.row["id"], item.claimed, self.folder.root / item.row["stored_path"], _reason(item.row))
            for item in prepared
            if item.row
        ]
        if self._pool() is None or len(moves_list) < 2:
            moves = await asyncio.to_thread(finish_all, self.folder.root, moves_list)
        else:
            moves = await self._after(finish_all, self.folder.root, moves_list)
        if moves:
            now = self.clock()
            async with self.db.transaction() as conn:
                await repository.mark_moved(conn, moves, now)
            for item in prepared:
                if item.row.get("id") in moves:
                    item.row = {**item.row, "stored_path": moves[item.row["id"]], "moved_at": now}


def _reason(row: dict[str, Any]) -> str | None:
    return (row["reason"] or "failed") if row["status"] == "failed" else None


@dataclass
class _Plan:
    """A batch's rows and the events still to build (``_record``)."""

    imports: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    events: list[EmailTask | ImportFailure] = field(default_factory=list)
