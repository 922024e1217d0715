"""The partner page in a real browser, in both languages, as an agent: a new opportunity and a new task open
with the partner chosen by name, and the campaign the partner is a member of shows by name, on the page and in
its history (H1).

Screenshots go to ``CRM_UI_SHOTS`` (a folder) when it is set.
"""

from __future__ import annotations

from crm_kit.testing import created, eventually, shoot
from crm_kit.testing.stack import USER_PASSWORD, start_stack

HISTORY = {"ro": "Partener adăugat în campania Toamnă Brașov", "en": "Partner added to the campaign Toamnă Brașov"}


async def test_an_agent_opens_an_opportunity_and_a_task_for_a_campaign_member_from_its_page(service_env, page) -> None:
    async with start_stack(service_env, ["partners", "campaigns", "opportunities", "tasks"]) as stack:
        api = stack.client
        partner = await created(api, "/api/partners", {"kind": "client", "name": "Beta Instalații SRL"})
        campaign = await created(
            api, "/api/campaigns", {"name": "Toamnă Brașov", "starts_on": "2026-09-01", "ends_on": "2026-11-30"}
        )
        await created(api, f"/api/campaigns/{campaign['id']}/members", {"partner_ids": [partner["id"]]})

        async def in_history() -> bool:
            entries = (await api.get(f"/api/partners/{partner['id']}/history")).json()["items"]
            return any(e["type"] == "CampaignMembersAdded" for e in entries)

        await eventually(in_history, timeout=60)
        await stack.create_user("ioana", role="agent")
        await stack.login(page, "ioana", USER_PASSWORD)
        for lang in ("ro", "en"):
            await page.goto(f"{stack.base_url}/lang/{lang}?next=/partners/{partner['id']}")
            await page.wait_for_url(f"**/partners/{partner['id']}")
            link = page.locator("#partner-campaigns a")
            assert (await link.inner_text(), await link.get_attribute("href")) == (
                "Toamnă Brașov",
                f"/campaigns/{campaign['id']}",
            )
            assert HISTORY[lang] in await page.locator("#history").inner_text()
            await shoot(page, f"partner-page-{lang}")

        # New opportunity: the form opens with the partner chosen, by its name, and opens it for that partner.
        await page.goto(f"{stack.base_url}/lang/ro?next=/partners/{partner['id']}")
        await page.click("#new-opportunity-for-partner")
        await page.wait_for_url("**/opportunities?partner_id=*")
        assert await page.input_value("#new-opportunity-partner") == "Beta Instalații SRL"
        assert await page.input_value("#new-opportunity input[name=partner_id]") == partner["id"]
        await shoot(page, "partner-new-opportunity-ro")
        await page.fill("#new-opportunity input[name=title]", "Centrală termică")
        await page.click("#new-opportunity button[type=submit]")
        await page.wait_for_url("**/opportunities/*")
        opened = (await api.get("/api/opportunities", params={"partner_id": partner["id"]})).json()["items"]
        assert [o["title"] for o in opened] == ["Centrală termică"]

        # New task: the task form opens with the partner chosen, by its name.
        await page.goto(f"{stack.base_url}/partners/{partner['id']}")
        await page.click("#new-task-for-partner")
        await page.wait_for_url("**/tasks/new?partner_id=*")
        picker = page.locator("div[data-picker]:has(input[name=partner_id])")
        assert await picker.locator("input.picker-text").input_value() == "Beta Instalații SRL"
        assert await picker.locator("input[name=partner_id]").input_value() == partner["id"]
        await shoot(page, "partner-new-task-ro")
