"""Use cases on users: log in, create, list, first admin, language; thin over the store and the domain."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from crm_gateway.auth.passwords import Passwords
from crm_gateway.auth.sessions import Sessions
from crm_gateway.auth.throttle import LoginThrottle
from crm_gateway.auth.tokens import ACCESS, TokenIssuer
from crm_gateway.domain.users import LANGUAGES, User, check_password, new_user
from crm_gateway.store import repository, security
from crm_kit.errors import Conflict, Invalid
from crm_kit.ids import new_id
from crm_kit.store import Database

log = logging.getLogger(__name__)


class BadCredentials(Exception):
    """Unknown username or wrong password (the caller is not told which)."""


class Accounts:
    """The gateway's users."""

    def __init__(
        self,
        db: Database,
        tokens: TokenIssuer,
        passwords: Passwords,
        throttle: LoginThrottle | None = None,
        sessions: Sessions | None = None,
    ) -> None:
        self.db = db
        self.tokens = tokens
        self.passwords = passwords
        self.throttle = throttle
        self.sessions = sessions

    async def authenticate(self, username: str, password: str) -> User:
        """The user with these credentials.

        Raises:
            BadCredentials: unknown user or wrong password.
        """
        async with self.db.read() as conn:
            found = await repository.by_username(conn, username)
        # argon2 is slow on purpose: keep it off the event loop.
        ok = await asyncio.to_thread(self.passwords.verify, found[1] if found else None, password)
        if not ok or found is None:
            raise BadCredentials
        return found[0]

    async def log_in(self, username: str, password: str, address: str) -> User:
        """``authenticate``, throttled per username and per client address.

        Raises:
            Throttled: too many failures lately; no password is checked.
            BadCredentials: unknown user or wrong password (counted as a failure).
        """
        if self.throttle is None:
            return await self.authenticate(username, password)
        await self.throttle.check(username, address)
        try:
            user = await self.authenticate(username, password)
        except BadCredentials:
            await self.throttle.failed(username, address)
            raise
        await self.throttle.succeeded(username)
        return user

    async def token(self, username: str, password: str, address: str = "") -> str:
        """An access token for valid credentials (raises BadCredentials or Throttled)."""
        return self.tokens.issue(await self.log_in(username, password, address), ACCESS)

    async def change_password(self, user_id: str, current: str, new: str, address: str = "") -> User:
        """Set a new password after checking the current one; ends every session and access token of the user.

        Raises:
            Throttled: too many wrong current passwords lately (a stolen session must not guess it).
            BadCredentials: the current password is wrong.
            Invalid: the new password is too short.
        """
        async with self.db.read() as conn:
            stored = await security.password_hash(conn, user_id)
            me = await repository.by_id(conn, user_id)
        if me is None or stored is None:
            raise BadCredentials
        if self.throttle is not None:
            await self.throttle.check(me.username, address)
        if not await asyncio.to_thread(self.passwords.verify, stored, current):
            if self.throttle is not None:
                await self.throttle.failed(me.username, address)
            raise BadCredentials
        new_hash = await asyncio.to_thread(self.passwords.hash, check_password(new))
        async with self.db.transaction() as conn:
            await security.set_password(conn, user_id, new_hash)
            await security.delete_sessions_of(conn, user_id, datetime.now(UTC))
            user = await repository.by_id(conn, user_id)
        if user is None:
            raise BadCredentials
        log.info("password changed for user %s; their sessions and tokens were ended", user.username)
        return user

    async def create(
        self, username: str, password: str, role: str, staff_id: str | None, language: str | None = None
    ) -> User:
        """Add a user.

        Raises:
            Invalid: a bad field.
            Conflict: the username is taken.
        """
        valid = new_user(username, password, role, staff_id, language)
        password_hash = await asyncio.to_thread(self.passwords.hash, valid.password)
        user = User(str(new_id()), valid.username, valid.role, valid.staff_id, valid.language)
        async with self.db.transaction() as conn:
            if await repository.by_username(conn, valid.username) is not None:
                raise Conflict(f"the username {valid.username!r} is taken", field="username")
            await repository.add(conn, user, password_hash, datetime.now(UTC))
        return user

    async def get(self, user_id: str) -> User | None:
        async with self.db.read() as conn:
            return await repository.by_id(conn, user_id)

    async def listing(self, limit: int, offset: int) -> tuple[list[User], int]:
        async with self.db.read() as conn:
            return await repository.listing(conn, limit, offset)

    async def set_language(self, user_id: str, language: str) -> None:
        if language not in LANGUAGES:
            raise Invalid(f"language must be one of {', '.join(LANGUAGES)}")
        async with self.db.transaction() as conn:
            await repository.set_language(conn, user_id, language)

    async def ensure_admin(self, password: str) -> bool:
        """Create the user ``admin`` with this password unless it exists; True when created."""
        async with self.db.read() as conn:
            if await repository.by_username(conn, "admin") is not None:
                return False
        try:
            await self.create("admin", password, "admin", None)
        except Conflict:
            return False
        log.info("created the first admin user 'admin'")
        return True
