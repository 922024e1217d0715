"""The consumer side: a notice becomes deliveries (an in-app message now, an email queued for the worker)."""

from __future__ import annotations

from collections.abc import Sequence
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
        await self.tell_many(conn, [(cause_event_id, notice)], now)

    async def tell_many(self, conn: AsyncConnection, notices: Sequence[tuple[str, Notice]], now: datetime) -> None:
        """Tell several staff members (each notice with its cause event id) in a few statements.

        One query finds the staff and their settings; the unknown ones' notices are parked; the in-app
        messages, emails and MessagePosted events are each written with one statement, once per
        (cause, recipient): only the messages actually stored are published.
        """
        if not notices:
            return
        known = await repo.staff_and_preferences_many(conn, [n.staff_id for _, n in notices])
        parked: list[dict[str, Any]] = []
        messages: list[dict[str, Any]] = []
        emails: list[tuple[dict[str, Any], bool]] = []
        for cause_event_id, notice in notices:
            found = known.get(notice.staff_id)
            if found is None:
                parked.append(
                    {
                        "cause_event_id": cause_event_id,
                        "staff_id": notice.staff_id,
                        "kind": notice.kind,
                        "notice": asdict(notice),
                        "created_at": now,
                    }
                )
                continue
            staff, prefs = found
            effective = prefs or Preferences(language=self.default_language)
            language = routing.language_of(staff, prefs, self.default_language)
            rendered: tuple[str, str] | None = None
            for target in routing.targets(notice, staff, effective):
                if rendered is None:
                    context = {**notice.context, "name": staff.name}
                    rendered = self.renderer.render(notice.kind, language, context, notice.link)
                subject, body = rendered
                if target.channel == "message":
                    messages.append(
                        _message(
                            cause_event_id=cause_event_id,
                            login=target.address,
                            staff_id=staff.staff_id,
                            title=subject,
                            body=body,
                            link=notice.link,
                            partner_id=notice.partner_id,
                            now=now,
                        )
                    )
                else:
                    emails.append(
                        _email(
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
                    )
        await repo.park_many(conn, parked)
        if messages:
            stored = await repo.add_messages(conn, messages)
            await self.publisher.messages_posted(conn, [m for m in messages if m["id"] in stored], now)
        if emails:
            recorded = await repo.add_deliveries(conn, [values for values, _ in emails])
            for values, failed in emails:
                if failed and values["id"] in recorded:
                    await self.publisher.email_failed(conn, values, now)

    async def release_parked(self, conn: AsyncConnection, staff_id: str, now: datetime) -> None:
        """Deliver the notices that waited for this staff member."""
        parked = await repo.take_parked(conn, staff_id)
        await self.tell_many(conn, [(row["cause_event_id"], Notice(**row["notice"])) for row in parked], now)

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
        message = _message(
            cause_event_id=cause_event_id,
            login=login,
            staff_id=staff_id,
            title=title,
            body=body,
            link=link,
            partner_id=partner_id,
            now=now,
        )
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
        values, failed = _email(
            cause_event_id=cause_event_id,
            address=address,
            kind=kind,
            subject=subject,
            body=body,
            now=now,
            link=link,
            partner_id=partner_id,
            staff_id=staff_id,
            requested_by=requested_by,
            email_id=email_id,
            document_id=document_id,
            attachments=attachments,
        )
        recorded = await repo.add_delivery(conn, values)
        if recorded and failed:
            await self.publisher.email_failed(conn, values, now)
        return recorded


def _message(
    *,
    cause_event_id: str,
    login: str,
    staff_id: str | None,
    title: str,
    body: str,
    link: str | None,
    partner_id: str | None,
    now: datetime,
) -> dict[str, Any]:
    return {
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


def _email(
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
) -> tuple[dict[str, Any], bool]:
    """A pending email delivery, or a failed one (and True) when its headers are unsafe."""
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
        return values, True
    return values, False


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
