"""Reads and writes of sessions, token versions and failed logins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_gateway.domain.users import User
from crm_gateway.store.tables import login_failures, sessions, users
from crm_kit.ids import is_uuid


def aware(value: datetime) -> datetime:
    """A stored time as UTC-aware (SQLite hands back naive values)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def add_session(conn: AsyncConnection, id_hash: str, user_id: str, now: datetime, expires: datetime) -> None:
    """Store a new session, dropping the user's expired ones so the table does not grow with every login."""
    await conn.execute(sessions.delete().where(sessions.c.user_id == user_id, sessions.c.expires_at <= now))
    await conn.execute(sessions.insert().values(id_hash=id_hash, user_id=user_id, created_at=now, expires_at=expires))


async def session_user(conn: AsyncConnection, id_hash: str, now: datetime) -> User | None:
    """The user of an unexpired session (read fresh, so a role change shows at once), or ``None``."""
    row = (
        await conn.execute(
            sa.select(
                users.c.id, users.c.username, users.c.role, users.c.staff_id, users.c.language, users.c.token_version
            )
            .join(sessions, sessions.c.user_id == users.c.id)
            .where(sessions.c.id_hash == id_hash, sessions.c.expires_at > now)
        )
    ).first()
    if row is None:
        return None
    m = row._mapping
    language = str(m["language"] or "ro")
    return User(str(m["id"]), str(m["username"]), str(m["role"]), m["staff_id"], language, int(m["token_version"]))


async def delete_session(conn: AsyncConnection, id_hash: str) -> None:
    """End one session (logout)."""
    await conn.execute(sessions.delete().where(sessions.c.id_hash == id_hash))


async def delete_sessions_of(conn: AsyncConnection, user_id: str, now: datetime) -> None:
    """End every session of a user, and drop expired sessions of anyone while at it."""
    await conn.execute(sessions.delete().where(sa.or_(sessions.c.user_id == user_id, sessions.c.expires_at <= now)))


async def token_version(conn: AsyncConnection, user_id: str) -> int | None:
    """The user's current token version, ``None`` for a user that no longer exists."""
    if not is_uuid(user_id):
        return None
    value = (await conn.execute(sa.select(users.c.token_version).where(users.c.id == user_id))).scalar_one_or_none()
    return None if value is None else int(value)


async def set_password(conn: AsyncConnection, user_id: str, password_hash: str) -> None:
    """Store a new password hash and bump the token version (older access tokens stop working)."""
    await conn.execute(
        users.update()
        .where(users.c.id == user_id)
        .values(password_hash=password_hash, token_version=users.c.token_version + 1)
    )


async def password_hash(conn: AsyncConnection, user_id: str) -> str | None:
    """The user's stored password hash, ``None`` for a user that does not exist."""
    if not is_uuid(user_id):
        return None
    return (await conn.execute(sa.select(users.c.password_hash).where(users.c.id == user_id))).scalar_one_or_none()


@dataclass(frozen=True)
class Failures:
    """Failed logins counted under one key."""

    key: str
    failures: int
    last_failure_at: datetime
    locked_until: datetime | None


async def failures(conn: AsyncConnection, keys: list[str]) -> list[Failures]:
    """The failure records of these keys (keys nobody failed on are absent)."""
    rows = (await conn.execute(sa.select(login_failures).where(login_failures.c.key.in_(keys)))).all()
    return [
        Failures(
            str(r.key),
            int(r.failures),
            aware(r.last_failure_at),
            None if r.locked_until is None else aware(r.locked_until),
        )
        for r in rows
    ]


async def save_failures(conn: AsyncConnection, record: Failures, existed: bool) -> None:
    """Insert or update one key's record (a concurrent insert of the same key raises IntegrityError)."""
    values = {
        "failures": record.failures,
        "last_failure_at": record.last_failure_at,
        "locked_until": record.locked_until,
    }
    if existed:
        await conn.execute(login_failures.update().where(login_failures.c.key == record.key).values(**values))
    else:
        await conn.execute(login_failures.insert().values(key=record.key, **values))


async def forget_failures(conn: AsyncConnection, key: str, stale_before: datetime, now: datetime) -> None:
    """Drop a key's failures (a good login), and every unlocked record nobody has failed on for a while."""
    stale = sa.and_(
        login_failures.c.last_failure_at < stale_before,
        sa.or_(login_failures.c.locked_until.is_(None), login_failures.c.locked_until < now),
    )
    await conn.execute(login_failures.delete().where(sa.or_(login_failures.c.key == key, stale)))
