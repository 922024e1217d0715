"""The staff pages: only the roles that see "Personal" in the menu open them; the login shown and saved is the users'.

An agent typing /staff or /staff/{id} gets the 403 page in their language before any service is asked (the same
line of ``ui/permissions.py`` hides the menu entry). The edit form shows the login the directory shows, from the
gateway's users table, and a save keeps it: the link between a user and a staff member is made on Configurări.
"""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

import pytest
from litestar.response import Redirect, Template

from crm_gateway.domain.users import User
from crm_gateway.service_layer import UseCases
from crm_gateway.ui import permissions
from crm_gateway.ui.api import ApiClient, ApiError
from crm_gateway.ui.areas import staff as page
from crm_gateway.ui.web import NAVIGATION

from .pages import render_page

LINKED = "0b5c1f43-6d1e-4a59-9a57-0c7e1b0d2a11"
FREE = "7f3e2a10-2b8c-4c1d-8e5f-1a2b3c4d5e6f"
MEMBERS = {
    # the record's copy of the login is stale (the copy failed, or someone typed another one before)
    LINKED: {
        "id": LINKED,
        "name": "Ana Pop",
        "email": None,
        "user_login": "ana.veche",
        "hours_per_day": "8",
        "categories": ["vânzări"],
        "team": None,
        "active": True,
    },
    FREE: {
        "id": FREE,
        "name": "Ion Ene",
        "email": None,
        "user_login": "ion",
        "hours_per_day": "6",
        "categories": [],
        "team": "Est",
        "active": True,
    },
}
USERS = [User(id="u-1", username="ana", role="manager", staff_id=LINKED)]
ADMIN = User(id="u-0", username="admin", role="admin", staff_id=None)


class FakeApi:
    """The staff API the pages call; every call is recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    async def get(self, path: str, **_: Any) -> Any:
        self.calls.append(("GET", path, None))
        if path == "/api/staff":
            return {"items": list(MEMBERS.values()), "total": len(MEMBERS)}
        return MEMBERS[path.rsplit("/", 1)[1]]

    async def post(self, path: str, json: Any = None, **_: Any) -> Any:
        self.calls.append(("POST", path, json))
        return json

    async def patch(self, path: str, json: Any = None, **_: Any) -> Any:
        self.calls.append(("PATCH", path, json))
        return json


class FakeUses:
    """The gateway's users (the source of truth for the login <-> staff link)."""

    async def users(self, limit: int, offset: int) -> tuple[list[User], int]:
        return USERS, len(USERS)


def deps(role: str = "admin") -> dict[str, Any]:
    return {
        "api": cast(ApiClient, FakeApi()),
        "uses": cast(UseCases, FakeUses()),
        "user": User(id="u-9", username="x", role=role, staff_id=None),
    }


def render(template: str, language: str, user: User = ADMIN, **context: Any) -> str:
    return render_page(template, language, user=user, path="/staff", **context)


def test_the_staff_page_and_its_menu_entry_are_decided_by_the_same_line() -> None:
    for role in ("admin", "manager", "agent"):
        shown = any(item.href == "/staff" and permissions.nav_allowed(role, item.href) for item in NAVIGATION)
        assert shown == permissions.allowed(role, permissions.PAGES["/staff"]), role
    assert permissions.NAV_ACTIONS["/staff"] == permissions.PAGES["/staff"]


@pytest.mark.parametrize(
    ("handler", "arguments"),
    [
        ("staff_list", {}),
        ("staff_edit", {"staff_id": UUID(FREE)}),
        ("staff_create", {"data": {"name": "X"}}),
        ("staff_save", {"staff_id": UUID(FREE), "data": {"name": "X"}}),
    ],
)
async def test_an_agent_typing_a_staff_address_gets_403_and_no_service_is_asked(
    handler: str, arguments: dict[str, Any]
) -> None:
    values = deps("agent")
    with pytest.raises(ApiError) as refused:
        await getattr(page, handler).fn(**values, **arguments)
    assert refused.value.status == 403
    assert cast(FakeApi, values["api"]).calls == []


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("ro", ("Eroare 403", "Nu aveți dreptul să faceți asta.", "Această acțiune cere rolul")),
        ("en", ("Error 403", "This action needs the role")),
    ],
)
async def test_the_refusal_is_a_page_in_the_users_language_naming_the_roles(
    language: str, texts: tuple[str, ...]
) -> None:
    with pytest.raises(ApiError) as refused:
        await page.staff_list.fn(**deps("agent"))
    agent = User(id="u-2", username="ioana", role="agent", staff_id=None)
    html = render("error.html", language, agent, status=403, error=refused.value)
    for text in texts:
        assert text in html
    assert "this action needs" not in html  # the service's English text is never shown as sent
    assert 'href="/staff"' not in html  # nor, in the menu of the refusal page, the page refused


async def test_a_manager_opens_the_staff_pages() -> None:
    answer = await page.staff_list.fn(**deps("manager"))
    assert isinstance(answer, Template) and answer.status_code == 200


async def test_the_edit_form_shows_the_login_of_the_list_from_the_users_table_not_the_records_copy() -> None:
    listed = await page.staff_list.fn(**deps())
    logins = {s["id"]: s["user_login"] for s in cast(Template, listed).context["page"]["items"]}
    assert logins == {LINKED: "ana", FREE: "ion"}
    for staff_id in (LINKED, FREE):
        edit = cast(Template, await page.staff_edit.fn(**deps(), staff_id=UUID(staff_id)))
        assert edit.context["form"]["user_login"] == logins[staff_id]
    edit = cast(Template, await page.staff_edit.fn(**deps(), staff_id=UUID(LINKED)))
    assert edit.context["member"]["login_linked"] is True


@pytest.mark.parametrize(
    ("language", "note"),
    [
        ("ro", "Contul de utilizator legat de această persoană"),
        ("en", "The user account linked to this person"),
    ],
)
async def test_a_linked_login_is_read_only_in_the_form_and_a_free_one_is_editable(language: str, note: str) -> None:
    linked = cast(Template, await page.staff_edit.fn(**deps(), staff_id=UUID(LINKED)))
    html = render("staff/list.html", language, **linked.context)
    assert 'name="user_login" id="user-login" value="ana" readonly' in html and note in html
    free = cast(Template, await page.staff_edit.fn(**deps(), staff_id=UUID(FREE)))
    html = render("staff/list.html", language, **free.context)
    assert 'name="user_login" id="user-login" value="ion" placeholder=' in html and note not in html


async def test_saving_a_linked_member_keeps_the_users_login_whatever_was_typed() -> None:
    values = deps()
    form = {"name": "Ana Pop", "user_login": "altceva", "hours_per_day": "7", "active": "yes"}
    answer = await page.staff_save.fn(**values, staff_id=UUID(LINKED), data=form)
    assert isinstance(answer, Redirect)
    [(method, path, body)] = cast(FakeApi, values["api"]).calls
    assert (method, path, body["user_login"], body["hours_per_day"]) == ("PATCH", f"/api/staff/{LINKED}", "ana", "7")


async def test_saving_a_member_without_a_user_sends_the_typed_login() -> None:
    values = deps()
    form = {"name": "Ion Ene", "user_login": "ion.ene", "hours_per_day": "6", "active": "yes"}
    await page.staff_save.fn(**values, staff_id=UUID(FREE), data=form)
    [(_, _, body)] = cast(FakeApi, values["api"]).calls
    assert body["user_login"] == "ion.ene"
