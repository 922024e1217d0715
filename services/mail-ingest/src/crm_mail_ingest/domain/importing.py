"""An import, as the use cases see it: a claimed file, what preparing it found, its log entry and its outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from crm_mail_ingest.domain.model import ParsedMessage, StoredAttachment
from crm_mail_ingest.domain.routing import Routing

ImportRow = dict[str, Any]
"""One entry of the import log, column by column (what ``GET /api/mail-imports/{id}`` shows)."""

STATUSES = ("imported", "failed", "ignored", "duplicate", "retried")
"""What can become of a file: a task, a reason, an automated email, a copy, or a failure taken again."""

UNLISTED_NOTE = "Atașări menționate în export, dar nesalvate cu el: "
RECORD_FAILED = "could not be recorded (see the service log)"


@dataclass
class Claimed:
    """A file taken into processing/: its original name, path, and attachments folder (if any)."""

    file_name: str
    path: Path
    attachments_dir: Path | None = None
    size: int = 0
    extra: dict[str, object] = field(default_factory=dict)


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
    resume: ImportRow | None = None
    destination: Path | None = None
    planned: Path | None = None
    """A free destination when the worker looked (done/, or failed/ for a failed file)."""
    row: ImportRow = field(default_factory=dict)
    initial: tuple[str, str | None] = ("failed", None)

    def reset(self) -> None:
        """Back to what preparing found (before a retried database pass)."""
        self.status, self.reason = self.initial
        self.row = {}
        self.resume = None
        self.destination = None

    def unrecordable(self) -> None:
        """A file whose normal record failed: recorded as failed, with nothing of its message."""
        self.reset()
        self.status, self.reason = "failed", RECORD_FAILED
        self.key = None
        self.message = None
        self.attachments = []


@dataclass(frozen=True)
class EmailTask:
    """Everything the events of one imported email carry."""

    import_id: str
    task_id: str
    file_name: str
    message_key: str
    sender: str
    sender_name: str | None
    subject: str
    title: str
    description: str
    body: str
    sent_at: datetime | None
    partner_id: str | None
    responsible_staff_id: str | None
    unknown_sender: bool
    export_format: str
    attachments: list[StoredAttachment]
    deadline: datetime | None = None
    """When the responsible should have answered (``task_deadline_working_days`` after the import)."""


@dataclass(frozen=True)
class ImportFailure:
    """A file that could not be imported: its import entry and why."""

    import_id: str
    file_name: str
    reason: str


Outcome = EmailTask | ImportFailure
"""What a recorded file tells the others: a task from an email, or a failure."""


@dataclass(frozen=True)
class FirstImport:
    """The import entry that first took a message (for the ``duplicate of ...`` reason)."""

    import_id: str
    file_name: str | None
    task_id: str | None


@dataclass(frozen=True)
class Viewer:
    """Who asks: their role and staff member (scoping of the import log)."""

    role: str
    staff_id: str | None


@dataclass(frozen=True)
class PartnerDirectoryEntry:
    """What the read model keeps of a partner: its name, representatives and its sites' addresses."""

    partner_id: str
    name: str
    sales_rep_staff_id: str | None
    service_rep_staff_id: str | None
    emails: tuple[str, ...]


def duplicate_reason(first: FirstImport) -> str:
    """Why a message is not imported twice, naming the import that took it first."""
    return f"duplicate of {first.file_name or 'an earlier import'} (import {first.import_id})"


def failure_reason(row: ImportRow) -> str | None:
    """The reason written beside a failed file in failed/ (None for any other status)."""
    return (row["reason"] or "failed") if row["status"] == "failed" else None


def apply_routing(row: ImportRow, routing: Routing) -> None:
    """Write where an imported email's task went into its import log entry."""
    row.update(
        partner_id=routing.partner_id,
        partner_name=routing.partner_name,
        responsible_staff_id=routing.responsible_staff_id,
        unknown_sender=routing.unknown_sender,
    )


def email_task(item: Prepared, row: ImportRow, max_body_chars: int, deadline: datetime | None = None) -> EmailTask:
    """The task an imported email becomes: its title, description (body, unsaved attachments), routing, deadline."""
    message = item.message
    assert message is not None
    assert item.key is not None
    body = message.body if len(message.body) <= max_body_chars else message.body[:max_body_chars] + "\n[…]"
    description = body
    if message.listed_attachments and not message.attachments:
        description += "\n\n" + UNLISTED_NOTE + ", ".join(message.listed_attachments)
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
        deadline=deadline,
    )


def import_row(item: Prepared, folder: str, stored_path: str, task_id: str | None, now: datetime) -> ImportRow:
    """The import log entry of a prepared file (routing filled in later for an imported email).

    ``folder`` is the import folder the file is in and ``stored_path`` its place there: the folder can
    change (C4), and an entry keeps pointing at its own file.
    """
    message = item.message
    return {
        "id": item.import_id,
        "file_name": item.claimed.file_name[:255],
        "folder": folder,
        "stored_path": stored_path,
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
        "task_id": task_id,
        "responsible_staff_id": None,
        "unknown_sender": False,
        "attachments": [
            {"file_name": a.file_name, "sha256": a.sha256, "size": a.size, "content_type": a.content_type}
            for a in item.attachments
        ],
        "created_at": now,
        "moved_at": None,
    }
