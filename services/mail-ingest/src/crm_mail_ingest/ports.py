"""What the use cases of mail-ingest need from the outside: the store, the events, the import folder."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from crm_mail_ingest.domain.import_settings import FolderProblem, ImportSettings
from crm_mail_ingest.domain.importing import (
    Claimed,
    FirstImport,
    ImportFailure,
    ImportRow,
    Outcome,
    PartnerDirectoryEntry,
    Prepared,
    Viewer,
)
from crm_mail_ingest.domain.routing import PartnerContact


@dataclass(frozen=True)
class MessageSeen:
    """A message identity: imported once (unique key), with the import and task that took it."""

    message_key: str
    import_id: str
    task_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class ImportQuery:
    """A page of the import log as one viewer may see it, optionally of one status."""

    viewer: Viewer
    status: str | None = None
    limit: int = 50
    offset: int = 0


class Repository(Protocol):
    """The import log, message identities and the partner read model, inside one unit of work."""

    async def unmoved_import(self, file_name: str, file_sha256: str) -> ImportRow | None:
        """A recorded import of this very file whose move to done/ or failed/ did not happen (a crash)."""
        ...

    async def known_messages(self, keys: Sequence[str]) -> dict[str, FirstImport]:
        """Already imported message keys, with the import entry that first took each."""
        ...

    async def partners_by_email(self, emails: Sequence[str]) -> dict[str, list[PartnerContact]]:
        """Partners whose sites have each address (lower case)."""
        ...

    async def kept_failures(self, file_sha256s: Sequence[str]) -> dict[str, str]:
        """Where failed/ already keeps a file of each content (sha256 -> path relative to the inbox)."""
        ...

    async def add_imports(self, rows: Sequence[ImportRow]) -> None:
        """Record import log entries (and the blobs their attachments reference)."""
        ...

    async def add_messages(self, seen: Sequence[MessageSeen]) -> None:
        """Record message identities; a key seen before is refused by the store (the batch rolls back)."""
        ...

    async def mark_moved(self, moves: dict[str, str], now: datetime) -> None:
        """Set where each import's file now is (import id -> path relative to the inbox)."""
        ...

    async def get(self, import_id: str) -> ImportRow | None:
        """One import log entry, whoever may see it."""
        ...

    async def set_status(self, import_id: str, status: str) -> None:
        """Change an entry's status (a retried failure becomes ``retried``)."""
        ...

    async def page(self, query: ImportQuery) -> tuple[list[ImportRow], int]:
        """The entries the viewer may see, newest first, and how many there are."""
        ...

    async def references_blob(self, viewer: Viewer, sha256: str) -> bool:
        """Whether an import the viewer may see has this blob as an attachment."""
        ...

    async def save_partner(self, partner: PartnerDirectoryEntry) -> None:
        """Replace what the read model knows of one partner."""
        ...

    async def import_settings(self) -> ImportSettings | None:
        """C4: the saved import folder and default export format; None while nothing was saved."""
        ...

    async def save_import_settings(self, settings: ImportSettings) -> None:
        """C4: replace the saved import folder and default export format."""
        ...


@dataclass(frozen=True)
class PreparedEvents:
    """A batch's events built ahead of its transaction (in a worker process); ``rows`` belong to the adapter."""

    outcomes: tuple[Outcome, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)


class Publisher(Protocol):
    """What mail-ingest tells the others, inside one unit of work."""

    async def import_failed(self, failure: ImportFailure) -> None:
        """A file could not be imported, and why."""
        ...

    async def prepared(self, events: PreparedEvents) -> None:
        """A batch's outcomes, told at once (built ahead by ``EventBatches.prepare``, or here).

        An email that became a task: ``TaskCreated`` for the tasks service and ``EmailImported`` for
        the partner history; a file that failed: ``EmailImportFailed``.
        """
        ...


class EventBatches(Protocol):
    """Builds a batch's events outside the unit of work (its transaction then only inserts)."""

    async def prepare(self, outcomes: Sequence[Outcome], now: datetime) -> PreparedEvents:
        """The events of these outcomes, at ``now``."""
        ...


class Files(Protocol):
    """The import folder and the worker processes that claim, read and parse its files."""

    @property
    def parallel(self) -> bool:
        """Whether files are prepared in worker processes (a batch is then planned apart from its write)."""
        ...

    async def start(self) -> None:
        """Create the folders and start the worker processes."""
        ...

    async def check_folder(self, folder: str) -> FolderProblem | None:
        """Why ``folder`` cannot be the import folder (missing, a file, read-only, a system folder); None if it can."""
        ...

    async def follow(self, settings: ImportSettings) -> bool:
        """Take files from ``settings.folder`` and read them as ``settings.export_format`` from now on.

        Files already taken finish in the folder they were taken from. Returns whether the folder changed.
        """
        ...

    async def take(self, names: Sequence[str]) -> list[Prepared]:
        """Claim the named inbox files and prepare them; gone or taken names are skipped."""
        ...

    async def prepare(self, claimed: Sequence[Claimed]) -> list[Prepared]:
        """Prepare files already claimed (an upload, a retried or resumed file)."""
        ...

    def release(self, claimed: Sequence[Claimed]) -> None:
        """Forget files as in flight (done, or left in processing/ for a later pass)."""
        ...

    async def orphans(self, grace_seconds: float) -> list[Claimed]:
        """Files left in processing/ longer than the grace time and not in flight (a crash, an outage)."""
        ...

    async def stage(self, content: bytes, file_name: str) -> Claimed:
        """An uploaded file, claimed under a free name like a dropped one."""
        ...

    async def claim_failed(self, folder: str | None, stored_path: str | None, file_name: str) -> Claimed | None:
        """A file kept in failed/ of its import folder, claimed again there; None when it is no longer there.

        Raises:
            FileExistsError: no free name in processing/ (a file of that name is being imported).
        """
        ...

    def still_there(self, stored: dict[str, str]) -> dict[str, Path]:
        """Of these kept files (key -> relative path), the ones still on disk, as paths."""
        ...

    def destination(self, item: Prepared, taken: set[Path], kept: dict[str, Path] | None = None) -> Path:
        """Where a file goes after the commit: done/, or failed/ (one copy of the same failed content)."""
        ...

    def relative(self, path: Path) -> str:
        """A path in an import folder relative to it (as the import log stores it)."""
        ...

    def folder_of(self, path: Path) -> str:
        """The import folder a path in its done/, failed/ or processing/ belongs to (as the import log stores it)."""
        ...

    def path(self, folder: str | None, relative: str) -> Path:
        """The path of a file the import log names: relative to its import folder (None: the environment's)."""
        ...

    async def finish(self, moves: Sequence[tuple[str, Claimed, Path, str | None]]) -> dict[str, str]:
        """After the commit: move each file (import id, file, destination, failure reason); where each went."""
        ...
