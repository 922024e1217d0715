"""Campaign members picked one by one from the whole directory: search as you type, several chosen, added."""

from __future__ import annotations

from typing import Any

import pytest

from crm_kit.testing import eventually
from crm_kit.testing.stack import start_stack

pytestmark = pytest.mark.ui

CAMPAIGN = {"name": "Iarna", "starts_on": "2026-01-01", "ends_on": "2026-02-28", "return_months": 2}


async def test_two_partners_found_by_typing_are_chosen_with_the_keyboard_and_become_members(
    service_env: Any, page: Any
) -> None:
    async with start_stack(service_env, ["partners", "campaigns"]) as stack:
        ids = {}
        for name in ("Brutăria Iași", "Brutăria Brașov", "Soft Cluj SRL"):
            response = await stack.client.post(
                "/api/partners", json={"kind": "client", "name": name, "sites": [], "contacts": []}
            )
            assert response.status_code == 201, response.text
            ids[name] = response.json()["id"]
        campaign = await stack.client.post("/api/campaigns", json=CAMPAIGN)
        assert campaign.status_code == 201, campaign.text
        campaign_id = campaign.json()["id"]

        async def campaigns_know_them() -> bool:
            r = await stack.client.post(
                f"/api/campaigns/{campaign_id}/members", json={"partner_ids": [ids["Soft Cluj SRL"]]}
            )
            return r.status_code in (200, 201)

        await eventually(campaigns_know_them, timeout=60, interval=0.3)
        await stack.login(page)
        await page.goto(f"{stack.base_url}/campaigns/{campaign_id}")
        box = page.get_by_role("combobox", name="Adaugă parteneri aleși")
        for typed, wanted in (("brutaria ias", "Brutăria Iași"), ("brasov", "Brutăria Brașov")):
            await box.press_sequentially(typed, delay=20)
            await page.wait_for_selector(f"#member-pick [role=option]:has-text('{wanted}')")
            await box.press("Enter")
            assert await box.input_value() == ""
        chosen = await page.locator("#member-pick input[type=hidden][name=partner_ids]").evaluate_all(
            "inputs => inputs.map(i => i.value)"
        )
        assert chosen == [ids["Brutăria Iași"], ids["Brutăria Brașov"]]
        await page.click("#member-pick button[type=submit]")
        await page.wait_for_selector("#members-table")

        members = await stack.client.get(f"/api/campaigns/{campaign_id}/members")
        assert {m["partner_id"] for m in members.json()["items"]} == set(ids.values())
