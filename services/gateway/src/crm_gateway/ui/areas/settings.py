"""Configurări: one page that leads to every setting of MISSION.md (C1-C5) and, for admins, the users."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, get, post
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from crm_gateway.auth.sessions import Sessions
from crm_gateway.domain.users import User
from crm_gateway.settings import GatewaySettings
from crm_gateway.ui.api import ApiClient, ApiError
from crm_gateway.ui.i18n import N_
from crm_gateway.ui.login import session_cookies

Form = URLEncodedBody[dict[str, Any]]

SECTIONS = [
    ("C1", N_("Servere mail ieșire și credențiale"), "/emails/servers", None),
    (
        "C2 · C3",
        N_("Reamintire task-uri și intervalul de reîmprospătare pentru task-uri noi"),
        "/tasks/settings",
        "task_settings.write",
    ),
    ("C4", N_("Import eMail: director și format"), "/settings/mail-import", "mail_import_settings.write"),
    ("C5", N_("Selectare articole din nomenclator (pentru documente)"), "/articles", "commercial_settings.write"),
    ("O3", N_("Ponderi etape oportunități"), "/opportunities/stage-weights", "stage_weights.write"),
    ("O6", N_("Nomenclatoare > Motive (motive de pierdere)"), "/opportunities/lost-reasons", "lost_reasons.write"),
    ("T7", N_("Servicii post-vânzare"), "/tasks/services", "services.write"),
    ("", N_("Notificări (canal, limbă)"), "/messages/settings", None),
    ("", N_("Personal (ore pe zi, categorii, echipe)"), "/staff", "staff"),
]
"""Every setting by feature: code, text, page, and the action (``ui/permissions.py``) a role needs to see it."""


async def _page(
    api: ApiClient,
    user: User,
    *,
    form: dict[str, Any] | None = None,
    error: ApiError | None = None,
    password_error: ApiError | None = None,
) -> Template:
    users = await api.get("/api/users", params={"limit": 500}) if user.role == "admin" else None
    try:
        staff = (await api.get("/api/staff", params={"limit": 500}))["items"] if users is not None else []
    except ApiError:
        staff = []  # the partners service is down: a user can still be created without a staff link
    failed = error or password_error
    return Template(
        "settings/index.html",
        context={
            "sections": SECTIONS,
            "users": users,
            "staff": staff,
            "form": form or {},
            "error": error,
            "password_error": password_error,
            "is_admin": user.role == "admin",
        },
        status_code=failed.status if failed else 200,
    )


@get("/settings", include_in_schema=False)
async def settings_index(api: NamedDependency[ApiClient], user: NamedDependency[User]) -> Template:
    """Every setting, by feature, and the users (admins only)."""
    return await _page(api, user)


@post("/settings/users", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def user_create(api: NamedDependency[ApiClient], user: NamedDependency[User], data: Form) -> Any:
    """Create a user (admins): login, password, role, linked staff member."""
    body = {
        "username": str(data.get("username", "")).strip(),
        "password": str(data.get("password", "")),
        "role": str(data.get("role", "agent")),
        "staff_id": str(data.get("staff_id", "")).strip() or None,
    }
    try:
        await api.post("/api/users", json=body)
    except ApiError as exc:
        return await _page(api, user, form={k: v for k, v in body.items() if k != "password"}, error=exc)
    return Redirect("/settings", status_code=303)


@post("/settings/password", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def password_change(
    request: Request[Any, Any, Any],
    api: NamedDependency[ApiClient],
    user: NamedDependency[User],
    sessions: NamedDependency[Sessions],
    settings: NamedDependency[GatewaySettings],
    data: Form,
) -> Any:
    """Change my password: every session of mine ends (other browsers too); this browser gets a new one."""
    body = {
        "current_password": str(data.get("current_password", "")),
        "new_password": str(data.get("new_password", "")),
    }
    try:
        await api.put("/api/users/me/password", json=body)
    except ApiError as exc:
        return await _page(api, user, password_error=exc)
    cookie = await sessions.open(user)
    return Redirect("/settings", status_code=303, cookies=session_cookies(cookie, user, sessions, settings))


routes = [settings_index, user_create, password_change]
