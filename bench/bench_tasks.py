"""Tasks: the reminder scheduler's due scan (SQLite) against a bare indexed SQL query of the same rows, and task
creation (in-process and through the gateway over HTTP) against a bare Litestar endpoint on the same machine."""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar, post

from bench.common import RUN
from bench.report import Figure, p50_ms, report
from crm_kit.identity import HEADER, Identity, issue
from crm_kit.ids import new_id
from crm_tasks.bootstrap import bootstrap
from crm_tasks.domain.model import StaffMember
from crm_tasks.settings import TasksSettings
from crm_tasks.store.repository import SqlRepository

# 1M rows take 80-120 s to generate on the shared 2-core box; BENCH_TASKS_ROWS=1000000 runs the full size.
N = int(os.environ.get("BENCH_TASKS_ROWS", "200000"))
DUE = 5_000  # reminders already due; the rest lie in the next 60 days
BATCH = 500


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def fill(path: Path, now: datetime) -> float:
    """Insert N tasks and their reminders with plain sqlite3 (the fastest way in); returns seconds taken."""
    started = time.perf_counter()
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    # Indexes are dropped during the load and rebuilt after it (much faster than updating them row by row).
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('tasks', 'reminders')"
        " AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        db.execute(f'DROP INDEX "{name}"')
    staff = uuid.uuid4().hex
    registered = _ts(now - timedelta(days=1))
    chunk = 50_000
    for start in range(0, N, chunk):
        ids = [uuid.uuid4().hex for _ in range(min(chunk, N - start))]
        db.executemany(
            "INSERT INTO tasks (id, title, description, source, responsible_staff_id, billable, attachments, origin,"
            " status, registered_at, invoiced) VALUES (?, ?, '', 'manual', ?, 0, '[]', '{}', 'open', ?, 0)",
            ((tid, f"Task {start + i}", staff, registered) for i, tid in enumerate(ids)),
        )
        rows = []
        for i, tid in enumerate(ids):
            n = start + i
            at = now - timedelta(seconds=n + 1) if n < DUE else now + timedelta(seconds=(n * 5) % (60 * 86400) + 60)
            rows.append((tid, "message", 0, _ts(at), _ts(at)))
        db.executemany(
            "INSERT INTO reminders (task_id, channel, days_before, deadline, remind_at, fired_at)"
            " VALUES (?, ?, ?, ?, ?, NULL)",
            rows,
        )
        db.commit()
    for _, sql in indexes:
        db.execute(sql)
    db.execute("ANALYZE")
    db.close()
    return time.perf_counter() - started


async def scan_figures(tmp: Path) -> None:
    now = datetime.now(UTC)
    path = tmp / "tasks.db"
    settings = TasksSettings(database_url=f"sqlite+aiosqlite:///{path}", blob_dir=tmp / "blobs")
    service = bootstrap(settings, clock=lambda: now)
    await service.migrate()
    seconds = fill(path, now)
    print(f"   filled {N:,} tasks and reminders in {seconds:.1f}s", flush=True)

    async def ours() -> None:
        # The scheduler's busy pass: find and claim a batch of due reminders, then roll back so every run
        # does the same work (the outbox writes are left out: they are the relay's figure).
        async with service.db.engine.connect() as conn:
            tx = await conn.begin()
            claimed = await SqlRepository(conn).claim_due(now, BATCH)
            assert len(claimed) == BATCH
            await tx.rollback()

    bare_db = sqlite3.connect(path)

    async def bare() -> None:
        rows = bare_db.execute(
            "SELECT task_id, channel FROM reminders WHERE fired_at IS NULL AND remind_at <= ?"
            " ORDER BY remind_at LIMIT ?",
            (_ts(now), BATCH),
        ).fetchall()
        assert len(rows) == BATCH

    async def idle_pass() -> None:
        async with service.db.read() as conn:
            await SqlRepository(conn).claim_due(now - timedelta(days=2), BATCH)

    baseline = await p50_ms(bare, runs=30)
    report(
        Figure(
            f"due-reminder claim of {BATCH} over {N:,} tasks (SQLite)",
            await p50_ms(ours, runs=20),
            baseline,
            "ms",
            higher_is_better=False,
            goal="goal p50 <= 100 ms",
        )
    )
    report(
        Figure(
            f"due-reminder scan, nothing due, over {N:,} tasks (SQLite)",
            await p50_ms(idle_pass, runs=30),
            baseline,
            "ms",
            higher_is_better=False,
            goal="goal p50 <= 100 ms",
        )
    )
    bare_db.close()
    await service.db.dispose()


async def creation_figure(tmp: Path) -> None:
    settings = TasksSettings(database_url=f"sqlite+aiosqlite:///{tmp / 'create.db'}", blob_dir=tmp / "blobs")
    service = bootstrap(settings)
    await service.migrate()
    ana = new_id()
    async with service.db.transaction() as conn:
        await SqlRepository(conn).upsert_staff(StaffMember(ana, "Ana", "ana@example.ro"))
    token = issue(
        Identity("u", "ana", "agent", str(ana)), settings.identity_secret, settings.service_name, ttl=timedelta(hours=1)
    )
    body = {"title": "Bench", "responsible_staff_id": str(ana), "deadline": "2030-01-01T10:00:00+02:00"}

    @post("/api/tasks", sync_to_thread=False)
    def bare_create(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "id": str(uuid.uuid4())}

    bare_app = Litestar([bare_create])
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app()), base_url="http://t") as client,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=bare_app), base_url="http://b") as bare_client,
    ):

        async def ours() -> None:
            r = await client.post("/api/tasks", json=body, headers={HEADER: token})
            assert r.status_code == 201, r.text

        async def bare() -> None:
            r = await bare_client.post("/api/tasks", json=body)
            assert r.status_code == 201

        report(
            Figure(
                "task creation, tasks API in-process (SQLite, outbox)",
                await p50_ms(ours, runs=100),
                await p50_ms(bare, runs=100),
                "ms",
                higher_is_better=False,
                goal="vs a bare Litestar POST",
            )
        )
    await service.db.dispose()


async def gateway_figure(tmp: Path) -> None:
    """POST /api/tasks through the gateway (uvicorn, TCP, identity, proxy) against a bare Litestar POST on uvicorn."""
    import asyncio

    import uvicorn

    from crm_kit.ports import free_port
    from crm_kit.testing.stack import start_stack

    bootstrap_servers = os.environ.get("CRM_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    prefix = f"{RUN}{uuid.uuid4().hex[:8]}."

    def env(name: str, **overrides: Any) -> dict[str, Any]:
        return {
            "kafka_bootstrap": bootstrap_servers,
            "topic_prefix": prefix,
            "blob_dir": tmp / "blobs",
            "database_url": f"sqlite+aiosqlite:///{tmp / (name + '-gw.db')}",
            **overrides,
        }

    @post("/api/tasks", sync_to_thread=False)
    def bare_create(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "id": str(uuid.uuid4())}

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(Litestar([bare_create]), host="127.0.0.1", port=port, log_config=None))
    serving = asyncio.create_task(server.serve())
    async with start_stack(env, ["tasks"], parts={"serve"}) as stack:
        ana = new_id()
        async with stack.running["tasks"].service.db.transaction() as conn:
            await SqlRepository(conn).upsert_staff(StaffMember(ana, "Ana", "ana@example.ro"))
        client = await stack.user_client("ana", "agent", staff_id=str(ana))
        body = {"title": "Bench", "responsible_staff_id": str(ana), "deadline": "2030-01-01T10:00:00+02:00"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as bare_client:
            while not server.started:
                await asyncio.sleep(0.05)

            async def ours() -> None:
                r = await client.post("/api/tasks", json=body)
                assert r.status_code == 201, r.text

            async def bare() -> None:
                r = await bare_client.post("/api/tasks", json=body)
                assert r.status_code == 201

            report(
                Figure(
                    "task creation through the gateway (HTTP, SQLite, outbox)",
                    await p50_ms(ours, runs=100),
                    await p50_ms(bare, runs=100),
                    "ms",
                    higher_is_better=False,
                    goal="vs a bare Litestar POST on uvicorn",
                )
            )
    server.should_exit = True
    await serving


async def main() -> None:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        await scan_figures(Path(tmp))
        await creation_figure(Path(tmp))
        await gateway_figure(Path(tmp))
