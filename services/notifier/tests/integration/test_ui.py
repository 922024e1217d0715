"""The notifier's web pages through the real gateway: mail servers with the test, messaging, settings, emails."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from crm_gateway.bootstrap import bootstrap as gateway_bootstrap
from crm_gateway.settings import GatewaySettings
from crm_kit.service import start_in_background
from crm_kit.testing import eventually
from crm_kit.testing.stack import remember_csrf_token
from crm_notifier.bootstrap import bootstrap
from crm_notifier.testing import free_port, read_maildir


async def test_an_admin_sets_up_a_server_tests_it_messages_and_emails_from_the_pages(
    kafka_bootstrap, topics, smtp_sink, notifier_settings, tmp_path: Path
) -> None:
    notifier_port, gateway_port = free_port(), free_port()
    settings = notifier_settings(smtp_sink.port, port=notifier_port)
    notifier = await start_in_background(bootstrap(settings), {"serve", "consume", "relay", "workers"})
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
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway_port}", follow_redirects=True) as web:

            async def up() -> bool:
                try:
                    return (await web.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(up)
            logged_in = await web.post("/login", data={"username": "admin", "password": "admin-pass-1", "next": "/"})
            assert logged_in.status_code == 200
            remember_csrf_token(web, logged_in)

            servers = await web.get("/emails/servers")
            assert "Niciun server configurat" in servers.text
            added = await web.post(
                "/emails/servers",
                data={
                    "name": "Sink",
                    "host": "127.0.0.1",
                    "port": str(smtp_sink.port),
                    "tls_mode": "none",
                    "sender": "crm@firma.ro",
                    "rate_per_minute": "0",
                },
            )
            assert 'data-server="Sink"' in added.text
            server_id = re.search(r'action="/emails/servers/([^/"]+)/test"', added.text).group(1)  # type: ignore[union-attr]
            tested = await web.post(f"/emails/servers/{server_id}/test", data={})
            assert 'data-ok="true"' in tested.text and "Conexiunea funcționează." in tested.text
            bad = await web.post(
                "/emails/servers",
                data={
                    "name": "Closed",
                    "host": "127.0.0.1",
                    "port": str(free_port()),
                    "tls_mode": "none",
                    "sender": "crm@firma.ro",
                },
            )
            closed_id = re.findall(r'action="/emails/servers/([^/"]+)/test"', bad.text)[-1]
            failed = await web.post(f"/emails/servers/{closed_id}/test", data={})
            assert 'data-ok="false"' in failed.text and "connection refused" in failed.text

            sent = await web.post("/messages/new", data={"users": "admin", "title": "Sună clientul", "body": "Azi"})
            assert sent.url.path == "/messages"
            assert 'data-unread="1"' in sent.text and "admin: Sună clientul" in sent.text
            message_id = re.search(r'data-message="([^"]+)"', sent.text).group(1)  # type: ignore[union-attr]
            read = await web.post(f"/messages/{message_id}/read")
            assert 'data-unread="0"' in read.text

            saved = await web.post("/messages/settings", data={"language": "en", "task_email": "1"})
            assert 'id="saved"' in saved.text and 'value="en" selected' in saved.text

            compose = await web.get("/emails/new")
            assert 'id="email-form"' in compose.text
            refused = await web.post(
                "/emails/new", data={"addresses": "client@alfa.ro", "subject": "Hi\r\nBcc: x@y.ro"}
            )
            assert refused.status_code == 422 and "nu poate conține rânduri noi" in refused.text  # email.header_unsafe
            accepted = await web.post(
                "/emails/new", data={"addresses": "client@alfa.ro", "subject": "Ofertă", "body": "Vă rog"}
            )
            assert accepted.url.path == "/emails"

            async def logged_as_sent() -> bool:
                page = await web.get(str(accepted.url))
                return bool(
                    re.search(
                        r'<tr data-email="[^"]+" data-status="sent">\s*<td>[^<]*</td><td>client@alfa.ro', page.text
                    )
                )

            await eventually(logged_as_sent)
            assert [m["Subject"] for m in read_maildir(smtp_sink.maildir)] == ["Ofertă"]
            sent_only = await web.get("/emails", params={"status": "failed"})
            assert "Niciun email." in sent_only.text
    finally:
        await gateway.stop()
        await notifier.stop()
