"""The hand-over before the final dot: group-committed across connections, and a store failure never leaves a
connection in the middle of DATA (which would glue the next message into this one)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from crm_notifier import smtp
from crm_notifier.bootstrap import compose
from crm_notifier.delivering import HandOvers, message_id_of
from crm_notifier.settings import NotifierSettings
from crm_notifier.store.repository import SqlRepository
from crm_notifier.store.tables import deliveries
from crm_notifier.testing import SinkProcess, pending_emails, read_maildir


def _settings(tmp_path: Path, port: int) -> NotifierSettings:
    return NotifierSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'notifier.db'}", blob_dir=tmp_path / "blobs", smtp_port=port
    )


async def _queue(service, n: int) -> list[dict]:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    rows = pending_emails(n, now)
    async with service.db.transaction() as conn:
        await conn.execute(deliveries.insert(), rows)
        return await SqlRepository(conn).claim("token-1", now, n)


async def test_hand_overs_asked_for_together_share_commits_and_a_lost_claim_is_reported(tmp_path: Path) -> None:
    service, uses = compose(_settings(tmp_path, 2525))
    await service.migrate()
    try:
        claimed = await _queue(service, 8)
        hand_overs = HandOvers(uses)
        owned = await asyncio.gather(
            *(hand_overs.record(r["id"], r["claim_token"], "sink") for r in claimed),
            hand_overs.record(claimed[0]["id"], "someone-else", "sink"),
        )
        assert owned == [True] * 8 + [False], "each row once, only for the claim that owns it"
        assert hand_overs.commits < 8, "requests made while a commit ran went into one transaction"
        async with service.db.read() as conn:
            rows = (await conn.execute(sa.select(deliveries.c.id, deliveries.c.status, deliveries.c.message_id))).all()
        assert {r.status for r in rows} == {"handed_over"}
        assert all(r.message_id == message_id_of(r.id) for r in rows)
    finally:
        await service.db.dispose()


async def test_a_store_failure_at_hand_over_closes_the_connection_and_the_server_keeps_nothing(
    tmp_path: Path,
) -> None:
    sink = SinkProcess(tmp_path / "maildir")
    sink.start()
    try:
        config = smtp.ServerConfig(
            key="k", name="sink", host="127.0.0.1", port=sink.port, tls_mode="none", sender="crm@x.ro"
        )
        client = await smtp.connect(config)

        async def store_down() -> bool:
            raise RuntimeError("database unavailable")

        first = smtp.build_message(
            sender="crm@x.ro",
            recipient="ana@alfa.ro",
            subject="Prima",
            body="unu",
            message_id="<1@x>",
            sent_at=datetime.now(UTC),
            attachments=[],
        )
        with pytest.raises(RuntimeError, match="database unavailable"):
            await smtp.transmit(client, "crm@x.ro", "ana@alfa.ro", first, store_down, 5)
        assert not client.is_connected, "a connection left in DATA would carry the next message inside this one"

        async def stored() -> bool:
            return True

        second = smtp.build_message(
            sender="crm@x.ro",
            recipient="bob@alfa.ro",
            subject="A doua",
            body="doi",
            message_id="<2@x>",
            sent_at=datetime.now(UTC),
            attachments=[],
        )
        fresh = await smtp.connect(config)
        outcome = await smtp.transmit(fresh, "crm@x.ro", "bob@alfa.ro", second, stored, 5)
        await fresh.quit()
        assert outcome.status == "sent"
        await asyncio.sleep(0.2)
        assert [m["Subject"] for m in read_maildir(tmp_path / "maildir")] == ["A doua"]
    finally:
        sink.stop()
