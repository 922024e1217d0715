"""A tasks process killed between the commit of a keyed create and its response: the retry creates no second task."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from crm_kit.identity import HEADER, Identity, issue
from crm_kit.ids import new_id
from crm_kit.ports import free_port
from crm_kit.store import Database
from crm_kit.testing import eventually
from crm_tasks.domain.model import StaffMember
from crm_tasks.settings import TasksSettings
from crm_tasks.store.repository import SqlRepository
from crm_tasks.store.tables import metadata


def _process(settings: TasksSettings) -> subprocess.Popen[bytes]:
    """``python -m crm_tasks run`` with these settings, the way ops start it."""
    env = dict(os.environ)
    for key, value in settings.model_dump().items():
        if value is not None and not isinstance(value, dict | list):
            env[f"CRM_TASKS_{key.upper()}"] = str(value)
    for shared in ("kafka_bootstrap", "topic_prefix", "identity_secret", "blob_dir"):
        env[f"CRM_{shared.upper()}"] = str(getattr(settings, shared))
    env["CRM_LOG_LEVEL"] = "WARNING"
    return subprocess.Popen(
        [sys.executable, "-m", "crm_tasks", "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def _healthy(base: str) -> bool:
    async with httpx.AsyncClient(timeout=1.0) as client:
        try:
            return (await client.get(f"{base}/readyz")).status_code == 200
        except httpx.TransportError:
            return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def test_a_retry_after_the_process_died_between_commit_and_response_creates_no_second_task(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = TasksSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}",
        blob_dir=tmp_path / "blobs",
        port=port,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=f"idem-kill-{new_id().hex[:8]}-",
        test_pause_after_commit_seconds=60,
    )
    db = Database(settings.resolved_database_url(), metadata)

    async def count(sql: str) -> int:
        async with db.read() as conn:
            return int((await conn.execute(sa.text(sql))).scalar_one())

    first = _process(settings)
    second: subprocess.Popen[bytes] | None = None
    try:
        await eventually(lambda: _healthy(base), timeout=60)
        staff_id = new_id()
        async with db.transaction() as conn:
            await SqlRepository(conn).upsert_staff(
                StaffMember(staff_id, "Ana", "ana@example.ro", "ana", Decimal(8), (), None)
            )
        identity = Identity(user_id="ana", username="ana", role="agent", staff_id=str(staff_id))

        def headers() -> dict[str, str]:
            token = issue(identity, settings.identity_secret, settings.service_name)
            return {HEADER: token, "Idempotency-Key": "kill-between-commit-and-response"}

        body: dict[str, Any] = {"title": "Instalare server", "responsible_staff_id": str(staff_id)}
        async with httpx.AsyncClient(base_url=base, timeout=90.0) as client:
            pending = asyncio.create_task(client.post("/api/tasks", json=body, headers=headers()))

            async def committed_without_response() -> bool:
                tasks = await count("select count(*) from tasks")
                waiting = await count("select count(*) from idempotency_keys where status_code is null")
                return tasks == 1 and waiting == 1

            await eventually(committed_without_response, timeout=30)
            first.send_signal(signal.SIGKILL)  # after the commit, before the response
            first.wait(timeout=10)
            lost = await asyncio.gather(pending, return_exceptions=True)
            assert isinstance(lost[0], httpx.TransportError), lost  # the client never got an answer

        second = _process(settings.model_copy(update={"test_pause_after_commit_seconds": 0.0}))
        await eventually(lambda: _healthy(base), timeout=60)
        async with httpx.AsyncClient(base_url=base, timeout=30.0) as client:
            retry = await client.post("/api/tasks", json=body, headers=headers())
            assert retry.status_code == 409, retry.text
            assert "Idempotency-Key" in retry.json()["detail"]
            listed = await client.get("/api/tasks", headers={HEADER: headers()[HEADER]})
            assert listed.status_code == 200, listed.text
        assert await count("select count(*) from tasks") == 1
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        if second is not None:
            _stop(second)
        await db.dispose()
