"""Importing claimed files: parse, identify, route, store attachments, record and publish, then move.

One batch of files is one database transaction: the import log rows, the message identities
(unique) and the outbox events commit together; only then do the files move to done/ or
failed/. A crash before the commit leaves the files in processing/ (imported again on restart);
a crash after it leaves rows whose file did not move yet, which a restart finishes (same file
name and content hash), so each message is imported once and no file is lost.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from crm_kit.blobs import BlobError, BlobStore
from crm_kit.ids import new_id
from crm_kit.inbox import TRANSIENT
from crm_kit.store import Database
from crm_mail_ingest.domain.identity import message_key
from crm_mail_ingest.domain.model import ParsedMessage, ParseFailure
from crm_mail_ingest.domain.parsing import parse_export
from crm_mail_ingest.domain.routing import automated_reason, choose_partner, route
from crm_mail_ingest.events.publisher import EmailTask, MailPublisher, StoredAttachment
from crm_mail_ingest.folder import Claimed, ImportFolder, read_sidecar
from crm_mail_ingest.settings import MailIngestSettings
from crm_mail_ingest.store import repository

log = logging.getLogger(__name__)

_UNLISTED_NOTE = "Atașări menționate în export, dar nesalvate cu el: "


@dataclass
class Prepared:
    """One claimed file after the work outside the database (read, parse, blobs)."""

    claimed: Claimed
    import_id: str
    sha256: str
    size: int
    status: str
    reason: str | None = None
    message: ParsedMessage | None = None
    key: str | None = None
    attachments: list[StoredAttachment] = field(default_factory=list)
    resume: dict[str, Any] | None = None
    destination: Path | None = None
    row: dict[str, Any] = field(default_factory=dict)
    initial: tuple[str, str | None] = ("failed", None)

    def reset(self) -> None:
        """Back to what preparing found (before a retried database pass)."""
        self.status, self.reason = self.initial
        self.row = {}
        self.resume = None
        self.destination = None


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
        self.local_tz = ZoneInfo(settings.local_timezone)
        self.in_flight: set[str] = set()

    async def import_files(self, claimed: list[Claimed], *, resumed: bool = False) -> list[dict[str, Any]]:
        """Import claimed files (one transaction per batch); returns their import log rows.

        Raises:
            Exception: a transient database failure; the files stay in processing/ for a later pass.
        """
        return await self.commit(await self.prepare(claimed), resumed=resumed)

    async def prepare(self, claimed: list[Claimed]) -> list[Prepared]:
        """The work outside the database (read, parse, store attachments).

        It runs on the event loop, yielding between files: parsing is CPU work, and a worker
        thread would only fight the loop for the GIL (measured 3x slower); a file takes about a
        millisecond, so HTTP and the relay keep their turns.
        """
        self.in_flight.update(c.path.name for c in claimed)
        prepared: list[Prepared] = []
        try:
            for c in claimed:
                item = self._prepare(c)
                item.initial = (item.status, item.reason)
                prepared.append(item)
                await asyncio.sleep(0)
        except BaseException:
            self.release(claimed)
            raise
        return prepared

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

    # -- outside the database -------------------------------------------------------------

    def _prepare(self, claimed: Claimed) -> Prepared:
        limit = self.settings.max_file_bytes
        try:
            size = claimed.path.stat().st_size
        except OSError as exc:
            return Prepared(claimed, str(new_id()), "", 0, "failed", f"cannot read the file: {exc.strerror}")
        item = Prepared(claimed, str(new_id()), "", size, "failed")
        try:
            if size > limit:
                item.sha256 = _hash_file(claimed.path)
                item.reason = f"file too large: {size} bytes, the limit is {limit}"
                return item
            data = claimed.path.read_bytes()
            item.sha256 = hashlib.sha256(data).hexdigest()
            sidecar, extra = read_sidecar(claimed.attachments_dir, limit - size)
            if size + extra > limit:
                item.reason = f"file and attachments too large: {size + extra} bytes, the limit is {limit}"
                return item
            message = parse_export(
                data,
                claimed.file_name,
                local_tz=self.local_tz,
                sidecar=sidecar,
                max_header_chars=self.settings.max_header_chars,
                force_format=self.settings.export_format,
            )
        except ParseFailure as exc:
            item.reason = str(exc)
            return item
        except Exception as exc:
            log.warning("unexpected failure parsing %s", claimed.file_name, exc_info=True)
            item.reason = f"could not read this file as an email: {type(exc).__name__}: {str(exc)[:300]}"
            return item
        item.message = message
        item.key = message_key(message)
        ignored = automated_reason(message)
        if ignored is not None:
            item.status, item.reason = "ignored", ignored
            return item
        try:
            for attachment in message.attachments:
                sha = self.blobs.put(attachment.content)
                item.attachments.append(
                    StoredAttachment(attachment.file_name[:255], sha, len(attachment.content), attachment.content_type)
                )
        except BlobError as exc:
            item.status, item.reason = "failed", f"attachment not stored: {exc}"
            return item
        item.status = "imported"
        return item

    # -- in the database ------------------------------------------------------------------

    async def _record(self, prepared: list[Prepared], *, resumed: bool) -> None:
        now = self.clock()
        for item in prepared:
            item.reset()
        events = self.publisher.batch()
        async with self.db.transaction() as conn:
            if resumed:
                for item in prepared:
                    if item.sha256:
                        item.resume = await repository.unmoved_import(conn, item.claimed.file_name, item.sha256)
            fresh = [p for p in prepared if p.resume is None]
            known = await repository.known_messages(conn, [p.key for p in fresh if p.key and p.status != "failed"])
            partners = await repository.partners_by_email(
                conn, [p.message.sender.email for p in fresh if p.message is not None and p.status == "imported"]
            )
            taken: set[Path] = set()
            import_rows: list[dict[str, Any]] = []
            message_rows: list[dict[str, Any]] = []
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
                item.destination = self._destination(item, taken)
                row = self._row(item, now)
                if item.status in ("imported", "ignored"):
                    message_rows.append(
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
                    message_rows[-1]["task_id"] = row["task_id"]
                    events.email_task(self._email_task(item, row), now=now)
                elif item.status == "failed":
                    events.import_failed(
                        import_id=item.import_id, file_name=row["file_name"], reason=row["reason"] or "", now=now
                    )
                item.row = row
                import_rows.append(row)
            await repository.insert_imports(conn, import_rows)
            await repository.insert_messages(conn, message_rows)
            await events.flush(conn)

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
        events.import_failed(import_id=item.import_id, file_name=row["file_name"], reason=row["reason"], now=now)
        async with self.db.transaction() as conn:
            await repository.insert_imports(conn, [row])
            await events.flush(conn)
        item.row = row

    def _destination(self, item: Prepared, taken: set[Path]) -> Path:
        failed = item.status == "failed"
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
        title = " ".join(message.subject.split())[:200] or f"Email de la {sender}"[:200]
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
        moves = await asyncio.to_thread(self._move_all, prepared)
        if moves:
            now = self.clock()
            async with self.db.transaction() as conn:
                await repository.mark_moved(conn, moves, now)
            for item in prepared:
                if item.row.get("id") in moves:
                    item.row = {**item.row, "stored_path": moves[item.row["id"]], "moved_at": now}

    def _move_all(self, prepared: list[Prepared]) -> dict[str, str]:
        moves: dict[str, str] = {}
        for item in prepared:
            row = item.row
            if not row:
                continue
            destination = self.folder.root / row["stored_path"]
            reason = (row["reason"] or "failed") if row["status"] == "failed" else None
            try:
                final = self.folder.finish(item.claimed, destination, reason)
            except OSError:
                log.exception("could not move %s to %s", item.claimed.path, destination)
                continue
            moves[row["id"]] = self.folder.relative(final)
        return moves


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
