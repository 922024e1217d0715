"""Outbox -> real Kafka -> inbox, end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import sqlalchemy as sa
from pydantic import Field

from crm_contracts import topics
from crm_contracts.base import Event
from crm_kit import kafka
from crm_kit.inbox import Context, Subscriptions
from crm_kit.service import Service, start_in_background
from crm_kit.settings import ServiceSettings
from crm_kit.store import kit_tables


class Pinged(Event):
    topic: ClassVar[str] = topics.TASKS
    event_name: ClassVar[str] = "KitPinged"
    key_field: ClassVar[str] = "ping_id"
    ping_id: str = Field(description="id")
    n: int = Field(description="sequence number")


def build(name: str, env: dict[str, object]) -> tuple[Service, sa.Table]:
    metadata = sa.MetaData()
    kit_tables(metadata)
    effects = sa.Table(
        "effects", metadata, sa.Column("ping_id", sa.String, primary_key=True), sa.Column("n", sa.Integer)
    )
    subs = Subscriptions()

    @subs.on(Pinged)
    async def record(ctx: Context, event: Pinged) -> None:
        await ctx.conn.execute(effects.insert().values(ping_id=event.ping_id, n=event.n))

    settings = ServiceSettings(service_name=name, **env)
    return Service(name=name, settings=settings, metadata=metadata, subscriptions=subs), effects


async def wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


async def test_events_written_to_the_outbox_reach_the_inbox_once_with_cloudevents_headers(
    service_env, database_url, kafka_bootstrap
) -> None:
    producer_svc, _ = build("kitpub", service_env("kitpub", database_url=database_url))
    consumer_svc, effects = build("kitsub", service_env("kitsub"))
    pub = await start_in_background(producer_svc, {"relay"})
    sub = await start_in_background(consumer_svc, {"consume"})
    try:
        async with producer_svc.db.transaction() as conn:
            for i in range(50):
                await producer_svc.outbox.add(conn, Pinged(ping_id=f"p{i}", n=i))

        async def all_there() -> bool:
            async with consumer_svc.db.read() as conn:
                return (await conn.execute(sa.select(sa.func.count()).select_from(effects))).scalar_one() == 50

        await wait_for(all_there)
        async with consumer_svc.db.read() as conn:
            inbox = (await conn.execute(sa.text("select ce_type, outcome from inbox"))).all()
        assert len(inbox) == 50
        assert {r.ce_type for r in inbox} == {"crm.tasks.KitPinged.v1"}
    finally:
        await pub.stop()
        await sub.stop()


async def test_the_relay_puts_each_key_on_the_partition_a_plain_send_would(service_env, kafka_bootstrap) -> None:
    """The relay sends record batches per partition; an aggregate's events must still land where any other
    producer's ``send()`` puts that key, or its order across producers would be lost."""
    service, _ = build("kitpart", service_env("kitpart"))
    await service.db.create_all()
    keys = [f"aggregate-{i}" for i in range(20)]
    async with service.db.transaction() as conn:
        await service.outbox.add_many(conn, [Pinged(ping_id=k, n=i) for i, k in enumerate(keys)])
    topic = f"{service.settings.topic_prefix}{topics.TASKS}"
    producer = kafka.producer(kafka_bootstrap)
    await producer.start()
    try:
        assert await service.relay.drain(producer) == len(keys)
        plain = {k: (await (await producer.send(topic, b"{}", key=k.encode()))).partition for k in keys}
    finally:
        await producer.stop()
    consumer = kafka.consumer(kafka_bootstrap, f"{service.settings.topic_prefix}reader", topic)
    await consumer.start()
    relayed: dict[str, int] = {}
    try:
        while len(relayed) < len(keys):
            batch = await consumer.getmany(timeout_ms=1000)
            relayed.update({r.key.decode(): r.partition for rs in batch.values() for r in rs if r.headers})
    finally:
        await consumer.stop()
    await service.db.dispose()
    assert relayed == plain
    assert set(plain.values()) == {0, 1}  # both partitions are used, so a wrong placement would show
