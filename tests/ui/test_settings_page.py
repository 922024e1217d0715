"""Configurări in a real browser: every setting is one click away, and an admin creates a user there."""

from __future__ import annotations

from crm_kit.testing.stack import start_stack


async def test_an_admin_finds_every_setting_and_creates_a_user_linked_to_a_staff_member(service_env, page) -> None:
    async with start_stack(service_env, ["partners"]) as stack:
        staff = await stack.client.post(
            "/api/staff",
            json={"name": "Ana Popescu", "email": "ana@example.ro", "hours_per_day": "8", "categories": []},
        )
        assert staff.status_code == 201, staff.text
        await stack.login(page)
        await page.click("nav >> text=Configurări")
        for link in (
            "/emails/servers",
            "/tasks/settings",
            "/settings/mail-import",
            "/articles",
            "/opportunities/stage-weights",
        ):
            assert await page.locator(f".card a[href='{link}']").count() == 1
        await page.fill("input[name=username]", "ana")
        await page.fill("input[name=password]", "ana-secret-1")
        await page.select_option("select[name=role]", "manager")
        await page.select_option("select[name=staff_id]", label="Ana Popescu")
        await page.click("form[action='/settings/users'] button[type=submit]")
        await page.wait_for_load_state()
        row = page.locator("tr:has(td:text-is('ana'))")
        assert "manager" in await row.first.inner_text()
        users = (await stack.client.get("/api/users")).json()["items"]
        (ana,) = [u for u in users if u["username"] == "ana"]
        assert ana["staff_id"] == staff.json()["id"]
