"""Reads and writes of users."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_gateway.domain.users import User
from crm_gateway.store.tables import users
from crm_kit.ids import is_uuid


def _user(row: sa.Row[tuple[object, ...]]) -> User:
    m = row._mapping
    return User(
        id=str(m["id"]),
        username=str(m["username"]),
        role=str(m["role"]),
        staff_id=m["staff_id"],
        language=str(m["language"] or "ro"),
        token_version=int(m["token_version"] or 0),
    )


async def by_username(conn: AsyncConnection, username: str) -> tuple[User, str] | None:
    """The user with this login and their password hash, or ``None``."""
    row = (await conn.execute(sa.select(users).where(users.c.username == username.strip().lower()))).first()
    return None if row is None else (_user(row), str(row._mapping["password_hash"]))


async def by_id(conn: AsyncConnection, user_id: str) -> User | None:
    """The user with this id, or ``None`` (an id that is not a UUID names nobody)."""
    if not is_uuid(user_id):
        return None
    row = (await conn.execute(sa.select(users).where(users.c.id == user_id))).first()
    return None if row is None else _user(row)


async def add(conn: AsyncConnection, user: User, password_hash: str, now: datetime) -> None:
    """Store a new user (a duplicate username raises IntegrityError)."""
    await conn.execute(
        users.insert().values(
            id=user.id,
            username=user.username,
            password_hash=password_hash,
            role=user.role,
            staff_id=user.staff_id,
            language=user.language,
            created_at=now,
        )
    )


async def set_language(conn: AsyncConnection, user_id: str, language: str) -> None:
    await conn.execute(users.update().where(users.c.id == user_id).values(language=language))


async def listing(conn: AsyncConnection, limit: int, offset: int) -> tuple[list[User], int]:
    """One page of users by username, and how many there are."""
    total = int((await conn.execute(sa.select(sa.func.count()).select_from(users))).scalar_one())
    rows = (await conn.execute(sa.select(users).order_by(users.c.username).limit(limit).offset(offset))).all()
    return [_user(r) for r in rows], total
