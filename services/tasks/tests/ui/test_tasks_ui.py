"""The tasks pages in a browser, through the gateway, with the partners service feeding the read models."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from crm_kit.testing import eventually
from crm_kit.testing.stack import USER_PASSWORD, Stack, start_stack

pytestmark = pytest.mark.ui


@pytest.fixture
async def stack(service_env: Callable[..., dict[str, Any]]) -> AsyncIterator[Stack]:
    async with start_stack(service_env, ["partners", "tasks"]) as running:
        yield running


async def test_an_agent_files_a_client_request_sees_the_checks_replies_resolves_and_opens_the_estimate(
    stack: Stack, page: Any
) -> None:
    admin = stack.client
    ana = await admin.post(
        "/api/staff",
        json={
            "name": "Ana Pop",
            "email": "ana@example.ro",
            "user_login": "ana",
            "hours_per_day": "8",
            "categories": ["tehnic"],
            "team": "suport",
        },
    )
    assert ana.status_code == 201, ana.text
    ana_id = ana.json()["id"]
    await stack.create_user("ana", "agent", staff_id=ana_id)
    partner = await admin.post(
        "/api/partners",
        json={"kind": "client", "name": "Acme Țară SRL", "sites": [], "contacts": [], "service_rep_staff_id": ana_id},
    )
    assert partner.status_code == 201, partner.text
    partner_id = partner.json()["id"]
    service = await admin.post(
        "/api/services", json={"code": "SUP", "name": "Suport tehnic", "hourly_rate": "200", "article_code": "ART-SUP"}
    )
    assert service.status_code == 201, service.text

    async def read_models_ready() -> bool:
        r = await admin.get("/api/tasks/checks", params={"partner_id": partner_id})
        return r.status_code == 200 and r.json()["responsible_staff_id"] == ana_id

    await eventually(read_models_ready, timeout=60, interval=0.3)

    await stack.login(page, "ana", USER_PASSWORD)
    await page.goto(stack.base_url + "/tasks/new")
    await page.fill("input[name=title]", "Imprimanta nu tipărește")
    await page.select_option("select[name=service_code]", "SUP")
    # the partner picker searches the partners service as the user types; Enter picks the first answer
    picker = page.get_by_role("combobox", name="Client beneficiar")
    await picker.press_sequentially("acme tara", delay=20)
    await page.wait_for_selector("[role=option]:has-text('Acme Țară SRL')")
    await picker.press("Enter")
    # not wait_for_function: it evaluates a string, which the pages' Content-Security-Policy forbids
    await page.wait_for_selector("#check-responsible:has-text('Ana Pop')")
    assert await page.text_content("#check-covers") == "nu"
    await page.check("input[name=billable]")
    await page.click("#task-form button[type=submit]")
    await page.wait_for_selector("text=Task creat.")
    assert "Acme Țară SRL" in await page.text_content("#task-fields")

    await page.fill("textarea[name=text]", "Am sunat clientul.")
    await page.click("#send-reply")
    await page.wait_for_selector("#replies >> text=Am sunat clientul.")
    await page.click("#resolve")
    await page.wait_for_selector("#estimate")
    href = await page.get_attribute("#printout-link", "href")
    pdf = await page.request.get(stack.base_url + href)
    assert pdf.status == 200
    assert pdf.headers["content-type"].startswith("application/pdf")

    await page.goto(stack.base_url + "/tasks?view=from-me&status=")
    assert "Imprimanta nu tipărește" in await page.text_content("#task-table")
    await page.goto(stack.base_url + "/tasks/tracking")
    assert await page.locator(".person .chart .day .res").count() >= 1
    csv = await page.request.get(stack.base_url + await page.get_attribute("#report-csv", "href"))
    assert "Imprimanta nu tipărește" in await csv.text()


async def test_the_new_task_indicator_tells_an_operator_of_a_task_assigned_after_the_page_loaded(
    stack: Stack, page: Any
) -> None:
    admin = stack.client
    ana = await admin.post(
        "/api/staff",
        json={
            "name": "Ana Pop",
            "email": "ana@example.ro",
            "user_login": "ana",
            "hours_per_day": "8",
            "categories": [],
            "team": None,
        },
    )
    ana_id = ana.json()["id"]
    await stack.create_user("ana", "agent", staff_id=ana_id)

    async def staff_known() -> bool:
        r = await admin.post("/api/tasks", json={"title": "Primul", "responsible_staff_id": ana_id})
        return r.status_code == 201

    await eventually(staff_known, timeout=60, interval=0.5)
    await stack.login(page, "ana", USER_PASSWORD)
    await page.goto(stack.base_url + "/tasks")
    assert await page.is_hidden("#new-tasks")
    created = await admin.post("/api/tasks", json={"title": "Al doilea", "responsible_staff_id": ana_id})
    assert created.status_code == 201
    await page.evaluate("window.crmCheckNewTasks()")  # what the C3 interval timer runs
    await page.wait_for_selector("#new-tasks", state="visible")
    assert await page.text_content("#new-task-count") == "1"
    async with httpx.AsyncClient(base_url=stack.base_url) as anonymous:
        assert (await anonymous.get("/tasks")).status_code in (302, 303, 307)
