"""Alembic per service: upgrade to head, autogenerate a revision, and the shared env.py logic."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy.engine import Connection

from crm_kit.store import create_engine


def _config(script_location: Path, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["crm_url"] = url
    return cfg


def upgrade(script_location: Path, url: str, target: str = "head") -> None:
    """Bring a database to the newest migration, or to ``target`` (run in a thread: alembic is synchronous here)."""
    command.upgrade(_config(script_location, url), target)


def revision(script_location: Path, url: str, message: str) -> None:
    """Autogenerate a new revision from the difference between the metadata and the database."""
    cfg = _config(script_location, url)
    command.upgrade(cfg, "head")
    command.revision(cfg, message=message, autogenerate=True)


MIGRATION_LOCK = 0x63726D_6D6967
"""The PostgreSQL advisory lock key every service's migration holds ("crm" "mig")."""


def run_env(metadata: sa.MetaData) -> None:
    """The body of every service's ``migrations/env.py``."""
    url = context.config.attributes.get("crm_url") or context.config.get_main_option("sqlalchemy.url")
    assert url, "no database url"

    def migrate(conn: Connection) -> None:
        context.configure(
            connection=conn,
            target_metadata=metadata,
            render_as_batch=conn.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_engine(url)
        async with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                # Two replicas starting on an empty database would both create alembic_version (one dies on
                # a duplicate key): the second waits here, then finds the schema at head. Released on close.
                await conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
                await conn.commit()
            await conn.run_sync(migrate)
            await conn.commit()
        await engine.dispose()

    asyncio.run(main())


# The kit's own tables, as each first version is created by every service's migration. Frozen: a later
# change to one of them is a new function here and a new migration in each service, never an edit.


def create_idempotency_keys_v1() -> None:
    """Create ``idempotency_keys`` (ADR 0008) in a service's migration."""
    from alembic import op

    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id", "key"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"], unique=False)


def drop_idempotency_keys_v1() -> None:
    """Drop ``idempotency_keys`` (the downgrade of ``create_idempotency_keys_v1``)."""
    from alembic import op

    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")


def create_blob_refs_v1() -> None:
    """Create ``blob_refs`` (which record references which blob; ``crm_kit.blobrefs``) in a service's migration."""
    from alembic import op

    op.create_table(
        "blob_refs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "record_id"),
    )


def drop_blob_refs_v1() -> None:
    """Drop ``blob_refs`` (the downgrade of ``create_blob_refs_v1``)."""
    from alembic import op

    op.drop_table("blob_refs")


def ids_to_uuids_v1(columns: Mapping[str, Sequence[str]]) -> None:
    """Store id columns kept as 36-character text as ``sa.Uuid``, converting their values, in a migration.

    PostgreSQL gets native ``uuid`` columns (``USING col::uuid``, which refuses a value that is not a UUID);
    SQLite gets ``CHAR(32)`` holding the 32 lower-case hex digits ``sa.Uuid`` writes there. Foreign keys among
    the named columns stay valid: PostgreSQL cannot change one side of a key alone, so they are dropped and
    created again; SQLite recreates each table, and dropping a referenced table fails while rows point at it
    (``foreign_keys=ON``), so the referencing rows wait in a temporary table meanwhile.

    Args:
        columns: table -> its id columns to convert (every table on the other side of a key among them too).

    Raises:
        ValueError: on SQLite, a stored value is not a UUID (nothing is changed: the migration rolls back).
    """
    _retype_ids(columns, to_uuid=True)


def uuids_to_ids_v1(columns: Mapping[str, Sequence[str]]) -> None:
    """Undo ``ids_to_uuids_v1``: the columns become 36-character text holding the dashed form again."""
    _retype_ids(columns, to_uuid=False)


def _retype_ids(columns: Mapping[str, Sequence[str]], *, to_uuid: bool) -> None:
    from alembic import op

    bind = op.get_bind()
    inspector = sa.inspect(bind)
    keys = [
        (table, key)
        for table in columns
        for key in inspector.get_foreign_keys(table)
        if key["referred_table"] in columns and set(key["constrained_columns"]) <= set(columns[table])
    ]
    new_type: sa.types.TypeEngine[Any] = sa.Uuid() if to_uuid else sa.String(36)
    if bind.dialect.name == "postgresql":
        for table, key in keys:
            assert key["name"], "PostgreSQL names every foreign key"
            op.drop_constraint(key["name"], table, type_="foreignkey")
        for table, names in columns.items():
            for name in names:
                using = f'"{name}"::uuid' if to_uuid else f'"{name}"::text'
                op.alter_column(table, name, type_=new_type, postgresql_using=using)
        for table, key in keys:
            op.create_foreign_key(
                key["name"],
                table,
                key["referred_table"],
                key["constrained_columns"],
                key["referred_columns"],
                **key.get("options", {}),
            )
        return
    # SQLite: the referencing tables' rows step aside while the tables are recreated. All are copied before
    # any is emptied (emptying one may cascade into another), referencing tables are emptied before the
    # tables they reference, and filled again after them.
    saved = {table: f"_ids_saved_{table}" for table, key in keys if key["referred_table"] != table}
    order: list[str] = []

    def children_first(table: str) -> None:
        if table not in order:
            for child, key in keys:
                if key["referred_table"] == table and child != table:
                    children_first(child)
            order.append(table)

    for table, copy in saved.items():
        op.execute(sa.text(f'CREATE TEMP TABLE "{copy}" AS SELECT * FROM "{table}"'))
        children_first(table)
    for table in order:
        op.execute(sa.text(f'DELETE FROM "{table}"'))
    for table, names in columns.items():
        holder = saved.get(table, table)
        for name in names:
            column = f'"{name}"'
            value = (
                f"lower(replace({column}, '-', ''))"
                if to_uuid
                else " || '-' || ".join(f"substr({column}, {start}, {length})" for start, length in _UUID_GROUPS)
            )
            if to_uuid:
                bad = bind.execute(
                    sa.text(
                        f'SELECT {column} FROM "{holder}" WHERE {column} IS NOT NULL'
                        f" AND (length({value}) != 32 OR {value} GLOB '*[^0-9a-f]*') LIMIT 1"
                    )
                ).first()
                if bad is not None:
                    raise ValueError(f"{table}.{name} holds {bad[0]!r}, which is not a UUID")
            op.execute(sa.text(f'UPDATE "{holder}" SET {column} = {value} WHERE {column} IS NOT NULL'))
        with op.batch_alter_table(table) as batch:
            for name in names:
                batch.alter_column(name, type_=new_type)
    for table in reversed(order):
        copy = saved[table]
        names = ", ".join(f'"{c["name"]}"' for c in inspector.get_columns(table))
        op.execute(sa.text(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM "{copy}"'))
        op.execute(sa.text(f'DROP TABLE "{copy}"'))


_UUID_GROUPS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
"""Where the five dash-separated groups of a UUID sit in its 32 hex digits (SQLite's ``substr``, from 1)."""
