"""The blob_refs migration indexes the attachments and printouts of tasks stored before it, on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import sqlalchemy as sa

from crm_kit.blobrefs import records_referencing
from crm_kit.migrations import upgrade
from crm_kit.store import Database
from crm_tasks.bootstrap import MIGRATIONS
from crm_tasks.store import tables as t

BEFORE_BLOB_REFS = "0002"


async def test_tasks_stored_before_the_table_get_their_blob_references(database_url: str) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, BEFORE_BLOB_REFS)
    db = Database(database_url, t.metadata)
    task_id, attached, printout = uuid4(), "a" * 64, "b" * 64
    try:
        async with db.transaction() as conn:
            await conn.execute(
                sa.insert(t.tasks).values(
                    id=task_id,
                    title="Din email",
                    description="",
                    source="email",
                    registered_at=datetime(2026, 3, 2, tzinfo=UTC),
                    billable=False,
                    attachments=[{"sha256": attached, "file_name": "a.pdf", "size": 1, "content_type": None}],
                    origin={},
                    status="resolved",
                    invoiced=False,
                    estimate={"id": str(uuid4()), "lines": [], "total": "0", "printout_sha256": printout},
                )
            )
        await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
        async with db.read() as conn:
            assert await records_referencing(conn, t.blob_refs, attached) == [str(task_id)]
            assert await records_referencing(conn, t.blob_refs, printout) == [str(task_id)]
            assert await records_referencing(conn, t.blob_refs, "c" * 64) == []
    finally:
        await db.dispose()
