"""Partners area (L1, L2, T4, H1, D1): partner list and page, partner and lead form, CSV import with progress.

Pages call the partners API as the logged-in user; a rule the API refuses (4xx) is shown on the page the
user was on, with the API's message. Campaign and staff pickers stay empty when those services do not answer.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from litestar import MediaType, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, MultipartBody, URLEncodedBody
from litestar.response import Redirect, Template

from crm_gateway.ui.api import ApiClient, ApiError, together
from crm_gateway.ui.counties import COUNTIES
from crm_gateway.ui.forms import number as _number
from crm_gateway.ui.forms import optional_items as _optional
from crm_gateway.ui.forms import text as _text
from crm_gateway.ui.i18n import N_
from crm_gateway.ui.pickers import campaign_choice, names_of, staff_choice
from crm_gateway.ui.web import not_found_page

Form = URLEncodedBody[dict[str, Any]]
Multipart = MultipartBody[dict[str, Any]]
FILTERS = (
    "kind",
    "name",
    "fiscal_code",
    "locality",
    "county",
    "activity_domain",
    "turnover_min",
    "turnover_max",
    "employees_min",
    "employees_max",
)
KINDS = {"client": N_("Client"), "lead": N_("Lead"), "supplier": N_("Furnizor")}
HISTORY_KINDS = {
    "opportunity": N_("Oportunități"),
    "offer": N_("Oferte"),
    "order": N_("Comenzi"),
    "contract": N_("Contracte"),
    "invoice": N_("Facturi"),
    "payment": N_("Încasări"),
    "cost": N_("Documente de cost"),
    "task": N_("Task-uri"),
    "email": N_("eMail"),
    "campaign": N_("Campanii"),
    "dossier": N_("Dosare"),
    "partner": N_("Partener"),
}
PAGE = 50
HISTORY_PAGE = 30


def _words(text: str | None) -> list[str]:
    return [w.strip() for w in (text or "").replace(";", ",").split(",") if w.strip()]


FIELDS_SEPARATOR = ";"
"""What separates the fields of a site or contact line on the partner form; a field's several values take ``,``."""


def _site_line(line: str) -> tuple[str, str]:
    """A site line's name and emails: ``Nume sediu; a@x.ro, b@x.ro`` (the older ``Nume sediu: ...`` still reads)."""
    for separator in (FIELDS_SEPARATOR, ":"):
        if separator in line:
            name, _, emails = line.partition(separator)
            return name.strip(), emails
    return ("", line) if "@" in line else (line.strip(), "")


def parse_sites(text: str | None, existing: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Sites from the form's lines ``Nume sediu; a@x.ro, b@x.ro``; a site keeps its id when its name is unchanged."""
    by_name = {s["name"].casefold(): s["site_id"] for s in existing or []}
    sites = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        name, emails = _site_line(line)
        site: dict[str, Any] = {"name": name, "emails": _words(emails.replace(" ", ","))}
        if name.casefold() in by_name:
            site["site_id"] = by_name[name.casefold()]
        sites.append(site)
    return sites


def parse_contacts(text: str | None, existing: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Contacts from the form's lines ``Nume; funcție; email; telefon`` (fields separated as a site's)."""
    by_name = {c["name"].casefold(): c["contact_id"] for c in existing or []}
    contacts = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() or None for p in line.split(FIELDS_SEPARATOR)] + [None] * 4
        contact: dict[str, Any] = {"name": parts[0] or "", "role": parts[1], "email": parts[2], "phone": parts[3]}
        if (parts[0] or "").casefold() in by_name:
            contact["contact_id"] = by_name[(parts[0] or "").casefold()]
        contacts.append(contact)
    return contacts


def sites_text(partner: dict[str, Any]) -> str:
    """The partner's sites as the form's lines (``Nume sediu; a@x.ro, b@x.ro``)."""
    return "\n".join(f"{s['name']}{FIELDS_SEPARATOR} {', '.join(s['emails'])}" for s in partner.get("sites", []))


def contacts_text(partner: dict[str, Any]) -> str:
    """The partner's contacts as the form's lines (``Nume; funcție; email; telefon``)."""
    return "\n".join(
        f"{FIELDS_SEPARATOR} ".join(c.get(k) or "" for k in ("name", "role", "email", "phone"))
        for c in partner.get("contacts", [])
    )


def partner_body(form: dict[str, Any], existing: dict[str, Any] | None = None) -> dict[str, Any]:
    """The API body from the partner form (the lead fields of L1 included)."""
    return {
        "kind": _text(form, "kind") or "client",
        "name": _text(form, "name") or "",
        "fiscal_code": _text(form, "fiscal_code"),
        "trade_register": _text(form, "trade_register"),
        "locality": _text(form, "locality"),
        "county": _text(form, "county"),
        "address": _text(form, "address"),
        "turnover": _number(_text(form, "turnover")),
        "employees": _text(form, "employees"),
        "activity_domain": _text(form, "activity_domain"),
        "sites": parse_sites(_text(form, "sites"), (existing or {}).get("sites")),
        "contacts": parse_contacts(_text(form, "contacts"), (existing or {}).get("contacts")),
        "sales_rep_staff_id": _text(form, "sales_rep_staff_id"),
        "service_rep_staff_id": _text(form, "service_rep_staff_id"),
        "campaign_id": _text(form, "campaign_id"),
        "competitors": _words(_text(form, "competitors")),
        "interests": _words(_text(form, "interests")),
        "service_responsible": _text(form, "service_responsible"),
    }


@get("/partners", include_in_schema=False)
async def partners_page(
    api: NamedDependency[ApiClient],
    kind: FromQuery[str | None] = None,
    name: FromQuery[str | None] = None,
    fiscal_code: FromQuery[str | None] = None,
    locality: FromQuery[str | None] = None,
    county: FromQuery[str | None] = None,
    activity_domain: FromQuery[str | None] = None,
    turnover_min: FromQuery[str | None] = None,
    turnover_max: FromQuery[str | None] = None,
    employees_min: FromQuery[str | None] = None,
    employees_max: FromQuery[str | None] = None,
    offset: FromQuery[int] = 0,
) -> Template:
    """The partner directory with the filters of API.md (M2 fields), 50 a page."""
    filters = {
        "kind": kind,
        "name": name,
        "fiscal_code": fiscal_code,
        "locality": locality,
        "county": county,
        "activity_domain": activity_domain,
        "turnover_min": _number(turnover_min),
        "turnover_max": _number(turnover_max),
        "employees_min": employees_min,
        "employees_max": employees_max,
    }
    error = None
    try:
        page = await api.get("/api/partners", params={**filters, "limit": PAGE, "offset": max(offset, 0)})
    except ApiError as exc:
        if exc.status >= 500:
            raise
        error, page = exc, {"items": [], "total": 0}
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return Template(
        "partners/list.html",
        context={
            "page": page,
            "filters": {k: v or "" for k, v in filters.items()},
            "query": query,
            "offset": max(offset, 0),
            "page_size": PAGE,
            "kinds": KINDS,
            "counties": COUNTIES,
            "error": error,
        },
        status_code=error.status if error else 200,
    )


REP_FIELDS = ("sales_rep_staff_id", "service_rep_staff_id")


async def _form_page(
    api: ApiClient, *, partner: dict[str, Any] | None, form: dict[str, Any], error: ApiError | None = None
) -> Template:
    sales_rep, service_rep, campaign = await together(
        staff_choice(api, form.get("sales_rep_staff_id")),
        staff_choice(api, form.get("service_rep_staff_id")),
        campaign_choice(api, form.get("campaign_id")),
    )
    return Template(
        "partners/form.html",
        context={
            "partner": partner,
            "form": form,
            "kinds": KINDS,
            "counties": COUNTIES,
            "reps": {"sales_rep_staff_id": sales_rep, "service_rep_staff_id": service_rep},
            "campaign": campaign,
            "error": error,
        },
        status_code=error.status if error else 200,
    )


def _form_of(partner: dict[str, Any]) -> dict[str, Any]:
    form = {k: partner.get(k) or "" for k in partner_body({})}
    form.update(
        sites=sites_text(partner),
        contacts=contacts_text(partner),
        competitors=", ".join(partner.get("competitors", [])),
        interests=", ".join(partner.get("interests", [])),
        employees=partner.get("employees") if partner.get("employees") is not None else "",
    )
    return form


@get("/partners/new", include_in_schema=False)
async def partner_new(api: NamedDependency[ApiClient], kind: FromQuery[str] = "client") -> Template:
    """The form for a new partner; ``?kind=lead`` opens the lead form with the L1 fields."""
    return await _form_page(api, partner=None, form={"kind": kind if kind in KINDS else "client"})


@post("/partners/new", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def partner_create(api: NamedDependency[ApiClient], data: Form) -> Any:
    try:
        created = await api.post("/api/partners", json=partner_body(data))
    except ApiError as exc:
        return await _form_page(api, partner=None, form=data, error=exc)
    return Redirect(f"/partners/{created['id']}", status_code=303)


def _no_such_partner() -> Template:
    return not_found_page(N_("Partenerul nu există."), "/partners", N_("Înapoi la parteneri"))


async def _partner_or_none(api: ApiClient, partner_id: UUID) -> dict[str, Any] | None:
    """The partner to edit; None when the partners service does not know it (other refusals are raised)."""
    try:
        partner: dict[str, Any] = await api.get(f"/api/partners/{partner_id}")
    except ApiError as exc:
        if exc.status != 404:
            raise
        return None
    return partner


@get("/partners/{partner_id:uuid}/edit", include_in_schema=False)
async def partner_edit(api: NamedDependency[ApiClient], partner_id: FromPath[UUID]) -> Template:
    partner = await _partner_or_none(api, partner_id)
    if partner is None:
        return _no_such_partner()
    return await _form_page(api, partner=partner, form=_form_of(partner))


@post("/partners/{partner_id:uuid}/edit", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def partner_save(api: NamedDependency[ApiClient], partner_id: FromPath[UUID], data: Form) -> Any:
    partner = await _partner_or_none(api, partner_id)
    if partner is None:
        return _no_such_partner()
    try:
        await api.patch(f"/api/partners/{partner_id}", json=partner_body(data, partner))
    except ApiError as exc:
        return await _form_page(api, partner=partner, form=data, error=exc)
    return Redirect(f"/partners/{partner_id}", status_code=303)


async def _partner_and_reps(api: ApiClient, partner_id: UUID) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """The partner, and the id and name of each of its reps (the staff id as name when the directory cannot say).

    Only the reps the page names are looked up, together, as soon as the partner is read: the page once
    read the first 500 of the staff directory for two names.
    """
    partner: dict[str, Any] = await api.get(f"/api/partners/{partner_id}")
    rep_ids = sorted({str(partner[field]) for field in REP_FIELDS if partner.get(field)})
    reps = await asyncio.gather(*(staff_choice(api, rep_id) for rep_id in rep_ids))
    return partner, {rep["id"]: rep for rep in reps}


MEMBERSHIP_TYPES = ("CampaignMembersAdded", "CampaignMemberRemoved")


async def _name_campaigns(api: ApiClient, history: dict[str, Any]) -> None:
    """Give the campaign entries recorded before events carried the campaign's name that name (H1), in place.

    Only the campaigns of the shown page are asked, each once and together; one the campaigns service cannot
    name keeps the entry's plain sentence.
    """
    unnamed = [
        e
        for e in history.get("items", [])
        if e.get("type") in MEMBERSHIP_TYPES and e.get("ref_id") and not (e.get("details") or {}).get("campaign_name")
    ]
    if not unnamed:
        return
    names = await names_of(api, "/api/campaigns", (e["ref_id"] for e in unnamed))
    for entry in unnamed:
        if entry["ref_id"] in names:
            entry["details"] = {**(entry.get("details") or {}), "campaign_name": names[entry["ref_id"]]}


async def _campaigns_of(api: ApiClient, partner: dict[str, Any], member_of: list[Any]) -> list[dict[str, str]]:
    """The campaigns to show on the partner page: the lead's own (L1) first, then those it is a member of (M2)."""
    campaigns = [{"id": str(c["id"]), "name": str(c.get("name") or c["id"])} for c in member_of if c.get("id")]
    origin = str(partner.get("campaign_id") or "")
    if origin and origin not in {c["id"] for c in campaigns}:
        campaigns.insert(0, await campaign_choice(api, origin))
    return campaigns


async def _partner_page(
    api: ApiClient, partner_id: UUID, *, kind: str | None, offset: int, error: ApiError | None = None
) -> Template:
    # Independent reads, so they run together: the page takes as long as the slowest, not as their sum.
    (partner, staff), history, dossiers, member_of = await together(
        _partner_and_reps(api, partner_id),
        api.get(
            f"/api/partners/{partner_id}/history",
            params={"kind": kind, "limit": HISTORY_PAGE, "offset": max(offset, 0)},
        ),
        _optional(api, "/api/dossiers", {"partner_id": str(partner_id), "limit": 100}),
        _optional(api, "/api/campaigns", {"partner_id": str(partner_id), "limit": 100}),
    )
    campaigns, _ = await together(_campaigns_of(api, partner, member_of), _name_campaigns(api, history))
    return Template(
        "partners/detail.html",
        context={
            "partner": partner,
            "history": history,
            "history_kinds": HISTORY_KINDS,
            "kind": kind or "",
            "offset": max(offset, 0),
            "page_size": HISTORY_PAGE,
            "staff": staff,
            "dossiers": dossiers,
            "campaigns": campaigns,
            "kinds": KINDS,
            "error": error,
        },
        status_code=error.status if error else 200,
    )


@get("/partners/{partner_id:uuid}", include_in_schema=False)
async def partner_detail(
    api: NamedDependency[ApiClient],
    partner_id: FromPath[UUID],
    kind: FromQuery[str | None] = None,
    offset: FromQuery[int] = 0,
) -> Template:
    """The partner page: details, sites, contacts, reps, opportunities (L2), history (H1) and dossiers (D1)."""
    try:
        return await _partner_page(api, partner_id, kind=kind or None, offset=offset)
    except ApiError as exc:
        if exc.status != 404:
            raise
        return _no_such_partner()


@post("/partners/{partner_id:uuid}/dossiers", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def partner_dossier_create(api: NamedDependency[ApiClient], partner_id: FromPath[UUID], data: Form) -> Any:
    """Open a dossier for this partner (D1)."""
    try:
        created = await api.post(
            "/api/dossiers",
            json={
                "name": _text(data, "name") or "",
                "category": _text(data, "category"),
                "partner_id": str(partner_id),
            },
        )
    except ApiError as exc:
        return await _partner_page(api, partner_id, kind=None, offset=0, error=exc)
    return Redirect(f"/dossiers/{created['id']}", status_code=303)


def decode_csv(content: bytes) -> str:
    """The text of an uploaded CSV: UTF-8 (with or without BOM), else Windows-1250 (Romanian Excel)."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1250", errors="replace")


@get("/partners/import", include_in_schema=False)
async def import_page(api: NamedDependency[ApiClient]) -> Template:
    """CSV import: the upload form and the recent imports."""
    imports = await api.get("/api/partner-imports", params={"limit": 20})
    return Template("partners/import.html", context={"imports": imports, "current": None})


@post("/partners/import", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def import_upload(api: NamedDependency[ApiClient], data: Multipart) -> Any:
    upload = data.get("file")
    campaign_id = data.get("campaign_id")
    campaign_id = campaign_id.strip() if isinstance(campaign_id, str) and campaign_id.strip() else None
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ApiError(422, N_("Alegeți un fișier CSV."))
        body = {"file_name": upload.filename, "content": decode_csv(await upload.read())}
        started = await api.post("/api/partner-imports", json={**body, "campaign_id": campaign_id})
    except ApiError as exc:
        imports = await api.get("/api/partner-imports", params={"limit": 20})
        chosen = await campaign_choice(api, campaign_id)
        return Template(
            "partners/import.html",
            context={"imports": imports, "current": None, "error": exc, "chosen": chosen},
            status_code=exc.status,
        )
    return Redirect(f"/partners/import/{started['id']}", status_code=303)


@get("/partners/import/{import_id:uuid}", include_in_schema=False)
async def import_status(api: NamedDependency[ApiClient], import_id: FromPath[UUID]) -> Template:
    """One import's progress (the page refreshes itself while rows are being checked) and its per-row errors."""
    current = await api.get(f"/api/partner-imports/{import_id}")
    imports = await api.get("/api/partner-imports", params={"limit": 20})
    return Template("partners/import.html", context={"imports": imports, "current": current})


@get("/partners/import/{import_id:uuid}/progress", include_in_schema=False)
async def import_progress(api: NamedDependency[ApiClient], import_id: FromPath[UUID]) -> dict[str, Any]:
    """The import's status as JSON, polled by the progress bar."""
    found: dict[str, Any] = await api.get(f"/api/partner-imports/{import_id}")
    return found


routes = [
    partners_page,
    partner_new,
    partner_create,
    partner_edit,
    partner_save,
    partner_detail,
    partner_dossier_create,
    import_page,
    import_upload,
    import_status,
    import_progress,
]
