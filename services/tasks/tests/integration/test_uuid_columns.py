"""Every id of the tasks store is a UUID column after the migrations, on SQLite and PostgreSQL (as in the tables)."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa

from crm_kit.migrations import upgrade
from crm_kit.store import Database
from crm_tasks.bootstrap import MIGRATIONS
from crm_tasks.store import tables as t

KIT_TABLES = {"outbox", "inbox", "leases", "blob_refs", "idempotency_keys", "reminder_settings"}
"""Tables whose ids are not entity ids (sequence numbers, event ids, free-form record keys)."""


async def test_the_migrated_store_keeps_every_id_as_a_uuid_and_so_do_the_tables(database_url: str) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    db = Database(database_url, t.metadata)

    def id_columns(sync: Any) -> dict[tuple[str, str], str]:
        inspector = sa.inspect(sync)
        return {
            (table, column["name"]): str(column["type"])
            for table in inspector.get_table_names()
            if table not in KIT_TABLES | {"alembic_version"}
            for column in inspector.get_columns(table)
            if column["name"] == "id" or column["name"].endswith("_id")
        }

    try:
        async with db.read() as conn:
            found = await conn.run_sync(id_columns)
    finally:
        await db.dispose()
    uuid_type = "UUID" if database_url.startswith("postgresql") else "CHAR(32)"
    assert found, "the migrations made no tables"
    assert {name: kind for name, kind in found.items() if kind != uuid_type} == {}
    declared = {
        (table.name, column.name)
        for table in t.metadata.sorted_tables
        if table.name not in KIT_TABLES
        for column in table.columns
        if column.name == "id" or column.name.endswith("_id")
    }
    assert declared == set(found)
    assert all(isinstance(t.metadata.tables[table].c[column].type, sa.Uuid) for table, column in declared)
