"""The fourth walkthrough in a real browser: a follow-up's issuer, a rejected offer's reason, an order number that
opens the order, and the new task form of an agent (their own name as responsible, a balance of 0).

Screenshots go to ``CRM_UI_SHOTS`` (a folder) when it is set, in both languages.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from crm_kit.testing import created, eventually, shoot
from crm_kit.testing.stack import USER_PASSWORD, start_stack


async def test_a_follow_up_names_its_admin_issuer_and_a_rejected_offer_its_reason_and_the_order_is_a_link(
    service_env: Any, page: Any
) -> None:
    async with start_stack(service_env, ["partners", "opportunities", "tasks", "commercial"]) as stack:
        api = stack.client
        ana = await created(
            api,
            "/api/staff",
            {"name": "Ana Popescu", "email": "ana@example.ro", "hours_per_day": "8", "categories": []},
        )
        partner = await created(api, "/api/partners", {"name": "Alfa Trading SRL", "kind": "client"})
        await created(
            api,
            "/api/articles",
            {"code": "LIC", "name": "Licență", "unit": "buc", "price": "100.00", "vat_rate": "21", "photos": []},
        )
        opp = await created(
            api, "/api/opportunities", {"partner_id": partner["id"], "title": "Extindere depozit", "potential": "1250"}
        )
        at = (datetime.now(UTC) + timedelta(days=2)).isoformat()
        moved = await api.post(
            f"/api/opportunities/{opp['id']}/stage",
            json={"stage": "presentation", "delegate_staff_id": ana["id"], "follow_up_at": at},
        )
        assert moved.status_code == 200, moved.text  # by the admin, who has no staff record

        async def offers() -> list[dict[str, Any]]:
            documents = (await api.get(f"/api/opportunities/{opp['id']}")).json()["documents"]
            return [d for d in documents if d["type"] == "offer" and d.get("document_id")]

        for before, qty in enumerate(("2", "3")):
            # the article reaches the opportunities service by an event: ask again until it is known there
            line = {"article_code": "LIC", "qty": qty}
            await created(api, f"/api/opportunities/{opp['id']}/offer", {"lines": [line]})
            await eventually(lambda n=before: _count(offers, n), timeout=60)  # issued one after the other
        rejected, accepted = await offers()
        reject = await api.post(
            f"/api/opportunities/{opp['id']}/offers/{rejected['document_id']}/reject",
            json={"reason_code": "price_too_high", "note": "prea scump", "keep_open": True},
        )
        assert reject.status_code == 200, reject.text
        accept = await api.post(
            f"/api/opportunities/{opp['id']}/offers/{accepted['document_id']}/accept", json={"then": "order"}
        )
        assert accept.status_code == 202, accept.text

        async def order() -> list[dict[str, Any]]:
            documents = (await api.get(f"/api/opportunities/{opp['id']}")).json()["documents"]
            return [d for d in documents if d["type"] == "order" and d.get("document_id")]

        [issued] = await eventually(order, timeout=60)
        [task] = await eventually(lambda: _items(api, "/api/tasks", {"view": "all"}), timeout=60)

        await stack.login(page)
        await page.goto(f"{stack.base_url}/tasks/{task['id']}")
        assert await page.locator("#task-issuer").inner_text() == "admin"
        for language, reason in (("ro", "Preț prea mare"), ("en", "Price too high")):
            await page.goto(f"{stack.base_url}/lang/{language}?next=/opportunities/{opp['id']}")
            await page.wait_for_url(f"**/opportunities/{opp['id']}")
            row = page.locator("#documents tr[data-document=offer][data-status=issued]").first
            assert await row.locator(".reason").inner_text() == f": {reason}"
            link = page.locator(f"#documents a[href='/documents/{issued['document_id']}']")
            assert await link.inner_text() == issued["number"]
            await shoot(page, f"opportunity-documents-{language}")
            await page.goto(f"{stack.base_url}/opportunities/{opp['id']}/offers/{rejected['document_id']}")
            assert await page.locator("#offer-reason").inner_text() == f"{reason} — prea scump"
            await shoot(page, f"offer-rejected-{language}")
        await page.goto(f"{stack.base_url}/opportunities/{opp['id']}")
        await link.click()
        await page.wait_for_url(f"**/documents/{issued['document_id']}")
        assert await page.locator("#document-offer").inner_text() == accepted["number"]

        # commercial's offer follows the rejection on the opportunity: its documents list says why, too
        async def rejected_in_commercial() -> bool:
            return (await api.get(f"/api/documents/{rejected['document_id']}")).json()["status"] == "rejected"

        await eventually(rejected_in_commercial, timeout=60)
        await page.goto(f"{stack.base_url}/documents?partner_id={partner['id']}")
        row = page.locator(f"#documents tr[data-number='{rejected['number']}']")
        assert "rejected: Price too high" in await row.inner_text()
        await shoot(page, "documents-rejected-offer-en")


async def _count(read: Any, at_least: int) -> bool:
    return len(await read()) > at_least


async def _items(api: Any, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return list((await api.get(path, params=params)).json()["items"])


async def test_an_agents_new_task_form_suggests_themself_as_responsible_and_shows_a_zero_balance(
    service_env: Any, page: Any
) -> None:
    async with start_stack(service_env, ["partners", "tasks"]) as stack:
        ana = await created(
            stack.client,
            "/api/staff",
            {"name": "Ana Popescu", "email": "ana@example.ro", "hours_per_day": "8", "categories": []},
        )
        await created(stack.client, "/api/partners", {"name": "Alfa Trading SRL", "kind": "client"})
        await stack.create_user("ana", "agent", ana["id"])
        # the login linked to a staff member shows in the staff directory, and the staff record carries it too
        assert (await stack.client.get(f"/api/staff/{ana['id']}")).json()["user_login"] == "ana"
        await stack.login(page)
        for language in ("ro", "en"):
            await page.goto(f"{stack.base_url}/lang/{language}?next=/staff")
            await page.wait_for_url("**/staff")
            cells = page.locator(f"#staff tr[data-staff='{ana['id']}'] td")
            assert await cells.nth(2).inner_text() == "ana"
            await shoot(page, f"staff-linked-login-{language}")
        await page.context.clear_cookies()
        await eventually(lambda: _items(stack.client, "/api/tasks/partners", {}), timeout=60)
        await stack.login(page, "ana", USER_PASSWORD)
        for language, client, balance in (
            ("ro", "Client beneficiar", "0,00 lei"),
            ("en", "Beneficiary client", "0.00 RON"),
        ):
            await page.goto(f"{stack.base_url}/lang/{language}?next=/tasks/new")
            await page.wait_for_url("**/tasks/new")
            assert await page.locator("select[name=responsible_staff_id]").input_value() == ""  # no client yet
            await page.get_by_role("combobox", name=client).press_sequentially("Alf", delay=20)
            await page.locator("[role=option]", has_text="Alfa Trading").first.click()
            await page.locator("#check-balance", has_text=balance).wait_for()
            assert await page.locator("select[name=responsible_staff_id]").input_value() == ana["id"]
            assert await page.locator("#check-responsible").inner_text() == "Ana Popescu"
            await shoot(page, f"task-new-agent-{language}")


async def test_an_offer_rejected_without_a_reason_stays_on_its_page_with_the_error_beside_the_reason(
    service_env: Any, page: Any
) -> None:
    async with start_stack(service_env, ["partners", "opportunities", "commercial"]) as stack:
        api = stack.client
        partner = await created(api, "/api/partners", {"name": "Beta Trading SRL", "kind": "client"})
        await created(
            api,
            "/api/articles",
            {"code": "LIC", "name": "Licență", "unit": "buc", "price": "100.00", "vat_rate": "21", "photos": []},
        )
        opp = await created(api, "/api/opportunities", {"partner_id": partner["id"], "title": "Servere"})

        async def offers() -> list[dict[str, Any]]:
            documents = (await api.get(f"/api/opportunities/{opp['id']}")).json()["documents"]
            return [d for d in documents if d["type"] == "offer" and d.get("document_id")]

        async def offer_asked() -> bool:
            # the article reaches the opportunities service by an event: ask again until it is known there
            line = {"article_code": "LIC", "qty": "1"}
            asked = await api.post(f"/api/opportunities/{opp['id']}/offer", json={"lines": [line]})
            return bool(asked.status_code == 202)

        await eventually(offer_asked, timeout=60)
        await eventually(lambda: _count(offers, 0), timeout=60)
        (offer,) = await offers()
        await stack.login(page)
        for language, message in (
            ("ro", "Alegeți motivul respingerii ofertei."),
            ("en", "Choose why the offer is rejected."),
        ):
            await page.goto(
                f"{stack.base_url}/lang/{language}?next=/opportunities/{opp['id']}/offers/{offer['document_id']}"
            )
            await page.fill("#reject-form textarea[name=note]", "fără motiv")
            await page.click("#reject-form button[type=submit]")
            await page.wait_for_load_state()
            await shoot(page, f"offer-reject-no-reason-{language}")
            assert await page.locator("#reject-form").count() == 1  # still the offer page, not the opportunity's
            beside = page.locator("#reject-form label:has(select[name=reason_code]) + .field-error")
            assert await beside.inner_text() == message
            assert await page.locator("#reject-form textarea[name=note]").input_value() == "fără motiv"
        assert (await api.get(f"/api/opportunities/{opp['id']}")).json()["closed"] is False
