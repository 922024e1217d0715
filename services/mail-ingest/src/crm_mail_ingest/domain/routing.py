"""Who an imported email goes to: automated senders, the partner whose site has the sender, the responsible."""

from __future__ import annotations

import re
from dataclasses import dataclass

from crm_mail_ingest.domain.model import ParsedMessage

_NO_REPLY = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]daemon|postmaster|bounces?|notifications?|"
    r"newsletter|auto[-_.]?(reply|confirm|notify))([-+_.].*)?$",
    re.IGNORECASE,
)


def automated_reason(message: ParsedMessage) -> str | None:
    """Why an email is automated and must not become a task (None for a person's email).

    Automated: a no-reply style sender (no-reply@, noreply@, do-not-reply@, mailer-daemon@,
    postmaster@, bounce@, notifications@, newsletter@), a ``List-Unsubscribe`` header (mailing
    lists, newsletters), an ``Auto-Submitted`` header other than ``no`` (RFC 3834: out-of-office,
    bounces) or ``Precedence: bulk|list|junk``.
    """
    local = message.sender.email.partition("@")[0]
    if local and _NO_REPLY.match(local):
        return f"automated sender ({message.sender.email})"
    headers = message.headers
    if headers.get("list-unsubscribe", "").strip():
        return "mailing list (List-Unsubscribe header)"
    auto = headers.get("auto-submitted", "").strip().lower()
    if auto and auto != "no":
        return f"automatic reply (Auto-Submitted: {auto[:40]})"
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in ("bulk", "list", "junk"):
        return f"bulk mail (Precedence: {precedence})"
    return None


@dataclass(frozen=True)
class PartnerContact:
    """What the read model knows of a partner for routing: its representatives."""

    partner_id: str
    name: str
    sales_rep_staff_id: str | None
    service_rep_staff_id: str | None


@dataclass(frozen=True)
class Routing:
    """Where the task goes: the partner (None = unknown sender) and the responsible staff member."""

    partner_id: str | None
    partner_name: str | None
    responsible_staff_id: str | None
    unknown_sender: bool


def route(partner: PartnerContact | None, triage_staff_id: str | None) -> Routing:
    """The partner's service rep, else its sales rep, else the triage person; no partner -> triage, flagged.

    T4 as it applies to an email's task. It is decided here, not left to the tasks service, because
    the contracts carry the decision: ``TaskCreated.responsible_staff_id`` (null means "waiting for
    triage") and ``EmailImported.responsible_staff_id`` (who may see the import in the partner
    history), and the import log is scoped by it. The tasks service applies T4 only to a task that
    arrives without a responsible, and knows no triage person.
    """
    if partner is None:
        return Routing(None, None, triage_staff_id, unknown_sender=True)
    responsible = partner.service_rep_staff_id or partner.sales_rep_staff_id or triage_staff_id
    return Routing(partner.partner_id, partner.name, responsible, unknown_sender=False)


def choose_partner(candidates: list[PartnerContact]) -> PartnerContact | None:
    """When several partners' sites share an address, the lowest partner id wins (stable across runs)."""
    return min(candidates, key=lambda p: p.partner_id) if candidates else None
