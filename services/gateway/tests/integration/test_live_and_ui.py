import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import uuid4

import httpx
import pytest

from crm_contracts.notifications import MessagePosted
from crm_contracts.tasks import TaskAssigned
from crm_kit.testing import publish
from crm_kit.testing.stack import USER_PASSWORD, Stack, start_stack

pytestmark = pytest.mark.ui


@pytest.fixture
async def stack(service_env: Callable[..., dict[str, Any]]) -> AsyncIterator[Stack]:
    """The gateway alone, on the real broker (every service segment answers 503)."""
    async with start_stack(service_env, []) as running:
        hub = running.running["gateway"].service.hub  # type: ignore[attr-defined]
        await asyncio.wait_for(hub.ready.wait(), timeout=30)
        yield running


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    name, data = "", ""
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data += line.split(":", 1)[1].strip()
        elif line == "" and name:
            yield name, json.loads(data)
            name, data = "", ""


def message_for(recipient: str, title: str) -> MessagePosted:
    return MessagePosted(message_id=uuid4(), recipient=recipient, title=title, body="…", cause_event_id="c1")


async def test_a_posted_message_and_a_new_task_reach_only_their_users_open_stream(
    stack: Stack, kafka_bootstrap: str, topics: str
) -> None:
    staff_id = uuid4()
    await stack.create_user("ana", "agent", staff_id=str(staff_id))
    token = await stack.token("ana", USER_PASSWORD)
    headers = {"authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as client,
        client.stream("GET", "/api/messages/stream", headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response)
        assert await anext(events) == ("unread", {"count": None})  # the notifier is not running here

        await publish(kafka_bootstrap, topics, message_for("bob", "Not for Ana"), message_for("ana", "Pentru Ana"))
        await publish(
            kafka_bootstrap, topics, TaskAssigned(task_id=uuid4(), title="Sună clientul", responsible_staff_id=staff_id)
        )
        name, data = await asyncio.wait_for(anext(events), timeout=20)
        assert (name, data["title"]) == ("message", "Pentru Ana")
        name, data = await asyncio.wait_for(anext(events), timeout=20)
        assert (name, data["title"]) == ("task", "Sună clientul")


async def test_the_stream_needs_a_login(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url) as anonymous:
        assert (await anonymous.get("/api/messages/stream")).status_code == 401


async def test_a_logged_out_visit_goes_to_login_and_a_wrong_password_is_told(stack: Stack, page: Any) -> None:
    await page.goto(stack.base_url + "/")
    assert "/login?next=%2F" in page.url
    await page.fill("input[name=username]", "admin")
    await page.fill("input[name=password]", "wrong")
    await page.click("form[action='/login'] button[type=submit]")
    assert await page.locator(".error").inner_text() == "Utilizator sau parolă greșită"


async def test_a_user_logs_in_sees_every_area_and_f2_opens_the_action_palette_with_the_page_context(
    stack: Stack, page: Any, kafka_bootstrap: str, topics: str
) -> None:
    await stack.login(page)
    assert page.url == stack.base_url + "/"
    nav = page.locator("nav.nav")
    for label in (
        "Parteneri",
        "Campanii",
        "Oportunități",
        "Pâlnie",
        "Task-uri",
        "eMail",
        "Import eMail",
        "Dosare",
        "Documente",
        "Articole",
        "Personal",
        "Configurări",
    ):
        assert await nav.get_by_text(label, exact=True).is_visible(), label
    assert await page.locator("h1").inner_text() == "Bun venit, admin"

    palette = page.locator("#palette")
    assert await palette.is_hidden()
    await page.keyboard.press("F2")
    await palette.wait_for(state="visible")
    actions = await page.locator("#palette-actions li").all_inner_texts()
    assert actions == ["Adaugă task", "Trimite email", "Stiva de mesaje", "Mesagerie", "Deschide partener"]

    # A2: the page's context travels to the chosen action.
    await page.evaluate("crm.setContext({partner_id: 'p-42', document_id: 'd-7'})")
    await page.keyboard.type("task")
    assert await page.locator("#palette-actions li:visible").all_inner_texts() == ["Adaugă task"]
    await page.keyboard.press("Enter")
    frame = page.locator("#palette-frame")
    await frame.wait_for(state="visible")
    assert await frame.get_attribute("src") == "/tasks/new?partner_id=p-42&document_id=d-7"
    await page.keyboard.press("Escape")
    await palette.wait_for(state="hidden")

    # The unread badge is fed by the live stream.
    badge = page.locator("#unread-badge")
    assert await badge.is_hidden()
    await publish(kafka_bootstrap, topics, message_for("admin", "Ofertă acceptată"))
    await badge.wait_for(state="visible", timeout=20000)
    assert await badge.inner_text() == "1"
    assert "Ofertă acceptată" in await page.locator("#toasts").inner_text()


async def test_the_english_switch_translates_the_layout_and_is_remembered(stack: Stack, page: Any) -> None:
    await stack.login(page)
    await page.click("a.lang")
    await page.locator("nav.nav").get_by_text("Partners", exact=True).wait_for()
    assert await page.locator("h1").inner_text() == "Welcome, admin"
    me = (await stack.client.get("/api/users/me")).json()
    assert me["language"] == "en"


async def test_pages_run_under_the_content_security_policy_and_the_logout_button_ends_the_session(
    stack: Stack, page: Any
) -> None:
    refused: list[str] = []
    page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
    await stack.login(page)
    for path in ("/", "/settings", "/tasks", "/no-such-page"):
        answer = await page.goto(stack.base_url + path)
        assert answer is not None and "script-src 'self'" in answer.headers["content-security-policy"]
    await page.goto(stack.base_url + "/")
    await page.keyboard.press("F2")  # the palette shows a page of ours in an iframe: framing by 'self' is allowed
    await page.keyboard.type("task")
    await page.keyboard.press("Enter")
    await page.frame_locator("#palette-frame").locator("body").wait_for()
    await page.keyboard.press("Escape")
    assert refused == []

    cookie = next(c["value"] for c in await page.context.cookies() if c["name"] == "crm_session")
    await page.click("header form[action='/logout'] button[type=submit]")
    await page.wait_for_url("**/login")
    async with httpx.AsyncClient(base_url=stack.base_url, cookies={"crm_session": cookie}) as stolen:
        assert (await stolen.get("/api/users/me")).status_code == 401
