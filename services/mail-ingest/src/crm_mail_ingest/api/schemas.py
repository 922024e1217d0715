"""HTTP shapes of the import log (not the event contracts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def _utc(value: datetime) -> datetime:
    """A stored instant with its offset: SQLite hands ``DateTime(timezone=True)`` back naive (it holds UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


@dataclass
class AttachmentOut:
    file_name: str
    sha256: str
    size: int
    content_type: str | None = None


@dataclass
class MailImportOut:
    """One entry of the import log: a file, what became of it, and why."""

    id: str
    file_name: str
    status: str
    reason: str | None
    stored_path: str | None
    size: int
    format: str | None
    encoding: str | None
    sender: str | None
    sender_name: str | None
    subject: str | None
    sent_at: datetime | None
    partner_id: str | None
    partner_name: str | None
    task_id: str | None
    responsible_staff_id: str | None
    unknown_sender: bool
    message_id: str | None
    created_at: datetime
    moved_at: datetime | None
    attachments: list[AttachmentOut] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MailImportOut:
        return cls(
            id=str(row["id"]),
            file_name=row["file_name"],
            status=row["status"],
            reason=row["reason"],
            stored_path=row["stored_path"],
            size=int(row["size"]),
            format=row["format"],
            encoding=row["encoding"],
            sender=row["sender"],
            sender_name=row["sender_name"],
            subject=row["subject"],
            sent_at=_utc_or_none(row["sent_at"]),
            partner_id=row["partner_id"],
            partner_name=row["partner_name"],
            task_id=row["task_id"],
            responsible_staff_id=row["responsible_staff_id"],
            unknown_sender=bool(row["unknown_sender"]),
            message_id=row["message_key"],
            created_at=_utc(row["created_at"]),
            moved_at=_utc_or_none(row["moved_at"]),
            attachments=[AttachmentOut(**a) for a in row["attachments"] or []],
        )


@dataclass
class MailImportList:
    items: list[MailImportOut]
    total: int
