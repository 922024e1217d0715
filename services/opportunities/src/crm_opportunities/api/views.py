"""Domain objects -> JSON views (money and percentages as decimal strings, times ISO-8601)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from crm_opportunities.domain.documents import Article, Document, Line
from crm_opportunities.domain.model import (
    Dossier,
    LostReason,
    Opportunity,
    Partner,
    StageEntry,
    StageTotal,
    StageWeights,
    time_in_stages,
)
from crm_opportunities.domain.money import weighted
from crm_opportunities.domain.stages import LABELS, TRANSITIONS, Stage


def dec(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def opportunity(
    opp: Opportunity,
    *,
    now: datetime,
    weights: dict[Stage, Decimal],
    partner_name: str | None = None,
    currency: str = "RON",
) -> dict[str, Any]:
    weight = weights[opp.stage]
    return {
        "id": str(opp.id),
        "partner_id": str(opp.partner_id),
        "partner_name": partner_name,
        "title": opp.title,
        "potential": dec(opp.potential),
        "currency": currency,
        "probability": dec(opp.probability),
        "expected_signing_on": opp.expected_signing_on,
        "owner_staff_id": opp.owner_staff_id and str(opp.owner_staff_id),
        "campaign_id": opp.campaign_id and str(opp.campaign_id),
        "stage": opp.stage,
        "stage_label": LABELS[opp.stage],
        "stage_entered_at": opp.stage_entered_at,
        "seconds_in_stage": max(0, int((now - opp.stage_entered_at).total_seconds())),
        "weight": dec(weight),
        "weighted_potential": dec(opp.expected_value),
        "closed": opp.is_closed,
        "next_stages": list(TRANSITIONS[opp.stage]),
        "lost_reason_code": opp.lost_reason_code,
        "lost_note": opp.lost_note,
        "created_at": opp.created_at,
        "updated_at": opp.updated_at,
    }


def dossier(d: Dossier, *, now: datetime, currency: str) -> dict[str, Any]:
    """An opportunity's page: its fields, its documents and its stage history."""
    view = opportunity(d.opportunity, now=now, weights=d.weights, partner_name=d.partner_name, currency=currency)
    view["campaign_name"] = d.campaign_name
    view["documents"] = [document(x) for x in d.documents]
    view["stage_history"] = history(list(d.history), now=now)
    return view


def entry(e: StageEntry, *, now: datetime) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "from_stage": e.from_stage,
        "stage": e.stage,
        "stage_label": LABELS[e.stage],
        "entered_at": e.entered_at,
        "left_at": e.left_at,
        "seconds_in_stage": e.seconds_in_stage(now),
        "current": e.left_at is None,
        "potential": dec(e.potential),
        "probability": dec(e.probability),
        "weight": dec(e.weight),
        "weighted_potential": dec(e.expected_value),
        "changed_by": e.changed_by,
        "changed_by_staff_id": e.changed_by_staff_id and str(e.changed_by_staff_id),
        "note": e.note,
        "delegate_staff_id": e.delegate_staff_id and str(e.delegate_staff_id),
        "follow_up_at": e.follow_up_at,
        "reason_code": e.reason_code,
    }


def history(entries: list[StageEntry], *, now: datetime) -> dict[str, Any]:
    return {
        "items": [entry(e, now=now) for e in entries],
        "total": len(entries),
        "time_in_stage": time_in_stages(entries, now),
    }


def line(x: Line) -> dict[str, Any]:
    return {
        "article_code": x.article_code,
        "description": x.description,
        "qty": str(x.qty),
        "unit": x.unit,
        "price": dec(x.price),
        "vat_rate": dec(x.vat_rate),
        "net": dec(x.net),
    }


def document(d: Document) -> dict[str, Any]:
    return {
        "id": str(d.id),
        "opportunity_id": str(d.opportunity_id),
        "type": d.kind,
        "status": d.status,
        "refusal": d.refusal,
        "request_id": d.request_id and str(d.request_id),
        "document_id": d.document_id and str(d.document_id),
        "number": d.number,
        "issued_on": d.issued_on,
        "requested_at": d.requested_at,
        "requested_by": d.requested_by,
        "lines": [line(x) for x in d.lines],
        "net": dec(d.net),
        "vat": dec(d.vat),
        "gross": dec(d.gross),
        "currency": d.currency,
        "printout_sha256": d.printout_sha256,
        "valid_until": d.valid_until,
        "from_offer_id": d.from_offer_id and str(d.from_offer_id),
        "decision": d.decision,
        "decided_at": d.decided_at,
        "decided_by": d.decided_by,
        "reason_code": d.reason_code,
        "note": d.note,
    }


def lost_reason(r: LostReason) -> dict[str, Any]:
    return {"code": r.code, "id": r.code, "text": r.text, "active": r.active}


def article(a: Article) -> dict[str, Any]:
    return {"code": a.code, "name": a.name, "unit": a.unit, "price": dec(a.price), "vat_rate": dec(a.vat_rate)}


def partner(p: Partner) -> dict[str, Any]:
    return {
        "partner_id": str(p.partner_id),
        "name": p.name,
        "kind": p.kind,
        "fiscal_code": p.fiscal_code,
        "sales_rep_staff_id": p.sales_rep_staff_id and str(p.sales_rep_staff_id),
        "id": str(p.partner_id),
    }


def weights(w: StageWeights) -> dict[str, Any]:
    return {
        "weights": {s: dec(x) for s, x in w.weights.items()},
        "stages": [{"stage": s, "label": LABELS[s], "weight": dec(x)} for s, x in w.weights.items()],
        "updated_at": w.updated_at,
        "updated_by": w.updated_by,
    }


def pipeline(totals: list[StageTotal], values: dict[Stage, Decimal], *, currency: str) -> dict[str, Any]:
    stages = []
    for t in totals:
        stages.append(
            {
                "stage": t.stage,
                "label": LABELS[t.stage],
                "count": t.count,
                "potential": dec(t.potential),
                "weight": dec(values[t.stage]),
                "weighted_potential": dec(weighted(t.potential, values[t.stage])),
            }
        )
    open_ = [t for t in totals if t.stage not in ("sale", "lost")]
    return {
        "stages": stages,
        "currency": currency,
        "open": {
            "count": sum(t.count for t in open_),
            "potential": dec(sum((t.potential for t in open_), Decimal(0))),
            "weighted_potential": dec(sum((weighted(t.potential, values[t.stage]) for t in open_), Decimal(0))),
        },
        "total": {
            "count": sum(t.count for t in totals),
            "potential": dec(sum((t.potential for t in totals), Decimal(0))),
        },
    }
