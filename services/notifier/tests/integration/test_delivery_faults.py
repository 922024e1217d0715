"""Delivery under failure: the SMTP server down then back, recipients refused, a worker that died mid-send."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import sqlalchemy as sa

from crm_contracts.notifications import EmailFailed, EmailRequested, EmailSent
from crm_kit.service import start_in_background
from crm_kit.testing import eventually, publish, read_events
from crm_notifier.bootstrap import bootstrap
from crm_notifier.delivering import message_id_of
from crm_notifier.store.tables import deliveries
from crm_notifier.testing import api_client, identity_headers, read_maildir


def at_least(n: int, maildir: Path):  # type: ignore[no-untyped-def]
    async def check():  # type: ignore[no-untyped-def]
        found = read_maildir(maildir)
        return found if len(found) >= n else None

    return check


def request(*recipients: str, subject: str = "Test") -> EmailRequested:
    return EmailRequested(email_id=uuid4(), recipients=list(recipients), subject=subject, body="Body")


async def statuses(service) -> Counter[str]:  # type: ignore[no-untyped-def]
    async with service.db.read() as conn:
        rows = await conn.execute(sa.select(deliveries.c.status).where(deliveries.c.channel == "email"))
        return Counter(r.status for r in rows)


async def test_while_the_smtp_server_is_down_emails_wait_and_once_it_is_back_each_arrives_once(
    kafka_bootstrap, topics, sink_process, notifier_settings
) -> None:
    sink_process.stop()
    settings = notifier_settings(sink_process.port)
    running = await start_in_background(bootstrap(settings))
    try:
        sent = [request(f"client{i}@alfa.ro", subject=f"Factura {i}") for i in range(20)]
        await publish(kafka_bootstrap, topics, *sent)

        async def retried() -> bool:
            async with running.service.db.read() as conn:
                rows = (await conn.execute(sa.select(deliveries.c.attempts, deliveries.c.error))).all()
            return len(rows) == 20 and all(r.attempts >= 2 for r in rows)

        await eventually(retried)
        async with running.service.db.read() as conn:
            errors = {r.error for r in await conn.execute(sa.select(deliveries.c.error))}
        assert any("connection refused" in (e or "") for e in errors)
        assert (await statuses(running.service))["failed"] == 0

        sink_process.start()
        mails = await eventually(at_least(20, sink_process.maildir))
        await asyncio.sleep(1.5)  # time for a duplicate to show up, if there were one
        mails = read_maildir(sink_process.maildir)
        assert sorted(m["Subject"] for m in mails) == sorted(f"Factura {i}" for i in range(20))
        assert len({m["Message-ID"] for m in mails}) == 20
        await eventually(lambda: _equals(statuses(running.service), Counter(sent=20)))
    finally:
        await running.stop()


async def test_a_recipient_refused_for_good_fails_while_the_others_get_the_email(
    kafka_bootstrap, topics, refusing_sink, notifier_settings
) -> None:
    sink = refusing_sink(refuse={"gone@beta.ro"}, busy={"slow@beta.ro": 2})
    settings = notifier_settings(sink.port)
    running = await start_in_background(bootstrap(settings))
    try:
        await publish(kafka_bootstrap, topics, request("ok@beta.ro", "gone@beta.ro", "slow@beta.ro", subject="Oferta"))
        mails = await eventually(at_least(2, sink.maildir))
        assert sorted(m["To"] for m in mails) == ["ok@beta.ro", "slow@beta.ro"]
        events = await read_events(
            kafka_bootstrap,
            topics,
            "crm.notifications",
            until=lambda evs: sum(isinstance(e, EmailSent | EmailFailed) for _, e in evs) >= 3,
        )
        failed = [e for _, e in events if isinstance(e, EmailFailed)]
        assert [(f.recipient, f.attempt) for f in failed] == [("gone@beta.ro", 1)]
        assert "550" in failed[0].error
        sent = {e.recipient: e.attempt for _, e in events if isinstance(e, EmailSent)}
        assert sent == {"ok@beta.ro": 1, "slow@beta.ro": 3}  # 451 twice, then accepted
        async with api_client(running.service.app()) as client:
            log = await client.get(
                "/api/emails", params={"status": "failed"}, headers=identity_headers(settings.identity_secret)
            )
        assert [(e["recipient"], e["status"]) for e in log.json()["items"]] == [("gone@beta.ro", "failed")]
    finally:
        await running.stop()


async def test_after_a_crash_an_unfinished_send_is_sent_again_and_a_handed_over_one_is_not(
    kafka_bootstrap, topics, smtp_sink, notifier_settings
) -> None:
    settings = notifier_settings(smtp_sink.port, claim_timeout_seconds=1.0)
    service = bootstrap(settings)
    await service.migrate()
    crashed_at = datetime.now(UTC) - timedelta(seconds=30)
    rows = []
    for status, address in (("sending", "unfinished@alfa.ro"), ("handed_over", "handed@alfa.ro")):
        rows.append(
            {
                "id": str(uuid4()),
                "cause_event_id": str(uuid4()),
                "recipient": address,
                "channel": "email",
                "kind": "email",
                "status": status,
                "attempts": 1,
                "next_attempt_at": crashed_at,
                "claim_token": "dead-worker",
                "claimed_at": crashed_at,
                "subject": f"Left {status}",
                "body": "b",
                "attachments": [],
                "created_at": crashed_at,
            }
        )
    async with service.db.transaction() as conn:
        await conn.execute(deliveries.insert(), rows)
    running = await start_in_background(service)
    try:
        mails = await eventually(at_least(1, smtp_sink.maildir))
        await eventually(lambda: _equals(statuses(service), Counter(sent=2)))
        await asyncio.sleep(1.0)
        mails = read_maildir(smtp_sink.maildir)
        assert [(m["To"], m["Message-ID"]) for m in mails] == [("unfinished@alfa.ro", message_id_of(rows[0]["id"]))]
        async with service.db.read() as conn:
            handed = (await conn.execute(sa.select(deliveries).where(deliveries.c.id == rows[1]["id"]))).one()
        assert handed.status == "sent"
        assert handed.error.startswith("assumed delivered")
    finally:
        await running.stop()


async def _equals(value, expected) -> bool:  # type: ignore[no-untyped-def]
    return (await value) == expected
