"""The opportunities page (newest first) is read in index order, not by sorting every opportunity (#18)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from crm_kit.migrations import upgrade
from crm_kit.store import Database
from crm_opportunities.bootstrap import MIGRATIONS
from crm_opportunities.domain.model import OpportunityFilter
from crm_opportunities.store import tables as t
from crm_opportunities.store.repository import SqlRepository


async def test_the_newest_opportunities_page_is_read_in_index_order_without_sorting_them_all(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'opportunities.db'}"
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    db = Database(url, t.metadata)
    sent: list[tuple[str, Any]] = []

    def remember(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "ORDER BY" in statement:
            sent.append((statement, parameters))

    try:
        sa.event.listen(db.engine.sync_engine, "before_cursor_execute", remember)
        async with db.read() as conn:
            assert await SqlRepository(conn).find(OpportunityFilter(), limit=50, offset=0) == ([], 0)
            [(statement, parameters)] = sent
            rows = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)).all()
    finally:
        await db.dispose()
    plan = [row[-1] for row in rows]
    assert any("ix_opportunities_created" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
