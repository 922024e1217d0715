"""Alembic per service: upgrade to head, autogenerate a revision, and the shared env.py logic."""

from __future__ import annotations

import asyncio
from pathlib import Path

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
