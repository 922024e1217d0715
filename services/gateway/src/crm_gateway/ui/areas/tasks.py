"""Tasks area: my tasks, the task form with live checks, the task page, broadcasts, catalogue, settings, tracking.

My tasks (for me / from me / all) carry the new-task indicator (C3); the task page has replies, resolve, the
estimate printout and the contract draft (T1-T12, C2). Pages call the tasks API as the logged-in user; a rule
the API refuses (409/422) is shown on the page the user was on, with the API's message. The browser's own
calls (live checks, new-task polling, the PDF) go to ``/api/...`` with the session cookie.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from crm_gateway.domain.users import User
from crm_gateway.ui.api import ApiClient, ApiError
from crm_gateway.ui.pickers import partner_choice
from crm_kit.formatting import local_input_to_utc

Form = URLEncodedBody[dict[str, Any]]
VIEWS = ("for-me", "from-me", "all")


def _text(form: dict[str, Any], key: str) -> str | None:
    value = form.get(key)
    if isinstance(value, list):
        value = value[-1] if value else None
    text = str(value).strip() if value is not None else ""
    return text or None


def _many(form: dict[str, Any], key: str) -> list[str]:
    value = form.get(key)
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in values if str(v).strip()]


def _whole(text: str | None) -> int | str:
    """A whole number typed in a form; anything else goes to the API as typed, which names the field."""
    try:
        return int(text or "0")
    except ValueError:
        return text or ""


async def _optional(api: ApiClient, path: str, params: dict[str, Any] | None = None) -> Any:
    """Data from another service for a picker; a service that is down leaves the picker empty."""
    try:
        return await api.get(path, params=params)
    except ApiError:
        return {"items": [], "total": 0}


# --- my tasks -----------------------------------------------------------------------------------------------


@get("/tasks", include_in_schema=False)
async def task_list(
    api: NamedDependency[ApiClient],
    user: NamedDependency[User],
    view: FromQuery[str] = "for-me",
    status: FromQuery[str | None] = "open",
    offset: FromQuery[int] = 0,
) -> Template:
    """My tasks: for me, from me, or all I may see (T1), with the new-task indicator (C3)."""
    view = view if view in VIEWS else "for-me"
    status = status if status in ("open", "resolved") else None
    page = await api.get("/api/tasks", params={"view": view, "status": status, "limit": 50, "offset": offset})
    settings = await _optional(api, "/api/reminder-settings")
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
    staff = await _optional(api, "/api/tasks/staff")
    partner = await partner_choice(api, (form or {}).get("partner_id"))
    services = await _optional(api, "/api/services")
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


async def _task_page(
    api: ApiClient, task_id: UUID, *, error: ApiError | None = None, created: bool = False
) -> Template:
    task = await api.get(f"/api/tasks/{task_id}")
    checks = None
    if task["status"] == "open":
        checks = await _optional(
            api,
            "/api/tasks/checks",
            {
                "task_id": str(task_id),
                "responsible_staff_id": task["responsible_staff_id"],
                "planned_start": task["planned_start"],
                "planned_hours": task["planned_hours"],
                "partner_id": task["partner_id"],
                "service_code": task["service_code"],
            },
        )
    staff = await _optional(api, "/api/tasks/staff")
    return Template(
        "tasks/detail.html",
        context={
            "task": task,
            "checks": checks,
            "error": error,
            "created": created,
            "staff": staff.get("items", []),
        },
        status_code=error.status if error else 200,
    )


@get("/tasks/{task_id:uuid}", include_in_schema=False)
async def task_page(
    api: NamedDependency[ApiClient], task_id: FromPath[UUID], created: FromQuery[str | None] = None
) -> Template:
    """One task: its fields (T8), replies, resolve, estimate printout (T9), contract draft (T7)."""
    return await _task_page(api, task_id, created=bool(created))


async def _act(api: ApiClient, task_id: UUID, method: str, path: str, body: Any = None) -> Template | Redirect:
    try:
        if method == "PATCH":
            await api.patch(path, json=body)
        else:
            await api.post(path, json=body)
    except ApiError as exc:
        return await _task_page(api, task_id, error=exc)
    return Redirect(f"/tasks/{task_id}")


@post("/tasks/{task_id:uuid}/replies", include_in_schema=False)
async def reply(api: NamedDependency[ApiClient], task_id: FromPath[UUID], data: Form) -> Template | Redirect:
    return await _act(api, task_id, "POST", f"/api/tasks/{task_id}/replies", {"text": _text(data, "text") or ""})


@post("/tasks/{task_id:uuid}/resolve", include_in_schema=False)
async def resolve(api: NamedDependency[ApiClient], task_id: FromPath[UUID]) -> Template | Redirect:
    return await _act(api, task_id, "POST", f"/api/tasks/{task_id}/resolve")


@post("/tasks/{task_id:uuid}/reopen", include_in_schema=False)
async def reopen(api: NamedDependency[ApiClient], task_id: FromPath[UUID]) -> Template | Redirect:
    return await _act(api, task_id, "POST", f"/api/tasks/{task_id}/reopen")


@post("/tasks/{task_id:uuid}/contract", include_in_schema=False)
async def draft_contract(api: NamedDependency[ApiClient], task_id: FromPath[UUID], data: Form) -> Template | Redirect:
    body: dict[str, Any] = {"kind": _text(data, "kind") or "commercial"}
    if _text(data, "months"):
        try:
            body["months"] = int(_text(data, "months") or "")
        except ValueError:
            body["months"] = -1  # the API explains the allowed range
    return await _act(api, task_id, "POST", f"/api/tasks/{task_id}/contract", body)


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


@get("/tasks/tracking", include_in_schema=False)
async def tracking_page(
    api: NamedDependency[ApiClient],
    zone: NamedDependency[ZoneInfo],
    from_: Annotated[str | None, QueryParameter(name="from")] = None,
    to: FromQuery[str | None] = None,
) -> Template:
    """T12: resolved and unresolved tasks per person per day, as a chart; T11: the report export."""
    today = datetime.now(zone).date()
    first = from_ or (today - timedelta(days=13)).isoformat()
    last = to or today.isoformat()
    error = None
    try:
        data = await api.get("/api/tasks/tracking", params={"from": first, "to": last})
    except ApiError as exc:
        error, data = exc, {"items": []}
    people: dict[str, dict[str, Any]] = {}
    for row in data["items"]:
        person = people.setdefault(row["staff_id"] or "-", {"name": row["name"] or row["staff_id"], "days": []})
        person["days"].append(row)
    peak = max((r["resolved"] + r["unresolved"] for r in data["items"]), default=0) or 1
    try:
        days = [
            date.fromisoformat(first) + timedelta(days=i)
            for i in range((date.fromisoformat(last) - date.fromisoformat(first)).days + 1)
        ]
    except ValueError:
        days = []
    return Template(
        "tasks/tracking.html",
        context={"people": people, "peak": peak, "first": first, "last": last, "days": days[:366], "error": error},
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
]
