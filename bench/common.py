"""Shared set-up for the kit benchmarks: a throwaway service with a 1 KB event, topics of its own."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import ClassVar

import sqlalchemy as sa
from aiokafka import ConsumerRecord
from pydantic import Field
from sqlalchemy.ext.asyncio import create_async_engine

from crm_contracts import topics
from crm_contracts.base import Event
from crm_kit import kafka
from crm_kit.inbox import Context, Subscriptions
from crm_kit.service import Service
from crm_kit.settings import ServiceSettings
from crm_kit.store import kit_tables

BOOTSTRAP = os.environ.get("CRM_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
PG_SERVER = os.environ.get("CRM_TEST_PG_URL", "postgresql+asyncpg://crm:crm@127.0.0.1:5433/postgres")


class BenchEvent(Event):
    """A 1 KB event."""

    topic: ClassVar[str] = topics.TASKS
    event_name: ClassVar[str] = "BenchHappened"
    key_field: ClassVar[str] = "item_id"
    item_id: str = Field(description="key")
    body: str = Field(description="padding to 1 KB")


def one_kb_event(i: int) -> BenchEvent:
    return BenchEvent(item_id=f"item-{i % 64}", body="x" * 980)


@asynccontextmanager
async def pg_database(label: str) -> AsyncIterator[str]:
    """A throwaway PostgreSQL database on the benchmark server: its URL, dropped afterwards."""
    name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield f"{PG_SERVER.rpartition('/')[0]}/{name}"
        finally:
            async with admin.connect() as conn:
                await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def fresh_prefix(partitions: int = 6) -> str:
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    await kafka.ensure_topics(BOOTSTRAP, kafka.all_topic_names(prefix), partitions)
    return prefix


def bench_service(name: str, prefix: str, database_url: str | None = None) -> Service:
    metadata = sa.MetaData()
    kit_tables(metadata)
    subs = Subscriptions()

    @subs.on(BenchEvent)
    async def trivial(ctx: Context, event: BenchEvent) -> None:
        return None

    folder = Path(tempfile.mkdtemp(prefix="crm-bench-"))
    settings = ServiceSettings(
        service_name=name,
        kafka_bootstrap=BOOTSTRAP,
        topic_prefix=prefix,
        database_url=database_url or f"sqlite+aiosqlite:///{folder / 'bench.db'}",
        blob_dir=folder / "blobs",
        relay_batch_size=1000,
        consumer_batch_size=1000,
    )
    return Service(name=name, settings=settings, metadata=metadata, subscriptions=subs)


async def bare_consume(
    group: str, topic: str, n: int, apply: Callable[[list[ConsumerRecord[bytes, bytes]]], Awaitable[None]]
) -> float:
    """Records/s of a bare aiokafka loop: fetch up to 1,000, ``apply`` them, commit the offsets, until ``n``.

    The baselines' loop (``apply`` does nothing, or a raw insert), and the frame a piece of our code
    is timed in on its own.
    """
    consumer = kafka.consumer(BOOTSTRAP, group, topic)
    await consumer.start()
    seen = 0
    start = time.perf_counter()
    while seen < n:
        batch = await consumer.getmany(timeout_ms=500, max_records=1000)
        records = [r for rs in batch.values() for r in rs]
        if records:
            await apply(records)
            await consumer.commit({tp: rs[-1].offset + 1 for tp, rs in batch.items() if rs})
            seen += len(records)
    elapsed = time.perf_counter() - start
    await consumer.stop()
    return n / elapsed
