"""The notifier's facts -> contract events on crm.notifications; the only module that knows those contracts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from crm_contracts.base import Envelope, Event
from crm_contracts.common import Attachment
from crm_contracts.notifications import EmailFailed, EmailRequested, EmailSent, MessagePosted
from crm_kit.outbox import Outbox
from crm_kit.transactions import Emit
from crm_notifier.domain.composing import EmailRequest
from crm_notifier.domain.models import Row


def _uuid(value: Any) -> UUID | None:
    return UUID(str(value)) if value else None


class KafkaPublisher:
    """``ports.Publisher`` through the unit of work's ``emit`` (the outbox, in its transaction)."""

    def __init__(self, emit: Emit) -> None:
        self.emit = emit

    async def email_requested(self, request: EmailRequest) -> None:
        await self.emit(
            EmailRequested(
                email_id=UUID(request.email_id),
                requested_by=request.requested_by,
                partner_id=_uuid(request.partner_id),
                recipients=request.recipients,
                subject=request.subject,
                body=request.body,
                document_id=_uuid(request.document_id),
                attachments=[
                    Attachment(file_name=a.file_name, sha256=a.sha256, size=a.size) for a in request.attachments
                ],
            )
        )

    async def emails_sent(self, deliveries: Sequence[Row]) -> None:
        for row in deliveries:
            await self.emit(
                EmailSent(
                    delivery_id=UUID(row["id"]),
                    recipient=row["recipient"],
                    cause_event_id=row["cause_event_id"],
                    partner_id=_uuid(row["partner_id"]),
                    subject=row["subject"],
                    server=row["server"] or "",
                    attempt=row["attempts"],
                    sent_at=row["sent_at"],
                    staff_id=_uuid(row.get("staff_id")),
                    requested_by=row.get("requested_by"),
                )
            )

    async def email_failed(self, delivery: Row) -> None:
        await self.emit(
            EmailFailed(
                delivery_id=UUID(delivery["id"]),
                recipient=delivery["recipient"],
                cause_event_id=delivery["cause_event_id"],
                partner_id=_uuid(delivery["partner_id"]),
                subject=delivery["subject"],
                server=delivery["server"],
                attempt=delivery["attempts"],
                error=delivery["error"] or "",
                staff_id=_uuid(delivery.get("staff_id")),
                requested_by=delivery.get("requested_by"),
            )
        )

    async def messages_posted(self, messages: Sequence[Row]) -> None:
        for message in messages:
            await self.emit(
                MessagePosted(
                    message_id=UUID(message["id"]),
                    recipient=message["recipient"],
                    recipient_staff_id=_uuid(message["recipient_staff_id"]),
                    title=message["title"],
                    body=message["body"],
                    link=message["link"],
                    cause_event_id=message["cause_event_id"],
                    partner_id=_uuid(message["partner_id"]),
                )
            )


def cause_of(event: Event) -> str | None:
    """The event a notifier fact answers: its ``cause_event_id`` (a delivery or message names its cause)."""
    cause = getattr(event, "cause_event_id", None)
    return str(cause) if cause else None


class CausedOutbox(Outbox):
    """The outbox of units of work outside an event handler (HTTP, the delivery worker).

    The kit's ``emit`` there names no cause; an ``EmailSent`` the worker publishes still answers the event that
    asked for the email, so its causation (and correlation) is that event, as the payload says.
    """

    async def add(
        self,
        conn: AsyncConnection,
        event: Event,
        *,
        now: datetime | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> Envelope:
        cause = causation_id or cause_of(event)
        return await super().add(conn, event, now=now, correlation_id=correlation_id or cause, causation_id=cause)
