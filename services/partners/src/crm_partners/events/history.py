"""The history translator: which events of every topic make an entry on a partner's timeline (H1), and how.

It reads only the event and its envelope (never the store), so replaying the topics from
offset 0 builds exactly the same entries as the live consumer did.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from decimal import Decimal
from typing import Any
from uuid import UUID

from crm_contracts import campaigns as cmp
from crm_contracts import commercial as com
from crm_contracts import mail as ml
from crm_contracts import notifications as ntf
from crm_contracts import opportunities as opp
from crm_contracts import partners as prt
from crm_contracts import tasks as tsk
from crm_contracts.base import Envelope, Event
from crm_partners.domain.timeline import TimelineEntry

Fact = tuple[str, str, str | None, str | None, dict[str, Any]]
"""kind, title, ref_type, ref_id, details."""


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


def _partner(e: prt.PartnerRegistered | prt.PartnerUpdated) -> Fact:
    verb = "înregistrat" if isinstance(e, prt.PartnerRegistered) else "actualizat"
    return "partner", f"Partener {verb}: {e.name} ({e.kind})", "partner", str(e.partner_id), {"kind": e.kind}


def _lead_converted(e: prt.LeadConverted) -> Fact:
    return "partner", "Lead convertit în client", "opportunity", _s(e.opportunity_id), {}


def _filed(e: prt.DocumentFiled) -> Fact:
    where = e.dossier_name or "dosar"
    details = {"dossier_id": str(e.dossier_id), "sha256": e.sha256, "size": e.size, "category": e.category}
    return "dossier", f"Document {e.file_name} îndosariat în {where}", "dossier", str(e.dossier_id), details


def _opp_state(e: opp.OpportunityOpened | opp.OpportunityUpdated) -> Fact:
    verb = "deschisă" if isinstance(e, opp.OpportunityOpened) else "actualizată"
    details = {"potential": f"{e.potential:.2f}", "probability": str(e.probability), "stage": e.stage}
    return (
        "opportunity",
        f"Oportunitate {verb}: {e.title}, {_m(e.potential)}",
        "opportunity",
        str(e.opportunity_id),
        details,
    )


def _stage(e: opp.StageChanged) -> Fact:
    title = f"Etapă {STAGES.get(e.to_stage, e.to_stage)}"
    if e.title:
        title += f": {e.title}"
    details = {
        "from_stage": e.from_stage,
        "to_stage": e.to_stage,
        "weighted_potential": f"{e.weighted_potential:.2f}",
        "note": e.note,
        "follow_up_at": e.follow_up_at.isoformat() if e.follow_up_at else None,
    }
    return "opportunity", title, "opportunity", str(e.opportunity_id), details


def _follow_up(e: opp.FollowUpScheduled) -> Fact:
    title = f"Urmărire programată {e.follow_up_at:%Y-%m-%d %H:%M} UTC" + (f": {e.title}" if e.title else "")
    details = {"delegate_staff_id": str(e.delegate_staff_id), "note": e.note}
    return "opportunity", title, "opportunity", str(e.opportunity_id), details


def _won(e: opp.OpportunityWon) -> Fact:
    return "opportunity", f"Oportunitate câștigată: {_m(e.potential)}", "opportunity", str(e.opportunity_id), {}


def _lost(e: opp.OpportunityLost) -> Fact:
    details = {"reason_code": e.reason_code, "note": e.note}
    return "opportunity", f"Oportunitate pierdută: {e.reason_text}", "opportunity", str(e.opportunity_id), details


def _doc(kind: str, label: str) -> Callable[[Any], Fact]:
    def fact(e: com._Document) -> Fact:
        details = {"number": e.number, "net": f"{e.net:.2f}", "gross": f"{e.gross:.2f}", "currency": e.currency}
        return kind, f"{label} {e.number}: {_m(e.net, e.currency)} fără TVA", kind, str(e.document_id), details

    return fact


def _offer_answer(e: com.OfferAccepted | com.OfferRejected) -> Fact:
    if isinstance(e, com.OfferAccepted):
        return "offer", f"Ofertă {e.number} acceptată", "offer", str(e.document_id), {"number": e.number}
    details = {"number": e.number, "reason_code": e.reason_code, "note": e.note}
    return "offer", f"Ofertă {e.number} respinsă ({e.reason_code})", "offer", str(e.document_id), details


def _contract_ended(e: com.ContractEnded) -> Fact:
    details = {"number": e.number, "ended_on": e.ended_on.isoformat()}
    return "contract", f"Contract {e.number} încheiat la {e.ended_on}", "contract", str(e.document_id), details


def _cost(e: com.CostDocumentPosted) -> Fact:
    details = {"number": e.number, "net": f"{e.net:.2f}", "cost_kind": e.kind}
    return "cost", f"Document de cost {e.number}: {_m(e.net)}", "cost", str(e.document_id), details


def _payment(e: com.PaymentReceived) -> Fact:
    details = {"amount": f"{e.amount:.2f}", "currency": e.currency, "date": e.date.isoformat()}
    return "payment", f"Încasare {_m(e.amount, e.currency)}", "payment", str(e.payment_id), details


def _member(e: cmp.CampaignMembersAdded | cmp.CampaignMemberRemoved) -> Fact:
    verb = "adăugat în" if isinstance(e, cmp.CampaignMembersAdded) else "scos din"
    return "campaign", f"Partener {verb} campanie", "campaign", str(e.campaign_id), {}


def _task_created(e: tsk.TaskCreated) -> Fact:
    details = {"source": e.source, "deadline": e.deadline.isoformat() if e.deadline else None}
    return "task", f"Task creat: {e.title}", "task", str(e.task_id), details


def _task_assigned(e: tsk.TaskAssigned) -> Fact:
    title = "Task reasignat" + (f": {e.title}" if e.title else "")
    return "task", title, "task", str(e.task_id), {"responsible_staff_id": str(e.responsible_staff_id)}


def _task_updated(e: tsk.TaskUpdated) -> Fact:
    return "task", f"Task modificat: {', '.join(sorted(e.changes))}", "task", str(e.task_id), {"changes": e.changes}


def _task_replied(e: tsk.TaskReplied) -> Fact:
    who = e.by_user or "cineva"
    return (
        "task",
        f"Răspuns la task de la {who}" + (f": {e.title}" if e.title else ""),
        "task",
        str(e.task_id),
        {"text": e.text[:500]},
    )


def _task_resolved(e: tsk.TaskResolved) -> Fact:
    return "task", f"Task rezolvat ({e.hours} ore)", "task", str(e.task_id), {"hours": str(e.hours)}


def _task_reopened(e: tsk.TaskReopened) -> Fact:
    return "task", "Task redeschis", "task", str(e.task_id), {}


def _estimate(e: tsk.EstimateIssued) -> Fact:
    return "task", f"Deviz emis: {_m(e.total)}", "task", str(e.task_id), {"estimate_id": str(e.estimate_id)}


def _task_invoiced(e: tsk.TaskInvoiced) -> Fact:
    return "invoice", "Task facturat", "invoice", str(e.invoice_id), {"task_id": str(e.task_id)}


def _email_audience(e: ntf.EmailSent | ntf.EmailFailed) -> dict[str, Any]:
    """Who may read the entry besides managers (``crm_kit.scoping.may_see_email``)."""
    return {"recipient_staff_id": _s(e.staff_id), "requested_by": e.requested_by}


def _email_sent(e: ntf.EmailSent) -> Fact:
    details = {"status": "sent", **_email_audience(e)}
    return "email", f"Email trimis către {e.recipient}: {e.subject}", "email", str(e.delivery_id), details


def _email_failed(e: ntf.EmailFailed) -> Fact:
    details = {"status": "failed", "error": e.error[:300], **_email_audience(e)}
    return "email", f"Email eșuat către {e.recipient}: {e.subject}", "email", str(e.delivery_id), details


def _email_imported(e: ml.EmailImported) -> Fact:
    details = {
        "status": "imported",
        "task_id": _s(e.task_id),
        "attachments": len(e.attachments),
        "responsible_staff_id": _s(e.responsible_staff_id),
    }
    return "email", f"Email importat de la {e.sender}: {e.subject}", "email", e.message_id, details


RULES: dict[type[Event], Callable[[Any], Fact]] = {
    prt.PartnerRegistered: _partner,
    prt.PartnerUpdated: _partner,
    prt.LeadConverted: _lead_converted,
    prt.DocumentFiled: _filed,
    opp.OpportunityOpened: _opp_state,
    opp.OpportunityUpdated: _opp_state,
    opp.StageChanged: _stage,
    opp.FollowUpScheduled: _follow_up,
    opp.OpportunityWon: _won,
    opp.OpportunityLost: _lost,
    com.OfferIssued: _doc("offer", "Ofertă"),
    com.OfferAccepted: _offer_answer,
    com.OfferRejected: _offer_answer,
    com.ClientOrderPlaced: _doc("order", "Comandă client"),
    com.ContractSigned: _doc("contract", "Contract semnat"),
    com.ContractEnded: _contract_ended,
    com.InvoiceIssued: _doc("invoice", "Factură"),
    com.CostDocumentPosted: _cost,
    com.PaymentReceived: _payment,
    cmp.CampaignMembersAdded: _member,
    cmp.CampaignMemberRemoved: _member,
    tsk.TaskCreated: _task_created,
    tsk.TaskAssigned: _task_assigned,
    tsk.TaskUpdated: _task_updated,
    tsk.TaskReplied: _task_replied,
    tsk.TaskResolved: _task_resolved,
    tsk.TaskReopened: _task_reopened,
    tsk.EstimateIssued: _estimate,
    tsk.TaskInvoiced: _task_invoiced,
    ntf.EmailSent: _email_sent,
    ntf.EmailFailed: _email_failed,
    ml.EmailImported: _email_imported,
}
"""Every fact that goes on a partner's history; commands, reminders and balances do not."""


def partner_ids(event: Event) -> list[str]:
    """The partners an event is about (one, several for campaign members, or none)."""
    ids: list[UUID] = []
    if isinstance(event, cmp.CampaignMembersAdded):
        ids = list(event.partner_ids)
    elif getattr(event, "partner_id", None) is not None:
        ids = [event.partner_id]  # type: ignore[attr-defined]
    return list(dict.fromkeys(str(i) for i in ids))


def entries_for(envelope: Envelope, event: Event) -> list[TimelineEntry]:
    """The timeline entries one event makes (none when it is not a partner fact)."""
    rule = RULES.get(type(event))
    if rule is None:
        return []
    ids = partner_ids(event)
    if not ids:
        return []
    kind, title, ref_type, ref_id, details = rule(event)
    occurred_at = envelope.time if envelope.time.tzinfo else envelope.time.replace(tzinfo=UTC)
    return [
        TimelineEntry(
            partner_id=pid,
            event_id=envelope.id,
            kind=kind,
            type=type(event).event_name,
            title=title,
            occurred_at=occurred_at,
            ref_type=ref_type,
            ref_id=ref_id,
            details={k: v for k, v in details.items() if v is not None},
        )
        for pid in ids
    ]
