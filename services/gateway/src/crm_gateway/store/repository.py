"""``SqlRepository``: the gateway's store (users, sessions, failed logins) behind ``ports.Repository``."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_gateway.domain.logins import AlreadyCounted, Failures
from crm_gateway.domain.users import User
from crm_gateway.store.tables import login_failures, sessions, users
from crm_kit.ids import is_uuid


def aware(value: datetime) -> datetime:
    """A stored time as UTC-aware (SQLite hands back naive values)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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


class SqlRepository:
    """The gateway's tables, on one connection (a unit of work's transaction or a read)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def user(self, user_id: str) -> User | None:
        """The user with this id, or ``None``."""
        if not is_uuid(user_id):  # an id that is not a UUID names nobody (and a uuid column refuses it)
            return None
        row = (await self.conn.execute(sa.select(users).where(users.c.id == user_id))).first()
        return None if row is None else _user(row)

    async def user_by_username(self, username: str) -> tuple[User, str] | None:
        """The user with this login and their password hash, or ``None``."""
        query = sa.select(users).where(users.c.username == username.strip().lower())
        row = (await self.conn.execute(query)).first()
        return None if row is None else (_user(row), str(row._mapping["password_hash"]))

    async def users(self, limit: int, offset: int) -> tuple[list[User], int]:
        """One page of users by username, and how many there are."""
        total = int((await self.conn.execute(sa.select(sa.func.count()).select_from(users))).scalar_one())
        page = sa.select(users).order_by(users.c.username).limit(limit).offset(offset)
        return [_user(r) for r in (await self.conn.execute(page)).all()], total

    async def add_user(self, user: User, password_hash: str, now: datetime) -> None:
        """Store a new user (a duplicate username raises IntegrityError: a 409 at the edge)."""
        await self.conn.execute(
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

    async def set_language(self, user_id: str, language: str) -> None:
        """Store the user's UI language."""
        await self.conn.execute(users.update().where(users.c.id == user_id).values(language=language))

    async def password_hash(self, user_id: str) -> str | None:
        """The user's stored password hash, ``None`` for a user that does not exist."""
        if not is_uuid(user_id):  # an id that is not a UUID names nobody (and a uuid column refuses it)
            return None
        query = sa.select(users.c.password_hash).where(users.c.id == user_id)
        value = (await self.conn.execute(query)).scalar_one_or_none()
        return None if value is None else str(value)

    async def set_password(self, user_id: str, password_hash: str) -> None:
        """Store a new password hash and bump the token version (older access tokens stop working)."""
        await self.conn.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(password_hash=password_hash, token_version=users.c.token_version + 1)
        )

    async def token_version(self, user_id: str) -> int | None:
        """The user's current token version, ``None`` for a user that no longer exists."""
        if not is_uuid(user_id):  # an id that is not a UUID names nobody (and a uuid column refuses it)
            return None
        query = sa.select(users.c.token_version).where(users.c.id == user_id)
        value = (await self.conn.execute(query)).scalar_one_or_none()
        return None if value is None else int(value)

    async def add_session(self, key: str, user_id: str, now: datetime, expires: datetime) -> None:
        """Store a new session, dropping the user's expired ones so the table does not grow with every login."""
        await self.conn.execute(sessions.delete().where(sessions.c.user_id == user_id, sessions.c.expires_at <= now))
        await self.conn.execute(
            sessions.insert().values(id_hash=key, user_id=user_id, created_at=now, expires_at=expires)
        )

    async def session_user(self, key: str, now: datetime) -> User | None:
        """The user of an unexpired session (one indexed join), or ``None``."""
        query = (
            sa.select(users)
            .join(sessions, sessions.c.user_id == users.c.id)
            .where(sessions.c.id_hash == key, sessions.c.expires_at > now)
        )
        row = (await self.conn.execute(query)).first()
        return None if row is None else _user(row)

    async def delete_session(self, key: str) -> None:
        """End one session (logout)."""
        await self.conn.execute(sessions.delete().where(sessions.c.id_hash == key))

    async def delete_sessions_of(self, user_id: str, now: datetime) -> None:
        """End every session of a user, and drop expired sessions of anyone while at it."""
        stale = sa.or_(sessions.c.user_id == user_id, sessions.c.expires_at <= now)
        await self.conn.execute(sessions.delete().where(stale))

    async def failures(self, keys: list[str]) -> list[Failures]:
        """The failure records of these keys (keys nobody failed on are absent)."""
        rows = (await self.conn.execute(sa.select(login_failures).where(login_failures.c.key.in_(keys)))).all()
        return [
            Failures(
                str(r.key),
                int(r.failures),
                aware(r.last_failure_at),
                None if r.locked_until is None else aware(r.locked_until),
            )
            for r in rows
        ]

    async def save_failures(self, record: Failures, existed: bool) -> None:
        """Insert or update one key's record.

        Raises:
            AlreadyCounted: a concurrent request inserted the same key first (the transaction must be retried).
        """
        values = {
            "failures": record.failures,
            "last_failure_at": record.last_failure_at,
            "locked_until": record.locked_until,
        }
        if existed:
            await self.conn.execute(login_failures.update().where(login_failures.c.key == record.key).values(**values))
            return
        try:
            await self.conn.execute(login_failures.insert().values(key=record.key, **values))
        except sa.exc.IntegrityError:
            raise AlreadyCounted(record.key) from None

    async def forget_failures(self, key: str, stale_before: datetime, now: datetime) -> None:
        """Drop a key's failures (a good login), and every unlocked record nobody has failed on for a while."""
        stale = sa.and_(
            login_failures.c.last_failure_at < stale_before,
            sa.or_(login_failures.c.locked_until.is_(None), login_failures.c.locked_until < now),
        )
        await self.conn.execute(login_failures.delete().where(sa.or_(login_failures.c.key == key, stale)))
