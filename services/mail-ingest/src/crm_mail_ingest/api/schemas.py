"""HTTP shapes of the import log and of the C4 settings (not the event contracts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_mail_ingest.domain.import_settings import MAX_FOLDER_CHARS, ImportSettings

ExportFormat = Literal["auto", "outlook", "thunderbird", "eml"]
"""How dropped files are read: recognised per file, Outlook "Text only", Thunderbird text, or .eml (MIME)."""


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
    folder: str | None
    """The import folder the file is in (C4: it can change); None for entries from before C4 settings."""
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
            folder=row.get("folder"),
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


class ImportSettingsIn(BaseModel):
    """C4: the import folder and the default export format an administrator saves."""

    model_config = ConfigDict(extra="forbid")

    folder: str = Field(
        description=(
            f"The import folder: an absolute path on the mail-ingest host (at most {MAX_FOLDER_CHARS} characters), "
            "an existing folder the service can write in; not a system folder."
        ),
        examples=["/srv/crm/mail-inbox"],
    )
    export_format: str = Field(
        description="Default export format: auto (recognised per file), outlook, thunderbird or eml.",
        examples=["auto"],
    )


class ImportSettingsOut(BaseModel):
    """C4 in force: the saved folder and format, or the environment's while nothing was saved."""

    folder: str = Field(description="The import folder on the mail-ingest host; done/ and failed/ are inside it.")
    export_format: ExportFormat = Field(description="The format files are read in (auto: recognised per file).")
    saved: bool = Field(description="False while nothing was saved: the environment's values apply.")
    updated_at: datetime | None = Field(description="When an administrator saved them.")
    updated_by: str | None = Field(description="Who saved them (a user name).")

    @classmethod
    def of(cls, settings: ImportSettings) -> ImportSettingsOut:
        return cls(
            folder=settings.folder,
            export_format=settings.export_format,  # type: ignore[arg-type]  # checked by the domain when saved
            saved=settings.updated_at is not None,
            updated_at=_utc_or_none(settings.updated_at),
            updated_by=settings.updated_by,
        )
