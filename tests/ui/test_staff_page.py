"""Personal (the staff directory) in a real browser: only for the roles whose menu shows it; one login per person.

An agent typing /staff or /staff/{id} gets the refusal page (403) in their language, not the directory. An admin
sees on /staff/{id} the login the /staff list shows: the linked user's, from the gateway's users table, even when
the staff record's copy says something else; saving the form puts that login back on the record.

Screenshots of the pages go to ``CRM_UI_SHOTS`` (a folder) when it is set, in both languages.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from crm_kit.testing.stack import USER_PASSWORD, Stack, start_stack

REFUSAL = {
    "ro": ("Nu aveți dreptul să faceți asta.", "Această acțiune cere rolul administrator sau manager."),
    "en": ("You are not allowed to do this.", "This action needs the role administrator or manager."),
}


async def _shoot(page: Any, name: str) -> None:
    folder = os.environ.get("CRM_UI_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


async def _staff_member(stack: Stack, name: str, **fields: Any) -> str:
    created = await stack.client.post("/api/staff", json={"name": name, "hours_per_day": "8", **fields})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def test_an_agent_typing_the_staff_addresses_gets_the_refusal_page_in_their_language(service_env, page) -> None:
    async with start_stack(service_env, ["partners"]) as stack:
        member = await _staff_member(stack, "Ana Popescu")
        await stack.create_user("ioana", role="agent")
        await stack.login(page, "ioana", USER_PASSWORD)
        for language in ("ro", "en"):
            await page.goto(f"{stack.base_url}/lang/{language}?next=/")
            for path in ("/staff", f"/staff/{member}"):
                answer = await page.goto(f"{stack.base_url}{path}")
                assert answer is not None and answer.status == 403, path
                assert await page.locator("table#staff").count() == 0
                assert await page.locator("form#staff-form").count() == 0
                text = await page.locator("section.error-page").inner_text()
                for expected in REFUSAL[language]:
                    assert expected in text, (language, path, text)
                assert "Ana Popescu" not in await page.content()
                assert await page.locator("nav.nav a[href='/staff']").count() == 0
            await _shoot(page, f"staff-agent-refused-{language}")


async def test_an_admin_sees_on_the_edit_form_the_login_the_list_shows_and_a_save_keeps_it(service_env, page) -> None:
    async with start_stack(service_env, ["partners"]) as stack:
        member = await _staff_member(stack, "Ana Popescu", user_login="ana.veche")
        await stack.create_user("ana", role="manager", staff_id=member)
        # the record's copy of the login goes stale (e.g. the copy failed while partners was down)
        stale = await stack.client.patch(f"/api/staff/{member}", json={"user_login": "ana.veche"})
        assert stale.status_code == 200, stale.text
        free = await _staff_member(stack, "Ion Ene", user_login="ion")
        await stack.login(page)

        await page.goto(f"{stack.base_url}/staff")
        listed = await page.locator(f"tr[data-staff='{member}'] td").nth(2).inner_text()
        assert listed.strip() == "ana"
        await page.click(f"tr[data-staff='{member}'] a")
        await page.wait_for_load_state()
        login = page.locator("#staff-form input[name=user_login]")
        assert await login.input_value() == listed.strip()
        assert await login.get_attribute("readonly") is not None
        assert "Contul de utilizator legat de această persoană" in await page.locator("#user-login-note").inner_text()
        await _shoot(page, "staff-edit-linked-ro")

        await page.fill("#staff-form input[name=hours_per_day]", "6")
        await page.click("#staff-form button[type=submit]")
        await page.wait_for_url(f"{stack.base_url}/staff")
        saved = (await stack.client.get(f"/api/staff/{member}")).json()
        assert (saved["user_login"], saved["hours_per_day"]) == ("ana", "6.00")

        # someone who is not a user keeps an editable login, the one the list shows
        await page.goto(f"{stack.base_url}/lang/en?next=/staff/{free}")
        login = page.locator("#staff-form input[name=user_login]")
        assert await login.input_value() == "ion" and await login.get_attribute("readonly") is None
        await _shoot(page, "staff-edit-free-en")
        await page.goto(f"{stack.base_url}/staff/{member}")
        assert "The user account linked to this person" in await page.locator("#user-login-note").inner_text()
        await _shoot(page, "staff-edit-linked-en")
