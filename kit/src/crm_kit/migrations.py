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
            await conn.run_sync(migrate)
            await conn.commit()
        await engine.dispose()

    asyncio.run(main())
