"""The consumer side: a notice becomes deliveries (an in-app message now, an email queued for the worker)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from crm_kit.errors import Invalid
from crm_kit.ids import new_id
from crm_notifier.domain import routing
from crm_notifier.domain.headers import check_address, check_header
from crm_notifier.domain.models import Notice, Preferences
from crm_notifier.events.publisher import Publisher
from crm_notifier.rendering import Renderer
from crm_notifier.store import repository as repo


class Notifier:
    """Turns notices into deliveries, inside the consumer's transaction (never waits on SMTP)."""

    def __init__(self, renderer: Renderer, publisher: Publisher, default_language: str = "ro") -> None:
        self.renderer = renderer
        self.publisher = publisher
        self.default_language = default_language

    async def tell(self, conn: AsyncConnection, cause_event_id: str, notice: Notice, now: datetime) -> None:
        """Tell one staff member; parked until the staff directory knows them."""
        staff, prefs = await repo.staff_and_preferences(conn, notice.staff_id)
        if staff is None:
            await repo.park(conn, cause_event_id, notice.staff_id, notice.kind, asdict(notice), now)
            return
        effective = prefs or Preferences(language=self.default_language)
        language = routing.language_of(staff, prefs, self.default_language)
        for target in routing.targets(notice, staff, effective):
            context = {**notice.context, "name": staff.name}
            subject, body = self.renderer.render(notice.kind, language, context, notice.link)
            if target.channel == "message":
                await self.post_message(
                    conn,
                    cause_event_id=cause_event_id,
                    login=target.address,
                    staff_id=staff.staff_id,
                    kind=notice.kind,
                    title=subject,
                    body=body,
                    link=notice.link,
                    partner_id=notice.partner_id,
                    now=now,
                )
            else:
                await self.queue_email(
                    conn,
                    cause_event_id=cause_event_id,
                    address=target.address,
                    kind=notice.kind,
                    subject=subject,
                    body=body,
                    link=notice.link,
                    partner_id=notice.partner_id,
                    staff_id=staff.staff_id,
                    now=now,
                )

    async def release_parked(self, conn: AsyncConnection, staff_id: str, now: datetime) -> None:
        """Deliver the notices that waited for this staff member."""
        for row in await repo.take_parked(conn, staff_id):
            await self.tell(conn, row["cause_event_id"], Notice(**row["notice"]), now)

    async def post_message(
        self,
        conn: AsyncConnection,
        *,
        cause_event_id: str,
        login: str,
        staff_id: str | None,
        kind: str,
        title: str,
        body: str,
        link: str | None,
        partner_id: str | None,
        now: datetime,
    ) -> bool:
        """Store an in-app message and publish MessagePosted, once per (cause, user)."""
        message = {
            "id": str(new_id()),
            "recipient": login,
            "recipient_staff_id": staff_id,
            "title": title[:500],
            "body": body,
            "link": link,
            "cause_event_id": cause_event_id,
            "partner_id": partner_id,
            "created_at": now,
        }
        if not await repo.add_message(conn, message):
            return False
        await self.publisher.message_posted(conn, message, now)
        return True

    async def queue_email(
        self,
        conn: AsyncConnection,
        *,
        cause_event_id: str,
        address: str,
        kind: str,
        subject: str,
        body: str,
        now: datetime,
        link: str | None = None,
        partner_id: str | None = None,
        staff_id: str | None = None,
        requested_by: str | None = None,
        email_id: str | None = None,
        document_id: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> bool:
        """Queue an email for the delivery worker, once per (cause, address); unsafe headers fail at once."""
        values = _delivery(
            str(new_id()),
            cause_event_id,
            address.strip().lower()[:320],
            "email",
            kind,
            subject,
            body,
            now,
            status="pending",
            staff_id=staff_id,
            partner_id=partner_id,
            link=link,
            requested_by=requested_by,
            email_id=email_id,
            document_id=document_id,
            attachments=attachments or [],
        )
        try:
            check_address(address)
            check_header("subject", subject)
        except Invalid as exc:
            values.update(status="failed", error=f"refused, never sent: {exc.message}")
            recorded = await repo.add_delivery(conn, values)
            if recorded:
                await self.publisher.email_failed(conn, values, now)
            return recorded
        return await repo.add_delivery(conn, values)


def _delivery(
    delivery_id: str,
    cause_event_id: str,
    recipient: str,
    channel: str,
    kind: str,
    subject: str,
    body: str,
    now: datetime,
    **more: Any,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": delivery_id,
        "cause_event_id": cause_event_id,
        "recipient": recipient,
        "channel": channel,
        "kind": kind,
        "attempts": 0,
        "next_attempt_at": now,
        "subject": subject,
        "body": body,
        "attachments": [],
        "created_at": now,
        "server": None,
        "error": None,
    }
    values.update(more)
    return values
