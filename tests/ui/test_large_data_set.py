"""The web UI on a large data set (issue #18), loaded by ``make demo-large``'s own script into a test stack.

In a real browser, in Romanian and in English: the 99,999th partner (at this size: the one before the last) is
chosen by typing part of its name in the picker, and an opportunity, a task and an invoice are made for it.

``make test`` runs it with 1,000 partners, 2,000 tasks and 200 documents (``CRM_UI_LARGE_PARTNERS``; the tasks
and documents follow the full set's proportions): about a minute on a quiet machine, 100 s under a load of 25;
the full 100,000 by hand:
``CRM_UI_LARGE_PARTNERS=100000 uv run pytest tests/ui/test_large_data_set.py``.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from crm_commercial.settings import CommercialSettings
from crm_kit.testing.stack import ADMIN_PASSWORD, Stack, start_stack
from crm_tasks.settings import TasksSettings
from deploy.demo_large import Sizes, load, marked_name, marked_number

pytestmark = pytest.mark.ui

PARTNERS = int(os.environ.get("CRM_UI_LARGE_PARTNERS", "1000"))
SIZES = Sizes(partners=PARTNERS, tasks=2 * PARTNERS, documents=PARTNERS // 5)
SERVICES = ["partners", "opportunities", "tasks", "commercial"]


async def _choose_marked_partner(page: Any, picker: str) -> None:
    """Type part of the marked partner's name into ``picker`` (a text box) and choose it from the answers."""
    await page.fill(picker, f"zorilor {marked_number(PARTNERS)}")
    option = page.locator(f"{picker} ~ ul[role=listbox] li[role=option]").first
    await option.wait_for()
    assert marked_name(PARTNERS) in await option.inner_text()
    await page.keyboard.press("Enter")


async def _make_records_for_the_marked_partner(stack: Stack, page: Any, language: str) -> None:
    title = f"Extindere depozit {language}"
    await page.goto(f"{stack.base_url}/lang/{language}?next=/opportunities")
    await _choose_marked_partner(page, "#new-opportunity-partner")
    await page.fill("#new-opportunity input[name=title]", title)
    await page.click("#new-opportunity button[type=submit]")
    await page.wait_for_load_state()
    assert marked_name(PARTNERS) in await page.locator("body").inner_text()

    await page.goto(f"{stack.base_url}/tasks/new")
    await page.fill("#task-form input[name=title]", f"Vizită tehnică {language}")
    await _choose_marked_partner(page, "#picker-partner_id")
    await page.click("#task-form button[type=submit]")
    await page.wait_for_url(re.compile(r"/tasks/[0-9a-f-]{36}"))
    assert marked_name(PARTNERS) in await page.locator("body").inner_text()

    await page.goto(f"{stack.base_url}/documents/invoices/new")
    await _choose_marked_partner(page, "#picker-partner_id")
    await page.wait_for_selector("#invoice-form")
    await page.fill("#picker-line_code_0", "SRV")
    await page.locator("#picker-line_code_0 ~ ul[role=listbox] li[role=option]").first.wait_for()
    await page.keyboard.press("Enter")
    await page.fill("#invoice-form input[name=line_qty_0]", "2")
    await page.click("#invoice-form button[type=submit]")
    await page.wait_for_url(re.compile(r"/documents/[0-9a-f-]{36}"))
    assert marked_name(PARTNERS) in await page.locator("body").inner_text()


async def test_the_99999th_partner_is_found_by_part_of_its_name_and_gets_an_opportunity_task_and_invoice(
    service_env, page
) -> None:
    async with start_stack(service_env, SERVICES) as stack:
        timings = await load(
            stack.base_url,
            ADMIN_PASSWORD,
            SIZES,
            tasks_settings=TasksSettings(**service_env("tasks", port=stack.ports["tasks"])),
            commercial_settings=CommercialSettings(**service_env("commercial", port=stack.ports["commercial"])),
            say=lambda line: print(line, flush=True),  # shown with -s: how long each part took
        )
        print("loaded in", {part: round(seconds) for part, seconds in timings.items()}, flush=True)
        found = await stack.client.get("/api/partners/search", params={"q": marked_name(PARTNERS)})
        partner = found.json()["items"][0]
        invoices_before = await _invoices_of(stack, partner["id"])
        await stack.login(page)
        for language in ("ro", "en"):
            await _make_records_for_the_marked_partner(stack, page, language)

        opportunities = await stack.client.get("/api/opportunities", params={"partner_id": partner["id"]})
        assert sorted(o["title"] for o in opportunities.json()["items"]) == [
            "Extindere depozit en",
            "Extindere depozit ro",
        ]
        tasks = await stack.client.get("/api/tasks", params={"partner_id": partner["id"], "limit": 200})
        assert {"Vizită tehnică ro", "Vizită tehnică en"} <= {t["title"] for t in tasks.json()["items"]}
        assert await _invoices_of(stack, partner["id"]) == invoices_before + 2


async def _invoices_of(stack: Stack, partner_id: str) -> int:
    answer = await stack.client.get("/api/documents", params={"partner_id": partner_id, "type": "invoice"})
    return int(answer.json()["total"])
