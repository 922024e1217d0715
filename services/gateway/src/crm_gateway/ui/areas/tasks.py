"""Tasks area: my tasks, the task form with live checks, the task page, broadcasts, catalogue, settings, tracking.

My tasks (for me / from me / all) carry the new-task indicator (C3); the task page has replies, resolve, the
estimate printout and the contract draft (T1-T12, C2). Pages call the tasks API as the logged-in user; a rule
the API refuses (409/422) is shown on the page the user was on, with the API's message. The browser's own
calls (live checks, new-task polling, the PDF) go to ``/api/...`` with the session cookie.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from babel.dates import format_date
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from crm_gateway.domain.users import User
from crm_gateway.ui import i18n, notes
from crm_gateway.ui.api import ApiClient, ApiError, together
from crm_gateway.ui.forms import many as _many
from crm_gateway.ui.forms import optional as _side_panel
from crm_gateway.ui.forms import optional_page as _optional
from crm_gateway.ui.forms import text as _text
from crm_gateway.ui.forms import whole as _whole
from crm_gateway.ui.i18n import N_
from crm_gateway.ui.pickers import partner_choice
from crm_gateway.ui.web import language_of
from crm_kit import formatting
from crm_kit.csvsafe import csv_text
from crm_kit.formatting import local_input_to_utc

Form = URLEncodedBody[dict[str, Any]]
VIEWS = ("for-me", "from-me", "all")
REPORT_PAGE = 50

INVOICE_REASONS = {
    "requested": N_("Factura a fost cerută; apare aici după ce este emisă."),
    "covered": N_("Fără factură: serviciul este acoperit de contractul %(number)s."),
    "not_billable": N_("Fără factură: task-ul nu este facturabil."),
    "no_client": N_("Fără factură: task-ul nu are client beneficiar."),
    "no_estimate": N_("Fără factură: niciun serviciu post-vânzare ales, deci niciun deviz."),
}
"""T9: why a resolved task has no invoice (or not yet), by the tasks API's ``invoice.reason``."""

REPORT_COLUMNS = (
    ("title", N_("Titlu")),
    ("status", N_("Stare")),
    ("source", N_("Sursa")),
    ("responsible_name", N_("Responsabil")),
    ("creator_name", N_("Emitent")),
    ("partner_name", N_("Client beneficiar")),
    ("service_code", N_("Serviciu solicitat")),
    ("registered_at", N_("Înregistrat la")),
    ("deadline", N_("Termen")),
    ("resolved_at", N_("Finalizat la")),
    ("hours", N_("Ore")),
    ("billable", N_("Facturabil")),
    ("invoiced", N_("Facturat")),
)
"""T11: the export's columns and their headers (the user's language)."""
MOMENTS = ("registered_at", "deadline", "resolved_at", "planned_start", "completed_at", "updated_at")


# --- my tasks -----------------------------------------------------------------------------------------------


@get("/tasks", include_in_schema=False)
async def task_list(
    api: NamedDependency[ApiClient],
    user: NamedDependency[User],
    view: FromQuery[str | None] = None,
    status: FromQuery[str | None] = "open",
    offset: FromQuery[int] = 0,
) -> Template:
    """My tasks: for me, from me, or all I may see (T1), with the new-task indicator (C3).

    A user who is nobody on the staff (an administrator's login) has no tasks "for me": they start on all.
    """
    view = view if view in VIEWS else ("for-me" if user.staff_id else "all")
    status = status if status in ("open", "resolved") else None
    page, settings = await together(
        # open tasks in the order they are due (as the home page); resolved ones newest first
        api.get(
            "/api/tasks",
            params={
                "view": view,
                "status": status,
                "order": "deadline" if status == "open" else "registered",
                "limit": 50,
                "offset": offset,
            },
        ),
        _optional(api, "/api/reminder-settings"),
    )
    return Template(
        "tasks/list.html",
        context={
            "page": page,
            "view": view,
            "status": status or "",
            "offset": offset,
            "refresh_minutes": (settings or {}).get("new_task_refresh_minutes", 0) or 0,
            "loaded_at": datetime.now(UTC).isoformat(),
        },
    )


# --- the task form ------------------------------------------------------------------------------------------


async def _form_page(api: ApiClient, *, form: dict[str, Any] | None = None, error: ApiError | None = None) -> Template:
    staff, partner, services = await together(
        _optional(api, "/api/tasks/staff"),
        partner_choice(api, (form or {}).get("partner_id")),
        _optional(api, "/api/services"),
    )
    return Template(
        "tasks/form.html",
        context={
            "form": form or {},
            "error": error,
            "staff": staff.get("items", []),
            "partner": partner,
            "services": services.get("items", []),
        },
        status_code=error.status if error else 200,
    )


@get("/tasks/new", include_in_schema=False)
async def task_form(api: NamedDependency[ApiClient], partner_id: FromQuery[str | None] = None) -> Template:
    """The task form; checks (availability, contract, balance) update as the user picks (T6, T7)."""
    return await _form_page(api, form={"partner_id": partner_id} if partner_id else None)


def _contract_line(form: dict[str, Any]) -> tuple[str | None, str | None]:
    """T5: the line picker's value ``<contract id>|<line id>`` as the two ids (none when nothing is chosen)."""
    chosen = _text(form, "contract_line") or ""
    contract_id, _, line_id = chosen.partition("|")
    return contract_id or None, line_id or None


def _task_body(form: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": _text(form, "title") or "",
        "description": _text(form, "description") or "",
        "billable": _text(form, "billable") is not None,
    }
    for key in ("responsible_staff_id", "partner_id", "service_code"):
        if _text(form, key):
            body[key] = _text(form, key)
    for key in ("deadline", "planned_start"):
        if _text(form, key):
            body[key] = local_input_to_utc(_text(form, key), zone)
    if _text(form, "planned_hours"):
        body["planned_hours"] = (_text(form, "planned_hours") or "").replace(",", ".")
    contract_id, line_id = _contract_line(form)
    if contract_id:
        body["contract_id"], body["contract_line_id"] = contract_id, line_id
    channel = _text(form, "alert_channel")
    if channel:
        body["alert"] = {"channel": channel, "days_before": _whole(_text(form, "alert_days_before"))}
    return body


@post("/tasks", include_in_schema=False)
async def create_task(
    api: NamedDependency[ApiClient], zone: NamedDependency[ZoneInfo], data: Form
) -> Template | Redirect:
    """Create the task, then show it (with its checks)."""
    try:
        task = await api.post("/api/tasks", json=_task_body(data, zone))
    except ApiError as exc:
        return await _form_page(api, form=data, error=exc)
    return Redirect(f"/tasks/{task['id']}?created=1")


# --- the task page ------------------------------------------------------------------------------------------


async def _checks(api: ApiClient, task: dict[str, Any]) -> Any:
    """An open task's checks (availability, contract, balance); None for a resolved one."""
    if task["status"] != "open":
        return None
    return await _optional(
        api,
        "/api/tasks/checks",
        {
            "task_id": str(task["id"]),
            "responsible_staff_id": task["responsible_staff_id"],
            "planned_start": task["planned_start"],
            "planned_hours": task["planned_hours"],
            "partner_id": task["partner_id"],
            "service_code": task["service_code"],
        },
    )


async def _resolved_balance(api: ApiClient, task: dict[str, Any]) -> Any:
    """A resolved task's client balance; None for an open task (its checks carry it) or a task without a client.

    A resolved task has no checks (availability no longer matters), so its client's balance is asked alone: the
    checks for the client only, without a responsible or a plan. None when the tasks service does not answer.
    """
    if task["status"] == "open" or not task["partner_id"]:
        return None
    return await _side_panel(api, "/api/tasks/checks", {"partner_id": task["partner_id"]})


def _balance(*found: Any) -> dict[str, Any] | None:
    """The first answer that carries a balance (``balance``, ``balance_currency``), else None."""
    return next((f for f in found if isinstance(f, dict) and f.get("balance") is not None), None)


async def _contracts(api: ApiClient, task: dict[str, Any]) -> list[dict[str, Any]]:
    """The contracts an open task of a client may be billed under (T5); none otherwise."""
    if task["status"] != "open" or not task["partner_id"]:
        return []
    items: list[dict[str, Any]] = (await _optional(api, "/api/tasks/contracts", {"partner_id": task["partner_id"]}))[
        "items"
    ]
    return items


async def _invoice_number(api: ApiClient, task: dict[str, Any]) -> str | None:
    """The number of the task's invoice, if it has one."""
    if not task.get("invoice_id"):
        return None
    try:
        number = (await api.get(f"/api/documents/{task['invoice_id']}")).get("number")
    except ApiError:
        return None  # the link still opens the document page, which explains itself
    return str(number) if number is not None else None


DONE = {"resolved": N_("Task rezolvat."), "reopened": N_("Task redeschis.")}
"""What the task page says after an action that changes the task's state (``?done=resolved``), as after creating it."""


async def _task_page(
    api: ApiClient, task_id: UUID, *, error: ApiError | None = None, created: bool = False, done: str | None = None
) -> Template:
    task = await api.get(f"/api/tasks/{task_id}")
    # What the page shows beside the task depends only on the task: read together.
    checks, staff, contracts, invoice_number, catalogue, resolved_balance = await together(
        _checks(api, task),
        _optional(api, "/api/tasks/staff"),
        _contracts(api, task),
        _invoice_number(api, task),
        _optional(api, "/api/services"),
        _resolved_balance(api, task),
    )
    invoice = task.get("invoice") or {}
    services = {s["code"]: s["name"] for s in catalogue["items"]}
    return Template(
        "tasks/detail.html",
        context={
            "task": task,
            "checks": checks,
            # the client's balance, open or resolved (resolving the task does not make it unknown)
            "balance": _balance(checks, resolved_balance),
            "error": error,
            "created": created,
            "done": DONE.get(done or ""),
            "staff": staff.get("items", []),
            "contracts": contracts,
            "invoice_number": invoice_number,
            "invoice_reason": INVOICE_REASONS.get(invoice.get("reason") or ""),
            "service_name": services.get(task["service_code"] or ""),
        },
        status_code=error.status if error else 200,
    )


@get("/tasks/{task_id:uuid}", include_in_schema=False)
async def task_page(
    api: NamedDependency[ApiClient],
    task_id: FromPath[UUID],
    created: FromQuery[str | None] = None,
    done: FromQuery[str | None] = None,
) -> Template:
    """One task: its fields (T8), replies, resolve, estimate printout (T9), contract draft (T7)."""
    return await _task_page(api, task_id, created=bool(created), done=done)


async def _act(
    api: ApiClient, task_id: UUID, method: str, path: str, body: Any = None, *, done: str | None = None
) -> Template | Redirect:
    """Ask the tasks API for ``path``; back on the task page, saying ``done`` (a key of ``DONE``) when given."""
    try:
        if method == "PATCH":
            await api.patch(path, json=body)
        else:
            await api.post(path, json=body)
    except ApiError as exc:
        return await _task_page(api, task_id, error=exc)
    return Redirect(f"/tasks/{task_id}?done={done}" if done else f"/tasks/{task_id}")


@post("/tasks/{task_id:uuid}/replies", include_in_schema=False)
async def reply(api: NamedDependency[ApiClient], task_id: FromPath[UUID], data: Form) -> Template | Redirect:
    return await _act(api, task_id, "POST", f"/api/tasks/{task_id}/replies", {"text": _text(data, "text") or ""})


@post("/tasks/{task_id:uuid}/resolve", include_in_schema=False)
async def resolve(api: NamedDependency[ApiClient], task_id: FromPath[UUID]) -> Template | Redirect:
    return await _act(api, task_id, "POST", f"/api/tasks/{task_id}/resolve", done="resolved")


@post("/tasks/{task_id:uuid}/reopen", include_in_schema=False)
async def reopen(api: NamedDependency[ApiClient], task_id: FromPath[UUID]) -> Template | Redirect:
    return await _act(api, task_id, "POST", f"/api/tasks/{task_id}/reopen", done="reopened")


@post("/tasks/{task_id:uuid}/contract", include_in_schema=False)
async def draft_contract(api: NamedDependency[ApiClient], task_id: FromPath[UUID], data: Form) -> Template | Redirect:
    body: dict[str, Any] = {"kind": _text(data, "kind") or "commercial"}
    if _text(data, "months"):
        try:
            body["months"] = int(_text(data, "months") or "")
        except ValueError:
            body["months"] = -1  # the API explains the allowed range
    return await _act(api, task_id, "POST", f"/api/tasks/{task_id}/contract", body)


@post("/tasks/{task_id:uuid}/contract-line", include_in_schema=False)
async def choose_contract_line(
    api: NamedDependency[ApiClient], task_id: FromPath[UUID], data: Form
) -> Template | Redirect:
    """T5: the contract line (requested service) the task is for; none detaches the contract."""
    contract_id, line_id = _contract_line(data)
    body = {"contract_id": contract_id, "contract_line_id": line_id}
    return await _act(api, task_id, "PATCH", f"/api/tasks/{task_id}", body)


@post("/tasks/{task_id:uuid}/edit", include_in_schema=False)
async def edit(
    api: NamedDependency[ApiClient], zone: NamedDependency[ZoneInfo], task_id: FromPath[UUID], data: Form
) -> Template | Redirect:
    body: dict[str, Any] = {}
    if _text(data, "deadline"):
        body["deadline"] = local_input_to_utc(_text(data, "deadline"), zone)
    if _text(data, "responsible_staff_id"):
        body["responsible_staff_id"] = _text(data, "responsible_staff_id")
    return await _act(api, task_id, "PATCH", f"/api/tasks/{task_id}", body)


# --- broadcasts ---------------------------------------------------------------------------------------------


async def _broadcasts_page(
    api: ApiClient, *, form: dict[str, Any] | None = None, error: ApiError | None = None
) -> Template:
    casts = await api.get("/api/task-broadcasts", params={"limit": 50})
    staff = await _optional(api, "/api/tasks/staff")
    categories = sorted({c for s in staff.get("items", []) for c in s.get("categories") or []})
    return Template(
        "tasks/broadcasts.html",
        context={
            "casts": casts["items"],
            "staff": staff.get("items", []),
            "categories": categories,
            "form": form or {},
            # a refused launch keeps the people and categories ticked
            "ticked": {key: _many(form or {}, key) for key in ("staff_ids", "categories")},
            "error": error,
        },
        status_code=error.status if error else 200,
    )


@get("/tasks/broadcasts", include_in_schema=False)
async def broadcasts(api: NamedDependency[ApiClient]) -> Template:
    """Lansare Task (T2): launch one task to several people or categories, and follow its progress."""
    return await _broadcasts_page(api)


@post("/tasks/broadcasts", include_in_schema=False)
async def launch(api: NamedDependency[ApiClient], zone: NamedDependency[ZoneInfo], data: Form) -> Template | Redirect:
    body = {
        "title": _text(data, "title") or "",
        "description": _text(data, "description") or "",
        "staff_ids": _many(data, "staff_ids"),
        "categories": _many(data, "categories"),
        "deadline": local_input_to_utc(_text(data, "deadline"), zone),
    }
    try:
        cast = await api.post("/api/task-broadcasts", json=body)
    except ApiError as exc:
        return await _broadcasts_page(api, form=data, error=exc)
    return Redirect(f"/tasks/broadcasts/{cast['id']}")


@get("/tasks/broadcasts/{broadcast_id:uuid}", include_in_schema=False)
async def broadcast_page(api: NamedDependency[ApiClient], broadcast_id: FromPath[UUID]) -> Template:
    cast = await api.get(f"/api/task-broadcasts/{broadcast_id}")
    return Template("tasks/broadcast.html", context={"cast": cast})


# --- services catalogue and reminder settings ---------------------------------------------------------------


async def _services_page(
    api: ApiClient, *, form: dict[str, Any] | None = None, error: ApiError | None = None
) -> Template:
    services = await api.get("/api/services")
    return Template(
        "tasks/services.html",
        context={"services": services["items"], "form": form or {}, "error": error},
        status_code=error.status if error else 200,
    )


@get("/tasks/services", include_in_schema=False)
async def services_page(api: NamedDependency[ApiClient]) -> Template:
    """Servicii post-vânzare (T7): code, name, hourly rate, the ERP article."""
    return await _services_page(api)


@post("/tasks/services", include_in_schema=False)
async def add_service(api: NamedDependency[ApiClient], data: Form) -> Template | Redirect:
    body = {
        "code": _text(data, "code") or "",
        "name": _text(data, "name") or "",
        "hourly_rate": (_text(data, "hourly_rate") or "0").replace(",", "."),
        "article_code": _text(data, "article_code") or "",
    }
    try:
        await api.post("/api/services", json=body)
    except ApiError as exc:
        return await _services_page(api, form=data, error=exc)
    return Redirect("/tasks/services")


@get("/tasks/settings", include_in_schema=False)
async def settings_page(api: NamedDependency[ApiClient], saved: FromQuery[str | None] = None) -> Template:
    """C2 reminder defaults and the C3 new-task refresh interval."""
    current = await api.get("/api/reminder-settings")
    return Template("tasks/settings.html", context={"settings": current, "error": None, "saved": bool(saved)})


@post("/tasks/settings", include_in_schema=False)
async def save_settings(api: NamedDependency[ApiClient], data: Form) -> Template | Redirect:
    body = {
        "send_message": _text(data, "send_message") is not None,
        "send_email": _text(data, "send_email") is not None,
        "days_before": _whole(_text(data, "days_before")),
        "new_task_refresh_minutes": _whole(_text(data, "new_task_refresh_minutes")),
    }
    try:
        await api.put("/api/reminder-settings", json=body)
    except ApiError as exc:
        return Template(
            "tasks/settings.html", context={"settings": body, "error": exc, "saved": False}, status_code=exc.status
        )
    return Redirect("/tasks/settings?saved=1")


# --- tracking and report ------------------------------------------------------------------------------------


def _day_label(day: date, language: str) -> str:
    """A chart's day label: ``02.03`` (ro), ``Mar 2`` (en)."""
    return format_date(day, "dd.MM" if language == "ro" else "MMM d", locale=language)


def _period(zone: ZoneInfo, first: str | None, last: str | None, days_back: int | None) -> tuple[str, str]:
    """A period's first and last day as typed, by default the last ``days_back`` days or this month."""
    today = datetime.now(zone).date()
    default_first = today - timedelta(days=days_back) if days_back is not None else today.replace(day=1)
    return first or default_first.isoformat(), last or today.isoformat()


@get("/tasks/tracking", include_in_schema=False)
async def tracking_page(
    api: NamedDependency[ApiClient],
    zone: NamedDependency[ZoneInfo],
    request: Request[Any, Any, Any],
    from_: Annotated[str | None, QueryParameter(name="from")] = None,
    to: FromQuery[str | None] = None,
) -> Template:
    """T12: resolved and unresolved tasks per person per day, one bar chart per person on its own scale.

    A shared scale made a colleague with 3 tasks a flat line beside one with 600; each chart's ticks say its scale.
    """
    first, last = _period(zone, from_, to, 13)
    language = language_of(request)
    error = None
    try:
        data = await api.get("/api/tasks/tracking", params={"from": first, "to": last})
    except ApiError as exc:
        error, data = exc, {"items": []}
    try:
        start = date.fromisoformat(first)
        days = [start + timedelta(days=i) for i in range((date.fromisoformat(last) - start).days + 1)][:366]
    except ValueError:
        days = []
    people: dict[str, dict[str, Any]] = {}
    for row in data["items"]:
        person = people.setdefault(row["staff_id"] or "-", {"name": row["name"], "by_day": {}})
        person["by_day"][row["day"]] = row
    charts = [
        {"staff_id": staff_id, "name": person["name"], **_chart(days, person["by_day"], _peak(person), language)}
        for staff_id, person in people.items()
    ]
    return Template(
        "tasks/tracking.html",
        context={"charts": charts, "first": first, "last": last, "days": days, "error": error},
    )


def _peak(person: dict[str, Any]) -> int:
    """The person's busiest day (resolved plus unresolved): the top of their chart."""
    return max((int(r["resolved"]) + int(r["unresolved"]) for r in person["by_day"].values()), default=0)


CHART_HEIGHT = 160
CHART_WIDTH = 1100
CHART_LEFT = 34
CHART_TOP = 26


def _chart(days: list[date], by_day: dict[str, dict[str, Any]], peak: int, language: str) -> dict[str, Any]:
    """T12: an SVG bar chart's geometry: stacked bars (resolved, unresolved) per day, a y axis with whole ticks."""
    # Up to a month the bars widen to fill CHART_WIDTH (the chart is as wide as its card at a usual screen);
    # a label ("Nov 23", "23.11") fits under a bar of 44. A longer period keeps narrow bars and scrolls.
    step = max(44, (CHART_WIDTH - CHART_LEFT - 10) // max(len(days), 1)) if len(days) <= 31 else 14
    scale = CHART_HEIGHT / max(peak, 1)
    bars = []
    for i, day in enumerate(days):
        row = by_day.get(day.isoformat()) or {"resolved": 0, "unresolved": 0}
        resolved, unresolved = int(row["resolved"]), int(row["unresolved"])
        h_res, h_open = round(resolved * scale), round(unresolved * scale)
        bottom = CHART_TOP + CHART_HEIGHT
        bars.append(
            {
                "x": CHART_LEFT + i * step + 3,
                "width": step - 6,
                "resolved": resolved,
                "unresolved": unresolved,
                "y_res": bottom - h_res,
                "h_res": h_res,
                "y_open": bottom - h_res - h_open,
                "h_open": h_open,
                "label": _day_label(day, language),
                "day": day.isoformat(),
                "show_label": step >= 44 or i % 7 == 0,
            }
        )
    ticks = sorted({0, peak // 2, peak}) if peak else [0]
    return {
        "bars": bars,
        "ticks": [{"value": v, "y": CHART_TOP + CHART_HEIGHT - round(v * scale)} for v in ticks],
        "width": CHART_LEFT + len(days) * step + 10,
        "height": CHART_TOP + CHART_HEIGHT + 40,
        "bottom": CHART_TOP + CHART_HEIGHT,
        "left": CHART_LEFT,
        "step": step,
        "fill": step >= 44,  # up to a month the chart stretches to the card; a longer period scrolls
    }


def _report_params(
    first: str, last: str, responsible_staff_id: str | None, partner_id: str | None, status: str | None
) -> dict[str, Any]:
    return {
        "from": first,
        "to": last,
        "responsible_staff_id": responsible_staff_id or None,
        "partner_id": partner_id or None,
        "status": status or None,
    }


@get("/tasks/report", include_in_schema=False)
async def report_page(
    api: NamedDependency[ApiClient],
    zone: NamedDependency[ZoneInfo],
    from_: Annotated[str | None, QueryParameter(name="from")] = None,
    to: FromQuery[str | None] = None,
    responsible_staff_id: FromQuery[str | None] = None,
    partner_id: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
    offset: FromQuery[int] = 0,
) -> Template:
    """T11: the tasks of a period on screen, filtered by person, client and status, a page at a time; exports."""
    first, last = _period(zone, from_, to, None)
    params = _report_params(first, last, responsible_staff_id, partner_id, status)
    error = None
    offset = max(offset, 0)
    try:
        page = await api.get("/api/tasks/report", params={**params, "limit": REPORT_PAGE, "offset": offset})
    except ApiError as exc:
        error, page = exc, {"items": [], "total": 0}
    staff = await _optional(api, "/api/tasks/staff")
    query = {k: v for k, v in params.items() if v is not None}
    return Template(
        "tasks/report.html",
        context={
            "page": page,
            "error": error,
            "filters": {**params, "responsible_staff_id": responsible_staff_id or "", "status": status or ""},
            "query": query,
            "staff": staff.get("items", []),
            "partner": await partner_choice(api, partner_id),
            "offset": offset,
            "page_size": REPORT_PAGE,
        },
        status_code=error.status if error else 200,
    )


def _local_moment(value: Any, zone: ZoneInfo) -> str | None:
    """A moment from the API (UTC) as ISO-8601 in the configured zone, with its offset."""
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(zone).isoformat()


def _csv_cell(key: str, item: dict[str, Any], zone: ZoneInfo, language: str) -> Any:
    value = item.get(key)
    if key in MOMENTS:
        moment = _local_moment(value, zone)
        return moment[:16].replace("T", " ") if moment else ""
    if key == "status":
        return i18n.label(language, value, "status")
    if key == "source":
        return i18n.label(language, value, "task_source")
    if key == "creator_name":
        return notes.issuer(language, item)
    if key in ("billable", "invoiced"):
        return i18n.gettext(language, "da") if value else i18n.gettext(language, "nu")
    if key == "hours":
        return formatting.number(value, language) if value is not None else ""
    return "" if value is None else value


@get("/tasks/report/export", include_in_schema=False)
async def report_export(
    api: NamedDependency[ApiClient],
    zone: NamedDependency[ZoneInfo],
    request: Request[Any, Any, Any],
    from_: Annotated[str | None, QueryParameter(name="from")] = None,
    to: FromQuery[str | None] = None,
    responsible_staff_id: FromQuery[str | None] = None,
    partner_id: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
    format: FromQuery[str] = "csv",  # noqa: A002 - the name the links use
) -> Response[str]:
    """T11: the whole filtered report as CSV (headers in the user's language) or JSON, times in the configured zone."""
    first, last = _period(zone, from_, to, None)
    data = await api.get(
        "/api/tasks/report", params=_report_params(first, last, responsible_staff_id, partner_id, status)
    )
    name = f"tasks-{data['from']}-{data['to']}"
    if format == "json":
        items = [
            {**item, **{k: _local_moment(item.get(k), zone) for k in MOMENTS if k in item}} for item in data["items"]
        ]
        body = json.dumps({**data, "items": items, "timezone": zone.key}, ensure_ascii=False)
        return Response(
            body,
            media_type="application/json",
            headers={"content-disposition": f'attachment; filename="{name}.json"'},
        )
    language = language_of(request)
    header = [i18n.gettext(language, text) for _, text in REPORT_COLUMNS]
    rows = ([_csv_cell(key, item, zone, language) for key, _ in REPORT_COLUMNS] for item in data["items"])
    return Response(
        csv_text(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}.csv"'},
    )


routes = [
    task_list,
    task_form,
    create_task,
    task_page,
    reply,
    resolve,
    reopen,
    draft_contract,
    edit,
    broadcasts,
    launch,
    broadcast_page,
    services_page,
    add_service,
    settings_page,
    save_settings,
    tracking_page,
    report_page,
    report_export,
    choose_contract_line,
]
