"""Migration 0004_uuid_ids turns the gateway's text user ids into UUID columns; users and sessions stay usable."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from crm_gateway.domain.users import User
from crm_gateway.store import tables as t
from crm_gateway.store.repository import SqlRepository
from crm_kit.migrations import upgrade
from crm_kit.store import Database, UTCDateTime

MIGRATIONS = Path(t.__file__).parent / "migrations"
USER = "0190a7b3-1c2d-7e4f-8a9b-000000000001"
STAFF = "0190a7b3-1c2d-7e4f-8a9b-000000000002"
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
KIT_TABLES = {"outbox", "inbox", "leases", "idempotency_keys"}

# The tables as revision idempotency_keys left them: ids are 36-character text.
OLD_USERS = sa.table(
    "users",
    *(sa.column(c, sa.String) for c in ("id", "username", "password_hash", "role", "staff_id", "language")),
    sa.column("created_at", UTCDateTime),
    sa.column("token_version", sa.Integer),
)
OLD_SESSIONS = sa.table(
    "sessions",
    *(sa.column(c, sa.String) for c in ("id_hash", "user_id")),
    *(sa.column(c, UTCDateTime) for c in ("created_at", "expires_at")),
)


def _schema(sync: Any) -> tuple[dict[tuple[str, str], str], list[Any]]:
    inspector = sa.inspect(sync)
    kinds = {
        (table, column["name"]): str(column["type"])
        for table in inspector.get_table_names()
        if table not in KIT_TABLES | {"alembic_version"}
        for column in inspector.get_columns(table)
        if column["name"] == "id" or column["name"].endswith("_id")
    }
    return kinds, inspector.get_foreign_keys("sessions")


async def test_text_user_ids_of_the_previous_revision_are_uuids_after_0004_and_their_sessions_still_log_in(
    database_url: str,
) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, "idempotency_keys")
    db = Database(database_url, t.metadata)
    try:
        async with db.transaction() as conn:
            user = {"id": USER, "username": "ana", "password_hash": "h", "role": "agent", "staff_id": STAFF}
            await conn.execute(OLD_USERS.insert().values(**user, language="ro", created_at=NOW, token_version=2))
            expires = NOW + timedelta(days=1)
            await conn.execute(
                OLD_SESSIONS.insert().values(id_hash="s" * 64, user_id=USER, created_at=NOW, expires_at=expires)
            )
    finally:
        await db.dispose()

    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)

    db = Database(database_url, t.metadata)
    try:
        async with db.transaction() as conn:
            repo = SqlRepository(conn)
            by_id = await repo.user(USER)
            session = await repo.session_user("s" * 64, NOW)
            version = await repo.token_version(USER)
            strangers = [await repo.user("u1"), await repo.token_version("u1")]
            kinds, keys = await conn.run_sync(_schema)
    finally:
        await db.dispose()

    assert by_id == User(USER, "ana", "agent", STAFF, "ro", 2)
    assert session == by_id and version == 2
    assert strangers == [None, None]  # an id that is not a UUID names nobody (PostgreSQL is not asked)
    uuid_type = "UUID" if database_url.startswith("postgresql") else "CHAR(32)"
    assert {name: kind for name, kind in kinds.items() if kind != uuid_type} == {}
    assert [(k["constrained_columns"], k["referred_table"], k["options"].get("ondelete")) for k in keys] == [
        (["user_id"], "users", "CASCADE")
    ]
