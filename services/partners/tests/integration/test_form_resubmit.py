"""The new-partner form through the gateway's UI: a double click or a resubmit of one rendering creates one partner."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import httpx

from crm_kit.testing.stack import USER_PASSWORD, start_stack


async def test_a_new_partner_form_submitted_twice_creates_one_partner_and_a_new_rendering_creates_another(
    service_env: Callable[..., dict[str, Any]],
) -> None:
    async with start_stack(service_env, ["partners"]) as stack:
        await stack.create_user("clerk", "manager")
        async with httpx.AsyncClient(base_url=stack.base_url, headers={"origin": stack.base_url}, timeout=30) as ui:
            login = await ui.post("/login", data={"username": "clerk", "password": USER_PASSWORD})
            assert login.status_code in (200, 303), login.text

            async def render() -> dict[str, str]:
                html = (await ui.get("/partners/new")).text
                fields = dict(re.findall(r'name="(csrf_token|idempotency_key)" value="([^"]+)"', html))
                assert set(fields) == {"csrf_token", "idempotency_key"}, html[:300]
                return fields

            form = await render()
            data = {**form, "kind": "client", "name": "Dublu Click SRL"}
            first = await ui.post("/partners/new", data=data)
            second = await ui.post("/partners/new", data=data)  # the double click / the browser's resubmit
            assert first.status_code == second.status_code == 303, (first.text, second.text)
            assert first.headers["location"] == second.headers["location"]

            async def named() -> int:
                found = await stack.client.get("/api/partners", params={"q": "Dublu Click"})
                assert found.status_code == 200, found.text
                return sum(1 for p in found.json()["items"] if p["name"] == "Dublu Click SRL")

            assert await named() == 1
            again = await ui.post("/partners/new", data={**await render(), "kind": "client", "name": "Dublu Click SRL"})
            assert again.status_code == 303, again.text
            assert await named() == 2  # a new rendering of the form is a new intent

            # A double click: both submits at once; the second waits for the first and shows the same partner.
            clicked = {**await render(), "kind": "client", "name": "Dublu Click SRL"}
            both = await asyncio.gather(*(ui.post("/partners/new", data=clicked) for _ in range(2)))
            assert [b.status_code for b in both] == [303, 303], [b.text[:300] for b in both]
            assert both[0].headers["location"] == both[1].headers["location"]
            assert await named() == 3


async def test_the_gateway_passes_the_key_on_and_says_when_an_answer_is_a_replay(
    service_env: Callable[..., dict[str, Any]],
) -> None:
    async with start_stack(service_env, ["partners"]) as stack:
        key = {"Idempotency-Key": "gateway-retry-1"}
        body = {"name": "Ion Tehnician", "hours_per_day": "8", "categories": []}
        first = await stack.client.post("/api/staff", json=body, headers=key)
        again = await stack.client.post("/api/staff", json=body, headers=key)
        assert first.status_code == 201, first.text
        assert (again.status_code, again.json()) == (201, first.json())
        assert again.headers["idempotent-replayed"] == "true"
        other = await stack.client.post("/api/staff", json={**body, "name": "Alt Nume"}, headers=key)
        assert other.status_code == 422, other.text
        staff = (await stack.client.get("/api/staff")).json()["items"]
        assert [s["name"] for s in staff].count("Ion Tehnician") == 1
