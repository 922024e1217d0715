"""The email log and a user's message stack (newest first) are read in index order, not by sorting them all (#18)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from crm_kit.migrations import upgrade
from crm_kit.store import Database
from crm_notifier.bootstrap import MIGRATIONS
from crm_notifier.domain.models import EmailViewer
from crm_notifier.store import tables as t
from crm_notifier.store.repository import SqlRepository


async def page_plan(tmp_path: Path, read: Callable[[SqlRepository], Awaitable[Any]]) -> list[str]:
    """The query plan of the page statement (the one with ORDER BY) that ``read`` sends, on a migrated store."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'notifier.db'}"
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    db = Database(url, t.metadata)
    sent: list[tuple[str, Any]] = []

    def remember(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "ORDER BY" in statement:
            sent.append((statement, parameters))

    try:
        sa.event.listen(db.engine.sync_engine, "before_cursor_execute", remember)
        async with db.read() as conn:
            await read(SqlRepository(conn))
            [(statement, parameters)] = sent
            rows = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)).all()
    finally:
        await db.dispose()
    return [row[-1] for row in rows]


async def test_the_email_log_page_is_read_in_index_order_without_sorting_every_email(tmp_path: Path) -> None:
    async def log(repo: SqlRepository) -> Any:
        return await repo.emails(
            EmailViewer("admin", "admin"), partner_id=None, status=None, email_id=None, limit=50, offset=0
        )

    plan = await page_plan(tmp_path, log)
    assert any("ix_deliveries_log" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


async def test_a_users_message_stack_is_read_in_index_order_without_sorting_all_their_messages(tmp_path: Path) -> None:
    async def stack(repo: SqlRepository) -> Any:
        return await repo.messages("ana", unread=False, limit=50, offset=0)

    plan = await page_plan(tmp_path, stack)
    assert any("ix_messages_stack" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
