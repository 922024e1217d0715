"""Events/s through outbox + relay against a bare idempotent aiokafka producer (1 KB events, acks=all).

The baseline sends one record at a time, the usual way. The relay queues record batches per
partition (aiokafka's batch API), so a second line puts it next to a bare loop on that API too.
"""

from __future__ import annotations

import asyncio
import time

from aiokafka.partitioner import DefaultPartitioner

from bench.common import BOOTSTRAP, bench_service, fresh_prefix, one_kb_event
from bench.report import Figure, report
from crm_kit import kafka

N = 20_000
ROUNDS = 3
PARTITIONER = DefaultPartitioner()


def _records() -> list[tuple[bytes, bytes]]:
    """The events as key and value bytes, made before a baseline's clock starts (the relay's are in its rows)."""
    return [(e.key().encode(), e.payload()) for e in (one_kb_event(i) for i in range(N))]


async def bare_producer(prefix: str) -> float:
    producer = kafka.producer(BOOTSTRAP)
    await producer.start()
    records = _records()
    start = time.perf_counter()
    futures = [
        await producer.send(f"{prefix}crm.tasks", value, key=key, headers=[("ce_id", b"x")]) for key, value in records
    ]
    await asyncio.gather(*futures)
    elapsed = time.perf_counter() - start
    await producer.stop()
    return N / elapsed


async def bare_batch_producer(prefix: str) -> float:
    """The same records through aiokafka's batch API (what the relay uses), one partition's batch at a time."""
    producer = kafka.producer(BOOTSTRAP)
    await producer.start()
    topic = f"{prefix}crm.tasks"
    records = _records()
    start = time.perf_counter()
    every = sorted(await producer.partitions_for(topic))
    by_partition: dict[int, list[tuple[bytes, bytes]]] = {}
    for key, value in records:
        by_partition.setdefault(PARTITIONER(key, every, every), []).append((key, value))
    futures = []
    for partition, records in by_partition.items():
        batch = producer.create_batch()
        for key, value in records:
            if batch.append(timestamp=None, key=key, value=value, headers=[("ce_id", b"x")]) is None:
                futures.append(await producer.send_batch(batch, topic, partition=partition))
                batch = producer.create_batch()
                batch.append(timestamp=None, key=key, value=value, headers=[("ce_id", b"x")])
        futures.append(await producer.send_batch(batch, topic, partition=partition))
    await asyncio.gather(*futures)
    elapsed = time.perf_counter() - start
    await producer.stop()
    return N / elapsed


async def relay_only(prefix: str, round_: int) -> float:
    """Rows already in the outbox; time the relay to publish and mark them all."""
    service = bench_service(f"benchrelay{round_}", prefix)
    await service.db.create_all()
    async with service.db.transaction() as conn:
        await service.outbox.add_many(conn, [one_kb_event(i) for i in range(N)])
    producer = kafka.producer(BOOTSTRAP)
    await producer.start()
    start = time.perf_counter()
    await service.relay.drain(producer)
    elapsed = time.perf_counter() - start
    await producer.stop()
    await service.db.dispose()
    return N / elapsed


async def write_and_relay(prefix: str) -> float:
    """Services write events in transactions of 100 while the relay runs; time until all are published."""
    service = bench_service("benche2e", prefix)
    await service.db.create_all()
    stop = asyncio.Event()
    relay = asyncio.create_task(service.relay.run(stop))
    start = time.perf_counter()
    for chunk in range(0, N, 100):
        async with service.db.transaction() as conn:
            for i in range(chunk, chunk + 100):
                await service.outbox.add(conn, one_kb_event(i))
    while service.relay.published < N:
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - start
    stop.set()
    await relay
    await service.db.dispose()
    return N / elapsed


async def main() -> None:
    prefix = await fresh_prefix()
    # The machine is noisy: baseline and ours alternate, ROUNDS times, and the best of each counts.
    bares, batched, ours = [], [], []
    for round_ in range(ROUNDS):
        bares.append(await bare_producer(prefix))
        batched.append(await bare_batch_producer(prefix))
        ours.append(await relay_only(prefix, round_))
    baseline = max(bares)
    report(Figure("relay: outbox rows published (SQLite)", max(ours), baseline, "ev/s", goal="goal >= 0.5x"))
    report(
        Figure(
            "relay: the same, against aiokafka's batch API bare",
            max(ours),
            max(batched),
            "ev/s",
            goal="the relay's own API, for comparison",
        )
    )
    ours_e2e = await write_and_relay(prefix)
    report(Figure("relay: write in tx of 100 + relay, end to end (SQLite)", ours_e2e, baseline, "ev/s"))
