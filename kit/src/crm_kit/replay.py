"""Rebuild a service's read models from offset 0 into a fresh store (``crm replay <service>``).

Event topics keep every event (ADR 0006), so a service's store can be rebuilt from them: the
service's own subscriptions (its inbox handlers) run over every record of its subscribed topics,
read from offset 0 of assigned partitions with no consumer group (nothing is committed; the live
consumer is not disturbed), into the database at another URL, until the end offsets taken at the
start. Events the handlers publish stay in the fresh store's outbox: nothing is relayed, no worker
runs (no e-mail is sent).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from crm_kit.discovery import bootstrap_function, settings_class
from crm_kit.service import Service


class NotFresh(Exception):
    """The target store is the live one, or already holds handled events."""


@dataclass
class ReplayReport:
    """What a replay read and what the handlers did with it."""

    service: str
    database_url: str
    started_at: str
    topics: list[str]
    records: int
    handled: int
    ignored: int
    duplicates: int
    dead_lettered: int
    unpublished: int
    """Rows the handlers left in the fresh store's outbox: a relay started on that store would publish them again."""
    seconds: float


def service_on(name: str, database_url: str) -> Service:
    """Service ``name`` as its environment configures it, but on the store at ``database_url``."""
    settings = settings_class(name)(database_url=database_url)
    service: Service = bootstrap_function(name)(settings)
    return service


async def replay(service: Service, *, live_database_url: str | None = None, timeout: float = 600.0) -> ReplayReport:
    """Run the service's subscriptions over every record of its topics, from offset 0 to today's end offsets.

    Args:
        service: the service, built on the fresh store (see ``service_on``); its schema is created here.
        live_database_url: the service's live store, refused as a target.
        timeout: seconds before giving up on reaching the end offsets.

    Raises:
        NotFresh: the target is the live store, or its inbox already holds events.
        TimeoutError: the end offsets were not reached in time.
    """
    if live_database_url is not None and service.db.url == live_database_url:
        raise NotFresh("the target is the service's live database: give the URL of a new, empty one")
    await service.migrate()
    inbox = service.consumer
    async with service.db.read() as conn:
        if (await conn.execute(sa.select(sa.func.count()).select_from(inbox.inbox))).scalar_one():
            raise NotFresh("the target database already holds handled events: give the URL of a new, empty one")
    started = datetime.now(UTC)
    loop = asyncio.get_running_loop()
    began = loop.time()
    names = [service.settings.topic(t) for t in service.subscriptions.topics()]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=service.settings.kafka_bootstrap,
        group_id=None,  # assigned partitions: no group to join, no offset committed
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    records = 0
    await consumer.start()
    try:
        partitions = await _partitions(service.settings.kafka_bootstrap, names)
        pending: set[TopicPartition] = set()
        if partitions:
            consumer.assign(partitions)
            ends = await consumer.end_offsets(partitions)
            await consumer.seek_to_beginning(*partitions)
            pending = {tp for tp in partitions if ends[tp] > 0}
        while pending:
            if loop.time() - began > timeout:
                raise TimeoutError(f"replay did not reach the end of {sorted(str(tp) for tp in pending)}")
            batch = await consumer.getmany(*pending, timeout_ms=500, max_records=service.settings.consumer_batch_size)
            # Records past the end offsets arrived after the start: the live consumer has them too.
            taken = [r for tp, rs in batch.items() for r in rs if r.offset < ends[tp]]
            if taken:
                await inbox.apply(taken)
                records += len(taken)
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
        async with service.db.read() as conn:
            unpublished = (
                await conn.execute(sa.select(sa.func.count()).select_from(service.outbox.table))
            ).scalar_one()
    finally:
        await consumer.stop()
        await service.db.dispose()
    stats = inbox.stats
    return ReplayReport(
        service=service.name,
        database_url=sa.make_url(service.db.url).render_as_string(hide_password=True),
        started_at=started.isoformat(),
        topics=names,
        records=records,
        handled=stats.handled,
        ignored=stats.ignored,
        duplicates=stats.skipped_duplicates,
        dead_lettered=stats.dead_lettered,
        unpublished=unpublished,
        seconds=round(loop.time() - began, 3),
    )


async def _partitions(bootstrap: str, names: list[str]) -> list[TopicPartition]:
    """Every partition of the topics that exist (a topic nobody has written to yet has nothing to replay)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    return sorted(
        TopicPartition(t["topic"], p["partition"])
        for t in described
        if not t.get("error_code")
        for p in t["partitions"]
    )
