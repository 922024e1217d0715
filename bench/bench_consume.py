"""Events/s through the inbox consumer (dedupe + trivial handler + commit): on FastStream, on the kit's former
aiokafka loop, and a bare aiokafka loop, in the same run."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from aiokafka import ConsumerRecord

from bench.common import BOOTSTRAP, bare_consume, bench_service, fresh_prefix, one_kb_event
from bench.kit_loop import AiokafkaLoop
from bench.report import Figure, report
from crm_kit.service import Service
from crm_kit.testing import publish

N = 20_000
ROUNDS = 5


async def fill(prefix: str) -> None:
    events = [one_kb_event(i) for i in range(N)]
    for chunk in range(0, N, 5000):
        await publish(BOOTSTRAP, prefix, *events[chunk : chunk + 5000])


async def bare_consumer(prefix: str, round_: int) -> float:
    async def nothing(records: list[ConsumerRecord[bytes, bytes]]) -> None:
        return None

    return await bare_consume(f"{prefix}bare{round_}", f"{prefix}crm.tasks", N, nothing)


async def faststream_consumer(prefix: str, round_: int) -> float:
    """The services' path: ``Service.consume`` runs the service's FastStream broker (crm_kit.consuming)."""
    service = bench_service(f"benchconsume{round_}", prefix)
    service.broker.topics_ready.set()  # fresh_prefix created them
    return await _timed(service, service.consume)


async def kit_loop_consumer(prefix: str, round_: int) -> float:
    """The kit's loop before FastStream, around the same inbox (bench/kit_loop.py)."""
    service = bench_service(f"benchkitloop{round_}", prefix)
    loop = AiokafkaLoop(
        service.consumer,
        bootstrap=BOOTSTRAP,
        topic_names=[service.settings.topic(t) for t in service.subscriptions.topics()],
        batch_size=service.settings.consumer_batch_size,
    )
    return await _timed(service, loop.run)


async def _timed(service: Service, run: Callable[[asyncio.Event], Awaitable[None]]) -> float:
    """Events/s from the partitions' assignment to the N-th event handled."""
    await service.db.create_all()
    stop = asyncio.Event()
    task: asyncio.Task[None] = asyncio.create_task(run(stop))
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
    bares, loops, ours = [], [], []
    for round_ in range(ROUNDS):
        bares.append(await bare_consumer(prefix, round_))
        loops.append(await kit_loop_consumer(prefix, round_))
        ours.append(await faststream_consumer(prefix, round_))
    report(
        Figure(
            "consume: inbox + handler + commit, FastStream (SQLite)", max(ours), max(bares), "ev/s", goal="goal >= 0.3x"
        )
    )
    report(
        Figure("consume: FastStream against the former kit loop", max(ours), max(loops), "ev/s", goal="goal >= 0.9x")
    )
    report(Figure("consume: former kit loop (aiokafka, for reference)", max(loops), max(bares), "ev/s"))
