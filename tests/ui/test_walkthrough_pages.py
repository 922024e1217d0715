"""A new user's walkthrough in a real browser: pages that say what to do, log no script error, check the billed
month, and keep the menu on a page that does not exist.

Screenshots go to ``CRM_UI_SHOTS`` (a folder) when it is set, in both languages.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from crm_gateway.api import stream
from crm_kit.testing import eventually, shoot
from crm_kit.testing.stack import Stack, start_stack


async def _english(page: Any, stack: Stack) -> None:
    await page.goto(f"{stack.base_url}/lang/en?next=/")


async def test_the_documents_page_says_to_choose_a_partner_and_the_live_stream_logs_no_script_error(
    service_env: Any, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "KEEPALIVE_SECONDS", 0.2)  # the stream's keep-alive every 0.2 s, not 15
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    # script errors only: the browser also logs a missing /favicon.ico as an error
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    async with start_stack(service_env, ["partners", "commercial"]) as stack:
        await stack.login(page)
        await page.goto(f"{stack.base_url}/documents")
        hint = page.locator("#partner-hint")
        assert (await hint.inner_text()).startswith("Alegeți un partener")
        await page.wait_for_timeout(1500)  # several keep-alives reach the page
        await shoot(page, "documents-no-partner-ro")
        # the partner search answering an empty body: the picker says the search failed, nothing is thrown
        await page.route("**/api/partners/search*", lambda route: route.fulfill(status=200, body=""))
        await page.get_by_role("combobox", name="Partener").press_sequentially("Alf", delay=20)
        await page.locator(".picker-hint", has_text="Căutarea nu a reușit").wait_for()
        await _english(page, stack)
        await page.goto(f"{stack.base_url}/documents")
        assert (await page.locator("#partner-hint").inner_text()).startswith("Choose a partner")
        await page.wait_for_timeout(800)
        await shoot(page, "documents-no-partner-en")
    assert problems == []


async def test_an_invoices_refusals_are_said_beside_the_part_of_the_form_they_are_about_in_both_languages(
    service_env: Any, page: Any
) -> None:
    """No contract beside the contract list (not the month), no line beside the lines, no month beside the month."""
    async with start_stack(service_env, ["partners", "commercial"]) as stack:
        partner = await stack.client.post("/api/partners", json={"name": "Alfa Trading SRL", "kind": "client"})
        assert partner.status_code == 201, partner.text
        partner_id = partner.json()["id"]
        await stack.login(page)
        expected = {
            "ro": (
                "Partenerul nu are contracte: emiteți factura din comandă sau cu linii proprii.",
                "Documentul are nevoie de cel puțin o linie.",
                "Alegeți luna și anul facturate.",
            ),
            "en": (
                "The partner has no contracts: issue the invoice from an order or with its own lines.",
                "A document needs at least one line.",
                "Choose the month and the year billed.",
            ),
        }
        form = page.locator("#invoice-form")

        async def refused(source: str, key: str, message: str) -> None:
            await page.goto(f"{stack.base_url}/documents/invoices/new?partner_id={partner_id}")
            await form.locator(f"input[name=source][value={source}]").check()
            await form.locator("button[type=submit]").click()
            assert await form.locator(f"[data-field-error={key}]").inner_text() == message
            assert await page.locator("#field-errors").count() == 0  # beside its field, not in the list on top
            assert await form.locator(f"input[name=source][value={source}]").is_checked()  # the form as it was

        for language, (no_contract, no_line, _) in expected.items():
            if language == "en":
                await _english(page, stack)
            await refused("contract", "contract_id", no_contract)
            assert await form.locator("select[name=contract_id]").get_attribute("aria-invalid") == "true"
            await shoot(page, f"invoice-no-contract-{language}")
            await refused("lines", "lines", no_line)
            await shoot(page, f"invoice-no-lines-{language}")

        article = {"code": "ABO", "name": "Abonament", "unit": "buc", "price": "100", "vat_rate": "21"}
        assert (await stack.client.post("/api/articles", json=article)).status_code == 201
        contract = {"partner_id": partner_id, "lines": [{"article_code": "ABO", "qty": "1"}], "starts_on": "2026-03-01"}

        async def signed() -> bool:  # once commercial has heard of the partner
            return (await stack.client.post("/api/contracts", json={**contract, "months": 12})).status_code == 201

        await eventually(signed)
        for language, (_, _, no_month) in expected.items():
            await page.goto(f"{stack.base_url}/lang/{language}?next=/")
            await page.goto(f"{stack.base_url}/documents/invoices/new?partner_id={partner_id}")
            months = await form.locator("select[name=period_month] option").all_inner_texts()
            assert months[1:4] == (
                ["ianuarie", "februarie", "martie"] if language == "ro" else ["January", "February", "March"]
            )
            await refused("contract", "period", no_month)
            assert await form.locator("select[name=period_month]").get_attribute("aria-invalid") == "true"
            await shoot(page, f"invoice-month-error-{language}")


async def test_a_page_that_does_not_exist_keeps_the_menu_and_a_missing_partners_edit_page_says_so(
    service_env: Any, page: Any
) -> None:
    async with start_stack(service_env, ["partners"]) as stack:
        answer = await page.goto(f"{stack.base_url}/nope")
        assert answer is not None and answer.status == 404
        assert await page.locator("nav.nav").count() == 0 and await page.locator("#error-login").is_visible()
        await stack.login(page)
        await page.goto(f"{stack.base_url}/nope")
        assert await page.locator("nav.nav a[data-nav='/partners']").is_visible()
        assert await page.locator("#error-message").inner_text() == "Pagina nu există."
        await shoot(page, "not-found-ro")
        await page.goto(f"{stack.base_url}/partners/{uuid.uuid4()}/edit")
        assert await page.locator("#error-message").inner_text() == "Partenerul nu există."
        await page.locator("#error-back").click()
        await page.wait_for_url("**/partners")
        await _english(page, stack)
        await page.goto(f"{stack.base_url}/nope")
        assert "Partners" in await page.locator("nav.nav").inner_text()
        assert await page.locator("#error-message").inner_text() == "Page not found."
        await shoot(page, "not-found-en")


async def test_an_email_or_a_broadcast_without_a_recipient_is_refused_beside_the_recipients_in_both_languages(
    service_env: Any, page: Any
) -> None:
    async with start_stack(service_env, ["partners", "notifier", "tasks"]) as stack:
        await stack.login(page)
        expected = {
            "ro": ("Emailul nu are destinatar", "Lansarea are nevoie de cel puțin un destinatar", "Verificați"),
            "en": ("The email has no recipient", "A broadcast needs at least one recipient", "Check the marked"),
        }
        for language, (email, broadcast, marked) in expected.items():
            if language == "en":
                await _english(page, stack)
            await page.goto(f"{stack.base_url}/emails/new")
            await page.fill("#email-form input[name=subject]", "Salut")
            await page.click("#email-form button[type=submit]")
            note = page.locator("#email-form legend + [data-field-error=recipients]")
            assert (await note.inner_text()).startswith(email)
            assert (await page.locator("#page-error").inner_text()).startswith(marked)  # not the refusal again
            assert await page.locator("#field-errors").count() == 0
            await shoot(page, f"email-no-recipient-{language}")

            await page.goto(f"{stack.base_url}/tasks/broadcasts")
            await page.fill("#broadcast-form input[name=title]", "Inventar")
            await page.click("#broadcast-form button[type=submit]")
            note = page.locator("#broadcast-form legend + [data-field-error=recipients]")
            assert (await note.inner_text()).startswith(broadcast)
            assert await page.input_value("#broadcast-form input[name=title]") == "Inventar"
            await shoot(page, f"broadcast-no-recipient-{language}")
