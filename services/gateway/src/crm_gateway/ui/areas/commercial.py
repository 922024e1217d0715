"""Commercial area (the ERP side): articles, documents, printouts, costs, invoices, payments and balances.

Articles with photos and the C5 picker scope; documents per partner with their printouts; cost documents
("Adaugă la costuri campanie marketing"); issuing invoices; recording payments; the partner's balance.
Pages call the commercial API as the logged-in user; a request the API refuses (4xx) is shown on the page the
user was on, with the API's message and what they typed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from litestar import get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, MultipartBody, URLEncodedBody
from litestar.response import Redirect, Template

from crm_gateway.ui.api import ApiClient, ApiError, together
from crm_gateway.ui.forms import number as _decimal_text
from crm_gateway.ui.forms import optional
from crm_gateway.ui.forms import text as _text
from crm_gateway.ui.i18n import N_
from crm_gateway.ui.pickers import article_choices, campaign_choice, names_of, partner_choice
from crm_gateway.ui.problems import FIELDS_MARKED

Form = URLEncodedBody[dict[str, Any]]
Multipart = MultipartBody[dict[str, Any]]
LINE_ROWS = 5
DOC_TYPES = ("offer", "order", "contract", "invoice", "cost", "payment")
COST_KINDS = (
    ("purchase_invoice", N_("Factură achiziție")),
    ("purchase_receipt", N_("Bon fiscal achiziție")),
    ("expense_report", N_("Decont de cheltuieli")),
    ("payroll_note", N_("Notă contabilă salarii")),
    ("internal_consumption", N_("Consum intern")),
    ("treasury", N_("Operațiune de trezorerie")),
)


def _lines(form: dict[str, Any]) -> list[dict[str, Any]]:
    lines = []
    for n in range(LINE_ROWS):
        code = _text(form, f"line_code_{n}")
        if not code:
            continue
        line: dict[str, Any] = {"article_code": code, "qty": _decimal_text(_text(form, f"line_qty_{n}")) or "1"}
        price = _decimal_text(_text(form, f"line_price_{n}"))
        if price:
            line["price"] = price
        lines.append(line)
    return lines


# Articles ----------------------------------------------------------------------------------------------------


async def _articles_page(
    api: ApiClient, *, error: ApiError | None = None, form: dict[str, Any] | None = None, q: str | None = None
) -> Template:
    articles, rates, settings = await together(
        api.get("/api/articles", params={"q": q, "limit": 200}),
        api.get("/api/vat-rates"),
        api.get("/api/commercial-settings"),
    )
    return Template(
        "commercial/articles.html",
        context={
            "articles": articles,
            "rates": rates["items"],
            "settings": settings,
            "error": error,
            "form": form or {},
            "q": q or "",
        },
    )


@get("/articles", include_in_schema=False)
async def articles_page(
    api: NamedDependency[ApiClient], q: FromQuery[str | None] = None, edit: FromQuery[str | None] = None
) -> Template:
    """The article catalogue (nomenclator articole) with photos, the add/change form and the C5 scope."""
    form: dict[str, Any] = {}
    if edit:
        article = await api.get(f"/api/articles/{edit}")
        form = {**article, "mode": "edit"}
    return await _articles_page(api, form=form, q=q)


@post("/articles", include_in_schema=False)
async def save_article(api: NamedDependency[ApiClient], data: Multipart) -> Template | Redirect:
    """Add or change an article; an uploaded photo goes to the blob store first."""
    code = _text(data, "code") or ""
    photos = [p for p in (_text(data, "photos") or "").split(",") if p]
    body: dict[str, Any] = {
        "name": _text(data, "name") or "",
        "unit": _text(data, "unit") or "",
        "price": _decimal_text(_text(data, "price")) or "",
        "vat_rate": _text(data, "vat_rate") or "",
    }
    try:
        upload = data.get("photo")
        if isinstance(upload, UploadFile) and upload.filename:
            content = await upload.read()
            if content:
                blob = await api.post(
                    "/api/blobs", files={"data": (upload.filename, content, upload.content_type or "image/jpeg")}
                )
                photos.append(blob["sha256"])
        body["photos"] = photos
        if _text(data, "mode") == "edit":
            await api.put(f"/api/articles/{code}", json=body)
        else:
            await api.post("/api/articles", json={"code": code, **body})
    except ApiError as exc:
        return await _articles_page(api, error=exc, form={**body, "code": code, "mode": _text(data, "mode")})
    return Redirect(f"/articles?q={code}")


@post("/articles/settings", include_in_schema=False)
async def save_article_scope(api: NamedDependency[ApiClient], data: Form) -> Template | Redirect:
    """C5: generated documents pick from all articles, or from a chosen list."""
    codes = [c.strip() for c in (_text(data, "article_codes") or "").replace(";", ",").split(",") if c.strip()]
    try:
        await api.put(
            "/api/commercial-settings",
            json={"article_scope": _text(data, "article_scope") or "all", "article_codes": codes},
        )
    except ApiError as exc:
        return await _articles_page(api, error=exc)
    return Redirect("/articles")


# Documents per partner ---------------------------------------------------------------------------------------


async def _documents_page(
    api: ApiClient,
    partner_id: str | None,
    doc_type: str | None,
    *,
    error: ApiError | None = None,
    form: dict[str, Any] | None = None,
) -> Template:
    documents: dict[str, Any] = {"items": [], "total": 0}
    balance = None
    partner = None
    if partner_id:
        chosen, documents, balance = await together(
            partner_choice(api, partner_id),
            api.get("/api/documents", params={"partner_id": partner_id, "type": doc_type or None, "limit": 200}),
            optional(api, f"/api/balances/{partner_id}"),
        )
        partner = chosen if chosen["name"] != chosen["id"] else None
    else:
        chosen = await partner_choice(api, partner_id)
    reasons = await _lost_reason_texts(api, documents["items"])
    return Template(
        "commercial/documents.html",
        context={
            "chosen": chosen,
            "partner_id": partner_id or "",
            "partner": partner,
            "doc_type": doc_type or "",
            "doc_types": DOC_TYPES,
            "documents": documents,
            "balance": balance,
            "reasons": reasons,
            "error": error,
            "form": form or {},
        },
    )


async def _lost_reason_texts(api: ApiClient, documents: list[dict[str, Any]]) -> dict[str, str]:
    """The catalogue's texts of the reasons the shown rejected offers carry, by code.

    A company's own reasons have no name in the UI catalogues: their text comes from the lost-reasons catalogue,
    read only when a shown document has a reason, and left out when opportunities does not answer.
    """
    if not any(d.get("reason_code") for d in documents):
        return {}
    page = await optional(api, "/api/lost-reasons")
    items = page.get("items", []) if isinstance(page, dict) else []
    return {str(r["code"]): str(r["text"]) for r in items if r.get("code") and r.get("text")}


@get("/documents", include_in_schema=False)
async def documents_page(
    api: NamedDependency[ApiClient],
    partner_id: FromQuery[str | None] = None,
    type: FromQuery[str | None] = None,  # noqa: A002
) -> Template:
    """A partner's documents (offers, orders, contracts, invoices, costs, payments) and balance."""
    return await _documents_page(api, partner_id, type)


@get("/documents/{document_id:uuid}", include_in_schema=False)
async def document_page(api: NamedDependency[ApiClient], document_id: FromPath[UUID]) -> Template:
    """One document with its lines and its printout, naming its partner (never its id)."""
    doc = await api.get(f"/api/documents/{document_id}")
    source = doc.get("source") or {}
    partner, opportunity, campaign, related, reasons = await together(
        partner_choice(api, doc.get("partner_id")),
        names_of(api, "/api/opportunities", [source.get("opportunity_id")], name_field="title"),
        names_of(api, "/api/campaigns", [source.get("campaign_id")]),
        # the offer an order came from, the order (or contract) an invoice bills: each a link by its number
        names_of(
            api,
            "/api/documents",
            [source.get("offer_id"), doc.get("order_id"), doc.get("contract_id")],
            name_field="number",
        ),
        _lost_reason_texts(api, [doc]),
    )
    context = {
        "doc": doc,
        "partner": partner,
        "opportunity_titles": opportunity,
        "campaign_names": campaign,
        "document_numbers": related,
        "reasons": reasons,
    }
    return Template("commercial/document.html", context=context)


@post("/documents/payments", include_in_schema=False)
async def record_payment(api: NamedDependency[ApiClient], data: Form) -> Template | Redirect:
    """Record a client's payment (the balance moves)."""
    partner_id = _text(data, "partner_id")
    body = {
        "partner_id": partner_id,
        "amount": _decimal_text(_text(data, "amount")),
        "date": _text(data, "date"),
        "invoice_id": _text(data, "invoice_id"),
    }
    try:
        await api.post("/api/payments", json={k: v for k, v in body.items() if v is not None})
    except ApiError as exc:
        return await _documents_page(api, partner_id, None, error=exc, form=data)
    return Redirect(f"/documents?partner_id={partner_id}")


# Invoices ----------------------------------------------------------------------------------------------------


async def _items(api: ApiClient, path: str, params: dict[str, Any], *, when: str | None) -> list[dict[str, Any]]:
    """The items of a page of records, read only ``when`` it is set (no partner chosen: nothing to list)."""
    if not when:
        return []
    items: list[dict[str, Any]] = (await api.get(path, params=params))["items"]
    return items


NO_ORDER = N_("Partenerul nu are comenzi: emiteți factura din contract sau cu linii proprii.")
NO_CONTRACT = N_("Partenerul nu are contracte: emiteți factura din comandă sau cu linii proprii.")
PERIOD_MISSING = N_("Alegeți luna și anul facturate.")
PERIOD_INVALID = N_("Alegeți luna și anul din liste.")
FIRST_YEAR, LAST_YEAR = 2000, 2100


def invoice_period(form: dict[str, Any]) -> tuple[str | None, ApiError | None]:
    """The billed month of a contract invoice, ``YYYY-MM``, from the form's month and year lists.

    Args:
        form: The submitted invoice form (``period_month`` 1-12, ``period_year``).

    Returns:
        The month, or an error naming the ``period`` field in the user's language (a month or a year missing,
        or a value no list offers: a tampered or hand-written request).
    """
    month, year = _text(form, "period_month"), _text(form, "period_year")
    if not month or not year:
        return None, _field_error("period", PERIOD_MISSING)
    if not (month.isdigit() and year.isdigit() and 1 <= int(month) <= 12 and FIRST_YEAR <= int(year) <= LAST_YEAR):
        return None, _field_error("period", PERIOD_INVALID)
    return f"{int(year):04d}-{int(month):02d}", None


def _field_error(field: str, message: str) -> ApiError:
    """A refusal of the form's ``field`` (a UI text), shown beside it as the services' field errors are."""
    return ApiError(422, FIELDS_MARKED, {"errors": [{"field": field, "message": message}]})


def _period_years(contracts: list[dict[str, Any]], form: dict[str, Any]) -> list[int]:
    """The years the billed-month list offers: from the oldest contract's start (or last year) to next year."""
    this_year = datetime.now(UTC).year
    starts = [int(str(c["starts_on"])[:4]) for c in contracts if str(c.get("starts_on") or "")[:4].isdigit()]
    first = max(FIRST_YEAR, min([this_year - 1, *starts]))
    typed = _text(form, "period_year") or ""
    if typed.isdigit() and FIRST_YEAR <= int(typed) <= LAST_YEAR:
        first = min(first, int(typed))
    return list(range(first, this_year + 2))


async def _invoice_page(
    api: ApiClient, partner_id: str | None, *, error: ApiError | None = None, form: dict[str, Any] | None = None
) -> Template:
    chosen, orders, contracts, articles = await together(
        partner_choice(api, partner_id),
        _items(api, "/api/documents", {"partner_id": partner_id, "type": "order", "limit": 200}, when=partner_id),
        _items(api, "/api/contracts", {"partner_id": partner_id, "limit": 200}, when=partner_id),
        # a re-shown form's pickers show "CODE — name" of each chosen article, as they did when it was chosen
        article_choices(api, form or {}, [f"line_code_{n}" for n in range(LINE_ROWS)]),
    )
    return Template(
        "commercial/invoice_new.html",
        context={
            "chosen": chosen,
            "partner_id": partner_id or "",
            "orders": orders,
            "contracts": contracts,
            "rows": range(LINE_ROWS),
            "articles": articles,
            "period_years": _period_years(contracts, form or {}),
            "this_year": datetime.now(UTC).year,
            "error": error,
            "form": form or {},
        },
    )


@get("/documents/invoices/new", include_in_schema=False)
async def invoice_form(api: NamedDependency[ApiClient], partner_id: FromQuery[str | None] = None) -> Template:
    """Issue an invoice: from an order, from a contract month, or with its own lines."""
    return await _invoice_page(api, partner_id)


@post("/documents/invoices", include_in_schema=False)
async def issue_invoice(api: NamedDependency[ApiClient], data: Form) -> Template | Redirect:
    partner_id = _text(data, "partner_id")
    source = _text(data, "source") or "lines"
    body: dict[str, Any]
    # an order or a contract the partner has none of (an empty list sends nothing) is said beside its list, first
    chosen = {"order": "order_id", "contract": "contract_id"}.get(source)
    if chosen and not _text(data, chosen):
        missing = _field_error(chosen, NO_ORDER if source == "order" else NO_CONTRACT)
        return await _invoice_page(api, partner_id, error=missing, form=data)
    if source == "order":
        body = {"order_id": _text(data, "order_id")}
    elif source == "contract":
        period, refused = invoice_period(data)
        if refused is not None:
            return await _invoice_page(api, partner_id, error=refused, form=data)
        body = {"contract_id": _text(data, "contract_id"), "period": period}
    else:
        body = {"partner_id": partner_id, "lines": _lines(data)}
    try:
        invoice = await api.post("/api/invoices", json={k: v for k, v in body.items() if v is not None})
    except ApiError as exc:
        return await _invoice_page(api, partner_id, error=exc, form=data)
    return Redirect(f"/documents/{invoice['id']}")


# Cost documents ----------------------------------------------------------------------------------------------


async def _cost_page(api: ApiClient, *, error: ApiError | None = None, form: dict[str, Any] | None = None) -> Template:
    supplier = await partner_choice(api, (form or {}).get("partner_id"))
    return Template(
        "commercial/cost_new.html",
        context={
            "supplier": supplier,
            "campaign": await campaign_choice(api, (form or {}).get("campaign_id")),
            "kinds": COST_KINDS,
            "error": error,
            "form": form or {},
        },
    )


@get("/documents/costs/new", include_in_schema=False)
async def cost_form(api: NamedDependency[ApiClient]) -> Template:
    """Record a cost document; optionally add it to a campaign's marketing costs (M3)."""
    return await _cost_page(api)


@post("/documents/costs", include_in_schema=False)
async def post_cost(api: NamedDependency[ApiClient], data: Form) -> Template | Redirect:
    to_campaign = _text(data, "add_to_campaign") == "on"
    body = {
        "kind": _text(data, "kind"),
        "partner_id": _text(data, "partner_id"),
        "number": _text(data, "number"),
        "date": _text(data, "date"),
        "net": _decimal_text(_text(data, "net")),
        "vat": _decimal_text(_text(data, "vat")) or "0",
        "campaign_id": _text(data, "campaign_id") if to_campaign else None,
        "description": _text(data, "description"),
    }
    if to_campaign and not body["campaign_id"]:
        return await _cost_page(api, error=ApiError(422, N_("Alegeți campania la care se adaugă costul.")), form=data)
    try:
        doc = await api.post("/api/cost-documents", json={k: v for k, v in body.items() if v is not None})
    except ApiError as exc:
        return await _cost_page(api, error=exc, form=data)
    return Redirect(f"/documents/{doc['id']}")


routes = [
    articles_page,
    save_article,
    save_article_scope,
    documents_page,
    document_page,
    record_payment,
    invoice_form,
    issue_invoice,
    cost_form,
    post_cost,
]
