"""Header injection past the CR/LF check: refused at the API; a legacy row fails once instead of looping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import pytest
import sqlalchemy as sa

from crm_kit.service import start_in_background
from crm_kit.testing import eventually
from crm_notifier.bootstrap import bootstrap
from crm_notifier.store.repository import SqlRepository
from crm_notifier.store.tables import deliveries
from crm_notifier.testing import api_client, identity_headers, read_maildir

HIDDEN_BREAKS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("char", HIDDEN_BREAKS, ids=lambda c: f"U+{ord(c):04X}")
async def test_a_subject_or_display_name_with_a_hidden_line_break_is_refused_and_nothing_is_stored(
    kafka_bootstrap, topics, smtp_sink, notifier_settings, char: str
) -> None:
    settings = notifier_settings(smtp_sink.port)
    running = await start_in_background(bootstrap(settings))
    try:
        headers = identity_headers(settings.identity_secret, "ana")
        async with api_client(running.service.app()) as client:
            for body in (
                {"to_addresses": ["ion@firma.ro"], "subject": f"Hi{char}{char}Injected"},
                {"to_addresses": ["ion@firma.ro"], "subject": f"Hi{char}Bcc: e@evil.test"},
                {"to_addresses": [f"Ion{char}Bcc: e@evil.test <ion@firma.ro>"], "subject": "Salut"},
            ):
                refused = await client.post("/api/emails", json=body, headers=headers)
                assert refused.status_code == 422, body
                assert "line breaks or control characters" in refused.json()["detail"]
            # A good request after the refused ones: once it is delivered, it is the only row there is.
            accepted = await client.post(
                "/api/emails", json={"to_addresses": ["ion@firma.ro"], "subject": "Marker"}, headers=headers
            )
            assert accepted.status_code == 202

        async def delivered():  # type: ignore[no-untyped-def]
            return read_maildir(smtp_sink.maildir) or None

        mails = await eventually(delivered)
        async with running.service.db.read() as conn:
            subjects = [r.subject for r in await conn.execute(sa.select(deliveries.c.subject))]
        assert subjects == ["Marker"]
        assert [m["Subject"] for m in mails] == ["Marker"]
    finally:
        await running.stop()


async def test_a_stored_email_with_a_bad_subject_fails_once_with_a_reason_and_is_never_sent(
    kafka_bootstrap, topics, smtp_sink, notifier_settings
) -> None:
    settings = notifier_settings(smtp_sink.port)
    running = await start_in_background(bootstrap(settings), {"workers"})
    try:
        now = datetime.now(UTC)
        legacy = [
            {
                "id": str(uuid4()),
                "cause_event_id": f"legacy-{i}",
                "recipient": "ion@firma.ro",
                "channel": "email",
                "kind": "document",
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "subject": subject,
                "body": "x",
                "attachments": [],
                "created_at": now,
            }
            for i, subject in enumerate(["Hi\x0bBcc: e@evil.test", "Hi\x0b\x0bInjected"])
        ]
        async with running.service.db.transaction() as conn:
            for row in legacy:
                await SqlRepository(conn).add_deliveries([row])

        async def settled():  # type: ignore[no-untyped-def]
            async with running.service.db.read() as conn:
                rows = (await conn.execute(sa.select(deliveries).order_by(deliveries.c.cause_event_id))).all()
            return rows if all(r.status == "failed" for r in rows) else None

        rows = await eventually(settled)
        await asyncio.sleep(1.0)  # a few more worker passes: nothing is claimed again
        async with running.service.db.read() as conn:
            again = (await conn.execute(sa.select(deliveries).order_by(deliveries.c.cause_event_id))).all()
        assert [(r.status, r.attempts) for r in again] == [("failed", 1), ("failed", 1)]
        assert all("control characters (found U+000B" in (r.error or "") for r in rows)
        assert read_maildir(smtp_sink.maildir) == []
    finally:
        await running.stop()
