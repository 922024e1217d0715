"""Staff directory area: people, hours per day (T6), categories for broadcasts (T2), team, user login.

Only the roles of ``permissions.PAGES["/staff"]`` open these pages (the same line hides the menu entry); the
others get a 403 page before any service is asked.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import MediaType, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from crm_gateway.domain.users import User
from crm_gateway.service_layer import UseCases
from crm_gateway.ui import permissions
from crm_gateway.ui.api import ApiClient, ApiError
from crm_gateway.ui.forms import text as _text

Form = URLEncodedBody[dict[str, Any]]
PAGE = "/staff"


def staff_body(form: dict[str, Any]) -> dict[str, Any]:
    """The API body from the staff form; an empty login means the person is not a system user."""
    return {
        "name": _text(form, "name") or "",
        "email": _text(form, "email"),
        "user_login": _text(form, "user_login"),
        "hours_per_day": (_text(form, "hours_per_day") or "8").replace(",", "."),
        "categories": [c.strip() for c in (_text(form, "categories") or "").split(",") if c.strip()],
        "team": _text(form, "team"),
        "active": _text(form, "active") != "no",
    }


async def _page(
    api: ApiClient,
    uses: UseCases,
    *,
    name: str | None = None,
    team: str | None = None,
    category: str | None = None,
    member: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
    error: ApiError | None = None,
) -> Template:
    page = await api.get("/api/staff", params={"name": name, "team": team, "category": category, "limit": 500})
    # the gateway's users are the source of truth for the login <-> staff link (authorization reads them)
    users, _ = await uses.users(1000, 0)
    logins = {u.staff_id: u.username for u in users if u.staff_id}
    page["items"] = [{**s, "user_login": logins.get(s["id"]) or s.get("user_login")} for s in page["items"]]
    return Template(
        "staff/list.html",
        context={
            "page": page,
            "filters": {"name": name or "", "team": team or "", "category": category or ""},
            "member": member,
            "form": form or {},
            "error": error,
        },
        status_code=error.status if error else 200,
    )


@get("/staff", include_in_schema=False)
async def staff_list(
    api: NamedDependency[ApiClient],
    uses: NamedDependency[UseCases],
    user: NamedDependency[User],
    name: FromQuery[str | None] = None,
    team: FromQuery[str | None] = None,
    category: FromQuery[str | None] = None,
) -> Template:
    """The staff directory, filtered by name, team or category, and the form to add someone."""
    permissions.require_page(user.role, PAGE)
    return await _page(api, uses, name=name, team=team, category=category)


@post("/staff", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def staff_create(
    api: NamedDependency[ApiClient], uses: NamedDependency[UseCases], user: NamedDependency[User], data: Form
) -> Any:
    """Add someone to the directory; a refused field is shown beside it, with what was typed kept."""
    permissions.require_page(user.role, PAGE)
    try:
        await api.post("/api/staff", json=staff_body(data))
    except ApiError as exc:
        return await _page(api, uses, form=data, error=exc)
    return Redirect("/staff", status_code=303)


@get("/staff/{staff_id:uuid}", include_in_schema=False)
async def staff_edit(
    api: NamedDependency[ApiClient],
    uses: NamedDependency[UseCases],
    user: NamedDependency[User],
    staff_id: FromPath[UUID],
) -> Template:
    """One person in the edit form, under the directory."""
    permissions.require_page(user.role, PAGE)
    member = await api.get(f"/api/staff/{staff_id}")
    form = {**member, "categories": ", ".join(member["categories"]), "active": "yes" if member["active"] else "no"}
    return await _page(api, uses, member=member, form=form)


@post("/staff/{staff_id:uuid}", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def staff_save(
    api: NamedDependency[ApiClient],
    uses: NamedDependency[UseCases],
    user: NamedDependency[User],
    staff_id: FromPath[UUID],
    data: Form,
) -> Any:
    """Save one person; a refused field is shown beside it, with what was typed kept."""
    permissions.require_page(user.role, PAGE)
    try:
        await api.patch(f"/api/staff/{staff_id}", json=staff_body(data))
    except ApiError as exc:
        member = await api.get(f"/api/staff/{staff_id}")
        return await _page(api, uses, member=member, form=data, error=exc)
    return Redirect("/staff", status_code=303)


routes = [staff_list, staff_create, staff_edit, staff_save]
