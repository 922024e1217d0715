"""Web UI pages and picker answers on the large data set (issue #18), each beside a bare query of the same rows.

The gateway and seven services run in this process on SQLite (as ``make start`` runs them), loaded by
``make demo-large``'s own script (``deploy/demo_large.py``). Each main page is fetched as a logged-in
browser would (cookie session, HTML), each picker as its script asks (``/api/.../search?q=``); the
baseline is the bare SQL that reads the same rows from the owning service's store. Goals: every page
p95 < 300 ms, every picker answer < 100 ms.

The pages are measured once the stack has settled after the load: every invoice's printout rendered and every
event consumed (each service's outbox sent, no inbox growing for ``QUIET_SECONDS``). The load leaves minutes of
such work (10,000 PDFs at about 100 ms of CPU each, hundreds of thousands of events for four consumers), and
here it all runs in this one process, on one event loop and one GIL; ``make start`` runs each service in its
own process. How long the settling took is printed. ``CRM_BENCH_PAGES_SETTLE=0`` measures right after the load
instead (the figures are then named so).

Size: ``CRM_BENCH_PAGES_PARTNERS`` (default 100,000; tasks twice as many, documents a fifth), e.g.
``CRM_BENCH_PAGES_PARTNERS=5000 uv run python -m bench.bench_pages`` while developing.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bench.common import BOOTSTRAP, RUN
from bench.report import Figure, report
from crm_commercial.settings import CommercialSettings
from crm_kit import kafka
from crm_kit.testing.stack import ADMIN_PASSWORD, Stack, start_stack
from crm_tasks.settings import TasksSettings
from deploy.demo_large import Sizes, load, marked_name, marked_number

PARTNERS = int(os.environ.get("CRM_BENCH_PAGES_PARTNERS", "100000"))
SETTLE = os.environ.get("CRM_BENCH_PAGES_SETTLE", "1") != "0"
SETTLE_LIMIT_SECONDS = 3 * 3600
QUIET_SECONDS = 10.0
UNSENT = "SELECT count(*) FROM outbox WHERE sent_at IS NULL"
SERVICES = ["partners", "opportunities", "tasks", "commercial", "campaigns", "notifier", "mail-ingest"]
RUNS = 20
PAGE_GOAL = "goal p95 < 300 ms"
PICKER_GOAL = "goal p95 < 100 ms"


def p95(samples: list[float]) -> float:
    """The 95th percentile (nearest rank) of ``samples``."""
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


Timed = tuple[str, Callable[[], Awaitable[object]], Callable[[], Awaitable[object]], str]
"""A figure to measure: its label, our call, the bare query of the same rows, and its goal."""


async def p95s_ms(figures: list[Timed], runs: int = RUNS, warmup: int = 2) -> list[tuple[float, float]]:
    """p95 wall time in milliseconds of each figure's call and of its bare query.

    The figures take turns, one sample of each per round: on a shared machine a burst of load from other
    processes then lands on every figure alike, not on the few measured during it.
    """
    samples: list[tuple[list[float], list[float]]] = [([], []) for _ in figures]
    for round_ in range(warmup + runs):
        for (_, ours, bare, _), (ours_ms, bare_ms) in zip(figures, samples, strict=True):
            for fn, into in ((ours, ours_ms), (bare, bare_ms)):
                start = time.perf_counter()
                await fn()
                if round_ >= warmup:
                    into.append((time.perf_counter() - start) * 1000)
    return [(p95(ours_ms), p95(bare_ms)) for ours_ms, bare_ms in samples]


class Stores:
    """Bare SQL on each service's SQLite file (the baseline)."""

    def __init__(self, folder: Path) -> None:
        self.engines = {
            name: create_async_engine(f"sqlite+aiosqlite:///{folder / (name + '.db')}") for name in SERVICES
        }

    def query(self, service: str, sql: str, **values: Any) -> Callable[[], Awaitable[object]]:
        """A callable running ``sql`` on ``service``'s store and reading every row."""
        engine = self.engines[service]

        async def run() -> object:
            async with engine.connect() as conn:
                return (await conn.execute(sa.text(sql), values)).all()

        return run

    async def scalar(self, service: str, sql: str) -> int:
        """One number from ``service``'s store."""
        async with self.engines[service].connect() as conn:
            return int((await conn.execute(sa.text(sql))).scalar() or 0)

    async def dispose(self) -> None:
        """Close every engine."""
        for engine in self.engines.values():
            await engine.dispose()


async def settle(stores: Stores) -> str:
    """Wait until the load's after-work is done: printouts rendered, outboxes sent, no inbox growing.

    Returns:
        What was waited for, for the report.

    Raises:
        TimeoutError: the stack did not settle within ``SETTLE_LIMIT_SECONDS``.
    """
    started = time.monotonic()
    pending_printouts = "SELECT count(*) FROM documents WHERE type = 'invoice' AND printout_sha256 IS NULL"
    printouts = await stores.scalar("commercial", pending_printouts)
    consumed = {name: await stores.scalar(name, "SELECT max(rowid) FROM inbox") for name in SERVICES}
    first = dict(consumed)
    quiet_since = time.monotonic()
    while time.monotonic() - started < SETTLE_LIMIT_SECONDS:
        await asyncio.sleep(2.0)
        now = {name: await stores.scalar(name, "SELECT max(rowid) FROM inbox") for name in SERVICES}
        unsent = sum([await stores.scalar(name, UNSENT) for name in SERVICES])
        if now != consumed or unsent or await stores.scalar("commercial", pending_printouts):
            consumed, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since >= QUIET_SECONDS:
            events = sum(now.values()) - sum(first.values())
            return (
                f"settled {time.monotonic() - started:.0f} s after the load: {printouts:,} printouts rendered,"
                f" {events:,} more events consumed"
            )
    raise TimeoutError(f"the stack did not settle within {SETTLE_LIMIT_SECONDS} s")


async def browser(stack: Stack) -> httpx.AsyncClient:
    """An httpx client logged in through /login, with the session cookie a browser keeps."""
    client = httpx.AsyncClient(base_url=stack.base_url, timeout=60.0, follow_redirects=True)
    page = await client.get("/login")
    token = re.search(r'<meta name="csrf-token" content="([^"]*)"', page.text)
    form = {"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token.group(1) if token else ""}
    hidden = re.search(r'name="(_?csrf[a-z_]*)" value="([^"]*)"', page.text)
    if hidden:
        form[hidden.group(1)] = hidden.group(2)
    answer = await client.post("/login", data=form)
    answer.raise_for_status()
    return client


def _get(client: httpx.AsyncClient, url: str, *, json: bool = False) -> Callable[[], Awaitable[object]]:
    async def run() -> object:
        answer = await client.get(url, headers={"accept": "application/json"} if json else {})
        if answer.status_code != 200:
            raise AssertionError(f"{url}: {answer.status_code} {answer.text[:200]}")
        return answer

    return run


async def measure(stack: Stack, stores: Stores, when: str = "") -> None:
    """p95 of every main page and picker, each beside its bare query (``when`` qualifies the figures' names)."""
    size = f"{PARTNERS:,} partners{when}"
    client = await browser(stack)
    try:
        found = (await stack.client.get("/api/partners/search", params={"q": marked_name(PARTNERS)})).json()
        partner_id = found["items"][0]["id"]
        task = (await stack.client.get("/api/tasks", params={"partner_id": partner_id, "limit": 1})).json()
        task_id = task["items"][0]["id"]
        docs = (await stack.client.get("/api/documents", params={"partner_id": partner_id, "limit": 1})).json()
        if not docs["items"]:  # the marked partner may have none: a fifth of the partners have documents
            docs = (await stack.client.get("/api/documents", params={"limit": 1})).json()
        doc_id = docs["items"][0]["id"] if docs["items"] else None
        pid = partner_id.replace("-", "")
        pages: list[tuple[str, str, str, str, dict[str, Any]]] = [
            ("home", "/", "tasks", "SELECT id, title FROM tasks WHERE status = 'open' ORDER BY deadline LIMIT 5", {}),
            ("partners list", "/partners", "partners", "SELECT id, name FROM partners ORDER BY name_key LIMIT 50", {}),
            ("partner page", f"/partners/{partner_id}", "partners", "SELECT * FROM partners WHERE id = :id", {}),
            (
                "opportunities",
                "/opportunities",
                "opportunities",
                "SELECT id, title FROM opportunities ORDER BY created_at DESC LIMIT 50",
                {},
            ),
            ("pipeline", "/pipeline", "opportunities", "SELECT stage, count(*) FROM opportunities GROUP BY stage", {}),
            ("tasks", "/tasks", "tasks", "SELECT id, title FROM tasks ORDER BY deadline LIMIT 50", {}),
            ("task page", f"/tasks/{task_id}", "tasks", "SELECT * FROM tasks WHERE id = :task", {}),
            (
                "documents of a partner",
                f"/documents?partner_id={partner_id}",
                "commercial",
                "SELECT id, number FROM documents WHERE partner_id = :id ORDER BY issued_on DESC LIMIT 200",
                {},
            ),
            (
                "new invoice",
                f"/documents/invoices/new?partner_id={partner_id}",
                "commercial",
                "SELECT id, number FROM documents WHERE partner_id = :id AND type = 'order'",
                {},
            ),
            ("campaigns", "/campaigns", "campaigns", "SELECT id, name FROM campaigns LIMIT 50", {}),
            ("email log", "/emails", "notifier", "SELECT * FROM deliveries ORDER BY rowid DESC LIMIT 50", {}),
            (
                "mail imports",
                "/mail-imports",
                "mail-ingest",
                "SELECT * FROM mail_imports ORDER BY rowid DESC LIMIT 50",
                {},
            ),
            ("articles", "/articles", "commercial", "SELECT code, name FROM articles ORDER BY code LIMIT 50", {}),
        ]
        if doc_id:
            pages.append(
                (
                    "document page",
                    f"/documents/{doc_id}",
                    "commercial",
                    "SELECT * FROM document_lines WHERE document_id = :doc",
                    {},
                )
            )
        values = {"id": pid, "task": task_id.replace("-", ""), "doc": (doc_id or "").replace("-", "")}
        figures: list[Timed] = [
            (label, _get(client, url), stores.query(service, sql, **{**values, **extra}), PAGE_GOAL)
            for label, url, service, sql, extra in pages
        ]
        words = f"zorilor {marked_number(PARTNERS)}"
        pickers = [
            (
                "partner picker 'zorilor N'",
                f"/api/partners/search?q={words}",
                "partners",
                "SELECT id, name FROM partners WHERE name_key LIKE 'zorilor%' LIMIT 20",
            ),
            (
                "partner picker 'alfa', many",
                "/api/partners/search?q=alfa",
                "partners",
                "SELECT id, name FROM partners WHERE name_key LIKE 'alfa%' ORDER BY name_key LIMIT 20",
            ),
            (
                "staff picker 'dana'",
                "/api/staff/search?q=dana",
                "partners",
                "SELECT id, name FROM staff WHERE name LIKE 'dana%' LIMIT 20",
            ),
            (
                "article picker 'srv'",
                "/api/articles?q=srv&picker=true&limit=20",
                "commercial",
                "SELECT code, name FROM articles WHERE code LIKE 'SRV%' LIMIT 20",
            ),
            (
                "campaign picker 'spring'",
                "/api/campaigns?q=spring&limit=20",
                "campaigns",
                "SELECT id, name FROM campaigns WHERE name LIKE 'spring%' LIMIT 20",
            ),
        ]
        figures += [
            (label, _get(client, url, json=True), stores.query(service, sql), PICKER_GOAL)
            for label, url, service, sql in pickers
        ]
        for (label, _, _, goal), (ours, bare) in zip(figures, await p95s_ms(figures), strict=True):
            report(Figure(f"pages: {label} ({size})", ours, bare, "ms p95", False, goal))
    finally:
        await client.aclose()


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="crm-bench-pages-") as tmp:
        folder = Path(tmp)
        prefix = f"{RUN}{uuid.uuid4().hex[:8]}"

        def service_env(service: str, **overrides: Any) -> dict[str, Any]:
            return {
                "kafka_bootstrap": BOOTSTRAP,
                "topic_prefix": prefix,
                "topic_partitions": 2,
                "blob_dir": folder / "blobs",
                "database_url": f"sqlite+aiosqlite:///{folder / (service + '.db')}",
                "relay_poll_seconds": 0.2,
                **overrides,
            }

        try:
            async with start_stack(service_env, SERVICES) as stack:
                started = time.monotonic()
                timings = await load(
                    stack.base_url,
                    ADMIN_PASSWORD,
                    Sizes(PARTNERS, 2 * PARTNERS, PARTNERS // 5),
                    tasks_settings=TasksSettings(**service_env("tasks", port=stack.ports["tasks"])),
                    commercial_settings=CommercialSettings(**service_env("commercial", port=stack.ports["commercial"])),
                )
                print(f"loaded in {time.monotonic() - started:.0f} s: {timings}", flush=True)
                stores = Stores(folder)
                try:
                    if SETTLE:
                        print(await settle(stores), flush=True)
                    await measure(stack, stores, "" if SETTLE else ", right after the load")
                finally:
                    await stores.dispose()
        finally:
            # Run alone, nobody else deletes them (``python -m bench`` deletes every bench topic after each).
            await kafka.delete_topics(BOOTSTRAP, prefix)


if __name__ == "__main__":
    # Run alone: ``uv run python -m bench.bench_pages``.
    import logging

    from crm_kit.service import tune_gc
    from crm_kit.settings import ServiceSettings

    logging.basicConfig(level=logging.WARNING)
    for noisy in ("aiokafka", "httpx", "uvicorn", "uvicorn.access", "uvicorn.error", "crm_kit", "crm_tasks"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    # The process settings a service's command line applies (crm_kit.cli), as ``python -m bench`` does.
    tune_gc(ServiceSettings().gc_threshold)
    asyncio.run(main())
