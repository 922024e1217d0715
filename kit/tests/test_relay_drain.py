"""The relay's pass over the outbox: batches in id order, each row once, a late row not lost.

The producer here records what it is given (the relay's own logic is under test; the end-to-end
path through a real broker is in test_outbox_inbox.py and test_faults.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from crm_kit import kafka, outbox
from crm_kit.outbox import Relay
from crm_kit.store import Database, kit_tables


class RecordingBatch:
    """Takes ``capacity`` records, then reports itself full (as aiokafka's BatchBuilder does)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.ids: list[str] = []

    def append(self, *, timestamp: int | None, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> object:
        if self.ids and len(self.ids) >= self.capacity:
            return None
        self.ids.append(dict(headers)["ce_id"].decode())
        return object()


class RecordingProducer:
    """Acknowledges every batch at once and remembers the ce_id of each record, in order.

    One partition; batches of three records, so a pass of ten rows in batches of four fills some.
    """

    def __init__(self, on_send: Callable[[], Awaitable[None]] | None = None) -> None:
        self.ids: list[str] = []
        self.batches = 0
        self.on_send = on_send

    async def partitions_for(self, topic: str) -> set[int]:
        return {0}

    def create_batch(self) -> RecordingBatch:
        return RecordingBatch(capacity=3)

    async def send_batch(self, batch: RecordingBatch, topic: str, *, partition: int) -> Any:
        self.ids += batch.ids
        self.batches += 1
        if self.on_send is not None:
            hook, self.on_send = self.on_send, None
            await hook()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


def row(row_id: int) -> dict[str, Any]:
    return {
        "id": row_id,
        "event_id": f"e{row_id}",
        "topic": "t",
        "key": "k",
        "ce_type": "x",
        "headers": [["ce_id", f"e{row_id}"]],
        "payload": b"{}",
        "created_at": datetime.now(UTC),
    }


async def database(tmp_path: Path) -> Database:
    metadata = sa.MetaData()
    kit_tables(metadata)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}", metadata)
    await db.create_all()
    return db


async def unsent(db: Database) -> list[int]:
    t = db.metadata.tables["outbox"]
    async with db.read() as conn:
        return list((await conn.execute(sa.select(t.c.id).where(t.c.sent_at.is_(None)))).scalars())


async def test_a_pass_publishes_every_row_once_in_id_order_over_several_batches(tmp_path: Path) -> None:
    db = await database(tmp_path)
    async with db.transaction() as conn:
        await conn.execute(db.metadata.tables["outbox"].insert(), [row(i) for i in range(1, 11)])
    relay = Relay(db, "unused:9092", name="drain", batch_size=4)
    producer = RecordingProducer()

    assert await relay.drain(producer) == 10  # type: ignore[arg-type]

    assert producer.ids == [f"e{i}" for i in range(1, 11)]
    assert producer.batches == 5  # 4 rows read: a full batch of 3, then 1; twice; then the last 2
    assert await unsent(db) == []
    assert relay.published == 10
    assert await relay.drain(producer) == 0  # type: ignore[arg-type]
    await db.dispose()


async def test_a_row_that_appears_below_the_rows_already_sent_goes_out_on_the_next_pass(tmp_path: Path) -> None:
    """On PostgreSQL a transaction can commit after another with a later id: the pass that read past
    its id does not see it, and the next pass (the commit wakes the relay) publishes it."""
    db = await database(tmp_path)
    outbox = db.metadata.tables["outbox"]
    async with db.transaction() as conn:
        await conn.execute(outbox.insert(), [row(i) for i in range(10, 17)])

    async def late_commit() -> None:
        async with db.transaction() as conn:
            await conn.execute(outbox.insert(), [row(5)])

    relay = Relay(db, "unused:9092", name="drain", batch_size=3)
    producer = RecordingProducer(on_send=late_commit)

    assert await relay.drain(producer) == 7  # type: ignore[arg-type]
    assert await unsent(db) == [5]
    assert await relay.drain(producer) == 1  # type: ignore[arg-type]

    assert producer.ids == [f"e{i}" for i in range(10, 17)] + ["e5"]
    assert await unsent(db) == []
    await db.dispose()


class StuckProducer(RecordingProducer):
    """Takes every batch and never hears back: aiokafka retrying a leader that is gone (see ACK_DEADLINE_SECONDS)."""

    async def send_batch(self, batch: RecordingBatch, topic: str, *, partition: int) -> Any:
        self.ids += batch.ids
        return asyncio.get_running_loop().create_future()


async def test_a_batch_the_broker_never_acknowledges_fails_the_pass_and_its_rows_stay_unsent(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(outbox, "ACK_DEADLINE_SECONDS", 0.2)
    db = await database(tmp_path)
    async with db.transaction() as conn:
        await conn.execute(db.metadata.tables["outbox"].insert(), [row(i) for i in range(1, 4)])
    relay = Relay(db, "unused:9092", name="drain", batch_size=10)

    with pytest.raises(TimeoutError) as failed:
        await relay.drain(StuckProducer())  # type: ignore[arg-type]
    assert kafka.is_broker_error(failed.value)  # run() marks the broker down and starts a new producer
    assert await unsent(db) == [1, 2, 3]
    assert await relay.drain(RecordingProducer()) == 3  # type: ignore[arg-type]  # the new producer sends them
    await db.dispose()
