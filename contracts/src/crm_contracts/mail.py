"""Events on crm.mail: emails imported from the import folder (see EVENTS.md)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from crm_contracts import topics
from crm_contracts.base import Event
from crm_contracts.common import Attachment


class _MailEvent(Event):
    topic: ClassVar[str] = topics.MAIL


class EmailImported(_MailEvent):
    """An exported email became a task (I1-I3)."""

    event_name: ClassVar[str] = "EmailImported"
    key_field: ClassVar[str] = "message_id"
    message_id: str = Field(description="Message-ID, or a hash of sender, date, subject and body.")
    import_id: UUID = Field(description="The import log entry.")
    file_name: str = Field(description="The imported file's name.")
    sender: str = Field(description="Sender address, lower case.")
    sender_name: str | None = Field(default=None, description="Sender display name.")
    subject: str = Field(description="Subject.")
    received_at: datetime | None = Field(default=None, description="When it was sent or received.")
    partner_id: UUID | None = Field(default=None, description="Partner whose site has the sender; null if none.")
    task_id: UUID | None = Field(default=None, description="The task created.")
    attachments: list[Attachment] = Field(default_factory=list, description="Attachments, stored as blobs.")
    unknown_sender: bool = Field(
        default=False, description="No partner site has the sender: the task waits for triage without a partner."
    )
    export_format: str | None = Field(
        default=None, description="The file's format: outlook (Text only), thunderbird (plain text) or eml."
    )
    responsible_staff_id: UUID | None = Field(
        default=None, description="Who the task went to: service rep, else sales rep, else the triage person."
    )


class EmailImportFailed(_MailEvent):
    """An exported file could not be imported; the reason says why."""

    event_name: ClassVar[str] = "EmailImportFailed"
    key_field: ClassVar[str] = "import_id"
    import_id: UUID = Field(description="The import log entry.")
    file_name: str = Field(description="The file's name.")
    reason: str = Field(description="Why, in words.")
