"""The default view of the tasks and home pages (one person's open tasks, newest first) is read in index order."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import uuid4

import sqlalchemy as sa

from crm_kit.migrations import upgrade
from crm_kit.store import Database
from crm_tasks.bootstrap import MIGRATIONS
from crm_tasks.domain.model import Viewer
from crm_tasks.ports import TaskFilter
from crm_tasks.store import tables as t
from crm_tasks.store.repository import SqlRepository


async def test_a_persons_open_tasks_page_is_read_from_one_index_without_sorting_them_all(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}"
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    db = Database(url, t.metadata)
    staff = uuid4()
    try:
        async with db.read() as conn:
            repo = SqlRepository(conn)
            tasks, total = await repo.list_tasks(
                Viewer("agent", staff, "ana"), TaskFilter(view="for-me", status="open"), 50, 0
            )
            assert (tasks, total) == ([], 0)
            page = (
                sa.select(t.tasks)
                .where(t.tasks.c.responsible_staff_id == staff, t.tasks.c.status == "open")
                .order_by(t.tasks.c.registered_at.desc(), t.tasks.c.id.desc())
                .limit(50)
            )
            compiled = page.compile(conn.sync_engine, compile_kwargs={"literal_binds": True})
            plan = [row[-1] for row in (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")).all()]
    finally:
        await db.dispose()
    assert any("ix_tasks_responsible_status_registered" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
