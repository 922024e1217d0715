"""Notifier scale-out (X3): emails/s of 1, 2 and 4 delivery worker instances (processes) on one PostgreSQL
store, against an SMTP sink that takes 50 ms to accept each message and allows each client address two
connections at once, as real servers do.

That limit is why ops scale the notifier: one instance cannot send faster than two connections allow,
however idle its CPU. Each instance is its own process, connecting from an address of its own
(``CRM_NOTIFIER_SMTP_SOURCE_ADDRESS``, 127.0.0.2, 127.0.0.3 ...; pods have addresses of their own) with as many
connections as the server allows it. After each run the sink's Maildir is checked: every email arrived, and
none twice (by Message-ID).

The in-app path scales by partitions instead: 1, 2 and 4 notifier consumers (processes, one consumer group)
over a ``crm.tasks`` of 6 partitions turn INAPP ``TaskCreated`` for staff with a login into in-app messages and
``MessagePosted`` (inbox, handler, outbox, relay). It has no SMTP wait to hide: on 2 cores it is bound by the
CPU that PostgreSQL, Kafka and the consumers share, so this line says what a second or fourth replica gives
there, not a goal. Each run checks every task gave one message, none twice.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from multiprocessing.synchronize import Event as ProcessEvent
from pathlib import Path

import sqlalchemy as sa

from bench.common import BOOTSTRAP, RUN, fresh_prefix, pg_database
from bench.report import Figure, report
from crm_contracts.tasks import TaskCreated
from crm_kit.testing import publish
from crm_notifier.bootstrap import bootstrap
from crm_notifier.domain.models import StaffMember
from crm_notifier.settings import NotifierSettings
from crm_notifier.store.repository import SqlRepository
from crm_notifier.store.tables import deliveries, messages
from crm_notifier.testing import SinkProcess, pending_emails

EMAILS = 1200
INAPP = int(os.environ.get("BENCH_NOTIFIER_INAPP", "6000"))
INAPP_STAFF = 50
DELAY_MS = 50
INSTANCES = (1, 2, 4)
# A real server's per-client connection limit (many providers allow a client address two or three at once);
# each instance keeps as many open as it may.
PER_CLIENT = 2
BODY = "Bună ziua,\n\nVă trimitem oferta solicitată.\n" * 10


def settings_for(folder: Path, port: int, database_url: str, source_address: str = "") -> NotifierSettings:
    folder.mkdir(parents=True, exist_ok=True)
    return NotifierSettings(
        smtp_source_address=source_address,
        connections_per_server=PER_CLIENT,
        kafka_bootstrap=BOOTSTRAP,
        topic_prefix=f"{RUN}scale.",
        database_url=database_url,
        blob_dir=folder / "blobs",
        smtp_port=port,
        deliver_poll_seconds=0.05,
        log_level="WARNING",
    )


def instance(settings: NotifierSettings, ready: ProcessEvent, go: ProcessEvent, stop: ProcessEvent) -> None:
    """One notifier instance's delivery worker, in a process of its own (the target of a spawned process)."""
    asyncio.run(_deliver(settings, ready, go, stop))


async def _deliver(settings: NotifierSettings, ready: ProcessEvent, go: ProcessEvent, stop: ProcessEvent) -> None:
    service = bootstrap(settings)
    async with service.db.read() as conn:  # connected before the clock starts, as a running instance is
        await conn.execute(sa.text("SELECT 1"))
    ready.set()
    while not go.is_set():
        await asyncio.sleep(0.01)
    halt = asyncio.Event()
    task: asyncio.Future[None] = asyncio.ensure_future(service.workers["deliver"](halt))
    while not stop.is_set():
        await asyncio.sleep(0.05)
    halt.set()
    await task
    await service.db.dispose()


async def scale_run(folder: Path, instances: int) -> float:
    """Emails/s of ``instances`` worker processes over EMAILS pending deliveries; checks the sink got each once."""
    sink = SinkProcess(folder / f"sink{instances}", delay_ms=DELAY_MS, max_connections=PER_CLIENT)
    sink.start()
    try:
        async with pg_database("notifierscale") as url:
            settings = settings_for(folder / f"run{instances}", sink.port, url)
            service = bootstrap(settings)
            await service.migrate()
            async with service.db.transaction() as conn:
                await conn.execute(deliveries.insert(), pending_emails(EMAILS, datetime.now(UTC), BODY))
            ctx = multiprocessing.get_context("spawn")
            go, stop = ctx.Event(), ctx.Event()
            readies = [ctx.Event() for _ in range(instances)]
            own = [settings.model_copy(update={"smtp_source_address": f"127.0.0.{2 + i}"}) for i in range(instances)]
            procs = [ctx.Process(target=instance, args=(s, r, go, stop)) for s, r in zip(own, readies, strict=True)]
            for p in procs:
                p.start()
            try:
                while not all(r.is_set() for r in readies):
                    await asyncio.sleep(0.05)
                go.set()
                start = time.perf_counter()
                async with service.db.read() as conn:
                    query = sa.select(sa.func.count()).select_from(deliveries).where(deliveries.c.status == "sent")
                    while int((await conn.execute(query)).scalar_one()) < EMAILS:
                        if not all(p.is_alive() for p in procs):
                            raise RuntimeError("a notifier instance died")
                        await asyncio.sleep(0.02)
                elapsed = time.perf_counter() - start
            finally:
                stop.set()
                for p in procs:
                    p.join(30)
            await service.db.dispose()
    finally:
        sink.stop()
    ids = Counter(m["Message-ID"] for m in sink.messages())
    twice = [i for i, n in ids.items() if n > 1]
    assert not twice, f"{len(twice)} emails arrived more than once, e.g. {twice[0]}"
    assert sum(ids.values()) == EMAILS, f"the sink got {sum(ids.values())} emails, not {EMAILS}"
    return EMAILS / elapsed


def consumer_instance(settings: NotifierSettings, ready: ProcessEvent, stop: ProcessEvent) -> None:
    """One notifier replica's consumer and relay, in a process of its own; ``ready`` once it holds partitions."""
    asyncio.run(_consume(settings, ready, stop))


async def _consume(settings: NotifierSettings, ready: ProcessEvent, stop: ProcessEvent) -> None:
    service = bootstrap(settings)
    halt = asyncio.Event()
    task = asyncio.create_task(service.run({"consume", "relay"}, halt))
    await service.consumer.assigned.wait()
    ready.set()
    while not stop.is_set():
        await asyncio.sleep(0.05)
    halt.set()
    await task


async def inapp_run(folder: Path, instances: int) -> float:
    """In-app messages/s of ``instances`` consumer processes over INAPP TaskCreated on 6 partitions."""
    prefix = await fresh_prefix(partitions=6)
    async with pg_database("notifierinapp") as url:
        settings = settings_for(folder / f"inapp{instances}", 0, url).model_copy(update={"topic_prefix": prefix})
        service = bootstrap(settings)
        await service.migrate()
        staff = [uuid.uuid4() for _ in range(INAPP_STAFF)]
        async with service.db.transaction() as conn:  # the directory the consumer learnt earlier (steady state)
            for i, staff_id in enumerate(staff):
                await SqlRepository(conn).save_staff(StaffMember(str(staff_id), f"User {i}", None, f"user{i}"))
        ctx = multiprocessing.get_context("spawn")
        stop = ctx.Event()
        readies = [ctx.Event() for _ in range(instances)]
        procs = [ctx.Process(target=consumer_instance, args=(settings, r, stop)) for r in readies]
        for p in procs:
            p.start()
        try:
            while not all(r.is_set() for r in readies):
                if not all(p.is_alive() for p in procs):
                    raise RuntimeError("a notifier instance died")
                await asyncio.sleep(0.05)
            await asyncio.sleep(3)  # the group settles: every member joined, partitions spread
            events = [
                TaskCreated(
                    task_id=uuid.uuid4(),
                    title=f"Sarcina {i}",
                    source="manual",
                    responsible_staff_id=staff[i % INAPP_STAFF],
                    registered_at=datetime.now(UTC),
                )
                for i in range(INAPP)
            ]
            start = time.perf_counter()
            for chunk in range(0, INAPP, 1000):
                await publish(BOOTSTRAP, prefix, *events[chunk : chunk + 1000])
            count = sa.select(sa.func.count(), sa.func.count(sa.distinct(messages.c.link))).select_from(messages)
            async with service.db.read() as conn:
                while int((await conn.execute(count)).one()[0]) < INAPP:
                    if not all(p.is_alive() for p in procs):
                        raise RuntimeError("a notifier instance died")
                    await asyncio.sleep(0.02)
                elapsed = time.perf_counter() - start
                await asyncio.sleep(1)  # a duplicate would be stored now
                rows, distinct = (await conn.execute(count)).one()
        finally:
            stop.set()
            for p in procs:
                p.join(30)
        await service.db.dispose()
    assert rows == distinct == INAPP, f"{rows} messages for {distinct} of {INAPP} tasks"
    return INAPP / elapsed


async def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="crm-bench-notifier-scale-"))
    rates = {n: await scale_run(folder, n) for n in INSTANCES}
    inapp = {n: await inapp_run(folder, n) for n in INSTANCES}
    load = os.getloadavg()[0]
    for n in INSTANCES[1:]:
        goal = {2: "goal >= 1.8x", 4: "goal >= 3.2x"}.get(n, "scale-out")
        report(
            Figure(
                f"notifier: {n} instances vs 1, sink 50 ms/msg, 2 connections per client (PG, load {load:.1f})",
                rates[n],
                rates[1],
                "mail/s",
                goal=goal,
            )
        )
        report(
            Figure(
                f"notifier: in-app, {n} consumers vs 1 over 6 partitions (PG, load {load:.1f})",
                inapp[n],
                inapp[1],
                "msg/s",
                goal="scale-out on 2 shared cores (no goal)",
            )
        )
