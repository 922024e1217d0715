"""Notifier scale-out (X3): emails/s of 1, 2 and 4 delivery worker instances (processes) on one PostgreSQL
store, against an SMTP sink that takes 50 ms to accept each message and allows each client address two
connections at once, as real servers do.

That limit is why ops scale the notifier: one instance cannot send faster than two connections allow,
however idle its CPU. Each instance is its own process, connecting from an address of its own
(``CRM_NOTIFIER_SMTP_SOURCE_ADDRESS``, 127.0.0.2, 127.0.0.3 ...; pods have addresses of their own) with as many
connections as the server allows it. After each run the sink's Maildir is checked: every email arrived, and
none twice (by Message-ID).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from multiprocessing.synchronize import Event as ProcessEvent
from pathlib import Path

import sqlalchemy as sa

from bench.common import BOOTSTRAP, pg_database
from bench.report import Figure, report
from crm_notifier.bootstrap import bootstrap
from crm_notifier.settings import NotifierSettings
from crm_notifier.store.tables import deliveries
from crm_notifier.testing import SinkProcess, pending_emails

EMAILS = 1200
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
        topic_prefix="benchscale.",
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


async def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="crm-bench-notifier-scale-"))
    rates = {n: await scale_run(folder, n) for n in INSTANCES}
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
