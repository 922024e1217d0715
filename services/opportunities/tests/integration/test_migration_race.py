"""Two replicas starting on one empty PostgreSQL database both migrate it; neither dies on a duplicate table."""

from __future__ import annotations

import asyncio
import sys

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

MIGRATE = "import sys; from crm_kit.migrations import upgrade; from crm_opportunities.bootstrap import MIGRATIONS; "
MIGRATE += "upgrade(MIGRATIONS, sys.argv[1])"


async def _replica(url: str) -> tuple[int, str]:
    """One replica's start-up migration, in its own process (alembic's context is one per process)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", MIGRATE, url, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, err = await process.communicate()
    return process.returncode or 0, err.decode()[-1500:]


async def test_two_replicas_migrating_one_empty_database_at_once_both_succeed(pg_database: str) -> None:
    outcomes = await asyncio.gather(*(_replica(pg_database) for _ in range(3)))
    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
    engine = create_async_engine(pg_database)
    try:
        async with engine.connect() as conn:
            versions = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalars().all()
    finally:
        await engine.dispose()
    assert len(versions) == 1
