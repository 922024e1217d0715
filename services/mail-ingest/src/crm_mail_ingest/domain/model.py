"""What an exported email is once parsed: sender, recipients, subject, date, body, attachments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

ExportFormat = Literal["outlook", "thunderbird", "eml"]


class ParseFailure(ValueError):
    """A file that is not an email we can import; the message says why, for the failed/ reason file."""


@dataclass(frozen=True)
class Address:
    """One mailbox: the address (lower case; empty when the export kept only a name) and display name."""

    email: str
    name: str = ""

    def __str__(self) -> str:
        if self.name and self.email:
            return f"{self.name} <{self.email}>"
        return self.email or self.name


@dataclass(frozen=True)
class AttachmentData:
    """An attachment's bytes; ``file_name`` is metadata only, never a path."""

    file_name: str
    content: bytes
    content_type: str | None = None


@dataclass(frozen=True)
class StoredAttachment:
    """An attachment already in the blob store (its bytes are addressed by ``sha256``)."""

    file_name: str
    sha256: str
    size: int
    content_type: str | None


@dataclass
class ParsedMessage:
    """One email, whatever the export format it came in."""

    format: ExportFormat
    encoding: str
    sender: Address
    subject: str
    body: str
    sent_at: datetime | None = None
    date_text: str = ""
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    message_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    attachments: list[AttachmentData] = field(default_factory=list)
    listed_attachments: list[str] = field(default_factory=list)
    """Attachment names the export lists without their content (Outlook text only)."""
