"""The tasks and home pages' views (a person's open tasks, or all open tasks, newest first) are read in index order."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
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


async def plans_of_list_tasks(tmp_path: Path, viewer: Viewer, flt: TaskFilter) -> list[list[str]]:
    """The query plan of every statement ``list_tasks`` sends (the count and the page), on a migrated store."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}"
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    db = Database(url, t.metadata)
    sent: list[tuple[str, Any]] = []

    def remember(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM tasks" in statement:
            sent.append((statement, parameters))

    try:
        sa.event.listen(db.engine.sync_engine, "before_cursor_execute", remember)
        async with db.read() as conn:
            await SqlRepository(conn).list_tasks(viewer, flt, 50, 0)
            plans = []
            for statement, parameters in sent:
                rows = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)).all()
                plans.append([row[-1] for row in rows])
    finally:
        await db.dispose()
    return plans


async def test_every_open_task_newest_first_is_counted_and_paged_from_one_index_without_sorting(
    tmp_path: Path,
) -> None:
    """An administrator's tasks page (all, open): 200,000 open tasks were sorted for each page of 50."""
    count, page = await plans_of_list_tasks(
        tmp_path, Viewer("admin", None, "admin"), TaskFilter(view="all", status="open")
    )
    assert any("COVERING INDEX ix_tasks_status_" in step for step in count), count  # either status index
    assert any("ix_tasks_status_registered" in step for step in page), page
    assert not any("TEMP B-TREE" in step for step in page), page


async def test_every_open_task_soonest_deadline_first_is_paged_from_the_deadline_index(tmp_path: Path) -> None:
    """The tasks page lists open tasks in the order they are due: the page is read along (status, deadline, id)."""
    _, page = await plans_of_list_tasks(
        tmp_path, Viewer("admin", None, "admin"), TaskFilter(view="all", status="open", by_deadline=True)
    )
    assert any("ix_tasks_status_deadline" in step for step in page), page


async def test_a_persons_open_tasks_soonest_deadline_first_are_paged_from_the_deadline_index(tmp_path: Path) -> None:
    _, page = await plans_of_list_tasks(
        tmp_path, Viewer("agent", uuid4(), "ana"), TaskFilter(view="for-me", status="open", by_deadline=True)
    )
    assert any("ix_tasks_responsible_status_deadline" in step for step in page), page
