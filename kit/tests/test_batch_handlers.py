"""Batch handlers: many events in a few statements, still once each, a failing one isolated to the DLQ."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import sqlalchemy as sa
from probe_service import Pinged, ProbeSettings

from crm_contracts.tasks import TaskCreated
from crm_kit.inbox import Context, Subscriptions
from crm_kit.service import Service, start_in_background
from crm_kit.store import kit_tables
from crm_kit.testing import eventually, fetched_record, publish


def build(settings: ProbeSettings) -> tuple[Service, sa.Table, list[int]]:
    metadata = sa.MetaData()
    kit_tables(metadata)
    effects = sa.Table(
        "effects", metadata, sa.Column("ping_id", sa.String, primary_key=True), sa.Column("n", sa.Integer)
    )
    calls: list[int] = []
    subs = Subscriptions()

    @subs.on_batch(Pinged)
    async def record_all(items: list[tuple[Context, Pinged]]) -> None:
        calls.append(len(items))
        if any(event.n == settings.fail_on for _, event in items):
            raise RuntimeError(f"cannot handle {settings.fail_on}")
        conn = items[0][0].conn
        await conn.execute(effects.insert(), [{"ping_id": e.ping_id, "n": e.n} for _, e in items])

    return Service(name=settings.service_name, settings=settings, metadata=metadata, subscriptions=subs), effects, calls


async def count(service: Service, table: sa.Table) -> int:
    async with service.db.read() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())


async def test_a_batch_handler_gets_many_events_per_call_and_each_applies_once(service_env, kafka_bootstrap, topics):
    service, effects, calls = build(ProbeSettings(**service_env("batchsub", service_name="batchsub")))
    await publish(kafka_bootstrap, topics, *[Pinged(ping_id=f"p{i}", n=i) for i in range(300)])
    await publish(kafka_bootstrap, topics, Pinged(ping_id="again", n=1000), event_id="dup")
    await publish(kafka_bootstrap, topics, Pinged(ping_id="again", n=1000), event_id="dup")
    running = await start_in_background(service, {"consume"})
    try:

        async def all_applied() -> bool:
            return await count(service, effects) == 301 and service.consumer.stats.skipped_duplicates == 1

        await eventually(all_applied, timeout=60)
        # A second application of "dup" would violate the primary key and end in the DLQ.
        assert service.consumer.stats.dead_lettered == 0
        assert max(calls) > 1, "events arrive in batches"
    finally:
        await running.stop()


async def test_a_failing_event_in_a_batch_is_dead_lettered_alone(service_env, kafka_bootstrap, topics):
    settings = ProbeSettings(**service_env("batchfail", service_name="batchfail", max_attempts=2), fail_on=13)
    service, effects, _ = build(settings)
    await publish(kafka_bootstrap, topics, *[Pinged(ping_id=f"p{i}", n=i) for i in range(50)])
    running = await start_in_background(service, {"consume", "relay"})
    try:

        async def rest_applied() -> bool:
            return await count(service, effects) == 49

        await eventually(rest_applied, timeout=60)
        assert service.consumer.stats.dead_lettered == 1
        async with service.db.read() as conn:
            ns = {r.n for r in await conn.execute(sa.select(effects.c.n))}
        assert 13 not in ns
        assert len(ns) == 49
    finally:
        await running.stop()


async def test_events_of_types_nobody_subscribed_to_are_skipped_without_an_inbox_row(
    service_env, kafka_bootstrap, topics
):
    service, effects, _ = build(ProbeSettings(**service_env("skipper", service_name="skipper")))
    others = [
        TaskCreated(
            task_id=uuid4(),
            title=f"t{i}",
            source="manual",
            responsible_staff_id=uuid4(),
            registered_at=datetime.now(UTC),
        )
        for i in range(5)
    ]
    await publish(kafka_bootstrap, topics, *others, *[Pinged(ping_id=f"s{i}", n=i) for i in range(3)])
    running = await start_in_background(service, {"consume"})
    try:

        async def applied() -> bool:
            return await count(service, effects) == 3 and service.consumer.stats.ignored == 5

        await eventually(applied, timeout=60)
        inbox = service.metadata.tables["inbox"]
        assert await count(service, inbox) == 3, "only the subscribed events are recorded"
        assert service.consumer.stats.dead_lettered == 0
    finally:
        await running.stop()


async def test_a_long_batch_commits_in_parts_so_its_effects_show_while_it_runs(service_env, kafka_bootstrap, topics):
    settings = ProbeSettings(**service_env("batchparts", service_name="batchparts", consumer_transaction_seconds=0.1))
    metadata = sa.MetaData()
    kit_tables(metadata)
    effects = sa.Table("effects", metadata, sa.Column("ping_id", sa.String, primary_key=True))
    subs = Subscriptions()

    @subs.on(Pinged)
    async def slow(ctx: Context, event: Pinged) -> None:
        await asyncio.sleep(0.02)  # bulk work: M7's request of 500 opportunities takes a while
        await ctx.conn.execute(effects.insert().values(ping_id=event.ping_id))

    service = Service(name=settings.service_name, settings=settings, metadata=metadata, subscriptions=subs)
    await publish(kafka_bootstrap, topics, *[Pinged(ping_id=f"p{i}", n=i) for i in range(60)])
    running = await start_in_background(service, {"consume"})
    seen: set[int] = set()
    try:

        async def all_applied() -> bool:
            seen.add(await count(service, effects))
            return 60 in seen

        await eventually(all_applied, timeout=60, interval=0.02)
        assert len(seen - {0, 60}) >= 2, f"only {sorted(seen)} seen: the batch committed at once"
        assert service.consumer.stats.handled == 60 and service.consumer.stats.dead_lettered == 0
    finally:
        await running.stop()


async def test_a_batch_handler_takes_runs_of_its_events_in_the_order_they_were_fetched(service_env):
    settings = ProbeSettings(**service_env("batchorder", service_name="batchorder"))
    seen: list[object] = []
    subs = Subscriptions()

    @subs.on_batch(Pinged)
    async def pings(items: list[tuple[Context, Pinged]]) -> None:
        seen.append([event.ping_id for _, event in items])

    @subs.on(TaskCreated)
    async def task(ctx: Context, event: TaskCreated) -> None:
        seen.append(event.title)

    metadata = sa.MetaData()
    kit_tables(metadata)
    service = Service(name=settings.service_name, settings=settings, metadata=metadata, subscriptions=subs)
    await service.migrate()
    try:
        task_event = TaskCreated(
            task_id=uuid4(),
            title="task",
            source="manual",
            responsible_staff_id=uuid4(),
            registered_at=datetime.now(UTC),
        )
        fetched = [Pinged(ping_id="p0", n=0), Pinged(ping_id="p1", n=1), task_event, Pinged(ping_id="p2", n=2)]
        await service.consumer.apply([fetched_record(n, e) for n, e in enumerate(fetched)])
        # A partner registered before the task that names it is known when that task is handled.
        assert seen == [["p0", "p1"], "task", ["p2"]]
    finally:
        await service.db.dispose()
