"""Delivery guarantees under faults: a killed relay, a stopped broker, duplicates, poison messages."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from probe_service import Pinged, ProbeSettings, build

from crm_kit import kafka
from crm_kit.cloudevents import header_map
from crm_kit.service import start_in_background
from crm_kit.testing import eventually, publish

HERE = Path(__file__).parent


async def count(service, table: sa.Table) -> int:  # type: ignore[no-untyped-def]
    async with service.db.read() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())


async def unsent(service) -> int:  # type: ignore[no-untyped-def]
    async with service.db.read() as conn:
        return int((await conn.execute(sa.text("select count(*) from outbox where sent_at is null"))).scalar_one())


def relay_process(env: dict[str, object]) -> subprocess.Popen[bytes]:
    environ = {**os.environ, **{f"CRM_PROBE_{k.upper()}": str(v) for k, v in env.items()}}
    environ["CRM_KAFKA_BOOTSTRAP"] = str(env["kafka_bootstrap"])
    environ["CRM_TOPIC_PREFIX"] = str(env["topic_prefix"])
    environ["CRM_LOG_LEVEL"] = "WARNING"
    return subprocess.Popen([sys.executable, str(HERE / "probe_service.py"), "relay"], env=environ, cwd=HERE)


async def test_a_relay_killed_mid_batch_loses_nothing_and_consumers_apply_each_event_once(service_env) -> None:
    n = 5000
    pub_env = service_env("probepub", service_name="probepub", relay_batch_size=100)
    publisher, _ = build(ProbeSettings(**pub_env))
    consumer, effects = build(ProbeSettings(**service_env("probesub", service_name="probesub")))
    await publisher.migrate()
    async with publisher.db.transaction() as conn:
        for i in range(n):
            await publisher.outbox.add(conn, Pinged(ping_id=f"p{i}", n=i))
    sub = await start_in_background(consumer, {"consume"})
    try:
        first = relay_process(pub_env)
        await eventually(lambda: _some_but_not_all_sent(publisher, n), timeout=60, interval=0.01)
        first.send_signal(signal.SIGKILL)
        first.wait()
        left = await unsent(publisher)
        assert 0 < left < n, "the kill must land mid-stream"
        second = relay_process(pub_env)
        try:
            await eventually(lambda: _none_unsent(publisher), timeout=60)
        finally:
            second.terminate()
            second.wait()
        await eventually(lambda: _equals(consumer, effects, n), timeout=60)
        await asyncio.sleep(1)
        assert await count(consumer, effects) == n
        assert consumer.consumer.stats.dead_lettered == 0
    finally:
        await sub.stop()


async def _some_but_not_all_sent(service, total: int) -> bool:  # type: ignore[no-untyped-def]
    return 0 < await unsent(service) < total


async def _none_unsent(service) -> bool:  # type: ignore[no-untyped-def]
    return await unsent(service) == 0


async def _equals(service, table: sa.Table, n: int) -> bool:  # type: ignore[no-untyped-def]
    return await count(service, table) == n


async def test_a_duplicated_delivery_is_applied_once(service_env, kafka_bootstrap, topics) -> None:
    consumer, effects = build(ProbeSettings(**service_env("dupsub", service_name="dupsub")))
    sub = await start_in_background(consumer, {"consume"})
    try:
        event = Pinged(ping_id="same", n=1)
        await publish(kafka_bootstrap, topics, event, event_id="fixed-event-id")
        await publish(kafka_bootstrap, topics, event, event_id="fixed-event-id")
        await publish(kafka_bootstrap, topics, Pinged(ping_id="after", n=2))
        await eventually(lambda: _equals(consumer, effects, 2))
        assert consumer.consumer.stats.skipped_duplicates == 1
        assert consumer.consumer.stats.dead_lettered == 0
    finally:
        await sub.stop()


async def test_a_poison_message_goes_to_the_dlq_after_the_set_attempts_and_the_partition_moves_on(
    service_env, kafka_bootstrap, topics
) -> None:
    settings = ProbeSettings(**service_env("poison", service_name="poison", max_attempts=3), fail_on=13)
    consumer, effects = build(settings)
    sub = await start_in_background(consumer, {"consume", "relay"})
    try:
        # Same key, so the poison message and the one after it share a partition.
        await publish(kafka_bootstrap, topics, Pinged(ping_id="k", n=13))
        await publish(kafka_bootstrap, topics, Pinged(ping_id="k2", n=14).model_copy(update={"ping_id": "k"}))
        dead = await read_events_raw(kafka_bootstrap, f"{topics}crm.tasks.dlq")
        assert header_map(dead.headers)["dlq_attempts"] == "3"
        assert "cannot handle 13" in header_map(dead.headers)["dlq_error"]
        assert header_map(dead.headers)["ce_type"] == "crm.tasks.KitPinged.v1"
        await eventually(lambda: _equals(consumer, effects, 1))
        async with consumer.db.read() as conn:
            assert (await conn.execute(sa.select(effects.c.n))).scalar_one() == 14
    finally:
        await sub.stop()


async def read_events_raw(bootstrap: str, topic: str):  # type: ignore[no-untyped-def]
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        return await asyncio.wait_for(consumer.getone(), timeout=30)
    finally:
        await consumer.stop()


async def test_a_broker_stopped_and_restarted_loses_nothing_and_applies_nothing_twice(
    private_kafka, service_env
) -> None:
    prefix = "faults."
    await kafka.ensure_topics(private_kafka.bootstrap, kafka.all_topic_names(prefix), 2)
    env = {"kafka_bootstrap": private_kafka.bootstrap, "topic_prefix": prefix}
    publisher, _ = build(ProbeSettings(**service_env("bpub", service_name="bpub", **env)))
    consumer, effects = build(ProbeSettings(**service_env("bsub", service_name="bsub", **env)))
    pub = await start_in_background(publisher, {"relay"})
    sub = await start_in_background(consumer, {"consume"})
    total = 0
    try:
        for round_ in range(3):
            async with publisher.db.transaction() as conn:
                for i in range(200):
                    await publisher.outbox.add(conn, Pinged(ping_id=f"r{round_}-{i}", n=i))
            total += 200
            if round_ == 0:
                await eventually(lambda: _at_least(consumer, effects, 1), timeout=60)
                private_kafka.stop()
            elif round_ == 1:
                await asyncio.sleep(2)  # publishing and consuming go on failing for a while
                await private_kafka.start()
        await eventually(lambda: _equals(consumer, effects, total), timeout=120)
        await asyncio.sleep(2)
        assert await count(consumer, effects) == total
        assert consumer.consumer.stats.dead_lettered == 0
    finally:
        await pub.stop()
        await sub.stop()


async def _at_least(service, table: sa.Table, n: int) -> bool:  # type: ignore[no-untyped-def]
    return await count(service, table) >= n


async def test_a_consumer_started_while_the_broker_is_down_catches_up_when_it_comes_back(
    private_kafka, service_env
) -> None:
    prefix = "late."
    await kafka.ensure_topics(private_kafka.bootstrap, kafka.all_topic_names(prefix), 2)
    env = {"kafka_bootstrap": private_kafka.bootstrap, "topic_prefix": prefix}
    consumer, effects = build(ProbeSettings(**service_env("latesub", service_name="latesub", **env)))
    private_kafka.stop()
    sub = await start_in_background(consumer, {"consume"})
    try:
        await asyncio.sleep(3)
        assert not sub.task.done(), "the consumer must wait for the broker, not end the service"
        await private_kafka.start()
        await publish(private_kafka.bootstrap, prefix, Pinged(ping_id="late", n=1))
        await eventually(lambda: _equals(consumer, effects, 1), timeout=90)
    finally:
        await sub.stop()
