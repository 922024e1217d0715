"""C1: mail servers with encrypted passwords, a default one, per-user credentials, and a test that explains."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from crm_kit.service import start_in_background
from crm_kit.testing import eventually
from crm_notifier.bootstrap import bootstrap
from crm_notifier.store.tables import mail_servers
from crm_notifier.testing import api_client, free_port, identity_headers, read_maildir


def at_least(n: int, maildir: Path):  # type: ignore[no-untyped-def]
    async def check():  # type: ignore[no-untyped-def]
        found = read_maildir(maildir)
        return found if len(found) >= n else None

    return check


async def test_an_admin_configures_servers_and_the_test_says_what_failed_in_words(
    kafka_bootstrap, topics, smtp_sink, notifier_settings
) -> None:
    settings = notifier_settings(smtp_sink.port)
    running = await start_in_background(bootstrap(settings), {"relay"})
    admin = identity_headers(settings.identity_secret, "admin", "admin")
    agent = identity_headers(settings.identity_secret, "ana", "agent")
    try:
        async with api_client(running.service.app()) as client:
            sink = {
                "name": "Sink",
                "host": "127.0.0.1",
                "port": smtp_sink.port,
                "tls_mode": "none",
                "sender": "CRM@Firma.ro",
                "username": "",
                "password": "s3cret-parola",
            }
            created = await client.post("/api/mail-servers", json=sink, headers=admin)
            assert created.status_code == 201
            server = created.json()
            assert server["is_default"] is True  # the first server is the default
            assert server["has_password"] is True and "password" not in server
            assert server["sender"] == "crm@firma.ro"
            async with running.service.db.read() as conn:
                stored = (await conn.execute(sa.select(mail_servers.c.password_enc))).scalar_one()
            assert "s3cret-parola" not in stored

            ok = (await client.post(f"/api/mail-servers/{server['id']}/test", headers=admin)).json()
            assert ok["ok"] is True and ok["error"] is None
            assert [s["step"] for s in ok["steps"]] == ["connect", "sender"]

            closed_port = free_port()
            down = await client.post(
                "/api/mail-servers",
                json={**sink, "name": "Down", "port": closed_port, "is_default": True},
                headers=admin,
            )
            assert down.json()["is_default"] is True
            listed = (await client.get("/api/mail-servers", headers=agent)).json()
            assert [(s["name"], s["is_default"]) for s in listed["items"]] == [("Sink", False), ("Down", True)]
            report = (await client.post(f"/api/mail-servers/{down.json()['id']}/test", headers=admin)).json()
            assert report["ok"] is False
            assert (
                report["error"]
                == f"could not connect to 127.0.0.1:{closed_port}: connection refused (is the server running there?)"
            )

            starttls = await client.patch(
                f"/api/mail-servers/{server['id']}", json={"tls_mode": "starttls"}, headers=admin
            )
            assert starttls.status_code == 200
            report = (await client.post(f"/api/mail-servers/{server['id']}/test", headers=admin)).json()
            assert "does not offer STARTTLS" in report["error"]

            login = await client.patch(
                f"/api/mail-servers/{server['id']}", json={"tls_mode": "none", "username": "crm"}, headers=admin
            )
            report = (await client.post(f"/api/mail-servers/{login.json()['id']}/test", headers=admin)).json()
            assert "does not offer authentication" in report["error"]

            forbidden = await client.post("/api/mail-servers", json={**sink, "name": "Mine"}, headers=agent)
            assert forbidden.status_code == 403
            bad = await client.post("/api/mail-servers", json={**sink, "name": "X", "port": 70000}, headers=admin)
            assert bad.status_code == 400
            injected = await client.post(
                "/api/mail-servers", json={**sink, "name": "Y", "sender": "a@b.ro\r\nBcc: c@d.ro"}, headers=admin
            )
            assert injected.status_code == 422
            duplicate = await client.post("/api/mail-servers", json=sink, headers=admin)
            assert duplicate.status_code == 409
            missing = await client.post("/api/mail-servers/nope/test", headers=admin)
            assert missing.status_code == 404
    finally:
        await running.stop()


# The local sink asks for AUTH without TLS on purpose (a test server on 127.0.0.1); aiosmtpd warns about it.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
async def test_a_user_with_own_credentials_sends_through_them(
    kafka_bootstrap, topics, refusing_sink, smtp_sink, notifier_settings
) -> None:
    personal = refusing_sink(users={"ana.pop": "parola-ana"})
    settings = notifier_settings(smtp_sink.port)
    running = await start_in_background(bootstrap(settings))
    admin = identity_headers(settings.identity_secret, "admin", "admin")
    ana = identity_headers(settings.identity_secret, "ana", "agent")
    try:
        async with api_client(running.service.app()) as client:
            server = (
                await client.post(
                    "/api/mail-servers",
                    json={
                        "name": "Personal",
                        "host": "127.0.0.1",
                        "port": personal.port,
                        "tls_mode": "none",
                        "sender": "crm@firma.ro",
                    },
                    headers=admin,
                )
            ).json()
            stranger = await client.post(
                f"/api/mail-servers/{server['id']}/test", json={"use_my_credentials": True}, headers=ana
            )
            assert stranger.status_code == 422
            saved = await client.put(
                f"/api/mail-servers/{server['id']}/credentials",
                json={"username": "ana.pop", "password": "parola-ana", "sender": "ana@firma.ro"},
                headers=ana,
            )
            assert saved.json() == {
                "server_id": server["id"],
                "username": "ana.pop",
                "has_password": True,
                "sender": "ana@firma.ro",
            }
            report = (
                await client.post(
                    f"/api/mail-servers/{server['id']}/test", json={"use_my_credentials": True}, headers=ana
                )
            ).json()
            assert report["ok"] is True, report

            sent = await client.post(
                "/api/emails", json={"to_addresses": ["client@alfa.ro"], "subject": "De la Ana"}, headers=ana
            )
            assert sent.status_code == 202
            mails = await eventually(at_least(1, personal.maildir))
            assert (mails[0]["From"], mails[0]["To"]) == ("ana@firma.ro", "client@alfa.ro")
            assert read_maildir(smtp_sink.maildir) == []
            log = (await client.get("/api/emails", headers=ana)).json()
            assert log["items"][0]["server"] == "Personal"
    finally:
        await running.stop()


async def test_deleting_the_default_server_or_one_in_use_is_refused_409_and_an_unused_one_is_deleted(
    kafka_bootstrap, topics, smtp_sink, notifier_settings
) -> None:
    settings = notifier_settings(smtp_sink.port)
    running = await start_in_background(bootstrap(settings), {"relay"})
    admin = identity_headers(settings.identity_secret, "admin", "admin")
    ana = identity_headers(settings.identity_secret, "ana", "agent")
    try:
        async with api_client(running.service.app()) as client:
            body = {"host": "127.0.0.1", "port": smtp_sink.port, "tls_mode": "none", "sender": "crm@firma.ro"}
            ids = []
            for name in ("Implicit", "Folosit", "Liber"):
                created = await client.post("/api/mail-servers", json={**body, "name": name}, headers=admin)
                assert created.status_code == 201, created.text
                ids.append(created.json()["id"])
            default, used, free = ids
            mine = {"username": "ana.pop", "password": "parola-ana", "sender": "ana@firma.ro"}
            assert (await client.put(f"/api/mail-servers/{used}/credentials", json=mine, headers=ana)).is_success

            refused = await client.delete(f"/api/mail-servers/{default}", headers=admin)
            assert refused.status_code == 409 and refused.json()["extra"]["code"] == "mail_server.is_default"
            in_use = await client.delete(f"/api/mail-servers/{used}", headers=admin)
            assert in_use.status_code == 409 and in_use.json()["extra"]["params"] == {"users": 1}
            assert (await client.delete(f"/api/mail-servers/{free}", headers=ana)).status_code == 403
            assert (await client.delete(f"/api/mail-servers/{free}", headers=admin)).status_code == 204
            assert (await client.delete(f"/api/mail-servers/{free}", headers=admin)).status_code == 404
            names = [s["name"] for s in (await client.get("/api/mail-servers", headers=admin)).json()["items"]]
            assert names == ["Implicit", "Folosit"]
    finally:
        await running.stop()
