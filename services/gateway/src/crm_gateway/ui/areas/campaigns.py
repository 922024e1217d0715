"""Marketing campaigns area (M1-M7): campaign list and campaign page.

The campaign page holds members (a filter builder with a live count), costs, revenues, the monthly
return chart, ROI as of a date, and generated opportunities with their progress.

Pages call the campaigns API as the logged-in user; a rule the API refuses (4xx) is shown on the page
the user was on, with the API's message. Pickers of partners, staff and ERP documents come from other
services and stay empty (with a free id field) when those services do not answer.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any
from uuid import UUID

from litestar import MediaType, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from crm_gateway.ui import i18n, problems
from crm_gateway.ui.api import ApiClient, ApiError, together
from crm_gateway.ui.counties import COUNTIES
from crm_gateway.ui.forms import many as _all
from crm_gateway.ui.forms import number as _number
from crm_gateway.ui.forms import text as _text
from crm_gateway.ui.i18n import N_
from crm_gateway.ui.web import language_of

Form = URLEncodedBody[dict[str, Any]]
FILTER_TEXT = ("name", "fiscal_code", "locality", "county", "activity_domain")
FILTER_NUMBERS = ("turnover_min", "turnover_max", "employees_min", "employees_max")
KINDS = ("client", "lead", "supplier")
PAGE = 100
NOTHING_TICKED = N_("Bifați cel puțin un membru sau alegeți „pentru toți membrii”.")
NO_CRITERION = N_(
    "Completați cel puțin un criteriu al filtrului (nume, CUI, localitate, județ, domeniu, cifră de afaceri sau angajați)."  # noqa: E501 - one catalogue text
)


def has_criterion(found: dict[str, Any]) -> bool:
    """Whether a member filter narrows the directory: the kinds alone would add every client and lead."""
    return any(key != "kinds" for key in found)


def count_summary(language: str, counted: dict[str, Any]) -> str:
    """The live count in words, each figure with its plural form: "273 de parteneri găsiți · 1 deja membru · ..."."""
    matching, already, adding = (int(counted.get(k) or 0) for k in ("matching", "already_members", "would_add"))
    return " · ".join(
        (
            i18n.ngettext(language, "%(num)d partener găsit", "%(num)d parteneri găsiți", matching),
            i18n.ngettext(language, "%(num)d deja membru", "%(num)d deja membri", already),
            i18n.ngettext(language, "%(num)d va fi adăugat", "%(num)d vor fi adăugați", adding),
        )
    )


def member_filter(form: dict[str, Any]) -> dict[str, Any]:
    """The API filter from the filter builder's fields (empty fields are left out)."""
    found: dict[str, Any] = {}
    for key in FILTER_TEXT:
        if _text(form, key):
            found[key] = _text(form, key)
    for key in FILTER_NUMBERS:
        if _text(form, key):
            found[key] = _number(_text(form, key))
    kinds = [k for k in _all(form, "kinds") if k in KINDS]
    found["kinds"] = kinds or ["client", "lead"]
    return found


CHART_LABELS = 12
"""The most month labels under the return chart: a longer return period labels every second, third... month."""


def chart(monthly: list[dict[str, Any]]) -> dict[str, Any]:
    """Geometry of the monthly return bar chart (inline SVG): one bar per month, scaled to the largest.

    Under the bars: the month's short name, and on a second line the year under the first labelled month of
    each year, so twelve labels fit side by side. A bar's value is written above it only while the bars are
    wide enough for it (every bar keeps it as its tooltip).
    """
    values = [Decimal(m["value"]) for m in monthly]
    top = max(values, default=Decimal(0)) or Decimal(1)
    width, height, gap = 640, 200, 6
    base = height - 34  # the bars stand here; the month and the year lines below
    slot = width / max(len(monthly), 1)
    every = max(1, math.ceil(len(monthly) / CHART_LABELS))
    bars = []
    year_shown = None
    for n, (m, value) in enumerate(zip(monthly, values, strict=True)):
        h = float(value / top) * (base - 16)
        labelled = n % every == 0
        year = str(m["month"])[:4]
        bars.append(
            {
                "x": round(n * slot + gap / 2, 1),
                "y": round(base - h, 1),
                "w": round(slot - gap, 1),
                "h": round(h, 1),
                "month": m["month"],
                "value": m["value"],
                "label_x": round(n * slot + slot / 2, 1),
                "label": labelled,
                "year": year if labelled and year != year_shown else None,
            }
        )
        if labelled:
            year_shown = year
    return {"width": width, "height": height, "base": base, "bars": bars, "values": slot >= 60}


async def _results(api: ApiClient, base: str, as_of: str | None) -> tuple[Any, str | None, ApiError | None]:
    """The campaign's results as of a date; a date the API refuses (4xx) gives today's, with the refusal."""
    try:
        return await api.get(f"{base}/results", params={"as_of": as_of}), as_of, None
    except ApiError as exc:
        if exc.status >= 500:
            raise
        return await api.get(f"{base}/results"), None, exc


async def _campaign_page(
    api: ApiClient,
    campaign_id: UUID,
    *,
    as_of: str | None = None,
    error: ApiError | None = None,
    form: dict[str, Any] | None = None,
    offset: int = 0,
) -> Template:
    base = f"/api/campaigns/{campaign_id}"
    campaign, (results, as_of, refused) = await together(api.get(base), _results(api, base, as_of))
    error = error or refused
    params = {"as_of": as_of, "limit": 500}
    # The lists depend only on the date the results were read at: all read together.
    costs, orders, invoices, returns, members, progress = await together(
        api.get(f"{base}/costs", params=params),
        api.get(f"{base}/revenues", params=params),
        api.get(f"{base}/invoices", params=params),
        api.get(f"{base}/returns", params=params),
        api.get(f"{base}/members", params={"limit": PAGE, "offset": offset}),
        api.get(f"{base}/opportunities"),
    )
    context = {
        "campaign": campaign,
        "results": results,
        "chart": chart(results["monthly_return"]),
        "costs": costs,
        "orders": orders,
        "invoices": invoices,
        "returns": returns,
        "members": members,
        "progress": progress,
        "as_of": as_of or "",
        "offset": offset,
        "page_size": PAGE,
        "kinds": KINDS,
        "counties": COUNTIES,
        "error": error,
        "form": form or {},
    }
    return Template("campaigns/detail.html", context=context, status_code=error.status if error else 200)


@get("/campaigns", include_in_schema=False)
async def campaign_list(
    api: NamedDependency[ApiClient], name: FromQuery[str | None] = None, offset: FromQuery[int] = 0
) -> Template:
    """Every campaign, newest first, and the form to create one (M1)."""
    page = await api.get("/api/campaigns", params={"name": name, "limit": 50, "offset": max(offset, 0)})
    return Template("campaigns/list.html", context={"page": page, "name": name or "", "offset": offset})


@post("/campaigns", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def campaign_create(api: NamedDependency[ApiClient], data: Form) -> Any:
    """Create a campaign and go to its page."""
    body = _campaign_body(data)
    try:
        created = await api.post("/api/campaigns", json=body)
    except ApiError as exc:
        page = await api.get("/api/campaigns", params={"limit": 50})
        return Template(
            "campaigns/list.html",
            context={"page": page, "name": "", "offset": 0, "error": exc, "form": data},
            status_code=exc.status,
        )
    return Redirect(f"/campaigns/{created['id']}", status_code=303)


def _campaign_body(data: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": _text(data, "name") or "",
        "starts_on": _text(data, "starts_on"),
        "ends_on": _text(data, "ends_on"),
        "objective": _text(data, "objective"),
        "segment": _text(data, "segment"),
        "estimated_cost": _number(_text(data, "estimated_cost")) or "0",
        "estimated_revenue": _number(_text(data, "estimated_revenue")) or "0",
        "return_months": _text(data, "return_months") or "12",
    }
    return body


@get("/campaigns/{campaign_id:uuid}", include_in_schema=False)
async def campaign_detail(
    api: NamedDependency[ApiClient],
    campaign_id: FromPath[UUID],
    as_of: FromQuery[str | None] = None,
    offset: FromQuery[int] = 0,
) -> Template:
    """One campaign: estimated against realized, ROI as of a date, monthly return, documents, members (M1-M7)."""
    return await _campaign_page(api, campaign_id, as_of=as_of, offset=max(offset, 0))


@post("/campaigns/{campaign_id:uuid}", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def campaign_edit(api: NamedDependency[ApiClient], campaign_id: FromPath[UUID], data: Form) -> Any:
    """Change the campaign's details (M1)."""
    try:
        await api.patch(f"/api/campaigns/{campaign_id}", json=_campaign_body(data))
    except ApiError as exc:
        return await _campaign_page(api, campaign_id, error=exc, form=data)
    return Redirect(f"/campaigns/{campaign_id}", status_code=303)


@get("/campaigns/{campaign_id:uuid}/members/count", include_in_schema=False)
async def member_count(
    api: NamedDependency[ApiClient], campaign_id: FromPath[UUID], request: Request[Any, Any, Any]
) -> dict[str, Any]:
    """The filter builder's live count: how many partners match, how many are members already, in words.

    Without a criterion nothing is counted: the form does not add the whole directory (``criterion`` false).
    """
    language = language_of(request)
    query = {key: request.query_params.getall(key) for key in request.query_params}
    found = member_filter(query)
    if not has_criterion(found):
        return {"criterion": False, "summary": i18n.gettext(language, NO_CRITERION)}
    try:
        counted: dict[str, Any] = await api.post(
            f"/api/campaigns/{campaign_id}/members/preview", json={"filter": found}
        )
    except ApiError as exc:
        return {"error": problems.message(language, exc)}
    return {**counted, "criterion": True, "summary": count_summary(language, counted)}


@post("/campaigns/{campaign_id:uuid}/members", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def member_add(api: NamedDependency[ApiClient], campaign_id: FromPath[UUID], data: Form) -> Any:
    """Add the partners that match the filter, or the partners picked by name (M2)."""
    picked = _all(data, "partner_ids")
    body: dict[str, Any] = {"partner_ids": picked} if picked else {"filter": member_filter(data)}
    try:
        if not picked and not has_criterion(body["filter"]):
            raise ApiError(422, NO_CRITERION)
        await api.post(f"/api/campaigns/{campaign_id}/members", json=body)
    except ApiError as exc:
        return await _campaign_page(api, campaign_id, error=exc, form=data)
    return Redirect(f"/campaigns/{campaign_id}#members", status_code=303)


@post(
    "/campaigns/{campaign_id:uuid}/members/{partner_id:uuid}/remove",
    include_in_schema=False,
    status_code=303,
    media_type=MediaType.HTML,
)
async def member_remove(
    api: NamedDependency[ApiClient], campaign_id: FromPath[UUID], partner_id: FromPath[UUID]
) -> Any:
    """Remove one member (M2)."""
    try:
        await api.delete(f"/api/campaigns/{campaign_id}/members/{partner_id}")
    except ApiError as exc:
        return await _campaign_page(api, campaign_id, error=exc)
    return Redirect(f"/campaigns/{campaign_id}#members", status_code=303)


@post(
    "/campaigns/{campaign_id:uuid}/attach/{what:str}",
    include_in_schema=False,
    status_code=303,
    media_type=MediaType.HTML,
)
async def attach(api: NamedDependency[ApiClient], campaign_id: FromPath[UUID], what: FromPath[str], data: Form) -> Any:
    """Attach a cost document (M3), a client order (M4) or an invoice to a month's return (M5)."""
    document = _text(data, "document_id") or _text(data, "document_id_typed") or ""
    targets = {
        "costs": ("costs", {"cost_document_id": document}),
        "revenues": ("revenues", {"order_id": document}),
        "returns": ("returns", {"invoice_id": document, "month": _text(data, "month") or ""}),
    }
    try:
        if what not in targets:
            raise ApiError(404, f"nothing to attach as {what!r}", {"code": "record.not_found", "params": {}})
        path, body = targets[what]
        await api.post(f"/api/campaigns/{campaign_id}/{path}", json=body)
    except ApiError as exc:
        return await _campaign_page(api, campaign_id, error=exc, form=data)
    return Redirect(f"/campaigns/{campaign_id}#{what}", status_code=303)


@post(
    "/campaigns/{campaign_id:uuid}/opportunities",
    include_in_schema=False,
    status_code=303,
    media_type=MediaType.HTML,
)
async def opportunities_generate(api: NamedDependency[ApiClient], campaign_id: FromPath[UUID], data: Form) -> Any:
    """Generate opportunities for the chosen members, or for all of them; each member at most once (M7)."""
    picked = _all(data, "member_ids")
    body: dict[str, Any] = {"owner_staff_id": _text(data, "owner_staff_id"), "title": _text(data, "title")}
    if _text(data, "all_members"):
        body["all_members"] = True
    else:
        body["partner_ids"] = picked
    try:
        if not picked and not _text(data, "all_members"):
            raise ApiError(422, NOTHING_TICKED)
        await api.post(f"/api/campaigns/{campaign_id}/opportunities", json={k: v for k, v in body.items() if v})
    except ApiError as exc:
        return await _campaign_page(api, campaign_id, error=exc, form=data)
    return Redirect(f"/campaigns/{campaign_id}#opportunities", status_code=303)


@get("/campaigns/{campaign_id:uuid}/opportunities/progress", include_in_schema=False)
async def opportunities_progress(api: NamedDependency[ApiClient], campaign_id: FromPath[UUID]) -> dict[str, Any]:
    """Progress of the generated opportunities (polled by the page while some are pending)."""
    progress: dict[str, Any] = await api.get(f"/api/campaigns/{campaign_id}/opportunities")
    return progress


routes = [
    campaign_list,
    campaign_create,
    campaign_detail,
    campaign_edit,
    member_count,
    member_add,
    member_remove,
    attach,
    opportunities_generate,
    opportunities_progress,
]
