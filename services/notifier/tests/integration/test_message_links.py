"""Links in messages stay inside the web UI: refused at the API, and not followed by the UI when stored earlier."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import httpx
import sqlalchemy as sa

from crm_gateway.bootstrap import bootstrap as gateway_bootstrap
from crm_gateway.settings import GatewaySettings
from crm_kit.service import start_in_background
from crm_kit.testing import eventually
from crm_kit.testing.stack import remember_csrf_token
from crm_notifier.bootstrap import bootstrap
from crm_notifier.store.repository import SqlRepository
from crm_notifier.store.tables import messages
from crm_notifier.testing import api_client, free_port, identity_headers

OFFSITE = ["//evil.example/x", "/\\evil.example/x", "/\t/evil.example/x", "https://evil.example/x", "tasks/t1"]


async def test_a_message_linking_outside_the_web_ui_is_refused_and_nothing_is_stored(
    kafka_bootstrap, topics, smtp_sink, notifier_settings
) -> None:
    settings = notifier_settings(smtp_sink.port)
    running = await start_in_background(bootstrap(settings), {"serve"})
    try:
        headers = identity_headers(settings.identity_secret, "ana")
        async with api_client(running.service.app()) as client:
            for link in OFFSITE:
                refused = await client.post(
                    "/api/messages", json={"to_users": ["bob"], "title": "Vezi", "link": link}, headers=headers
                )
                assert refused.status_code == 422, link
                assert "a link is a path in the web UI" in refused.json()["detail"]
            accepted = await client.post(
                "/api/messages", json={"to_users": ["bob"], "title": "Vezi", "link": "/tasks/t1"}, headers=headers
            )
            assert accepted.status_code == 201
        async with running.service.db.read() as conn:
            links = [r.link for r in await conn.execute(sa.select(messages.c.link))]
        assert links == ["/tasks/t1"]
    finally:
        await running.stop()


async def test_opening_a_stored_message_with_an_offsite_link_goes_to_the_message_list(
    kafka_bootstrap, topics, smtp_sink, notifier_settings, tmp_path: Path
) -> None:
    notifier_port, gateway_port = free_port(), free_port()
    settings = notifier_settings(smtp_sink.port, port=notifier_port)
    notifier = await start_in_background(bootstrap(settings), {"serve"})
    gateway = await start_in_background(
        gateway_bootstrap(
            GatewaySettings(
                database_url=f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
                blob_dir=tmp_path / "blobs",
                admin_password="admin-pass-1",
                argon2_time_cost=1,
                argon2_memory_kib=8192,
                port=gateway_port,
                kafka_bootstrap=kafka_bootstrap,
                topic_prefix=topics,
                identity_secret=settings.identity_secret,
                service_urls={"notifier": f"http://127.0.0.1:{notifier_port}"},
            )
        ),
        {"serve"},
    )
    try:
        now = datetime.now(UTC)
        stored = {}  # legacy rows, stored before the API checked links
        async with notifier.service.db.transaction() as conn:
            for link in [*OFFSITE, "/tasks/t1"]:
                message_id = str(uuid4())
                stored[link] = message_id
                await SqlRepository(conn).add_messages(
                    [
                        {
                            "id": message_id,
                            "recipient": "admin",
                            "title": "Vechi",
                            "body": "",
                            "link": link,
                            "cause_event_id": f"legacy:{message_id}",
                            "created_at": now,
                        }
                    ]
                )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway_port}") as web:

            async def up() -> bool:
                try:
                    return (await web.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(up)
            logged_in = await web.post("/login", data={"username": "admin", "password": "admin-pass-1", "next": "/"})
            assert logged_in.status_code in (302, 303)
            remember_csrf_token(web, await web.get("/messages"))
            for link, message_id in stored.items():
                opened = await web.post(f"/messages/{message_id}/read")
                assert opened.status_code == 303, link
                assert opened.headers["location"] == ("/tasks/t1" if link == "/tasks/t1" else "/messages"), link
    finally:
        await gateway.stop()
        await notifier.stop()
