"""Opportunities area: pipeline funnel, opportunity pages with stage history, documents, catalogues (O1-O7).

Pages call the opportunities API as the logged-in user; a rule the API refuses (409/422) is shown on the
page the user was on, with the API's message.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import MediaType, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from crm_gateway.domain.users import User
from crm_gateway.ui.api import ApiClient, ApiError, together
from crm_gateway.ui.forms import text as _text
from crm_gateway.ui.pickers import partner_choice, staff_choice
from crm_kit.formatting import local_input_to_utc

Form = URLEncodedBody[dict[str, Any]]
LINE_ROWS = 5
DOCUMENT_KINDS = ("offer", "order", "contract")
STAGES = ("new", "presentation", "offer", "negotiation", "sale", "lost")


def _lines(form: dict[str, Any]) -> list[dict[str, Any]]:
    lines = []
    for n in range(LINE_ROWS):
        code = _text(form, f"line_code_{n}")
        if not code:
            continue
        line: dict[str, Any] = {"article_code": code, "qty": _text(form, f"line_qty_{n}") or "1"}
        price = _text(form, f"line_price_{n}")
        if price:
            line["price"] = price.replace(",", ".")
        lines.append(line)
    return lines


async def _own_staff(api: ApiClient, user: User) -> dict[str, str]:
    """The logged-in user's staff record (``id``, ``name``); both blank when they are nobody on the staff.

    An administrator's login usually has no staff record; a staff id the directory cannot name counts as none
    (a follow-up for it would reach no one).
    """
    me = await staff_choice(api, user.staff_id)
    return me if me["id"] and me["name"] != me["id"] else {"id": "", "name": ""}


async def _opportunity_page(
    api: ApiClient,
    opportunity_id: UUID,
    user: User,
    *,
    error: ApiError | None = None,
    form: dict[str, Any] | None = None,
    requested: str | None = None,
) -> Template:
    opp, reasons, delegate, me = await together(
        api.get(f"/api/opportunities/{opportunity_id}"),
        api.get("/api/lost-reasons", params={"active": "true"}),
        staff_choice(api, (form or {}).get("delegate_staff_id")),
        _own_staff(api, user),
    )
    return Template(
        "opportunities/detail.html",
        context={
            "opp": opp,
            "reasons": reasons["items"],
            "delegate": delegate,
            "me": me,
            "line_rows": range(LINE_ROWS),
            "error": error,
            "form": form or {},
            # the kind of a document just asked of commercial (?requested=offer) while it has no number: the page says
            # it is being generated and reloads itself until it has one (None: nothing to wait for)
            "generating": next(
                (d["type"] for d in opp["documents"] if d["type"] == requested and d["status"] == "requested"), None
            ),
        },
        status_code=error.status if error else 200,
    )


@get("/pipeline", include_in_schema=False)
async def pipeline(
    api: NamedDependency[ApiClient],
    owner_staff_id: FromQuery[str | None] = None,
    campaign_id: FromQuery[str | None] = None,
) -> Template:
    """The pipeline funnel: count, potential and weighted potential per stage (O3)."""
    summary = await api.get("/api/pipeline", params={"owner_staff_id": owner_staff_id, "campaign_id": campaign_id})
    widest = max((int(s["count"]) for s in summary["stages"]), default=0) or 1  # the fullest stage's bar is 100%
    return Template("opportunities/pipeline.html", context={"summary": summary, "widest": widest})


@get("/opportunities", include_in_schema=False)
async def opportunity_list(
    api: NamedDependency[ApiClient],
    stage: FromQuery[str | None] = None,
    partner_id: FromQuery[str | None] = None,
    campaign_id: FromQuery[str | None] = None,
    title: FromQuery[str | None] = None,
    offset: FromQuery[int] = 0,
) -> Template:
    """Opportunities, filtered, and the form to open one (O1).

    ``?partner_id=`` (the partner page's "new opportunity") shows that partner's opportunities and opens the
    form with the partner chosen, by name.
    """
    params = {"stage": stage, "partner_id": partner_id, "campaign_id": campaign_id, "title": title}
    page, partner = await together(
        api.get("/api/opportunities", params={**params, "limit": 50, "offset": offset}),
        partner_choice(api, partner_id),
    )
    return Template(
        "opportunities/list.html",
        context={
            "page": page,
            "filters": params,
            "partner": partner,
            "stages": STAGES,
            "offset": offset,
        },
    )


@post("/opportunities", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def opportunity_create(api: NamedDependency[ApiClient], data: Form) -> Any:
    """Open an opportunity and go to its page."""
    body = {
        "partner_id": _text(data, "partner_id"),
        "title": _text(data, "title") or "",
        "potential": (_text(data, "potential") or "0").replace(",", "."),
        "probability": (_text(data, "probability") or "").replace(",", ".") or None,
        "expected_signing_on": _text(data, "expected_signing_on"),
    }
    try:
        created = await api.post("/api/opportunities", json={k: v for k, v in body.items() if v is not None})
    except ApiError as exc:
        page = await api.get("/api/opportunities", params={"limit": 50})
        return Template(
            "opportunities/list.html",
            context={
                "page": page,
                "filters": {},
                "partner": await partner_choice(api, _text(data, "partner_id")),
                "stages": STAGES,
                "offset": 0,
                "error": exc,
                "form": data,
            },
            status_code=exc.status,
        )
    return Redirect(f"/opportunities/{created['id']}", status_code=303)


@get("/opportunities/{opportunity_id:uuid}", include_in_schema=False)
async def opportunity_detail(
    api: NamedDependency[ApiClient],
    user: NamedDependency[User],
    opportunity_id: FromPath[UUID],
    requested: FromQuery[str | None] = None,
) -> Template:
    """One opportunity: stage history timeline, time in stage, stage change, documents (O2, O4-O7).

    ``requested`` (a document kind) follows a document's generation: until commercial gives it a number the page
    says it is being generated and reloads itself, as the email log does for an email just sent.
    """
    return await _opportunity_page(api, opportunity_id, user, requested=requested)


@post("/opportunities/{opportunity_id:uuid}/stage", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def opportunity_stage(
    api: NamedDependency[ApiClient],
    user: NamedDependency[User],
    zone: NamedDependency[ZoneInfo],
    opportunity_id: FromPath[UUID],
    data: Form,
) -> Any:
    """Move the opportunity; a delegate and a follow-up date make a task (O7); lost needs a reason (O6).

    The delegate defaults to the user only when they are on the staff; otherwise a follow-up without one is
    refused beside the delegate's field, before anything is asked of the API.
    """
    body = {
        "stage": _text(data, "stage"),
        "note": _text(data, "note"),
        "delegate_staff_id": _text(data, "delegate_staff_id"),
        "follow_up_at": local_input_to_utc(_text(data, "follow_up_at"), zone),
        "reason_code": _text(data, "reason_code") if _text(data, "stage") == "lost" else None,
        "potential": (_text(data, "potential") or "").replace(",", ".") or None,
        "probability": (_text(data, "probability") or "").replace(",", ".") or None,
    }
    try:
        if body["follow_up_at"] and not body["delegate_staff_id"] and not (await _own_staff(api, user))["id"]:
            raise ApiError(
                422,
                "a follow-up date needs a delegate",
                {"code": "opportunity.follow_up_needs_delegate", "params": {}, "field": "delegate_staff_id"},
            )
        await api.post(
            f"/api/opportunities/{opportunity_id}/stage", json={k: v for k, v in body.items() if v is not None}
        )
    except ApiError as exc:
        return await _opportunity_page(api, opportunity_id, user, error=exc, form=data)
    return Redirect(f"/opportunities/{opportunity_id}", status_code=303)


@post(
    "/opportunities/{opportunity_id:uuid}/details", include_in_schema=False, status_code=303, media_type=MediaType.HTML
)
async def opportunity_details(
    api: NamedDependency[ApiClient], user: NamedDependency[User], opportunity_id: FromPath[UUID], data: Form
) -> Any:
    """Change title, potential, probability or probable signing date (O1)."""
    body = {
        "title": _text(data, "title"),
        "potential": (_text(data, "potential") or "").replace(",", ".") or None,
        "probability": (_text(data, "probability") or "").replace(",", ".") or None,
        "expected_signing_on": _text(data, "expected_signing_on"),
    }
    try:
        await api.patch(f"/api/opportunities/{opportunity_id}", json={k: v for k, v in body.items() if v is not None})
    except ApiError as exc:
        return await _opportunity_page(api, opportunity_id, user, error=exc, form=data)
    return Redirect(f"/opportunities/{opportunity_id}", status_code=303)


@post(
    "/opportunities/{opportunity_id:uuid}/documents",
    include_in_schema=False,
    status_code=303,
    media_type=MediaType.HTML,
)
async def opportunity_document(
    api: NamedDependency[ApiClient], user: NamedDependency[User], opportunity_id: FromPath[UUID], data: Form
) -> Any:
    """Generate an offer, client order or contract with lines from the article picker (O4)."""
    kind = _text(data, "kind") or "offer"
    body: dict[str, Any] = {"lines": _lines(data), "note": _text(data, "note")}
    if kind == "offer" and _text(data, "valid_until"):
        body["valid_until"] = _text(data, "valid_until")
    if kind == "contract":
        body["kind"] = _text(data, "contract_kind") or "commercial"
        body["starts_on"] = _text(data, "starts_on")
        body["months"] = _text(data, "months")
        body["monthly_value"] = (_text(data, "monthly_value") or "").replace(",", ".") or None
    if kind not in DOCUMENT_KINDS:
        kind = "offer"
    try:
        await api.post(
            f"/api/opportunities/{opportunity_id}/{kind}", json={k: v for k, v in body.items() if v is not None}
        )
    except ApiError as exc:
        return await _opportunity_page(api, opportunity_id, user, error=exc, form=data)
    return Redirect(f"/opportunities/{opportunity_id}?requested={kind}#documents", status_code=303)


@get("/opportunities/{opportunity_id:uuid}/offers/{offer_id:uuid}", include_in_schema=False)
async def offer_view(
    api: NamedDependency[ApiClient], opportunity_id: FromPath[UUID], offer_id: FromPath[UUID]
) -> Template:
    """An offer of the opportunity, with accept / reject; F2 "add task" gets its client (A2)."""
    return await _offer_page(api, opportunity_id, offer_id)


async def _offer_page(
    api: ApiClient,
    opportunity_id: UUID,
    offer_id: UUID,
    *,
    error: ApiError | None = None,
    form: dict[str, Any] | None = None,
) -> Template:
    """The offer page; a refused accept / reject comes back here, its errors beside the form that was sent."""
    opp = await api.get(f"/api/opportunities/{opportunity_id}")
    offer = next((d for d in opp["documents"] if d["document_id"] == str(offer_id)), None)
    if offer is None:
        raise ApiError(404, f"no offer {offer_id} on this opportunity", {"code": "record.not_found", "params": {}})
    reasons = await api.get("/api/lost-reasons", params={"active": "true"})
    return Template(
        "opportunities/offer.html",
        context={"opp": opp, "offer": offer, "reasons": reasons["items"], "error": error, "form": form or {}},
        status_code=error.status if error else 200,
    )


@post(
    "/opportunities/{opportunity_id:uuid}/offers/{offer_id:uuid}/{decision:str}",
    include_in_schema=False,
    status_code=303,
    media_type=MediaType.HTML,
)
async def offer_decide(
    api: NamedDependency[ApiClient],
    user: NamedDependency[User],
    opportunity_id: FromPath[UUID],
    offer_id: FromPath[UUID],
    decision: FromPath[str],
    data: Form,
) -> Any:
    """Accept the offer (order and/or contract follow, O5) or reject it with a reason (O6)."""
    path = f"/api/opportunities/{opportunity_id}/offers/{offer_id}"
    try:
        if decision == "accept":
            body: dict[str, Any] = {"then": _text(data, "then") or "order"}
            if body["then"] in ("contract", "both"):
                body["contract"] = {
                    k: v
                    for k, v in {
                        "kind": _text(data, "contract_kind") or "commercial",
                        "starts_on": _text(data, "starts_on"),
                        "months": _text(data, "months"),
                    }.items()
                    if v is not None
                }
            await api.post(f"{path}/accept", json=body)
        elif decision == "reject":
            await api.post(
                f"{path}/reject",
                json={
                    "reason_code": _text(data, "reason_code"),
                    "note": _text(data, "note"),
                    "keep_open": _text(data, "keep_open") == "on",
                },
            )
        else:
            raise ApiError(404, "unknown decision", {"code": "record.not_found", "params": {}})
    except ApiError as exc:
        if exc.status == 404:
            return await _opportunity_page(api, opportunity_id, user, error=exc, form=data)
        return await _offer_page(api, opportunity_id, offer_id, error=exc, form=data)
    return Redirect(f"/opportunities/{opportunity_id}#documents", status_code=303)


@get("/opportunities/lost-reasons", include_in_schema=False)
async def lost_reasons(api: NamedDependency[ApiClient]) -> Template:
    """The lost-reasons catalogue (CRM > Nomenclatoare > Motive)."""
    reasons = await api.get("/api/lost-reasons")
    return Template("opportunities/lost_reasons.html", context={"reasons": reasons["items"], "error": None})


@post("/opportunities/lost-reasons", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def lost_reason_add(api: NamedDependency[ApiClient], data: Form) -> Any:
    """Add a reason, or retire / restore one."""
    try:
        code = _text(data, "code") or ""
        if _text(data, "toggle"):
            await api.patch(f"/api/lost-reasons/{quote(code, safe='')}", json={"active": _text(data, "toggle") == "on"})
        else:
            await api.post("/api/lost-reasons", json={"code": code, "text": _text(data, "text") or ""})
    except ApiError as exc:
        reasons = await api.get("/api/lost-reasons")
        return Template(
            "opportunities/lost_reasons.html",
            context={"reasons": reasons["items"], "error": exc, "form": data},
            status_code=exc.status,
        )
    return Redirect("/opportunities/lost-reasons", status_code=303)


@get("/opportunities/stage-weights", include_in_schema=False)
async def stage_weights(api: NamedDependency[ApiClient]) -> Template:
    """The stage weights the company configured (O3)."""
    weights = await api.get("/api/stage-weights")
    return Template("opportunities/stage_weights.html", context={"weights": weights, "error": None})


@post("/opportunities/stage-weights", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def stage_weights_save(api: NamedDependency[ApiClient], data: Form) -> Any:
    """Save the stage weights."""
    values = {s: (_text(data, f"weight_{s}") or "").replace(",", ".") for s in STAGES}
    try:
        await api.put("/api/stage-weights", json={"weights": {s: v for s, v in values.items() if v}})
    except ApiError as exc:
        weights = await api.get("/api/stage-weights")
        return Template(
            "opportunities/stage_weights.html", context={"weights": weights, "error": exc}, status_code=exc.status
        )
    return Redirect("/opportunities/stage-weights", status_code=303)


routes = [
    pipeline,
    opportunity_list,
    opportunity_create,
    opportunity_detail,
    opportunity_stage,
    opportunity_details,
    opportunity_document,
    offer_view,
    offer_decide,
    lost_reasons,
    lost_reason_add,
    stage_weights,
    stage_weights_save,
]
