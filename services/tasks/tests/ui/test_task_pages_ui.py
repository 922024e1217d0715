"""The tasks features of #18 in a browser, in both languages, for the role that uses them: hours per day (T6),
the contract line picker (T5), the invoice made on resolve or why none was (T9), the report (T11), the chart (T12).

Screenshots go to ``CRM_UI_SHOTS`` (a folder) when it is set.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from crm_kit.testing import eventually
from crm_kit.testing.stack import USER_PASSWORD, Stack, start_stack

pytestmark = pytest.mark.ui


async def shoot(page: Any, name: str) -> None:
    folder = os.environ.get("CRM_UI_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


async def english(stack: Stack, page: Any) -> None:
    """Switch the logged-in user's UI to English and stay on the page."""
    here = page.url.removeprefix(stack.base_url)
    await page.goto(f"{stack.base_url}/lang/en?next={quote(here)}")


async def person(stack: Stack, name: str, login: str, role: str, hours: str = "8") -> str:
    """A staff member with a login of ``role``, once the tasks service knows them; their staff id."""
    created = await stack.client.post(
        "/api/staff",
        json={
            "name": name,
            "email": f"{login}@example.ro",
            "user_login": login,
            "hours_per_day": hours,
            "categories": [],
            "team": "suport",
        },
    )
    assert created.status_code == 201, created.text
    staff_id = str(created.json()["id"])
    await stack.create_user(login, role, staff_id=staff_id)

    async def known() -> bool:
        staff = await stack.client.get("/api/tasks/staff")
        return any(s["id"] == staff_id for s in staff.json()["items"])

    await eventually(known, timeout=60, interval=0.3)
    return staff_id


async def test_an_agent_planning_ten_hours_on_a_free_eight_hour_day_is_told_she_is_not_available_in_both_languages(
    service_env: Callable[..., dict[str, Any]], page: Any
) -> None:
    async with start_stack(service_env, ["partners", "tasks"]) as stack:
        await person(stack, "Ana Pop", "ana", "agent")
        await stack.login(page, "ana", USER_PASSWORD)
        await page.goto(stack.base_url + "/tasks/new")
        await page.fill("input[name=title]", "Migrare server")
        await page.select_option("select[name=responsible_staff_id]", label="Ana Pop")
        await page.fill("input[name=planned_start]", "2030-03-04T09:00")  # a Monday with nothing else planned
        await page.fill("input[name=planned_hours]", "10")
        await page.wait_for_selector("#check-available.warn:has-text('Indisponibil')")
        shown = await page.text_content("#check-available") or ""
        assert "Disponibil" not in shown.replace("Indisponibil", "")
        assert "10 h planificate, peste cele 8 h pe zi ale responsabilului" in shown
        await shoot(page, "t6-form-ro")
        await page.click("#task-form button[type=submit]")
        await page.wait_for_selector("text=Task creat.")
        assert "Indisponibil" in (await page.text_content("#task-availability") or "")
        assert "10 h planificate, peste cele 8 h pe zi" in (await page.text_content("#over-day") or "")
        await shoot(page, "t6-task-ro")

        await english(stack, page)
        assert "10 h planned, more than the responsible's 8 h per day" in (await page.text_content("#over-day") or "")
        assert "Not available" in (await page.text_content("#task-availability") or "")
        await shoot(page, "t6-task-en")
        await page.goto(stack.base_url + "/tasks/new")
        await page.select_option("select[name=responsible_staff_id]", label="Ana Pop")
        await page.fill("input[name=planned_start]", "2030-03-11T09:00")
        await page.fill("input[name=planned_hours]", "8")  # a full day fits, on a day still free
        await page.wait_for_selector("#check-available.ok:has-text('Available')")


async def test_a_resolved_task_links_its_invoice_and_a_covered_one_names_its_contract_in_both_languages(
    service_env: Callable[..., dict[str, Any]], page: Any
) -> None:
    async with start_stack(service_env, ["partners", "tasks", "commercial"]) as stack:
        admin = stack.client
        ana = await person(stack, "Ana Pop", "ana", "agent")
        article = await admin.post(
            "/api/articles",
            json={"code": "ART-SUP", "name": "Suport tehnic la sediu", "unit": "ora", "price": "200", "vat_rate": "21"},
        )
        assert article.status_code == 201, article.text
        service = await admin.post(
            "/api/services",
            json={"code": "SUP", "name": "Suport tehnic", "hourly_rate": "200", "article_code": "ART-SUP"},
        )
        assert service.status_code == 201, service.text
        clients = {}
        for name in ("Acme Țară SRL", "Beta Abonat SRL"):
            body = {"kind": "client", "name": name, "sites": [], "contacts": [], "service_rep_staff_id": ana}
            created = await admin.post("/api/partners", json=body)
            assert created.status_code == 201, created.text
            clients[name] = created.json()["id"]
        beta = clients["Beta Abonat SRL"]

        async def contract_signed() -> bool:
            r = await admin.post(
                "/api/contracts",
                json={
                    "partner_id": beta,
                    "kind": "subscription",
                    "months": 12,
                    "monthly_value": "500",
                    "lines": [{"article_code": "ART-SUP", "qty": "10"}],
                },
            )
            return r.status_code == 201

        await eventually(contract_signed, timeout=60, interval=0.5)

        async def tasks_know_the_contract() -> bool:
            r = await admin.get("/api/tasks/contracts", params={"partner_id": beta})
            return r.status_code == 200 and bool(r.json()["items"])

        await eventually(tasks_know_the_contract, timeout=60, interval=0.3)

        await stack.login(page, "ana", USER_PASSWORD)
        task_ids = {}
        for name in clients:
            await page.goto(stack.base_url + "/tasks/new")
            await page.fill("input[name=title]", f"Imprimanta {name}")
            await page.select_option("select[name=service_code]", "SUP")
            picker = page.get_by_role("combobox", name="Client beneficiar")
            await picker.press_sequentially(name[:4].lower(), delay=20)
            await page.wait_for_selector(f"[role=option]:has-text('{name}')")
            await picker.press("Enter")
            if name == "Beta Abonat SRL":  # T5: the client's contract lines, by name, not by id
                await page.wait_for_selector(
                    "#contract-line option:has-text('Suport tehnic la sediu')", state="attached"
                )
                options = await page.locator("#contract-line option").all_inner_texts()
                assert [o for o in options if "-" in o and len(o) == 36] == []
                await page.select_option("#contract-line", label="Suport tehnic la sediu")
                await shoot(page, "t5-form-ro")
            await page.check("input[name=billable]")
            await page.click("#task-form button[type=submit]")
            await page.wait_for_selector("text=Task creat.")
            task_ids[name] = page.url.split("/tasks/")[1].split("?")[0]
            await page.click("#resolve")
            await page.wait_for_selector("#task-done:text-is('Task rezolvat.')")  # said, as "Task creat." was
            await page.wait_for_selector("#invoice")
            await shoot(page, "task-resolved-ro")

        # the covered task: no invoice, and the page says which contract covers it
        await page.goto(f"{stack.base_url}/tasks/{task_ids['Beta Abonat SRL']}")
        assert (await page.text_content("#task-balance") or "").endswith("lei")  # resolved: the balance stays shown
        assert "Suport tehnic la sediu" in (await page.text_content("#task-contract-line") or "")
        reason = await page.text_content("#invoice-reason") or ""
        assert "Fără factură: serviciul este acoperit de contractul" in reason
        number = await page.text_content("#task-contract a") or ""
        assert number and number in reason
        await shoot(page, "t9-covered-ro")
        await english(stack, page)
        assert (await page.text_content("#task-balance") or "").endswith("RON")
        assert f"No invoice: the service is covered by contract {number}." in (
            await page.text_content("#invoice-reason") or ""
        )
        await shoot(page, "t9-covered-en")
        await page.click("form[action$='/reopen'] button")
        await page.wait_for_selector("#task-done:text-is('Task reopened.')")
        await page.click("#resolve")
        await page.wait_for_selector("#task-done:text-is('Task resolved.')")
        await shoot(page, "task-resolved-en")

        # the uncovered one: commercial issues the invoice, and the task page links to its document page
        acme_page = f"{stack.base_url}/tasks/{task_ids['Acme Țară SRL']}"

        async def invoice_linked() -> bool:
            await page.goto(acme_page)
            return await page.locator("#invoice-link").count() == 1

        await eventually(invoice_linked, timeout=60, interval=0.5)
        assert "Invoice FCT-" in (await page.text_content("#invoice-link") or "")
        await shoot(page, "t9-invoiced-en")
        await page.goto(f"{stack.base_url}/lang/ro?next=/tasks/{task_ids['Acme Țară SRL']}")
        assert "Factura FCT-" in (await page.text_content("#invoice-link") or "")
        await page.click("#invoice-link")
        await page.wait_for_load_state()
        assert "/documents/" in page.url
        assert "FCT-" in (await page.locator("body").inner_text())
        await shoot(page, "t9-invoice-document-ro")


async def test_a_manager_filters_pages_and_exports_the_task_report_in_the_configured_zone_in_both_languages(
    service_env: Callable[..., dict[str, Any]], page: Any
) -> None:
    zone = "Asia/Tokyo"  # far from UTC, so a time left in UTC shows
    overrides = {"gateway": {"timezone": zone}}
    async with start_stack(service_env, ["partners", "tasks"], overrides=overrides) as stack:
        admin = stack.client
        maria = await person(stack, "Maria Ionescu", "maria", "manager")
        bob = await person(stack, "Bob Vasile", "bob", "agent")
        for n in range(55):
            created = await admin.post(
                "/api/tasks", json={"title": f"Verificare {n:02d}", "responsible_staff_id": maria}
            )
            assert created.status_code == 201, created.text
        other = await admin.post("/api/tasks", json={"title": "Altcineva", "responsible_staff_id": bob})
        assert other.status_code == 201
        resolved = await admin.post(f"/api/tasks/{other.json()['id']}/resolve")
        assert resolved.status_code == 200, resolved.text

        await stack.login(page, "maria", USER_PASSWORD)
        await page.goto(stack.base_url + "/tasks/report")
        await page.select_option("select[name=responsible_staff_id]", label="Maria Ionescu")
        await page.select_option("select[name=status]", "open")
        await page.click("#report-filters button[type=submit]")
        await page.wait_for_selector("#report-table")
        assert "55 de task-uri" in (await page.text_content("#report-total") or "")
        assert await page.locator("#report-table tbody tr").count() == 50
        assert "Altcineva" not in (await page.text_content("#report-table") or "")
        await shoot(page, "t11-report-ro")
        await page.click("#report-next")
        await page.wait_for_selector("#report-prev")
        assert await page.locator("#report-table tbody tr").count() == 5
        assert "51\u201355 din 55" in (await page.text_content("#report-total") or "")

        export = await page.request.get(stack.base_url + (await page.get_attribute("#report-csv", "href") or ""))
        assert export.status == 200
        rows = list(csv.reader(io.StringIO(await export.text())))
        assert rows[0][:4] == ["Titlu", "Stare", "Sursa", "Responsabil"]
        assert len(rows) == 56 and rows[1][1] == "deschis"
        api = await admin.get("/api/tasks/report", params={"responsible_staff_id": maria})
        first = api.json()["items"][0]
        registered = datetime.fromisoformat(first["registered_at"]).astimezone(ZoneInfo(zone))
        assert rows[1][7] == registered.strftime("%Y-%m-%d %H:%M")  # Tokyo time, not UTC
        as_json = await page.request.get(stack.base_url + (await page.get_attribute("#report-json", "href") or ""))
        body = await as_json.json()
        assert body["total"] == 55 and body["items"][0]["registered_at"].endswith("+09:00")

        await english(stack, page)
        assert "55 tasks" in (await page.text_content("#report-total") or "")
        assert "51\u201355 of 55" in (await page.text_content("#report-total") or "")
        await shoot(page, "t11-report-en")
        export = await page.request.get(stack.base_url + (await page.get_attribute("#report-csv", "href") or ""))
        header = next(csv.reader(io.StringIO(await export.text())))
        assert header[:4] == ["Title", "Status", "Source", "Responsible"]

        # T12: the chart has axes, numbers and day labels, and no card without a name
        await page.goto(stack.base_url + "/tasks/tracking")
        await page.wait_for_selector(".person svg.chart")
        assert await page.locator(".person svg .axis").count() >= 2
        assert await page.locator(".person svg .day-label").count() >= 7
        assert "55" in await page.locator(".person svg .tick").all_text_contents()
        headings = await page.locator(".person h2").all_inner_texts()
        assert "None" not in headings and "Maria Ionescu" in headings
        await shoot(page, "t12-tracking-en")
