"""On a three-broker cluster, a broker killed with SIGKILL while people work loses nothing and doubles nothing."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from crm_kit import kafka
from crm_kit.smtp_sink import SmtpSink
from crm_kit.testing import eventually
from crm_kit.testing.plugin import KafkaNode
from crm_kit.testing.stack import start_stack

TASKS = 40
KILL_AFTER = 15


async def _replicas(bootstrap: str, topic: str) -> set[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
        return {len(p["replicas"]) for p in described["partitions"]}
    finally:
        await admin.close()


async def _watch(bootstrap: str, topic: str, seen: dict[str, float], stop: asyncio.Event) -> None:
    """Record when each task's TaskCreated is first readable on the topic."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    headers = {k: v.decode() for k, v in record.headers}
                    if headers.get("ce_type", "").endswith(".TaskCreated.v1") and record.key:
                        seen.setdefault(record.key.decode(), time.monotonic())
    finally:
        await consumer.stop()


async def test_a_broker_killed_while_tasks_are_created_and_emailed_loses_none_and_sends_each_once(
    kafka_cluster: KafkaNode, service_env: Callable[..., dict[str, Any]], smtp_sink: SmtpSink
) -> None:
    def on_cluster(service: str, **overrides: Any) -> dict[str, Any]:
        return service_env(service, **{"kafka_bootstrap": kafka_cluster.bootstrap, **overrides})

    prefix = str(on_cluster("probe")["topic_prefix"])
    await kafka.ensure_topics(kafka_cluster.bootstrap, kafka.all_topic_names(prefix), 2)
    tasks_topic = f"{prefix}crm.tasks"
    assert await _replicas(kafka_cluster.bootstrap, tasks_topic) == {3}

    async with start_stack(
        on_cluster,
        ["partners", "tasks", "notifier"],
        overrides={"notifier": {"smtp_port": smtp_sink.port, "send_backoff_seconds": 0.2}},
    ) as stack:
        api = stack.client
        seen: dict[str, float] = {}
        created: dict[str, float] = {}
        stop = asyncio.Event()
        watcher = asyncio.create_task(_watch(kafka_cluster.bootstrap, tasks_topic, seen, stop))
        response = await api.post(
            "/api/staff",
            json={"name": "Ion Țurcanu", "email": "ion@example.ro", "hours_per_day": "8", "categories": []},
        )
        assert response.status_code == 201, response.text
        ion = response.json()["id"]

        async def tasks_know_ion() -> bool:
            r = await api.get("/api/tasks/staff")
            return any(p["id"] == ion for p in r.json()["items"])

        await eventually(tasks_know_ion, timeout=60)

        try:
            for n in range(TASKS):
                if n == KILL_AFTER:
                    kafka_cluster.kill(1)
                r = await api.post("/api/tasks", json={"title": f"Lucrare {n:02d}", "responsible_staff_id": ion})
                assert r.status_code == 201, r.text
                created[r.json()["id"]] = time.monotonic()
                await asyncio.sleep(0.1)

            async def all_published() -> bool:
                return set(created) <= set(seen)

            await eventually(all_published, timeout=120)
        finally:
            stop.set()
            await watcher

        def subjects() -> list[str]:
            return [str(m["Subject"]) for m in smtp_sink.messages() if "ion@example.ro" in str(m["To"])]

        async def all_emailed() -> bool:
            return len(subjects()) >= TASKS

        await eventually(all_emailed, timeout=120)
        await asyncio.sleep(3)  # a duplicate would arrive now
        for n in range(TASKS):
            assert sum(f"Lucrare {n:02d}" in s for s in subjects()) == 1, f"Lucrare {n:02d}: {subjects()}"
        assert len(subjects()) == TASKS

        delays = sorted(seen[t] - created[t] for t in created)
        print(
            f"\ncreated -> readable on the topic, one of 3 brokers SIGKILLed after task {KILL_AFTER}: "
            f"p50 {statistics.median(delays) * 1000:.0f} ms, max (the publishing pause) {delays[-1] * 1000:.0f} ms"
        )
