"""In-memory twins of mail-ingest's ports (store, events, import folder) for the use-case tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crm_kit.ids import new_id
from crm_mail_ingest.domain.import_settings import FolderProblem, ImportSettings
from crm_mail_ingest.domain.importing import (
    Claimed,
    EmailTask,
    FirstImport,
    ImportFailure,
    ImportRow,
    Outcome,
    PartnerDirectoryEntry,
    Prepared,
    Viewer,
)
from crm_mail_ingest.domain.model import Address, ParsedMessage, StoredAttachment
from crm_mail_ingest.domain.routing import PartnerContact
from crm_mail_ingest.ports import ImportQuery, MessageSeen, PreparedEvents

ROOT = Path("/inbox")


class StoreRefused(Exception):
    """What the store raises for a message key it already holds (the unique constraint)."""


@dataclass
class InMemoryRepository:
    """``ports.Repository`` in dictionaries; ``refused_keys`` behave as keys another import committed meanwhile."""

    imports: dict[str, ImportRow] = field(default_factory=dict)
    messages: dict[str, MessageSeen] = field(default_factory=dict)
    partners: dict[str, PartnerDirectoryEntry] = field(default_factory=dict)
    refused_keys: set[str] = field(default_factory=set)
    outage: bool = False
    settings: ImportSettings | None = None

    def _up(self) -> None:
        if self.outage:
            raise ConnectionError("the database is down")

    async def unmoved_import(self, file_name: str, file_sha256: str) -> ImportRow | None:
        self._up()
        rows = [
            r
            for r in self.imports.values()
            if r["file_name"] == file_name
            and r["file_sha256"] == file_sha256
            and r["moved_at"] is None
            and r["status"] != "retried"
        ]
        return dict(max(rows, key=lambda r: r["created_at"])) if rows else None

    async def known_messages(self, keys: Sequence[str]) -> dict[str, FirstImport]:
        self._up()
        found = {}
        for key in keys:
            seen = self.messages.get(key)
            if seen is not None:
                found[key] = FirstImport(seen.import_id, self.imports[seen.import_id]["file_name"], seen.task_id)
        return found

    async def partners_by_email(self, emails: Sequence[str]) -> dict[str, list[PartnerContact]]:
        self._up()
        found: dict[str, list[PartnerContact]] = {}
        for email in {e.lower() for e in emails if e}:
            for p in self.partners.values():
                if email in p.emails:
                    contact = PartnerContact(p.partner_id, p.name, p.sales_rep_staff_id, p.service_rep_staff_id)
                    found.setdefault(email, []).append(contact)
        return found

    async def kept_failures(self, file_sha256s: Sequence[str]) -> dict[str, str]:
        self._up()
        kept: dict[str, str] = {}
        for row in sorted(self.imports.values(), key=lambda r: r["created_at"]):
            if (
                row["status"] == "failed"
                and row["file_sha256"] in file_sha256s
                and row["moved_at"] is not None
                and (row["stored_path"] or "").startswith("failed/")
            ):
                kept.setdefault(row["file_sha256"], row["stored_path"])
        return kept

    async def add_imports(self, rows: Sequence[ImportRow]) -> None:
        self._up()
        for row in rows:
            self.imports[row["id"]] = dict(row)

    async def add_messages(self, seen: Sequence[MessageSeen]) -> None:
        self._up()
        for m in seen:
            if m.message_key in self.messages or m.message_key in self.refused_keys:
                raise StoreRefused(f"duplicate key {m.message_key}")
            self.messages[m.message_key] = m

    async def mark_moved(self, moves: dict[str, str], now: datetime) -> None:
        self._up()
        for import_id, path in moves.items():
            self.imports[import_id].update(stored_path=path, moved_at=now)

    async def get(self, import_id: str) -> ImportRow | None:
        self._up()
        row = self.imports.get(import_id)
        return dict(row) if row else None

    async def set_status(self, import_id: str, status: str) -> None:
        self._up()
        self.imports[import_id]["status"] = status

    def _visible(self, viewer: Viewer) -> list[ImportRow]:
        rows = list(self.imports.values())
        if viewer.role in ("admin", "manager"):
            return rows
        return [r for r in rows if viewer.staff_id is not None and r["responsible_staff_id"] == viewer.staff_id]

    async def page(self, query: ImportQuery) -> tuple[list[ImportRow], int]:
        self._up()
        rows = [r for r in self._visible(query.viewer) if query.status is None or r["status"] == query.status]
        rows.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
        return [dict(r) for r in rows[query.offset : query.offset + query.limit]], len(rows)

    async def references_blob(self, viewer: Viewer, sha256: str) -> bool:
        self._up()
        return any(a["sha256"] == sha256 for r in self._visible(viewer) for a in r["attachments"])

    async def save_partner(self, partner: PartnerDirectoryEntry) -> None:
        self._up()
        emails = tuple(sorted({e.strip().lower() for e in partner.emails if e.strip()}))
        self.partners[partner.partner_id] = PartnerDirectoryEntry(
            partner.partner_id, partner.name, partner.sales_rep_staff_id, partner.service_rep_staff_id, emails
        )

    async def import_settings(self) -> ImportSettings | None:
        self._up()
        return self.settings

    async def save_import_settings(self, settings: ImportSettings) -> None:
        self._up()
        self.settings = settings


@dataclass
class FakePublisher:
    """``ports.Publisher`` that records what was told: ``("email_imported", task)`` / ``("import_failed", failure)``."""

    calls: list[tuple[str, Outcome]] = field(default_factory=list)
    prebuilt: int = 0
    """How many batches came with their events built ahead (in a worker process)."""

    async def import_failed(self, failure: ImportFailure) -> None:
        self.calls.append(("import_failed", failure))

    async def prepared(self, events: PreparedEvents) -> None:
        if events.rows:
            self.prebuilt += 1
        for outcome in events.outcomes:
            self.calls.append(("email_imported" if isinstance(outcome, EmailTask) else "import_failed", outcome))

    def tasks(self) -> list[EmailTask]:
        return [o for name, o in self.calls if isinstance(o, EmailTask)]

    def failures(self) -> list[ImportFailure]:
        return [o for name, o in self.calls if isinstance(o, ImportFailure)]


@dataclass
class FakeEvents:
    """``ports.EventBatches``: 'builds' one fake row per outcome and counts the batches."""

    batches: list[tuple[Outcome, ...]] = field(default_factory=list)

    async def prepare(self, outcomes: Sequence[Outcome], now: datetime) -> PreparedEvents:
        self.batches.append(tuple(outcomes))
        return PreparedEvents(tuple(outcomes), [{"outcome": o} for o in outcomes])


def email(
    name: str,
    sender: str = "ana@client.ro",
    subject: str = "Cerere service",
    *,
    key: str | None = None,
    body: str = "Bună ziua",
    headers: dict[str, str] | None = None,
    attachments: list[StoredAttachment] | None = None,
) -> Prepared:
    """A prepared file that parsed as an email (status imported)."""
    message = ParsedMessage(
        format="eml",
        encoding="utf-8",
        sender=Address(sender, "Ana"),
        subject=subject,
        body=body,
        sent_at=datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
        headers=headers or {},
    )
    item = Prepared(
        Claimed(name, ROOT / "processing" / name),
        str(new_id()),
        sha(name),
        len(body),
        "imported",
        message=message,
        key=key or f"mid:<{name}@client.ro>",
        attachments=attachments or [],
    )
    item.initial = (item.status, item.reason)
    return item


def ignored(name: str, reason: str = "automated sender (no-reply@shop.ro)") -> Prepared:
    """A prepared file that is an automated email (status ignored)."""
    item = email(name, sender="no-reply@shop.ro")
    item.status, item.reason = "ignored", reason
    item.initial = (item.status, item.reason)
    return item


def broken(name: str, reason: str = "empty file", content: str | None = None) -> Prepared:
    """A prepared file that did not parse (status failed)."""
    item = Prepared(Claimed(name, ROOT / "processing" / name), str(new_id()), sha(content or name), 5, "failed", reason)
    item.initial = (item.status, item.reason)
    return item


def sha(text: str) -> str:
    """A stand-in content hash."""
    return f"{abs(hash(text)):064d}"[:64]


@dataclass
class FakeFiles:
    """``ports.Files`` without a disk: ``inbox`` holds what preparing each name gives; moves are recorded.

    ``folders`` are the folders the 'disk' has (folder -> writable); ``root`` is the folder followed now.
    """

    inbox: dict[str, Prepared] = field(default_factory=dict)
    failed_files: dict[str, Claimed] = field(default_factory=dict)
    left: list[Claimed] = field(default_factory=list)
    staged: list[tuple[str, bytes]] = field(default_factory=list)
    moved: dict[str, str] = field(default_factory=dict)
    in_flight: set[str] = field(default_factory=set)
    parallel: bool = False
    started: bool = False
    busy_names: set[str] = field(default_factory=set)
    root: Path = ROOT
    export_format: str = "auto"
    folders: dict[str, bool] = field(default_factory=lambda: {str(ROOT): True})

    async def start(self) -> None:
        self.started = True

    async def check_folder(self, folder: str) -> FolderProblem | None:
        if folder not in self.folders:
            return "not_found"
        return None if self.folders[folder] else "not_writable"

    async def follow(self, settings: ImportSettings) -> bool:
        self.export_format = settings.export_format
        changed, self.root = Path(settings.folder) != self.root, Path(settings.folder)
        return changed

    async def take(self, names: Sequence[str]) -> list[Prepared]:
        taken = [self.inbox.pop(n) for n in names if n in self.inbox]
        self.in_flight.update(p.claimed.file_name for p in taken)
        return taken

    async def prepare(self, claimed: Sequence[Claimed]) -> list[Prepared]:
        self.in_flight.update(c.file_name for c in claimed)
        out = []
        for c in claimed:
            item = self.inbox.pop(c.file_name, None) or broken(c.file_name, "no such file")
            item.claimed = c
            out.append(item)
        return out

    def release(self, claimed: Sequence[Claimed]) -> None:
        self.in_flight.difference_update(c.file_name for c in claimed)

    async def orphans(self, grace_seconds: float) -> list[Claimed]:
        left, self.left = [c for c in self.left if c.file_name not in self.in_flight], []
        return left

    async def stage(self, content: bytes, file_name: str) -> Claimed:
        self.staged.append((file_name, content))
        return Claimed(file_name, self.root / "processing" / file_name)

    async def claim_failed(self, folder: str | None, stored_path: str | None, file_name: str) -> Claimed | None:
        if file_name in self.busy_names:
            raise FileExistsError(file_name)
        kept = self.failed_files.get(stored_path or "")
        if kept is None or kept.path.parent.parent != Path(folder or ROOT):
            return None  # not in failed/ of the entry's own folder
        return self.failed_files.pop(stored_path or "")

    def still_there(self, stored: dict[str, str]) -> dict[str, Path]:
        return {key: self.root / path for key, path in stored.items() if path in self.failed_files}

    def destination(self, item: Prepared, taken: set[Path], kept: dict[str, Path] | None = None) -> Path:
        failed = item.status == "failed"
        if failed and kept is not None and item.sha256 in kept:
            return kept[item.sha256]
        folder = item.claimed.path.parent.parent / ("failed" if failed else "done")
        candidate = folder / item.claimed.file_name
        while candidate in taken:
            candidate = folder / f"{item.import_id[-8:]}-{candidate.name}"
        taken.add(candidate)
        return candidate

    def relative(self, path: Path) -> str:
        return path.relative_to(path.parent.parent).as_posix()

    def folder_of(self, path: Path) -> str:
        return str(path.parent.parent)

    def path(self, folder: str | None, relative: str) -> Path:
        return Path(folder or ROOT) / relative

    async def finish(self, moves: Sequence[tuple[str, Claimed, Path, str | None]]) -> dict[str, str]:
        done = {import_id: self.relative(destination) for import_id, _, destination, _ in moves}
        self.moved.update(done)
        return done


def summary(rows: list[ImportRow]) -> list[tuple[str, str]]:
    """(file name, status) of import rows, to compare at a glance."""
    return [(r["file_name"], r["status"]) for r in rows]


def row_values(row: ImportRow, *names: str) -> tuple[Any, ...]:
    """Some columns of an import row."""
    return tuple(row[n] for n in names)
