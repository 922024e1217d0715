"""``ids_to_uuids_v1``: text ids become UUID columns with every row, key and cascade kept, on both databases."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_kit.migrations import ids_to_uuids_v1, uuids_to_ids_v1
from crm_kit.store import create_engine

IDS = [str(uuid.UUID(int=n)) for n in range(1, 4)]
COLUMNS = {"parents": ["id"], "children": ["id", "parent_id"], "grandchildren": ["id", "child_id", "parent_id"]}


def _old_schema() -> sa.MetaData:
    """Parents, their children (cascading) and grandchildren (cascading from children, plain key to parents)."""
    old = sa.MetaData()
    sa.Table("parents", old, sa.Column("id", sa.String(36), primary_key=True), sa.Column("name", sa.String(20)))
    sa.Table(
        "children",
        old,
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("parent_id", sa.String(36), sa.ForeignKey("parents.id", ondelete="CASCADE"), index=True),
    )
    sa.Table(
        "grandchildren",
        old,
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("child_id", sa.String(36), sa.ForeignKey("children.id", ondelete="CASCADE"), nullable=False),
        sa.Column("parent_id", sa.String(36), sa.ForeignKey("parents.id"), nullable=True),
    )
    return old


def _migrate(change: Callable[[dict[str, list[str]]], None]) -> Callable[[Any], None]:
    def run(sync: Any) -> None:
        with Operations.context(MigrationContext.configure(sync)):
            change(COLUMNS)

    return run


async def _fresh(database_url: str, rows: dict[str, list[dict[str, Any]]]) -> AsyncConnection:
    engine = create_engine(database_url)
    conn = await engine.connect()
    old = _old_schema()
    await conn.run_sync(old.create_all)
    for table, values in rows.items():
        await conn.execute(old.tables[table].insert(), values)
    await conn.commit()
    return conn


ROWS = {
    "parents": [{"id": IDS[0], "name": "a"}],
    "children": [{"id": IDS[1], "parent_id": IDS[0]}],
    "grandchildren": [{"id": IDS[2], "child_id": IDS[1], "parent_id": IDS[0]}],
}


async def test_every_row_survives_the_change_with_its_keys_and_cascades_and_the_change_undoes(
    database_url: str,
) -> None:
    conn = await _fresh(database_url, ROWS)
    try:
        await conn.run_sync(_migrate(ids_to_uuids_v1))
        await conn.commit()
        new = sa.MetaData()
        children = sa.Table("children", new, sa.Column("id", sa.Uuid(as_uuid=False), primary_key=True))
        grand = sa.Table(
            "grandchildren",
            new,
            *(sa.Column(c, sa.Uuid(as_uuid=False)) for c in ("id", "child_id", "parent_id")),
        )
        assert (await conn.execute(sa.select(grand))).all() == [(IDS[2], IDS[1], IDS[0])]
        keys = await conn.run_sync(lambda s: sa.inspect(s).get_foreign_keys("grandchildren"))
        assert sorted((k["referred_table"], k["options"].get("ondelete")) for k in keys) == [
            ("children", "CASCADE"),
            ("parents", None),
        ]
        await conn.execute(children.delete())  # the cascade still runs: the grandchild goes too
        assert (await conn.execute(sa.select(sa.func.count()).select_from(grand))).scalar_one() == 0
        await conn.rollback()

        await conn.run_sync(_migrate(uuids_to_ids_v1))
        await conn.commit()
        assert (await conn.execute(sa.text("SELECT id, child_id, parent_id FROM grandchildren"))).all() == [
            (IDS[2], IDS[1], IDS[0])
        ]
    finally:
        await conn.close()
        await conn.engine.dispose()


async def test_a_value_that_is_not_a_uuid_stops_the_change_and_nothing_is_changed(database_url: str) -> None:
    conn = await _fresh(database_url, {"parents": [{"id": IDS[0], "name": "a"}, {"id": "p-2", "name": "b"}]})
    try:
        with pytest.raises(Exception, match=r"p-2|invalid input syntax for type uuid"):
            await conn.run_sync(_migrate(ids_to_uuids_v1))
        await conn.rollback()
        assert sorted((await conn.execute(sa.text("SELECT id FROM parents"))).scalars()) == sorted([IDS[0], "p-2"])
    finally:
        await conn.close()
        await conn.engine.dispose()
