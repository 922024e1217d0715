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


async def linked_logins(uses: UseCases) -> dict[str, str]:
    """Staff id -> the login of the gateway user linked to that person.

    The gateway's users are the source of truth for the login <-> staff link (authorization reads them); the
    staff record's ``user_login`` is a copy (``Forwarder.link_staff_login``) shown only when no user is linked.
    """
    users, _ = await uses.users(1000, 0)
    return {u.staff_id: u.username for u in users if u.staff_id}


def with_login(member: dict[str, Any], logins: dict[str, str]) -> dict[str, Any]:
    """A staff record with the login the directory shows, and whether it is a linked user's (not editable here)."""
    linked = logins.get(member["id"])
    return {**member, "user_login": linked or member.get("user_login"), "login_linked": linked is not None}


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
    logins = await linked_logins(uses)
    page["items"] = [with_login(s, logins) for s in page["items"]]
    form = dict(form or {})
    if member is not None:
        member = with_login(member, logins)
        if member["login_linked"]:
            form["user_login"] = member["user_login"]  # the list's login, whatever was typed or stored on the record
    return Template(
        "staff/list.html",
        context={
            "page": page,
            "filters": {"name": name or "", "team": team or "", "category": category or ""},
            "member": member,
            "form": form,
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
    """One person in the edit form, under the directory; the login is the one the directory shows."""
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
    """Save one person; a refused field is shown beside it, with what was typed kept.

    A linked user's login is saved as the users table has it (the record's copy is refreshed), never as typed:
    the link is made when the user is created (Configurări), not here.
    """
    permissions.require_page(user.role, PAGE)
    body = staff_body(data)
    linked = (await linked_logins(uses)).get(str(staff_id))
    if linked is not None:
        body["user_login"] = linked
    try:
        await api.patch(f"/api/staff/{staff_id}", json=body)
    except ApiError as exc:
        member = await api.get(f"/api/staff/{staff_id}")
        return await _page(api, uses, member=member, form=data, error=exc)
    return Redirect("/staff", status_code=303)


routes = [staff_list, staff_create, staff_edit, staff_save]
