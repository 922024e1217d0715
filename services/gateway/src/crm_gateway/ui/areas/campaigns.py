"""Marketing campaigns area (M1-M7): campaign list and campaign page.

The campaign page holds members (a filter builder with a live count), costs, revenues, the monthly
return chart, ROI as of a date, and generated opportunities with their progress.

Pages call the campaigns API as the logged-in user; a rule the API refuses (4xx) is shown on the page
the user was on, with the API's message. Pickers of partners, staff and ERP documents come from other
services and stay empty (with a free id field) when those services do not answer.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from litestar import MediaType, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from crm_gateway.ui.api import ApiClient, ApiError

Form = URLEncodedBody[dict[str, Any]]
FILTER_TEXT = ("name", "fiscal_code", "locality", "county", "activity_domain")
FILTER_NUMBERS = ("turnover_min", "turnover_max", "employees_min", "employees_max")
KINDS = ("client", "lead", "supplier")
PAGE = 100
NOTHING_TICKED = "Bifați cel puțin un membru sau alegeți „pentru toți membrii”."


def _text(form: dict[str, Any], key: str) -> str | None:
    value = form.get(key)
    if isinstance(value, list):
        value = value[-1] if value else None
    text = str(value).strip() if value is not None else ""
    return text or None


def _all(form: dict[str, Any], key: str) -> list[str]:
    value = form.get(key)
    values = value if isinstance(value, list) else [value] if value is not None else []
    return [str(v).strip() for v in values if str(v).strip()]


def _number(text: str | None) -> str | None:
    """A number typed the Romanian way (``1.250,50``) or plainly (``1250.50``), as the API wants it."""
    if text is None:
        return None
    plain = text.replace(" ", "")
    if "," in plain:
        plain = plain.replace(".", "").replace(",", ".")
    try:
        Decimal(plain)
    except InvalidOperation:
        return text
    return plain


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


def chart(monthly: list[dict[str, Any]]) -> dict[str, Any]:
    """Geometry of the monthly return bar chart (inline SVG): one bar per month, scaled to the largest."""
    values = [Decimal(m["value"]) for m in monthly]
    top = max(values, default=Decimal(0)) or Decimal(1)
    width, height, gap = 640, 180, 6
    slot = width / max(len(monthly), 1)
    bars = []
    for n, (m, value) in enumerate(zip(monthly, values, strict=True)):
        h = float(value / top) * (height - 30)
        bars.append(
            {
                "x": round(n * slot + gap / 2, 1),
                "y": round(height - 20 - h, 1),
                "w": round(slot - gap, 1),
                "h": round(h, 1),
                "month": m["month"],
                "value": m["value"],
                "label_x": round(n * slot + slot / 2, 1),
            }
        )
    return {"width": width, "height": height, "bars": bars}


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
    campaign = await api.get(base)
    try:
        results = await api.get(f"{base}/results", params={"as_of": as_of})
    except ApiError as exc:
        if exc.status >= 500:
            raise
        error, as_of = error or exc, None
        results = await api.get(f"{base}/results")
    params = {"as_of": as_of, "limit": 500}
    context = {
        "campaign": campaign,
        "results": results,
        "chart": chart(results["monthly_return"]),
        "costs": await api.get(f"{base}/costs", params=params),
        "orders": await api.get(f"{base}/revenues", params=params),
        "invoices": await api.get(f"{base}/invoices", params=params),
        "returns": await api.get(f"{base}/returns", params=params),
        "members": await api.get(f"{base}/members", params={"limit": PAGE, "offset": offset}),
        "progress": await api.get(f"{base}/opportunities"),
        "as_of": as_of or "",
        "offset": offset,
        "page_size": PAGE,
        "kinds": KINDS,
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
    """The filter builder's live count: how many partners match, how many are members already."""
    query = {key: request.query_params.getall(key) for key in request.query_params}
    try:
        counted: dict[str, Any] = await api.post(
            f"/api/campaigns/{campaign_id}/members/preview", json={"filter": member_filter(query)}
        )
    except ApiError as exc:
        return {"error": exc.detail}
    return counted


@post("/campaigns/{campaign_id:uuid}/members", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def member_add(api: NamedDependency[ApiClient], campaign_id: FromPath[UUID], data: Form) -> Any:
    """Add the partners that match the filter, or the partners picked by name (M2)."""
    picked = _all(data, "partner_ids")
    body: dict[str, Any] = {"partner_ids": picked} if picked else {"filter": member_filter(data)}
    try:
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
            raise ApiError(404, f"nothing to attach as {what!r}")
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

HELP: dict[str, str] = {
    "Campania (M1): nume, perioadă (început, sfârșit), obiectiv, segment țintă, costuri și venituri estimate "
    "(fără TVA) și numărul de luni de valabilitate pentru indicatorul de recuperare (1-120).": (
        "Campaign (M1): name, period (start, end), objective, targeted segment, estimated costs and revenues "
        "(net of VAT) and the number of validity months of the return indicator (1-120)."
    ),
    "Membri (M2): clienți existenți și lead-uri (clienți potențiali), aleși după nume (o parte din nume), CUI "
    "(cu sau fără RO), localitate, județ, domeniu de activitate (valoarea întreagă, fără a ține cont de "
    "majuscule sau diacritice), cifră de afaceri și număr de angajați (intervale inclusive; un partener fără "
    "cifră de afaceri sau fără număr de angajați nu intră într-un astfel de interval). Numărul de parteneri "
    "găsiți se vede înainte de adăugare.": (
        "Members (M2): existing clients and leads (potential clients), chosen by name (a part of it), fiscal code "
        "(with or without RO), locality, county, activity domain (the whole value, ignoring case and diacritics), "
        "turnover and number of employees (inclusive ranges; a partner without a turnover or an employee count "
        "never falls in such a range). The number of matching partners is shown before adding."
    ),
    "Cost realizat (M3) = suma valorilor fără TVA ale documentelor de cost ale campaniei: facturi de achiziție, "
    "bonuri fiscale de achiziție, deconturi de cheltuieli, note contabile de salarii, consumuri interne și "
    "tranzacții de trezorerie — fie trimise din ERP cu opțiunea „Adaugă la costurile de marketing ale "
    "campaniei”, fie atașate aici. Data efectivă: data documentului.": (
        "Realized cost (M3) = the sum, net of VAT, of the campaign's cost documents: purchase invoices, purchase "
        "fiscal receipts, expense reports, payroll accounting notes, internal consumption and treasury "
        "transactions — either sent from the ERP with \u201cadd to campaign marketing costs\u201d or attached here. "
        "Effective date: the document's date."
    ),
    "Venit acceptat (M4) = suma fără TVA a comenzilor client ale campaniei: comenzile care indică campania, "
    "comenzile venite din oportunități deschise din campanie și comenzile atașate aici. Data efectivă: data "
    "comenzii.": (
        "Accepted revenue (M4) = the sum, net of VAT, of the campaign's client orders: orders that name the "
        "campaign, orders that came from opportunities opened from the campaign, and orders attached here. "
        "Effective date: the order's date."
    ),
    "Venit facturat (M4) = suma fără TVA a facturilor emise pe comenzile campaniei și pe contractele rezultate "
    "din campanie; se adaugă automat la emiterea facturii. Data efectivă: data facturii.": (
        "Invoiced revenue (M4) = the sum, net of VAT, of the invoices issued on the campaign's orders and on the "
        "contracts that resulted from the campaign; added automatically when the invoice is issued. Effective "
        "date: the invoice's date."
    ),
    "Indicator de recuperare lunar (M5) = pentru fiecare lună de valabilitate (de la luna de început), valoarea "
    "facturată fără TVA a contractelor de abonament rezultate din campanie. O factură contează în luna de "
    "contract pe care o facturează, altfel în luna emiterii. Se actualizează automat când o factură intră în "
    "veniturile campaniei.": (
        "Monthly return indicator (M5) = for each validity month (from the start month), the invoiced value, net "
        "of VAT, of the subscription contracts that resulted from the campaign. An invoice counts in the contract "
        "month it bills, else in its issue month. It updates itself when an invoice joins the campaign's revenues."
    ),
    "Investiția de marketing (M6) = costul realizat. ROI = (venit facturat - cost realizat) / cost realizat, "
    "rotunjit la 4 zecimale; gol cât timp costul este zero.": (
        "Marketing investment (M6) = the realized cost. ROI = (invoiced revenue - realized cost) / realized cost, "
        "rounded to 4 decimals; empty while the cost is zero."
    ),
    "La data (M6): toate cifrele sunt recalculate numai din documentele cu data efectivă până la data aleasă, "
    "așa cum sunt cunoscute azi (un document atașat ulterior contează la data lui).": (
        "As of (M6): every figure is recalculated from the documents whose effective date is on or before the "
        "chosen date, as they are known today (a document attached later counts at its own date)."
    ),
    "Fiecare document contează o singură dată și pentru o singură campanie, oricâte ori ar sosi.": (
        "Each document counts once, for one campaign only, however often it arrives."
    ),
    "Oportunități generate (M7): cel mult una pentru fiecare membru al campaniei, oricâte ori se apasă butonul. "
    "Progres: cerute, deschise de modulul de oportunități, în așteptare.": (
        "Generated opportunities (M7): at most one per member of the campaign, however often the button is "
        "pressed. Progress: requested, opened by the opportunities module, pending."
    ),
}

TRANSLATIONS: dict[str, str] = {
    **HELP,
    NOTHING_TICKED: "Tick at least one member or choose \u201cfor all members\u201d.",
    "Campanii marketing": "Marketing campaigns",
    "Campanie nouă": "New campaign",
    "Nume": "Name",
    "Început": "Start",
    "Sfârșit": "End",
    "Obiectiv": "Objective",
    "Segment țintă": "Targeted segment",
    "Cost estimat": "Estimated cost",
    "Venit estimat": "Estimated revenue",
    "Luni de recuperare": "Return months",
    "Creează": "Create",
    "Caută": "Search",
    "Nicio campanie.": "No campaigns.",
    "Perioada": "Period",
    "Membri": "Members",
    "Modifică": "Change",
    "Salvează": "Save",
    "Rezultate": "Results",
    "La data": "As of",
    "Recalculează": "Recalculate",
    "Toate documentele": "All documents",
    "Estimat": "Estimated",
    "Realizat": "Realized",
    "Diferență": "Difference",
    "Cost (investiția de marketing)": "Cost (marketing investment)",
    "Venit acceptat": "Accepted revenue",
    "Venit facturat": "Invoiced revenue",
    "Indicator de recuperare lunar": "Monthly return indicator",
    "Luna": "Month",
    "Valoare": "Value",
    "Costuri realizate": "Realized costs",
    "Comenzi (venit acceptat)": "Orders (accepted revenue)",
    "Facturi (venit facturat)": "Invoices (invoiced revenue)",
    "Facturi în indicatorul de recuperare": "Invoices in the return indicator",
    "Document": "Document",
    "Tip": "Kind",
    "Data": "Date",
    "Număr": "Number",
    "Fără TVA": "Net of VAT",
    "Cum": "How",
    "Atașează": "Attach",
    "Atașează document de cost": "Attach a cost document",
    "Atașează comandă client": "Attach a client order",
    "Adaugă factură la indicator": "Add an invoice to the indicator",
    "sau id": "or id",
    "Alegeți": "Choose",
    "Niciun document.": "No documents.",
    "Filtru membri": "Member filter",
    "CUI": "Fiscal code",
    "Localitate": "Locality",
    "Județ": "County",
    "Domeniu de activitate": "Activity domain",
    "Cifră de afaceri de la": "Turnover from",
    "până la": "to",
    "Angajați de la": "Employees from",
    "Clienți": "Clients",
    "Lead-uri": "Leads",
    "Furnizori": "Suppliers",
    "parteneri găsiți": "matching partners",
    "deja membri": "already members",
    "vor fi adăugați": "will be added",
    "Adaugă partenerii găsiți": "Add the matching partners",
    "Adaugă parteneri aleși": "Add chosen partners",
    "Adaugă": "Add",
    "Niciun membru.": "No members.",
    "Partener": "Partner",
    "Cifră de afaceri": "Turnover",
    "Angajați": "Employees",
    "Oportunitate": "Opportunity",
    "Elimină": "Remove",
    "cerută": "requested",
    "deschisă": "opened",
    "Generează oportunități": "Generate opportunities",
    "pentru membrii bifați": "for the ticked members",
    "pentru toți membrii": "for all members",
    "Responsabil": "Owner",
    "Titlu": "Title",
    "cerute": "requested",
    "deschise": "opened",
    "în așteptare": "pending",
    "Definiții": "Definitions",
    "document": "document",
    "atașat": "attached",
    "oportunitate": "opportunity",
    "comandă": "order",
    "contract": "contract",
    "Cifrele la data": "Figures as of",
}
