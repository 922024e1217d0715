"""The partner picker at a real company's size: 300 partners, found by typing, chosen with the keyboard."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from crm_kit.testing import eventually
from crm_kit.testing.stack import USER_PASSWORD, Stack, start_stack

pytestmark = pytest.mark.ui

PARTNERS = 300
# CRM_SCREENS_DIR=docs/screens retakes the pictures of the picker committed there (docs/screens/partner-picker-*.png)
SCREENS = Path(os.environ.get("CRM_SCREENS_DIR") or "/nonexistent")


def name_of(n: int) -> str:
    return f"Ștefan Brașov Import {n:03d}"


@pytest.fixture
async def stack(service_env: Callable[..., dict[str, Any]]) -> AsyncIterator[Stack]:
    async with start_stack(service_env, ["partners", "tasks", "opportunities"]) as running:
        yield running


async def seed(stack: Stack) -> tuple[str, dict[int, str]]:
    """A staff member, and PARTNERS clients she serves, registered twenty at a time; when tasks and
    opportunities know them all: her id and the partners' ids by number."""
    staff = await stack.client.post(
        "/api/staff",
        json={"name": "Ana Pop", "email": "ana@example.ro", "hours_per_day": "8", "categories": [], "team": "suport"},
    )
    assert staff.status_code == 201, staff.text
    ana = str(staff.json()["id"])
    ids: dict[int, str] = {}

    async def register(n: int) -> None:
        body = {"kind": "client", "name": name_of(n), "sites": [], "contacts": [], "service_rep_staff_id": ana}
        response = await stack.client.post("/api/partners", json=body)
        assert response.status_code == 201, response.text
        ids[n] = response.json()["id"]

    for start in range(1, PARTNERS + 1, 20):
        await asyncio.gather(*(register(n) for n in range(start, min(start + 20, PARTNERS + 1))))

    async def replicas_know_the_last() -> bool:
        tasks = await stack.client.get("/api/tasks/partners", params={"name": "Import 300"})
        opportunities = await stack.client.get("/api/opportunities/partners", params={"name": "Import 300"})
        staff = await stack.client.get("/api/tasks/staff")
        known = bool(tasks.json()["items"]) and bool(opportunities.json()["items"])
        return known and any(s["id"] == ana for s in staff.json()["items"])

    await eventually(replicas_know_the_last, timeout=120, interval=0.5)
    return ana, ids


async def options(page: Any) -> list[str]:
    return [t.strip() for t in await page.locator("[role=listbox]:visible [role=option]").all_inner_texts()]


async def test_a_task_and_an_opportunity_are_filed_for_the_299th_partner_typed_and_picked_by_keyboard(
    stack: Stack, page: Any
) -> None:
    ana, ids = await seed(stack)
    await stack.create_user("ana", "manager", ana, USER_PASSWORD)
    await stack.login(page, "ana", USER_PASSWORD)

    # the task form: no diacritics typed, ten answers, the tenth reached with the arrow keys
    await page.goto(stack.base_url + "/tasks/new")
    await page.fill("input[name=title]", "Revizie anuală")
    box = page.get_by_role("combobox", name="Client beneficiar")
    await box.press_sequentially("brasov 29", delay=20)
    await page.wait_for_selector("[role=option]:has-text('Import 299')")
    found = await options(page)
    assert found == [name_of(n) for n in range(290, 300)]
    for _ in range(9):
        await box.press("ArrowDown")
    await box.press("Enter")
    assert await box.input_value() == name_of(299)
    assert await page.input_value("#task-form input[name=partner_id]") == ids[299]
    if SCREENS.is_dir():
        await box.fill("")
        await box.press_sequentially("stefan brasov 2", delay=20)
        await page.wait_for_selector("[role=option]:has-text('Import 200')")
        await page.screenshot(path=str(SCREENS / "partner-picker-ro.png"))
        await box.fill("")
        await box.press_sequentially("brasov 299", delay=20)
        await page.wait_for_selector("[role=option]:has-text('Import 299')")
        await box.press("Enter")
    await page.click("#task-form button[type=submit]")
    await page.wait_for_selector("text=Task creat.")
    assert name_of(299) in await page.text_content("#task-fields")

    # the new-opportunity form, in English, with the diacritics typed
    await page.goto(stack.base_url + "/lang/en?next=/opportunities")
    box = page.get_by_role("combobox", name="Partner")
    await box.press_sequentially("Ștefan Brașov Import 299", delay=10)
    await page.wait_for_selector("#new-opportunity [role=option]:has-text('Import 299')")
    assert await options(page) == [name_of(299)]
    await box.press("Enter")
    assert await page.input_value("#new-opportunity input[name=partner_id]") == ids[299]
    await page.fill("#new-opportunity input[name=title]", "Extindere depozit")
    await page.fill("#new-opportunity input[name=potential]", "15000")
    if SCREENS.is_dir():
        await box.fill("")
        await box.press_sequentially("import 29", delay=20)
        await page.wait_for_selector("#new-opportunity [role=option]:has-text('Import 290')")
        await page.screenshot(path=str(SCREENS / "partner-picker-en.png"))
        await box.fill("")
        await box.press_sequentially("import 299", delay=20)
        await page.wait_for_selector("#new-opportunity [role=option]:has-text('Import 299')")
        await box.press("Enter")
    await page.click("#new-opportunity button[type=submit]")
    await page.wait_for_selector("#stage-form")
    assert name_of(299) in await page.inner_text("main")
    opened = await stack.client.get("/api/opportunities", params={"partner_id": ids[299]})
    assert [o["title"] for o in opened.json()["items"]] == ["Extindere depozit"]

    # the stage form's delegate is picked from the staff the same way
    delegate = page.get_by_role("combobox", name="Delegate")
    await delegate.press_sequentially("pop", delay=20)
    await page.wait_for_selector("#stage-form [role=option]:has-text('Ana Pop')")
    await delegate.press("Enter")
    assert await page.input_value("#stage-form input[name=delegate_staff_id]") == ana


async def test_text_typed_but_not_chosen_from_the_list_does_not_submit_the_form(stack: Stack, page: Any) -> None:
    response = await stack.client.post(
        "/api/partners", json={"kind": "client", "name": name_of(1), "sites": [], "contacts": []}
    )
    assert response.status_code == 201, response.text
    await stack.login(page)
    await page.goto(stack.base_url + "/tasks/new")
    await page.fill("input[name=title]", "Fără client ales")
    await page.get_by_role("combobox", name="Client beneficiar").fill("Brașov")
    await page.click("#task-form button[type=submit]")
    assert page.url.endswith("/tasks/new")
    tasks = await stack.client.get("/api/tasks")
    assert tasks.json()["total"] == 0


async def test_a_new_partners_sales_representative_is_picked_from_the_staff_by_typing(stack: Stack, page: Any) -> None:
    staff = await stack.client.post(
        "/api/staff",
        json={"name": "Ștefan Ionescu", "email": "stefan@example.ro", "hours_per_day": "8", "categories": []},
    )
    assert staff.status_code == 201, staff.text
    await stack.login(page)
    await page.goto(stack.base_url + "/partners/new")
    await page.fill("#partner-form input[name=name]", "Gama Furnizor SRL")
    rep = page.get_by_role("combobox", name="Reprezentant vânzări")
    await rep.press_sequentially("stefan io", delay=20)
    await page.wait_for_selector("#partner-form [role=option]:has-text('Ștefan Ionescu')")
    await rep.press("Enter")
    await page.click("#partner-form button[type=submit]")
    await page.wait_for_load_state()

    found = await stack.client.get("/api/partners", params={"name": "Gama Furnizor"})
    assert [p["sales_rep_staff_id"] for p in found.json()["items"]] == [staff.json()["id"]]
