"""Events/s through the inbox consumer (dedupe + trivial handler + commit) against a bare aiokafka loop."""

from __future__ import annotations

import asyncio
import time

from aiokafka import ConsumerRecord

from bench.common import BOOTSTRAP, bare_consume, bench_service, fresh_prefix, one_kb_event
from bench.report import Figure, report
from crm_kit.testing import publish

N = 20_000
ROUNDS = 3


async def fill(prefix: str) -> None:
    events = [one_kb_event(i) for i in range(N)]
    for chunk in range(0, N, 5000):
        await publish(BOOTSTRAP, prefix, *events[chunk : chunk + 5000])


async def bare_consumer(prefix: str, round_: int) -> float:
    async def nothing(records: list[ConsumerRecord[bytes, bytes]]) -> None:
        return None

    return await bare_consume(f"{prefix}bare{round_}", f"{prefix}crm.tasks", N, nothing)


async def inbox_consumer(prefix: str, round_: int) -> float:
    service = bench_service(f"benchconsume{round_}", prefix)
    await service.db.create_all()
    stop = asyncio.Event()
    task = asyncio.create_task(service.consumer.run(stop))
    await service.consumer.assigned.wait()
    start = time.perf_counter()
    while service.consumer.stats.handled < N:
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - start
    stop.set()
    await task
    await service.db.dispose()
    return N / elapsed


async def main() -> None:
    prefix = await fresh_prefix()
    await fill(prefix)
    # The machine is noisy: baseline and ours alternate, ROUNDS times, each round a consumer group of
    # its own from offset 0, and the best of each counts.
    bares, ours = [], []
    for round_ in range(ROUNDS):
        bares.append(await bare_consumer(prefix, round_))
        ours.append(await inbox_consumer(prefix, round_))
    report(Figure("consume: inbox + handler + commit (SQLite)", max(ours), max(bares), "ev/s", goal="goal >= 0.3x"))
