"""The use cases of mail-ingest: import files (dropped, uploaded, retried, resumed), the import log, partners.

One batch of files is one unit of work: the import log rows, the message identities (unique)
and the events commit together; only then do the files move to done/ or failed/. A crash before
the commit leaves the files in processing/ (imported again on restart); a crash after it leaves
rows whose file did not move yet, which a restart finishes (same file name and content hash), so
each message is imported once and no file is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from crm_kit.errors import Conflict, Invalid, NotFound, TooLarge
from crm_kit.ids import new_id
from crm_kit.scoping import may_see_mail_import
from crm_kit.unit_of_work import Unavailable, UnitOfWork, utcnow
from crm_mail_ingest.domain.deadlines import working_days_after
from crm_mail_ingest.domain.import_settings import ImportSettings, check_import_settings, folder_refused
from crm_mail_ingest.domain.importing import (
    STATUSES,
    Claimed,
    FirstImport,
    ImportFailure,
    ImportRow,
    Outcome,
    PartnerDirectoryEntry,
    Prepared,
    Viewer,
    apply_routing,
    duplicate_reason,
    email_task,
    failure_reason,
    import_row,
)
from crm_mail_ingest.domain.intake import safe_file_name
from crm_mail_ingest.domain.routing import choose_partner, route
from crm_mail_ingest.ports import (
    EventBatches,
    Files,
    ImportQuery,
    MessageSeen,
    PreparedEvents,
    Publisher,
    Repository,
)

log = logging.getLogger(__name__)


def too_large_message(size: int | None, limit: int) -> str:
    """Why an upload was refused, with the sizes in words."""
    what = f"the file is {_words(size)}" if size is not None else "the upload is too large"
    return f"{what}; the import limit is {_words(limit)} (CRM_MAIL_INGEST_MAX_FILE_BYTES): nothing was imported or kept"


def _words(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{size} bytes"


def _mb(size: int) -> str:
    """A size in MB with two decimals, as the UI's text about a refused upload names it."""
    return f"{size / 1_048_576:.2f}"


@dataclass(frozen=True)
class ImportFiles:
    """Import files already claimed into processing/ (one unit of work for the batch)."""

    claimed: tuple[Claimed, ...]
    resumed: bool = False
    """Found in processing/ after a crash: a file whose import committed is only moved."""


@dataclass(frozen=True)
class TakeFiles:
    """Claim these inbox files and prepare them (read, parse, store attachments); nothing is recorded yet."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class RecordFiles:
    """Record prepared files and their events in one unit of work, then move them."""

    prepared: tuple[Prepared, ...]
    resumed: bool = False


@dataclass(frozen=True)
class AbandonFiles:
    """Prepared files that will not be recorded now: they stay in processing/ for the next sweep."""

    prepared: tuple[Prepared, ...]


@dataclass(frozen=True)
class ResumeFiles:
    """Import what a crash or an outage left in processing/ for ``grace_seconds``, in batches."""

    grace_seconds: float


@dataclass(frozen=True)
class UploadFile:
    """Import one uploaded file like a dropped one."""

    content: bytes
    file_name: str


@dataclass(frozen=True)
class RetryImport:
    """Import a failed file again (its cause fixed); the old entry becomes ``retried``."""

    import_id: str
    viewer: Viewer


@dataclass(frozen=True)
class UpdatePartner:
    """The partner directory changed a partner: its name, representatives, sites' addresses."""

    partner: PartnerDirectoryEntry


@dataclass(frozen=True)
class ChangeImportSettings:
    """C4: an administrator chooses the import folder and the default export format."""

    folder: str
    export_format: str
    changed_by: str
    """The user name of who saves them (shown beside the saved values)."""


@dataclass
class _Plan:
    """A batch's rows and the outcomes whose events it publishes."""

    imports: list[ImportRow] = field(default_factory=list)
    messages: list[MessageSeen] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)


BUCHAREST = ZoneInfo("Europe/Bucharest")
"""The default zone of the working-day calendar of an email task's deadline (the settings' ``local_timezone``)."""


class UseCases:
    """What mail-ingest does: the folder worker, the API and the partner subscriber call these."""

    def __init__(
        self,
        uow: UnitOfWork[Repository, Publisher],
        *,
        files: Files,
        events: EventBatches,
        triage_staff_id: str | None,
        max_body_chars: int,
        max_file_bytes: Callable[[], int],
        batch_files: int,
        import_defaults: ImportSettings,
        clock: Callable[[], datetime] = utcnow,
        task_deadline_working_days: int = 0,
        local_timezone: ZoneInfo = BUCHAREST,
    ) -> None:
        self.uow = uow
        self.import_defaults = import_defaults
        """The environment's folder and format (C4): in force while an administrator saved none."""
        self.files = files
        self.events = events
        self.triage_staff_id = triage_staff_id
        self.max_body_chars = max_body_chars
        self.task_deadline_working_days = task_deadline_working_days
        """An email's task is due this many working days after its import (0: no deadline)."""
        self.local_timezone = local_timezone
        self.max_file_bytes = max_file_bytes
        self.batch_files = batch_files
        self.clock = clock

    # -- the folder worker ----------------------------------------------------------------

    async def start(self) -> None:
        """Create the folders and start the worker processes (their imports take a moment)."""
        await self.files.start()
        await self.events.prepare([], self.clock())

    async def follow_import_settings(self) -> ImportSettings:
        """C4: take files from the saved folder and read them in the saved default format from now on.

        The folder worker calls this before each scan, so a change applies without a restart (also when
        the API and the worker run in separate processes); files already taken finish where they were.
        """
        settings = await self.import_settings()
        await self.files.follow(settings)
        return settings

    async def take(self, cmd: TakeFiles) -> list[Prepared]:
        """Claim the named files and prepare them; gone or taken names are skipped."""
        return await self.files.take(cmd.names)

    async def record(self, cmd: RecordFiles) -> list[ImportRow]:
        """Record prepared files and their events in one unit of work, then move the files.

        A batch that cannot be recorded is recorded file by file; a file that still cannot is
        recorded as failed with a minimal row (never lost, never retried forever).

        Raises:
            Exception: a transient store failure; the files stay in processing/ for a later pass.
        """
        prepared = list(cmd.prepared)
        if not prepared:
            return []
        try:
            try:
                await self._record(prepared, resumed=cmd.resumed)
            except Unavailable:
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
                            await self._record([item], resumed=cmd.resumed)
                        except Unavailable:
                            raise
                        except Exception:
                            log.exception("could not record %s; marking it failed", item.claimed.file_name)
                            await self._record_failure(item)
            await self._finish(prepared)
            return [p.row for p in prepared]
        finally:
            self.files.release([p.claimed for p in prepared])

    async def abandon(self, cmd: AbandonFiles) -> None:
        """Forget prepared files as in flight: they stay in processing/ and the next sweep imports them."""
        self.files.release([p.claimed for p in cmd.prepared])

    async def import_files(self, cmd: ImportFiles) -> list[ImportRow]:
        """Prepare and record claimed files; returns their import log rows."""
        prepared = await self.files.prepare(cmd.claimed)
        return await self.record(RecordFiles(tuple(prepared), resumed=cmd.resumed))

    async def resume(self, cmd: ResumeFiles) -> int:
        """Import the files left in processing/ (not in flight), in batches; returns how many."""
        orphans = await self.files.orphans(cmd.grace_seconds)
        for start in range(0, len(orphans), self.batch_files):
            await self.import_files(ImportFiles(tuple(orphans[start : start + self.batch_files]), resumed=True))
        return len(orphans)

    # -- the API ---------------------------------------------------------------------------

    async def upload(self, cmd: UploadFile) -> ImportRow:
        """Import one uploaded file; a file over the limit is refused before anything is written.

        Raises:
            TooLarge: the file is larger than the import limit (nothing kept).
        """
        limit = self.max_file_bytes()  # read now: an administrator may raise it
        if len(cmd.content) > limit:
            # Refused before anything is written to the import folder: a failed import would keep the file.
            raise TooLarge(
                too_large_message(len(cmd.content), limit),
                size=len(cmd.content),
                limit=limit,
                code="mail_import.file_too_large",
                params={"size_mb": _mb(len(cmd.content)), "limit_mb": _mb(limit)},
            )
        await self.follow_import_settings()  # into the folder saved now, read in the format saved now
        claimed = await self.files.stage(cmd.content, safe_file_name(cmd.file_name))
        [row] = await self.import_files(ImportFiles((claimed,)))
        return row

    async def retry(self, cmd: RetryImport) -> ImportRow:
        """Import a failed file again; the old entry becomes ``retried``.

        Raises:
            NotFound: no such entry, or one the viewer may not see.
            Conflict: the entry is not a failure, or its file left failed/, or a file of that name is in flight.
        """
        row = await self.get(cmd.import_id, cmd.viewer)
        if row["status"] != "failed":
            raise Conflict(
                f"only a failed import can be retried; this one is {row['status']}",
                code="mail_import.not_failed",
                params={"import_status": row["status"]},
            )
        try:
            await self.follow_import_settings()  # read in the format saved now
            claimed = await self.files.claim_failed(row["folder"], row["stored_path"], row["file_name"])
        except FileExistsError:
            raise Conflict(
                "a file of that name is being imported; try again in a moment", code="mail_import.file_busy"
            ) from None
        if claimed is None:
            raise Conflict(
                "the file is no longer in failed/: drop it into the import folder again", code="mail_import.file_gone"
            )
        async with self.uow() as work:
            await work.repo.set_status(cmd.import_id, "retried")
        [new] = await self.import_files(ImportFiles((claimed,)))
        return new

    async def imports(self, query: ImportQuery) -> tuple[list[ImportRow], int]:
        """The import log the viewer may see (``may_see_mail_import``), newest first, and its size.

        Raises:
            Invalid: an unknown status.
        """
        if query.status is not None and query.status not in STATUSES:
            raise Invalid(
                f"status must be one of {', '.join(STATUSES)}",
                status=query.status,
                code="record.choose_from_list",
                params={"value": query.status},
            )
        async with self.uow.reading() as repo:
            return await repo.page(query)

    async def get(self, import_id: str, viewer: Viewer) -> ImportRow:
        """One import log entry; one the viewer may not see is not found, as if it did not exist.

        Raises:
            NotFound: no such entry, or one the viewer may not see.
        """
        async with self.uow.reading() as repo:
            row = await repo.get(import_id)
        if row is None or not may_see_mail_import(
            role=viewer.role, staff_id=viewer.staff_id, responsible_staff_id=row["responsible_staff_id"]
        ):
            raise NotFound(f"no mail import {import_id}", code="record.not_found")
        return row

    async def blob_visible(self, viewer: Viewer, sha256: str) -> bool:
        """Whether the viewer may read a blob: an attachment of an import they may see."""
        async with self.uow.reading() as repo:
            return await repo.references_blob(viewer, sha256)

    # -- C4: the import folder and the default export format -----------------------------

    async def import_settings(self) -> ImportSettings:
        """C4: the import folder and default export format in force (saved, else the environment's)."""
        async with self.uow.reading() as repo:
            return await repo.import_settings() or self.import_defaults

    async def change_import_settings(self, cmd: ChangeImportSettings) -> ImportSettings:
        """C4: save the import folder and default export format; the folder worker follows at its next scan.

        The folder is checked on this host (where the service reads it) before anything is saved; files
        imported after the change are read in the new default format.

        Raises:
            Invalid: a folder or format that breaks a rule, or a folder this host cannot use (missing, a
                file, not writable, leading to a system folder); nothing is saved.
        """
        checked = check_import_settings(cmd.folder, cmd.export_format)
        problem = await self.files.check_folder(checked.folder)
        if problem is not None:
            raise folder_refused(checked.folder, problem)
        async with self.uow() as work:
            settings = replace(checked, updated_at=work.now, updated_by=cmd.changed_by)
            await work.repo.save_import_settings(settings)
        try:
            await self.files.follow(settings)  # this process's uploads at once; done/ and failed/ created now
        except OSError:
            log.warning("the new import folder %s is saved but not usable yet", settings.folder, exc_info=True)
        return settings

    # -- the partner directory -------------------------------------------------------------

    async def partner_changed(self, cmd: UpdatePartner) -> None:
        """Replace what the read model knows of a partner (the event carries its whole state)."""
        async with self.uow() as work:
            await work.repo.save_partner(cmd.partner)

    # -- recording -------------------------------------------------------------------------

    async def _record(self, prepared: list[Prepared], *, resumed: bool) -> None:
        """Write the import log rows, message identities and events of a batch in one unit of work.

        A batch from the folder is planned on a read connection and its events are built in a
        worker process, so the write only inserts. A message imported meanwhile by someone else
        (an upload of the same email) breaks the unique constraint of its identity: the batch
        rolls back and ``record`` records it file by file, which plans and writes in one unit of
        work (as do resumed files and single files).
        """
        for item in prepared:
            item.reset()
        if resumed or len(prepared) == 1 or not self.files.parallel:
            async with self.uow() as work:
                plan = await self._plan(work.repo, prepared, work.now, resumed=resumed)
                await work.repo.add_imports(plan.imports)
                await work.repo.add_messages(plan.messages)
                await work.publisher.prepared(PreparedEvents(tuple(plan.outcomes)))
            return
        now = self.clock()
        async with self.uow.reading() as repo:
            plan = await self._plan(repo, prepared, now, resumed=False)
        events = await self.events.prepare(plan.outcomes, now)
        async with self.uow() as work:
            await work.repo.add_imports(plan.imports)
            await work.repo.add_messages(plan.messages)
            await work.publisher.prepared(events)

    async def _plan(self, repo: Repository, prepared: list[Prepared], now: datetime, *, resumed: bool) -> _Plan:
        """Decide each file's status, routing, import log row and outcome (reads only)."""
        if resumed:
            for item in prepared:
                if item.sha256:
                    item.resume = await repo.unmoved_import(item.claimed.file_name, item.sha256)
        fresh = [p for p in prepared if p.resume is None]
        known = dict(await repo.known_messages([p.key for p in fresh if p.key and p.status != "failed"]))
        partners = await repo.partners_by_email(
            [p.message.sender.email for p in fresh if p.message is not None and p.status == "imported"]
        )
        failing = [p.sha256 for p in fresh if p.status == "failed" and p.sha256]
        kept = self.files.still_there(await repo.kept_failures(failing))
        plan = _Plan()
        destinations: set[Path] = set()
        for item in prepared:
            if item.resume is not None:
                item.row = item.resume
                continue
            task_id: str | None = None
            if item.key and item.status != "failed":
                first = known.get(item.key)
                if first is not None:
                    # Imported before, or by an earlier file of this batch.
                    item.status, item.reason = "duplicate", duplicate_reason(first)
                    task_id = first.task_id
            item.destination = self.files.destination(item, destinations, kept)
            if item.status == "imported":
                task_id = str(new_id())
            row = import_row(
                item, self.files.folder_of(item.destination), self.files.relative(item.destination), task_id, now
            )
            if item.status in ("imported", "ignored"):
                assert item.key is not None
                known[item.key] = FirstImport(item.import_id, item.claimed.file_name, task_id)
                plan.messages.append(MessageSeen(item.key, item.import_id, task_id, now))
            if item.status == "imported":
                assert item.message is not None
                matched = choose_partner(partners.get(item.message.sender.email, []))
                apply_routing(row, route(matched, self.triage_staff_id))
                deadline = working_days_after(now, self.task_deadline_working_days, self.local_timezone)
                plan.outcomes.append(email_task(item, row, self.max_body_chars, deadline))
            elif item.status == "failed":
                plan.outcomes.append(ImportFailure(item.import_id, row["file_name"], row["reason"] or ""))
            item.row = row
            plan.imports.append(row)
        return plan

    async def _record_failure(self, item: Prepared) -> None:
        """Record a file that could not be stored normally as failed (minimal row, no identity)."""
        item.unrecordable()
        item.destination = self.files.destination(item, set())
        async with self.uow() as work:
            row = import_row(
                item, self.files.folder_of(item.destination), self.files.relative(item.destination), None, work.now
            )
            await work.repo.add_imports([row])
            await work.publisher.import_failed(ImportFailure(item.import_id, row["file_name"], row["reason"]))
        item.row = row

    async def _finish(self, prepared: list[Prepared]) -> None:
        """Move each file to done/ or failed/ (reason beside it), then record where it went."""
        moves = [
            (
                item.row["id"],
                item.claimed,
                self.files.path(item.row.get("folder"), item.row["stored_path"]),
                failure_reason(item.row),
            )
            for item in prepared
            if item.row
        ]
        moved = await self.files.finish(moves)
        if moved:
            async with self.uow() as work:
                await work.repo.mark_moved(moved, work.now)
                now = work.now
            for item in prepared:
                if item.row.get("id") in moved:
                    item.row = {**item.row, "stored_path": moved[item.row["id"]], "moved_at": now}
