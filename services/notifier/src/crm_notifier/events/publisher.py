"""Domain outcomes -> contract events on crm.notifications, through the outbox (same transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from crm_contracts.common import Attachment
from crm_contracts.notifications import EmailFailed, EmailRequested, EmailSent, MessagePosted
from crm_kit.outbox import Outbox


def _uuid(value: Any) -> UUID | None:
    return UUID(str(value)) if value else None


class Publisher:
    """Publishes the notifier's facts; only this module knows the contract models."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def email_requested(
        self,
        conn: AsyncConnection,
        *,
        email_id: UUID,
        requested_by: str,
        partner_id: str | None,
        recipients: list[str],
        subject: str,
        body: str,
        document_id: str | None,
        attachments: list[dict[str, Any]],
        now: datetime,
    ) -> None:
        await self.outbox.add(
            conn,
            EmailRequested(
                email_id=email_id,
                requested_by=requested_by,
                partner_id=_uuid(partner_id),
                recipients=recipients,
                subject=subject,
                body=body,
                document_id=_uuid(document_id),
                attachments=[Attachment(**a) for a in attachments],
            ),
            now=now,
        )

    async def email_sent(self, conn: AsyncConnection, row: dict[str, Any], now: datetime) -> None:
        await self.outbox.add(conn, _email_sent(row, now), now=now, causation_id=row["cause_event_id"])

    async def emails_sent(self, conn: AsyncConnection, rows: list[dict[str, Any]], now: datetime) -> None:
        """EmailSent for several deliveries (each caused by its own event) in one outbox statement."""
        await self.outbox.add_many(
            conn, [_email_sent(row, now) for row in rows], now=now, causation_ids=[r["cause_event_id"] for r in rows]
        )

    async def email_failed(self, conn: AsyncConnection, row: dict[str, Any], now: datetime) -> None:
        await self.outbox.add(
            conn,
            EmailFailed(
                delivery_id=UUID(row["id"]),
                recipient=row["recipient"],
                cause_event_id=row["cause_event_id"],
                partner_id=_uuid(row["partner_id"]),
                subject=row["subject"],
                server=row["server"],
                attempt=row["attempts"],
                error=row["error"] or "",
                staff_id=_uuid(row.get("staff_id")),
                requested_by=row.get("requested_by"),
            ),
            now=now,
            causation_id=row["cause_event_id"],
        )

    async def message_posted(self, conn: AsyncConnection, message: dict[str, Any], now: datetime) -> None:
        await self.outbox.add(conn, _message_posted(message), now=now, causation_id=message["cause_event_id"])

    async def messages_posted(self, conn: AsyncConnection, messages: list[dict[str, Any]], now: datetime) -> None:
        """MessagePosted for several messages (each caused by its own event) in one outbox statement."""
        await self.outbox.add_many(
            conn,
            [_message_posted(m) for m in messages],
            now=now,
            causation_ids=[m["cause_event_id"] for m in messages],
        )


def _email_sent(row: dict[str, Any], now: datetime) -> EmailSent:
    return EmailSent(
        delivery_id=UUID(row["id"]),
        recipient=row["recipient"],
        cause_event_id=row["cause_event_id"],
        partner_id=_uuid(row["partner_id"]),
        subject=row["subject"],
        server=row["server"] or "",
        attempt=row["attempts"],
        sent_at=now,
        staff_id=_uuid(row.get("staff_id")),
        requested_by=row.get("requested_by"),
    )


def _message_posted(message: dict[str, Any]) -> MessagePosted:
    return MessagePosted(
        message_id=UUID(message["id"]),
        recipient=message["recipient"],
        recipient_staff_id=_uuid(message["recipient_staff_id"]),
        title=message["title"],
        body=message["body"],
        link=message["link"],
        cause_event_id=message["cause_event_id"],
        partner_id=_uuid(message["partner_id"]),
    )
