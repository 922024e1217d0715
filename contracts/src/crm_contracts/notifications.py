"""Events on crm.notifications: emails requested and sent, in-app messages (see EVENTS.md)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from crm_contracts import topics
from crm_contracts.base import Event
from crm_contracts.common import Attachment


class _NotificationsEvent(Event):
    topic: ClassVar[str] = topics.NOTIFICATIONS
    key_field: ClassVar[str] = "recipient"


class EmailRequested(_NotificationsEvent):
    """A user asked to email a document (E1, E2)."""

    event_name: ClassVar[str] = "EmailRequested"
    key_field: ClassVar[str] = "email_id"
    email_id: UUID = Field(description="The email request.")
    requested_by: str | None = Field(default=None, description="Login of the user who asked.")
    partner_id: UUID | None = Field(default=None, description="The partner it goes to.")
    recipients: list[str] = Field(description="Email addresses.")
    subject: str = Field(description="Subject.")
    body: str = Field(description="Body text.")
    document_id: UUID | None = Field(default=None, description="The document emailed.")
    attachments: list[Attachment] = Field(default_factory=list, description="Printout, files, article photos.")


class EmailSent(_NotificationsEvent):
    """An email was delivered to the SMTP server (E3)."""

    event_name: ClassVar[str] = "EmailSent"
    delivery_id: UUID = Field(description="The delivery.")
    recipient: str = Field(description="Address.")
    cause_event_id: str = Field(description="ce_id of the event that caused it.")
    partner_id: UUID | None = Field(default=None, description="Partner concerned (for the history).")
    subject: str = Field(description="Subject.")
    server: str = Field(description="SMTP server used.")
    attempt: int = Field(description="Attempt that succeeded.")
    sent_at: datetime = Field(description="When.")
    staff_id: UUID | None = Field(
        default=None, description="The staff member it went to (a notification), for who may see it (E3)."
    )
    requested_by: str | None = Field(default=None, description="Login of the user who asked for it (E1, E2).")


class EmailFailed(_NotificationsEvent):
    """An email could not be delivered (permanently, or after the last retry)."""

    event_name: ClassVar[str] = "EmailFailed"
    delivery_id: UUID = Field(description="The delivery.")
    recipient: str = Field(description="Address.")
    cause_event_id: str = Field(description="ce_id of the event that caused it.")
    partner_id: UUID | None = Field(default=None, description="Partner concerned.")
    subject: str = Field(description="Subject.")
    server: str | None = Field(default=None, description="SMTP server used.")
    attempt: int = Field(description="Attempts made.")
    error: str = Field(description="Why, in words.")
    staff_id: UUID | None = Field(
        default=None, description="The staff member it went to (a notification), for who may see it (E3)."
    )
    requested_by: str | None = Field(default=None, description="Login of the user who asked for it (E1, E2).")


class MessagePosted(_NotificationsEvent):
    """An in-app message was posted for a user."""

    event_name: ClassVar[str] = "MessagePosted"
    message_id: UUID = Field(description="The message.")
    recipient: str = Field(description="The user's login.")
    recipient_staff_id: UUID | None = Field(default=None, description="The staff member.")
    title: str = Field(description="Title.")
    body: str = Field(description="Text.")
    link: str | None = Field(default=None, description="Path in the web UI.")
    cause_event_id: str = Field(description="ce_id of the event that caused it.")
    partner_id: UUID | None = Field(default=None, description="Partner concerned.")
