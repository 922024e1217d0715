"""Which records of a service reference a blob: a sha256 -> record id index for the gateway's blob check.

Attachments live in JSON columns; searching those for a digest scans every row (about 100 ms over
200k tasks on SQLite), and the gateway asks on every download. A service that stores blob
references in JSON keeps this small table beside them (written in the same transaction), so the
check is one primary-key lookup and a visibility query over the few records found.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_kit.store import dialect_insert

MAX_RECORDS = 1000
"""How many referencing records a check looks at (a file attached to more is checked on the first ones)."""


def blob_refs_table(metadata: sa.MetaData) -> sa.Table:
    """The ``blob_refs`` table of a service: (sha256, record id), keyed on both, looked up by sha256."""
    return sa.Table(
        "blob_refs",
        metadata,
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("record_id", sa.String(120), primary_key=True),
    )


async def add_refs(conn: AsyncConnection, table: sa.Table, pairs: Iterable[tuple[str, str]]) -> None:
    """Record that each record id references each sha256 (pairs of record id and sha256); again is fine."""
    rows = [{"record_id": record, "sha256": sha} for record, sha in dict.fromkeys(pairs) if sha]
    if rows:
        stmt = dialect_insert(conn)(table).on_conflict_do_nothing(index_elements=["sha256", "record_id"])
        await conn.execute(stmt, rows)


async def records_referencing(conn: AsyncConnection, table: sa.Table, sha256: str) -> list[str]:
    """The ids of the records that reference a blob (at most ``MAX_RECORDS``)."""
    stmt = sa.select(table.c.record_id).where(table.c.sha256 == sha256).limit(MAX_RECORDS)
    return list((await conn.execute(stmt)).scalars())
