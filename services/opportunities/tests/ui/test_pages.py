"""The opportunities pages in a browser, through the gateway: open, move, lose, offer, pipeline, catalogues."""

from __future__ import annotations

import os
from typing import Any
from uuid import UUID, uuid4

import pytest

from crm_kit.testing import eventually
from crm_kit.testing.stack import USER_PASSWORD, start_stack

pytestmark = pytest.mark.ui


async def test_an_agent_works_an_opportunity_from_the_pipeline_to_a_rejected_offer(
    service_env: Any, kafka_bootstrap: str, topics: str, page: Any
) -> None:
    # the partner picker asks the partners service, the article picker commercial (C5): each owns its records
    async with start_stack(service_env, ["partners", "opportunities", "commercial"]) as stack:
        article_added = await stack.client.post(
            "/api/articles",
            json={"code": "SRV-INST", "name": "Instalare", "unit": "h", "price": "200", "vat_rate": "21"},
        )
        assert article_added.status_code == 201, article_added.text
        registered = await stack.client.post(
            "/api/partners", json={"kind": "client", "name": "Beta Logistic SRL", "sites": [], "contacts": []}
        )
        assert registered.status_code == 201, registered.text
        partner_id = UUID(registered.json()["id"])

        async def pickers_ready() -> bool:
            partners = (await stack.client.get("/api/opportunities/partners")).json()
            articles = (await stack.client.get("/api/opportunities/articles")).json()
            return bool(partners["total"] and articles["total"])

        await eventually(pickers_ready)
        # on the staff: a follow-up without a delegate goes to her ("Eu", O7)
        ana = await stack.client.post("/api/staff", json={"name": "Ana Pop"})
        assert ana.status_code == 201, ana.text
        await stack.create_user("ana", "manager", ana.json()["id"], USER_PASSWORD)
        await stack.login(page, "ana", USER_PASSWORD)

        await page.goto(f"{stack.base_url}/opportunities")
        picker = page.get_by_role("combobox", name="Partener")
        await picker.press_sequentially("beta log", delay=20)
        await page.wait_for_selector("#new-opportunity [role=option]:has-text('Beta Logistic SRL')")
        await picker.press("Enter")
        await page.fill("#new-opportunity input[name=title]", "Depozit nou")
        await page.fill("#new-opportunity input[name=potential]", "20000")
        await page.click("#new-opportunity button[type=submit]")
        await page.wait_for_selector("#stage-form")
        assert "Beta Logistic SRL" in await page.inner_text("main")
        opportunity_id = page.url.rstrip("/").split("/")[-1]

        await page.click("#details-form >> xpath=.. >> summary")
        await page.fill("#details-form input[name=potential]", "25000")
        await page.fill("#details-form input[name=expected_signing_on]", "2027-02-15")
        await page.click("#details-form button[type=submit]")
        await page.wait_for_selector("#stage-form")
        assert "25.000,00" in await page.inner_text("main")

        await page.select_option("#stage-form select[name=stage]", "presentation")
        await page.fill("#stage-form input[name=follow_up_at]", "2026-12-10T10:30")
        await page.fill("#stage-form textarea[name=note]", "demo la client")
        await page.click("#stage-form button[type=submit]")
        await page.wait_for_selector("#stage-history li[data-stage=presentation].current")
        timeline = await page.inner_text("#stage-history")
        assert "demo la client" in timeline
        assert "10.12.2026 10:30" in timeline

        await page.select_option("#stage-form select[name=stage]", "lost")
        await page.click("#stage-form button[type=submit]")
        # The refusal names its field: the message stands beside the reason (#18), the top says to look there.
        assert "Alegeți motivul pierderii." in await page.inner_text("#stage-form [data-field-error=reason_code]")
        assert await page.inner_text("#page-error") == "Verificați câmpurile marcate."

        article = page.get_by_role("combobox", name="Articol 1", exact=True)
        await article.press_sequentially("instal", delay=20)
        await page.wait_for_selector("#document-form [role=option]:has-text('Instalare')")
        await article.press("Enter")
        await page.fill("#document-form input[name=line_qty_0]", "10")
        await page.click("#document-form button[type=submit]")
        # the page says the offer is being generated and reloads itself until commercial has given it a number
        await page.wait_for_selector("#document-generating, #documents tr[data-document=offer][data-status=issued]")
        if os.environ.get("CRM_UI_SHOTS"):
            await page.screenshot(path=f"{os.environ['CRM_UI_SHOTS']}/opportunity-document-generating-ro.png")
        issued_row = "#documents tr[data-document=offer][data-status=issued]"
        await page.wait_for_selector(f"{issued_row} a[href*='/offers/']", timeout=30000)
        assert await page.locator("#document-generating").count() == 0

        async def issued() -> str | None:
            # commercial answers the OfferRequested once the partner directory has told it about the client
            view = (await stack.client.get(f"/api/opportunities/{opportunity_id}")).json()
            return next((d["document_id"] for d in view["documents"] if d["status"] == "issued"), None)

        offer_id = await eventually(issued)
        await page.goto(f"{stack.base_url}/opportunities/{opportunity_id}/offers/{offer_id}")
        context = await page.evaluate("window.crmContext")
        assert context["partner_id"] == str(partner_id)
        assert context["document_id"] == str(offer_id)

        # the contract's terms only when a contract follows the acceptance
        assert not await page.locator("#accept-form input[name=months]").is_visible()
        await page.select_option("#accept-form select[name=then]", "both")
        assert await page.locator("#accept-form input[name=months]").is_visible()
        await page.screenshot(path="/tmp/ui-misc-shots/offer-accept-ro.png", full_page=True)

        await page.select_option("#reject-form select[name=reason_code]", "price_too_high")
        await page.fill("#reject-form textarea[name=note]", "bugetul lor e jumătate")
        await page.click("#reject-form button[type=submit]")
        await page.wait_for_selector("#stage-history li[data-stage=lost].current")
        await page.goto(f"{stack.base_url}/opportunities/{opportunity_id}/offers/{offer_id}")
        assert await page.locator("#accept-form, #reject-form").count() == 0  # decided: nothing left to do

        await page.goto(f"{stack.base_url}/pipeline")
        assert await page.inner_text(".funnel a[data-stage=lost] [data-count]") == "1"

        await page.goto(f"{stack.base_url}/opportunities/stage-weights")
        await page.fill("#weights-form input[name=weight_offer]", "150")
        await page.click("#weights-form button[type=submit]")
        assert "este între 0 și 100" in await page.inner_text("main")

        await page.goto(f"{stack.base_url}/opportunities/lost-reasons")
        await page.fill("#lost-reason-form input[name=code]", "timing")
        await page.fill("#lost-reason-form input[name=text]", "Moment nepotrivit")
        await page.click("#lost-reason-form button[type=submit]")
        await page.wait_for_selector("#lost-reasons tr[data-code=timing]")


async def test_the_funnel_draws_a_full_stage_wide_and_no_bar_for_an_empty_stage_under_one_name(
    service_env: Any, kafka_bootstrap: str, topics: str, page: Any
) -> None:
    async with start_stack(service_env, ["opportunities"]) as stack:
        for n in range(3):
            body = {"partner_id": str(uuid4()), "title": f"Depozit {n}", "potential": "1000"}
            opened = await stack.client.post("/api/opportunities", json=body)
            assert opened.status_code == 201, opened.text
        await stack.create_user("ana", "manager", str(uuid4()), USER_PASSWORD)
        await stack.login(page, "ana", USER_PASSWORD)
        for language, name in (("ro", "Pâlnie"), ("en", "Pipeline")):
            await page.goto(f"{stack.base_url}/lang/{language}?next=/pipeline")

            async def bar_width(stage: str) -> float:
                box = await page.locator(f".funnel a[data-stage={stage}] .bar").bounding_box()
                return float(box["width"]) if box else 0.0

            full, empty, lost = await bar_width("new"), await bar_width("presentation"), await bar_width("lost")
            assert await page.inner_text(".funnel a[data-stage=new] [data-count]") == "3"
            assert full > 0 and empty == 0 and lost == 0  # a stage with no opportunity draws no sliver
            # one name for the page: the menu, the sub-link, the heading and the tab title
            assert await page.locator("nav.nav a[href='/pipeline']").inner_text() == name
            assert await page.locator(".subnav a[href='/pipeline']").inner_text() == name
            assert await page.locator("h1").inner_text() == name
            assert (await page.title()).startswith(name)
            await page.screenshot(path=f"/tmp/ui-misc-shots/pipeline-{language}.png", full_page=True)


async def test_an_admin_off_the_staff_picks_a_delegate_and_sees_only_the_chosen_documents_fields(
    service_env: Any, kafka_bootstrap: str, topics: str, page: Any
) -> None:
    async with start_stack(service_env, ["partners", "opportunities"]) as stack:
        body = {"partner_id": str(uuid4()), "title": "Imprimante", "potential": "10000", "probability": "30"}
        opened = await stack.client.post("/api/opportunities", json=body)
        assert opened.status_code == 201, opened.text
        address = f"{stack.base_url}/opportunities/{opened.json()['id']}"
        await stack.login(page)  # the admin: nobody on the staff
        expected = {
            "ro": (
                "Scrieți numele delegatului…",
                "O dată de follow-up are nevoie de un delegat: alegeți-l.",
                "3.000,00",
            ),
            "en": ("Type the delegate's name…", "A follow-up date needs a delegate: choose one.", "3,000.00"),
        }
        for language, (placeholder, refusal, weighted) in expected.items():
            if language == "en":
                await page.goto(f"{stack.base_url}/lang/en?next=/")
            await page.goto(address)
            # the first history entry is worth 10,000 x 30%, though the stage 'new' weighs 0%
            assert weighted in await page.inner_text("#stage-history li[data-stage=new]")
            assert await page.get_attribute("#stage-delegate", "placeholder") == placeholder

            await page.select_option("#stage-form select[name=stage]", "presentation")
            await page.fill("#stage-form input[name=follow_up_at]", "2026-12-10T10:30")
            await page.click("#stage-form button[type=submit]")
            assert await page.inner_text("#stage-form [data-field-error=delegate_staff_id]") == refusal
            assert await page.locator("#stage-history li.current").get_attribute("data-stage") == "new"
            await page.screenshot(path=f"/tmp/ui-misc-shots/opportunity-delegate-{language}.png", full_page=True)

            # an offer's validity for an offer, a contract's terms for a contract, nothing of either for an order
            form = page.locator("#document-form")
            for kind, offer_shown, contract_shown in (("offer", True, False), ("contract", False, True)):
                await form.locator("select[name=kind]").select_option(kind)
                assert await form.locator("input[name=valid_until]").is_visible() is offer_shown
                assert await form.locator("input[name=months]").is_visible() is contract_shown
                await page.screenshot(path=f"/tmp/ui-misc-shots/opportunity-{kind}-{language}.png", full_page=True)
            await form.locator("select[name=kind]").select_option("order")
            assert not await form.locator("input[name=valid_until]").is_visible()
            assert not await form.locator("input[name=months]").is_visible()
