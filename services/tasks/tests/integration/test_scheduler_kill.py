"""TaskDue exactly once on the real broker: two scheduler processes, one killed with SIGKILL and restarted."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from crm_contracts import topics
from crm_contracts.tasks import TaskDue
from crm_kit.identity import HEADER, Identity, issue
from crm_kit.ids import new_id
from crm_kit.service import start_in_background
from crm_kit.testing import eventually, read_events
from crm_tasks.bootstrap import bootstrap
from crm_tasks.domain.model import StaffMember
from crm_tasks.settings import TasksSettings
from crm_tasks.store.repository import SqlRepository

TASKS = 16


def _scheduler(settings: TasksSettings, log: Path, claim_delay: float) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CRM_TASKS_DATABASE_URL": settings.database_url,
        "CRM_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "CRM_TOPIC_PREFIX": settings.topic_prefix,
        "CRM_BLOB_DIR": str(settings.blob_dir),
        "CRM_TASKS_SCHEDULER_INTERVAL_SECONDS": "0.3",
        "CRM_TASKS_SCHEDULER_BATCH_SIZE": "4",
        "CRM_TASKS_SCHEDULER_CLAIM_DELAY_SECONDS": str(claim_delay),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "crm_tasks", "schedule"], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )


async def test_two_schedulers_and_a_kill_9_fire_each_reminder_exactly_once_within_30_seconds(
    service_env: Callable[..., dict[str, Any]], database_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings = TasksSettings(**service_env("tasks", database_url=database_url))
    service = bootstrap(settings)
    relay = await start_in_background(service, {"relay"})
    a = b = None
    try:
        ana = new_id()
        async with service.db.transaction() as conn:
            await SqlRepository(conn).upsert_staff(StaffMember(ana, "Ana", "ana@example.ro"))
        token = issue(
            Identity("u1", "ana", "agent", str(ana)), settings.identity_secret, "tasks", ttl=timedelta(hours=1)
        )
        log = tmp_path / "schedulers.log"
        a = _scheduler(settings, log, claim_delay=0.4)
        b = _scheduler(settings, log, claim_delay=0.0)

        async def both_started() -> bool:
            return log.exists() and log.read_text().count("reminder scheduler started") >= 2

        await eventually(both_started, timeout=90, interval=0.2)  # imports are slow on a busy 2-core machine
        start = datetime.now(UTC)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app()), base_url="http://t") as client:
            for i in range(TASKS):
                r = await client.post(
                    "/api/tasks",
                    headers={HEADER: token},
                    json={
                        "title": f"Task {i}",
                        "responsible_staff_id": str(ana),
                        "deadline": (start + timedelta(seconds=2 + i * 0.25)).isoformat(),
                        "alert": {"channel": "message", "days_before": 0},
                    },
                )
                assert r.status_code == 201, r.text

        async def fired() -> int:
            async with service.db.read() as conn:
                q = sa.text("select count(*) from reminders where fired_at is not null")
                return int((await conn.execute(q)).scalar_one())

        async def some_fired() -> bool:
            return await fired() >= 4

        try:
            await eventually(some_fired, timeout=40, interval=0.05)
        except AssertionError:
            raise AssertionError(log.read_text()[-3000:]) from None
        await asyncio.sleep(0.2)  # scheduler A is likely inside its claim transaction now
        a.send_signal(signal.SIGKILL)
        a.wait()
        await asyncio.sleep(1.0)
        a = _scheduler(settings, log, claim_delay=0.4)  # the restart

        def complete(events: list[Any]) -> bool:
            return len({e.task_id for _, e in events if isinstance(e, TaskDue)}) >= TASKS

        await read_events(kafka_bootstrap, settings.topic_prefix, topics.TASKS, until=complete, timeout=60)
        await asyncio.sleep(1.5)  # give a wrong second firing time to show up
        events = await read_events(kafka_bootstrap, settings.topic_prefix, topics.TASKS, until=complete, timeout=30)
        due = [(env, e) for env, e in events if isinstance(e, TaskDue)]
        keys = [(e.task_id, e.remind_at) for _, e in due]
        assert len(keys) == len(set(keys)) == TASKS, log.read_text()[-3000:]
        assert all(env.time - e.remind_at < timedelta(seconds=30) for env, e in due)
        assert all(env.time >= e.remind_at for env, e in due)
    finally:
        for proc in (a, b):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:  # stuck behind SQLite's busy timeout: no need to be gentle
                    proc.kill()
                    proc.wait()
        await relay.stop()
