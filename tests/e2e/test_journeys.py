"""Cross-service journeys through the gateway, on the real broker: what a user does, what other contexts see."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import httpx

from crm_kit.smtp_sink import SmtpSink
from crm_kit.testing import eventually
from crm_kit.testing.stack import start_stack


async def created(client: httpx.AsyncClient, path: str, body: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
    """POST until the owning service accepts it (read models fill from events), then return the resource."""
    last: httpx.Response | None = None

    async def attempt() -> dict[str, Any] | None:
        nonlocal last
        last = await client.post(path, json=body)
        if last.status_code in (200, 201, 202):
            return dict(last.json())
        assert last.status_code < 500, last.text
        return None

    try:
        return dict(await eventually(attempt, timeout=timeout, interval=0.3))
    except AssertionError:
        raise AssertionError(
            f"{path} refused: {last.status_code if last else '?'} {last.text if last else ''}"
        ) from None


async def items(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_a_follow_up_on_a_stage_becomes_a_task_for_the_delegate_who_is_emailed_when_not_a_user(
    service_env, smtp_sink: SmtpSink
) -> None:
    async with start_stack(
        service_env,
        ["partners", "opportunities", "tasks", "notifier"],
        overrides={"notifier": {"smtp_port": smtp_sink.port, "send_backoff_seconds": 0.2}},
    ) as stack:
        api = stack.client
        ion = await created(
            api,
            "/api/staff",
            {"name": "Ion Țurcanu", "email": "ion@example.ro", "hours_per_day": "8", "categories": []},
        )
        partner = await created(
            api,
            "/api/partners",
            {
                "kind": "client",
                "name": "Alfa Construcții SRL",
                "county": "Cluj",
                "locality": "Cluj-Napoca",
                "sites": [{"name": "Sediu", "emails": ["office@alfa.ro"]}],
                "contacts": [],
            },
        )
        opportunity = await created(
            api,
            "/api/opportunities",
            {
                "partner_id": partner["id"],
                "title": "Licențe ERP",
                "potential": "10000.00",
                "probability": 30,
                "expected_signing_on": (datetime.now(UTC) + timedelta(days=30)).date().isoformat(),
                "owner_staff_id": ion["id"],
            },
        )
        follow_up = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
        await created(
            api,
            f"/api/opportunities/{opportunity['id']}/stage",
            {
                "stage": "presentation",
                "delegate_staff_id": ion["id"],
                "follow_up_at": follow_up.isoformat(),
                "note": "Prezentare la client",
            },
        )

        async def follow_up_task() -> list[dict[str, Any]]:
            tasks = await items(api, "/api/tasks", view="all")
            return [t for t in tasks if t.get("responsible_staff_id") == ion["id"] and t.get("source") == "follow_up"]

        (task,) = await eventually(follow_up_task, timeout=60)
        assert task["partner_id"] == partner["id"]
        assert datetime.fromisoformat(task["deadline"]) == follow_up

        async def emailed() -> list[Any]:
            return [m for m in smtp_sink.messages() if "ion@example.ro" in str(m["To"])]

        await eventually(emailed, timeout=60)
        await asyncio.sleep(2)  # a second email for the same follow-up would have arrived by now
        (mail,) = await emailed()
        assert "Licențe ERP" in str(make_header(decode_header(mail["Subject"])))

        async def history_kinds() -> set[str]:
            response = await api.get(f"/api/partners/{partner['id']}/history")
            assert response.status_code == 200, response.text
            kinds = {
                str(e.get("kind")) + ":" + str(e.get("event_type", e.get("type", ""))) for e in response.json()["items"]
            }
            text = " ".join(kinds)
            return (
                kinds if ("StageChanged" in text or "stage" in text) and ("Task" in text or "task" in text) else set()
            )

        await eventually(history_kinds, timeout=60)


async def test_an_offer_generated_from_an_opportunity_is_issued_by_commercial_and_shows_on_both_sides(
    service_env,
) -> None:
    async with start_stack(service_env, ["partners", "commercial", "opportunities"]) as stack:
        api = stack.client
        await created(
            api,
            "/api/articles",
            {
                "code": "LIC-ERP",
                "name": "Licență ERP lunară",
                "unit": "buc",
                "price": "450.00",
                "vat_rate": "21",
                "photos": [],
            },
        )
        partner = await created(
            api,
            "/api/partners",
            {
                "kind": "client",
                "name": "Beta Logistic SA",
                "county": "Iași",
                "locality": "Iași",
                "sites": [{"name": "Depozit", "emails": ["contact@beta.ro"]}],
                "contacts": [],
            },
        )
        opportunity = await created(
            api,
            "/api/opportunities",
            {
                "partner_id": partner["id"],
                "title": "ERP pentru depozit",
                "potential": "5400.00",
                "probability": 50,
                "expected_signing_on": (datetime.now(UTC) + timedelta(days=30)).date().isoformat(),
            },
        )
        for stage in ("presentation", "offer"):
            await created(api, f"/api/opportunities/{opportunity['id']}/stage", {"stage": stage})
        await created(
            api, f"/api/opportunities/{opportunity['id']}/offer", {"lines": [{"article_code": "LIC-ERP", "qty": "12"}]}
        )

        async def offers_on_commercial() -> list[dict[str, Any]]:
            return await items(api, "/api/documents", partner_id=partner["id"], type="offer")

        (offer,) = await eventually(offers_on_commercial, timeout=60)
        assert offer["net"] == "5400.00"
        assert offer["vat"] == "1134.00"
        assert offer["gross"] == "6534.00"

        async def offer_on_opportunity() -> bool:
            body = (await api.get(f"/api/opportunities/{opportunity['id']}")).json()
            return offer["id"] in str(body)

        await eventually(offer_on_opportunity, timeout=60)
        printout = await api.get(f"/api/documents/{offer['id']}/printout")
        assert printout.status_code == 200
        assert printout.content.startswith(b"%PDF")


async def test_an_email_dropped_in_the_import_folder_becomes_a_task_on_the_partner_for_its_service_rep(
    service_env, tmp_path: Path
) -> None:
    inbox = tmp_path / "mail-inbox"
    inbox.mkdir()
    async with start_stack(
        service_env, ["partners", "tasks", "mail-ingest"], overrides={"mail-ingest": {"inbox": inbox}}
    ) as stack:
        api = stack.client
        mihai = await created(
            api,
            "/api/staff",
            {
                "name": "Mihai Ionescu",
                "email": "mihai@example.ro",
                "user_login": "mihai",
                "hours_per_day": "6",
                "categories": ["service"],
            },
        )
        partner = await created(
            api,
            "/api/partners",
            {
                "kind": "client",
                "name": "Gamma Service SRL",
                "county": "Cluj",
                "locality": "Cluj-Napoca",
                "sites": [{"name": "Sediu", "emails": ["Office@Gamma.ro"]}],
                "contacts": [],
                "service_rep_staff_id": mihai["id"],
            },
        )

        text = (
            "From:\tDana Mureșan <OFFICE@gamma.ro>\r\nSent:\tMonday, March 3, 2025 10:15 AM\r\n"
            "To:\tsuport@noi.ro\r\nSubject:\tImprimanta nu mai printează\r\n\r\n"
            "Bună ziua,\r\nimprimanta din contabilitate nu mai funcționează.\r\n"
        )
        staging = tmp_path / "staging.txt"
        staging.write_text(text, encoding="utf-8")

        async def email_task() -> list[dict[str, Any]]:
            tasks = await items(api, "/api/tasks", view="all")
            return [t for t in tasks if t.get("source") == "email"]

        # mail-ingest learns site emails from crm.partners; a file dropped before that would be an
        # "unknown sender" task, so give the PartnerRegistered event a moment to arrive.
        await eventually(lambda: _partner_visible(api, partner["id"]), timeout=30)
        await asyncio.sleep(2)
        staging.rename(inbox / "imprimanta.txt")
        (task,) = await eventually(email_task, timeout=60)
        assert task["partner_id"] == partner["id"]
        assert task["responsible_staff_id"] == mihai["id"]
        assert "Imprimanta" in task["title"]
        imported = await items(api, "/api/mail-imports", status="imported")
        assert [i["file_name"] for i in imported] == ["imprimanta.txt"]


async def _partner_visible(api: httpx.AsyncClient, partner_id: str) -> bool:
    return (await api.get(f"/api/partners/{partner_id}")).status_code == 200
