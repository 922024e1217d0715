"""The partner history (H1): which facts make an entry, what each entry says, and how a page of them is asked for.

A fact is an event of any context, as plain data (its name, id, time and fields). The rules below
read only the fact, never the store, so replaying the topics from offset 0 builds exactly the same
entries as the live consumer did. Which contract classes become facts is the events adapter's business.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from crm_kit.errors import Invalid
from crm_partners.domain.pages import check_page

KINDS = (
    "partner",
    "opportunity",
    "offer",
    "order",
    "contract",
    "invoice",
    "payment",
    "cost",
    "task",
    "email",
    "campaign",
    "dossier",
)
"""What an entry is about; a page can be filtered by one or more kinds."""


@dataclass(frozen=True)
class TimelineEntry:
    """One fact on a partner's history, made from one event (the same event twice is one entry)."""

    partner_id: str
    event_id: str
    kind: str
    type: str
    title: str
    occurred_at: datetime
    ref_type: str | None = None
    ref_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown timeline kind {self.kind!r}")
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be tz-aware")


@dataclass(frozen=True)
class PageRequest:
    """A page of one partner's history: newest first, optionally only some kinds."""

    kinds: tuple[str, ...]
    limit: int
    offset: int


def page_request(kind: str | None, limit: int, offset: int, *, max_limit: int) -> PageRequest:
    """Check a history page request; ``kind`` is one kind or several separated by commas.

    Raises:
        Invalid: an unknown kind, or a limit/offset out of range.
    """
    kinds: list[str] = []
    for part in (kind or "").split(","):
        name = part.strip().lower()
        if not name:
            continue
        if name not in KINDS:
            raise Invalid(
                f"unknown history kind {name!r}: use {', '.join(KINDS)}",
                kinds=list(KINDS),
                code="record.choose_from_list",
                params={"value": name},
            )
        if name not in kinds:
            kinds.append(name)
    check_page(limit, offset, max_limit)
    return PageRequest(kinds=tuple(sorted(kinds)), limit=limit, offset=offset)


def newest_first(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """The order of a history: newest first; events of the same instant by event id, descending."""
    return sorted(entries, key=lambda e: (e.occurred_at, e.event_id), reverse=True)


@dataclass(frozen=True)
class Fact:
    """An event of any context as the history reads it: its name (``OfferIssued``), id, time and fields."""

    type: str
    event_id: str
    occurred_at: datetime
    data: Mapping[str, Any]


Said = tuple[str, str, str | None, str | None, dict[str, Any]]
"""What one entry says: kind, title, ref_type, ref_id, details."""


def _m(value: Decimal | None, currency: str = "RON") -> str:
    return f"{value:.2f} {currency}" if value is not None else "-"


def _s(value: object) -> str | None:
    return str(value) if value is not None else None


STAGES = {
    "new": "Nouă",
    "presentation": "1 Prezentare / întâlnire",
    "offer": "2 Ofertă",
    "negotiation": "3 Negociere",
    "sale": "4 Vânzare",
    "lost": "X Pierdută",
}


def _partner(verb: str) -> Callable[[Mapping[str, Any]], Said]:
    def said(e: Mapping[str, Any]) -> Said:
        return (
            "partner",
            f"Partener {verb}: {e['name']} ({e['kind']})",
            "partner",
            str(e["partner_id"]),
            {"kind": e["kind"]},
        )

    return said


def _lead_converted(e: Mapping[str, Any]) -> Said:
    return "partner", "Lead convertit în client", "opportunity", _s(e.get("opportunity_id")), {}


def _filed(e: Mapping[str, Any]) -> Said:
    where = e.get("dossier_name") or "dosar"
    details = {
        "dossier_id": str(e["dossier_id"]),
        "sha256": e["sha256"],
        "size": e["size"],
        "category": e.get("category"),
    }
    return "dossier", f"Document {e['file_name']} îndosariat în {where}", "dossier", str(e["dossier_id"]), details


def _opportunity(verb: str) -> Callable[[Mapping[str, Any]], Said]:
    def said(e: Mapping[str, Any]) -> Said:
        details = {
            "potential": f"{e['potential']:.2f}",
            "currency": e.get("currency") or "RON",
            "probability": str(e["probability"]),
            "stage": e["stage"],
            "title": e["title"],
        }
        title = f"Oportunitate {verb}: {e['title']}, {_m(e['potential'])}"
        return "opportunity", title, "opportunity", str(e["opportunity_id"]), details

    return said


def _stage(e: Mapping[str, Any]) -> Said:
    title = f"Etapă {STAGES.get(e['to_stage'], e['to_stage'])}"
    if e.get("title"):
        title += f": {e['title']}"
    follow_up_at = e.get("follow_up_at")
    details = {
        "from_stage": e.get("from_stage"),
        "to_stage": e["to_stage"],
        "weighted_potential": f"{e['weighted_potential']:.2f}",
        "note": e.get("note"),
        "follow_up_at": follow_up_at.isoformat() if follow_up_at else None,
    }
    return "opportunity", title, "opportunity", str(e["opportunity_id"]), details


def _follow_up(e: Mapping[str, Any]) -> Said:
    title = f"Urmărire programată {e['follow_up_at']:%Y-%m-%d %H:%M} UTC" + (
        f": {e['title']}" if e.get("title") else ""
    )
    details = {
        "delegate_staff_id": str(e["delegate_staff_id"]),
        "note": e.get("note"),
        "follow_up_at": e["follow_up_at"].isoformat(),
        "title": e.get("title") or None,
    }
    return "opportunity", title, "opportunity", str(e["opportunity_id"]), details


def _won(e: Mapping[str, Any]) -> Said:
    details = {"potential": f"{e['potential']:.2f}", "currency": "RON"}
    title = f"Oportunitate câștigată: {_m(e['potential'])}"
    return "opportunity", title, "opportunity", str(e["opportunity_id"]), details


def _lost(e: Mapping[str, Any]) -> Said:
    details = {"reason_code": e.get("reason_code"), "note": e.get("note")}
    title = f"Oportunitate pierdută: {e['reason_text']}"
    return "opportunity", title, "opportunity", str(e["opportunity_id"]), details


def _document(kind: str, label: str) -> Callable[[Mapping[str, Any]], Said]:
    def said(e: Mapping[str, Any]) -> Said:
        details = {
            "number": e["number"],
            "net": f"{e['net']:.2f}",
            "gross": f"{e['gross']:.2f}",
            "currency": e["currency"],
        }
        title = f"{label} {e['number']}: {_m(e['net'], e['currency'])} fără TVA"
        return kind, title, kind, str(e["document_id"]), details

    return said


def _offer_accepted(e: Mapping[str, Any]) -> Said:
    return "offer", f"Ofertă {e['number']} acceptată", "offer", str(e["document_id"]), {"number": e["number"]}


def _offer_rejected(e: Mapping[str, Any]) -> Said:
    details = {"number": e["number"], "reason_code": e.get("reason_code"), "note": e.get("note")}
    return "offer", f"Ofertă {e['number']} respinsă ({e['reason_code']})", "offer", str(e["document_id"]), details


def _contract_ended(e: Mapping[str, Any]) -> Said:
    details = {"number": e["number"], "ended_on": e["ended_on"].isoformat()}
    title = f"Contract {e['number']} încheiat la {e['ended_on']}"
    return "contract", title, "contract", str(e["document_id"]), details


def _cost(e: Mapping[str, Any]) -> Said:
    details = {"number": e["number"], "net": f"{e['net']:.2f}", "currency": "RON", "cost_kind": e["kind"]}
    return "cost", f"Document de cost {e['number']}: {_m(e['net'])}", "cost", str(e["document_id"]), details


def _payment(e: Mapping[str, Any]) -> Said:
    details = {"amount": f"{e['amount']:.2f}", "currency": e["currency"], "date": e["date"].isoformat()}
    return "payment", f"Încasare {_m(e['amount'], e['currency'])}", "payment", str(e["payment_id"]), details


def _member(verb: str) -> Callable[[Mapping[str, Any]], Said]:
    def said(e: Mapping[str, Any]) -> Said:
        name = e.get("campaign_name")
        title = f"Partener {verb} campania {name}" if name else f"Partener {verb} campanie"
        return "campaign", title, "campaign", str(e["campaign_id"]), {"campaign_name": name}

    return said


def _task_created(e: Mapping[str, Any]) -> Said:
    deadline = e.get("deadline")
    details = {"source": e["source"], "deadline": deadline.isoformat() if deadline else None}
    return "task", f"Task creat: {e['title']}", "task", str(e["task_id"]), details


def _task_assigned(e: Mapping[str, Any]) -> Said:
    title = "Task reasignat" + (f": {e['title']}" if e.get("title") else "")
    return "task", title, "task", str(e["task_id"]), {"responsible_staff_id": str(e["responsible_staff_id"])}


def _task_updated(e: Mapping[str, Any]) -> Said:
    changes = e["changes"]
    return "task", f"Task modificat: {', '.join(sorted(changes))}", "task", str(e["task_id"]), {"changes": changes}


def _task_replied(e: Mapping[str, Any]) -> Said:
    who = e.get("by_user") or "cineva"
    title = f"Răspuns la task de la {who}" + (f": {e['title']}" if e.get("title") else "")
    return "task", title, "task", str(e["task_id"]), {"text": e["text"][:500]}


def _task_resolved(e: Mapping[str, Any]) -> Said:
    return "task", f"Task rezolvat ({e['hours']} ore)", "task", str(e["task_id"]), {"hours": str(e["hours"])}


def _task_reopened(e: Mapping[str, Any]) -> Said:
    return "task", "Task redeschis", "task", str(e["task_id"]), {}


def _estimate(e: Mapping[str, Any]) -> Said:
    details = {"estimate_id": str(e["estimate_id"]), "total": f"{e['total']:.2f}", "currency": "RON"}
    return "task", f"Deviz emis: {_m(e['total'])}", "task", str(e["task_id"]), details


def _task_invoiced(e: Mapping[str, Any]) -> Said:
    return "invoice", "Task facturat", "invoice", str(e["invoice_id"]), {"task_id": str(e["task_id"])}


def _email_audience(e: Mapping[str, Any]) -> dict[str, Any]:
    """Who may read the entry besides managers (``crm_kit.scoping.may_see_email``)."""
    return {"recipient_staff_id": _s(e.get("staff_id")), "requested_by": e.get("requested_by")}


def _email_sent(e: Mapping[str, Any]) -> Said:
    details = {"status": "sent", **_email_audience(e)}
    return "email", f"Email trimis către {e['recipient']}: {e['subject']}", "email", str(e["delivery_id"]), details


def _email_failed(e: Mapping[str, Any]) -> Said:
    details = {"status": "failed", "error": e["error"][:300], **_email_audience(e)}
    return "email", f"Email eșuat către {e['recipient']}: {e['subject']}", "email", str(e["delivery_id"]), details


def _email_imported(e: Mapping[str, Any]) -> Said:
    details = {
        "status": "imported",
        "task_id": _s(e.get("task_id")),
        "attachments": len(e.get("attachments") or ()),
        "responsible_staff_id": _s(e.get("responsible_staff_id")),
    }
    return "email", f"Email importat de la {e['sender']}: {e['subject']}", "email", e["message_id"], details


RULES: dict[str, Callable[[Mapping[str, Any]], Said]] = {
    "PartnerRegistered": _partner("înregistrat"),
    "PartnerUpdated": _partner("actualizat"),
    "LeadConverted": _lead_converted,
    "DocumentFiled": _filed,
    "OpportunityOpened": _opportunity("deschisă"),
    "OpportunityUpdated": _opportunity("actualizată"),
    "StageChanged": _stage,
    "FollowUpScheduled": _follow_up,
    "OpportunityWon": _won,
    "OpportunityLost": _lost,
    "OfferIssued": _document("offer", "Ofertă"),
    "OfferAccepted": _offer_accepted,
    "OfferRejected": _offer_rejected,
    "ClientOrderPlaced": _document("order", "Comandă client"),
    "ContractSigned": _document("contract", "Contract semnat"),
    "ContractEnded": _contract_ended,
    "InvoiceIssued": _document("invoice", "Factură"),
    "CostDocumentPosted": _cost,
    "PaymentReceived": _payment,
    "CampaignMembersAdded": _member("adăugat în"),
    "CampaignMemberRemoved": _member("scos din"),
    "TaskCreated": _task_created,
    "TaskAssigned": _task_assigned,
    "TaskUpdated": _task_updated,
    "TaskReplied": _task_replied,
    "TaskResolved": _task_resolved,
    "TaskReopened": _task_reopened,
    "EstimateIssued": _estimate,
    "TaskInvoiced": _task_invoiced,
    "EmailSent": _email_sent,
    "EmailFailed": _email_failed,
    "EmailImported": _email_imported,
}
"""Every fact that goes on a partner's history, by event name; commands, reminders and balances do not."""


def partner_ids(fact: Fact) -> list[str]:
    """The partners a fact is about (one, several for campaign members, or none), each once."""
    data = fact.data
    if fact.type == "CampaignMembersAdded":
        ids = list(data.get("partner_ids") or ())
    else:
        ids = [data["partner_id"]] if data.get("partner_id") is not None else []
    return list(dict.fromkeys(str(i) for i in ids))


def entries_for(fact: Fact) -> list[TimelineEntry]:
    """The history entries one fact makes: one per partner it names (none when it is not a partner fact)."""
    rule = RULES.get(fact.type)
    if rule is None:
        return []
    ids = partner_ids(fact)
    if not ids:
        return []
    kind, title, ref_type, ref_id, details = rule(fact.data)
    at = fact.occurred_at
    occurred_at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return [
        TimelineEntry(
            partner_id=pid,
            event_id=fact.event_id,
            kind=kind,
            type=fact.type,
            title=title,
            occurred_at=occurred_at,
            ref_type=ref_type,
            ref_id=ref_id,
            details={k: v for k, v in details.items() if v is not None},
        )
        for pid in ids
    ]


_PAGES = {
    "partner": "/partners/{}",
    "opportunity": "/opportunities/{}",
    "offer": "/documents/{}",
    "order": "/documents/{}",
    "contract": "/documents/{}",
    "invoice": "/documents/{}",
    "cost": "/documents/{}",
    "task": "/tasks/{}",
    "campaign": "/campaigns/{}",
    "dossier": "/dossiers/{}",
}
"""The web page of each record an entry refers to (the gateway's UI paths)."""


def link_of(entry: TimelineEntry) -> str | None:
    """The page of the record an entry is about (H1), or None when there is none the reader may open.

    Computed when read, not stored, so entries recorded before links existed get one too. A redacted
    entry gets none: its record is one the reader may not see.
    """
    if entry.details.get("hidden") or not entry.ref_id:
        return None
    if entry.ref_type == "email":
        # A sent email has no page of its own: the email log filtered to the partner; an imported one became a task.
        task_id = entry.details.get("task_id")
        return f"/tasks/{task_id}" if task_id else f"/emails?partner_id={entry.partner_id}"
    if entry.ref_type == "payment":
        return f"/documents?partner_id={entry.partner_id}"
    page = _PAGES.get(entry.ref_type or "")
    return page.format(entry.ref_id) if page else None
