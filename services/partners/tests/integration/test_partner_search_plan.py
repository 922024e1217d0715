"""A picker query that names' beginnings answer is read from the name index alone (#18), on SQLite."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import sqlalchemy as sa

from crm_kit.migrations import upgrade
from crm_kit.store import Database
from crm_partners.bootstrap import MIGRATIONS
from crm_partners.domain.partners import Partner
from crm_partners.store import tables as t
from crm_partners.store.repository import SqlRepository

NOW = datetime(2026, 3, 2, tzinfo=UTC)


async def test_typing_a_names_beginning_reads_only_that_range_of_the_name_index(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'partners.db'}"
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    db = Database(url, t.metadata)
    sent: list[tuple[str, Any]] = []

    def remember(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    names = [f"Alfa Transport {n} SRL" for n in range(30)] + [f"Beta Alfa {n} SRL" for n in range(30)]
    try:
        async with db.transaction() as conn:
            await SqlRepository(conn).add_partners(
                [Partner(id=str(uuid4()), kind="client", name=name, created_at=NOW, updated_at=NOW) for name in names]
            )
        sa.event.listen(db.engine.sync_engine, "before_cursor_execute", remember)
        async with db.read() as conn:
            found = await SqlRepository(conn).find_partners("alfa", kind=None, limit=20)
            [(statement, parameters)] = sent  # the names starting with "alfa" filled the answer: no other query
            rows = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)).all()
    finally:
        await db.dispose()
    assert [p.name for p in found] == sorted(n for n in names if n.startswith("Alfa"))[:20]
    plan = [row[-1] for row in rows]
    assert plan == ["SEARCH partners USING INDEX ix_partners_name_key (name_key>? AND name_key<?)"], plan
