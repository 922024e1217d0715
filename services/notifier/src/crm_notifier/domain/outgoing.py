"""What the notifier sends, as records to store: in-app messages and email deliveries (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crm_kit.errors import Invalid
from crm_kit.ids import new_id
from crm_notifier.domain.headers import check_address, check_header
from crm_notifier.domain.models import Row

MESSAGE_ID_DOMAIN = "crm-notifier"
MESSAGE_ID_AFFIXES = ("<", f"@{MESSAGE_ID_DOMAIN}>")
"""A delivery's Message-ID is ``prefix + delivery id + suffix``."""


def message_id_of(delivery_id: str) -> str:
    """The Message-ID of a delivery: the same on every attempt, so a receiver can spot a repeat."""
    prefix, suffix = MESSAGE_ID_AFFIXES
    return f"{prefix}{delivery_id}{suffix}"


SIGNATURE = "-- \nCRM\n"
"""What signs a notice sent by email (RFC 3676: the "-- " line opens it)."""


def signed(body: str) -> str:
    """A notice's text as an email: signed, for it is read outside the CRM (the in-app stack shows it unsigned)."""
    return body + SIGNATURE


def message(
    *,
    cause_event_id: str,
    login: str,
    staff_id: str | None,
    title: str,
    body: str,
    link: str | None,
    partner_id: str | None,
    now: datetime,
) -> Row:
    """An in-app message to one user (stored once per cause and user)."""
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


def email(
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
) -> tuple[Row, bool]:
    """A pending email delivery, or a failed one (and True) when its headers are unsafe: never sent."""
    values: Row = {
        "id": str(new_id()),
        "cause_event_id": cause_event_id,
        "recipient": address.strip().lower()[:320],
        "channel": "email",
        "kind": kind,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "subject": subject,
        "body": body,
        "attachments": attachments or [],
        "created_at": now,
        "server": None,
        "error": None,
        "staff_id": staff_id,
        "partner_id": partner_id,
        "link": link,
        "requested_by": requested_by,
        "email_id": email_id,
        "document_id": document_id,
    }
    try:
        check_address(address)
        check_header("subject", subject)
    except Invalid as exc:
        values.update(status="failed", error=f"refused, never sent: {exc.message}")
        return values, True
    return values, False


DELIVERY_STATUSES = ("pending", "sending", "handed_over", "sent", "failed")


def check_status(status: str | None) -> str | None:
    """A delivery status to filter the email log by (None: any).

    Raises:
        Invalid: not a delivery status.
    """
    if status and status not in DELIVERY_STATUSES:
        raise Invalid(
            f"status is one of {', '.join(DELIVERY_STATUSES)}",
            field="status",
            code="record.choose_from_list",
            params={"value": status},
        )
    return status
