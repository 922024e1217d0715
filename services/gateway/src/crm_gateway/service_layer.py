"""The gateway's use cases: log in (throttled), sessions, users and passwords, over the ports of ``ports.py``.

Each write takes one command and runs in one unit of work. The gateway publishes no events, so ``work.publisher``
is never used. Password hashing (argon2, slow on purpose) runs off the event loop and outside any transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from crm_gateway.domain.logins import (
    AlreadyCounted,
    BadCredentials,
    Throttled,
    ThrottlePolicy,
    new_session_cookie,
    session_key,
    user_key,
)
from crm_gateway.domain.users import LANGUAGES, User, check_password, new_user
from crm_gateway.ports import AccessTokens, PasswordHasher, Publisher, Repository
from crm_kit.errors import Conflict, Invalid
from crm_kit.ids import new_id
from crm_kit.unit_of_work import UnitOfWork, utcnow

log = logging.getLogger(__name__)

__all__ = ["BadCredentials", "Throttled", "UseCases"]


@dataclass(frozen=True)
class LogIn:
    """Credentials typed at ``address`` (the throttle counts failures per username and per address).

    ``replaces`` is the session cookie the browser came with: a UI login ends it (a new id at every login).
    """

    username: str
    password: str
    address: str = ""
    replaces: str | None = None


@dataclass(frozen=True)
class OpenSession:
    """Open a UI session for a user, ending the session of ``replaces`` (a new id at every login)."""

    user: User
    replaces: str | None = None


@dataclass(frozen=True)
class LogOut:
    """End the session of a cookie."""

    cookie: str


@dataclass(frozen=True)
class CreateUser:
    """Add a user (the password in clear: the use case hashes it)."""

    username: str
    password: str
    role: str
    staff_id: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class ChangePassword:
    """Set a new password after checking the current one, typed at ``address``."""

    user_id: str
    current_password: str
    new_password: str
    address: str = ""


@dataclass(frozen=True)
class SetLanguage:
    """Remember a user's UI language."""

    user_id: str
    language: str


@dataclass(frozen=True)
class EnsureAdmin:
    """Create the user ``admin`` with this password unless it exists."""

    password: str


@dataclass(frozen=True)
class LoggedIn:
    """A good login: the user and their new session cookie."""

    user: User
    cookie: str


@dataclass(frozen=True)
class PasswordChanged:
    """A changed password: the user (new token version) and a fresh access token."""

    user: User
    access_token: str


class UseCases:
    """What the gateway does for its users.

    Args:
        uow: the unit of work over the store (the publisher is unused: the gateway publishes nothing).
        passwords: the password hasher.
        tokens: the access token issuer.
        throttle: the login throttling policy.
        session_ttl: how long a UI session lasts.
        clock: the time of reads that depend on it (session expiry, throttle locks).
    """

    def __init__(
        self,
        uow: UnitOfWork[Repository, Publisher],
        *,
        passwords: PasswordHasher,
        tokens: AccessTokens,
        throttle: ThrottlePolicy,
        session_ttl: timedelta,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.uow = uow
        self.passwords = passwords
        self.tokens = tokens
        self.throttle = throttle
        self.session_ttl = session_ttl
        self.clock = clock

    # --- logging in --------------------------------------------------------------------------------------------

    async def authenticate(self, cmd: LogIn) -> User:
        """The user with these credentials (throttled per username and address; a failure is counted).

        Raises:
            Throttled: too many failures lately; no password is checked.
            BadCredentials: unknown user or wrong password.
        """
        await self._check_throttle(cmd.username, cmd.address)
        async with self.uow.reading() as repo:
            found = await repo.user_by_username(cmd.username)
        # argon2 is slow on purpose: keep it off the event loop.
        ok = await asyncio.to_thread(self.passwords.verify, found[1] if found else None, cmd.password)
        if not ok or found is None:
            await self._count_failure(cmd.username, cmd.address)
            raise BadCredentials
        await self._forget_failures(cmd.username)
        return found[0]

    async def issue_token(self, cmd: LogIn) -> str:
        """An access token for good credentials (``authenticate``'s refusals)."""
        return self.tokens.issue_access(await self.authenticate(cmd))

    async def log_in(self, cmd: LogIn) -> LoggedIn:
        """Good credentials open a new UI session, ending ``cmd.replaces`` (``authenticate``'s refusals)."""
        user = await self.authenticate(cmd)
        return LoggedIn(user, await self.open_session(OpenSession(user, cmd.replaces)))

    async def open_session(self, cmd: OpenSession) -> str:
        """A new session for the user; returns the cookie value (only its hash is stored)."""
        cookie = new_session_cookie()
        key = session_key(cookie)
        old = session_key(cmd.replaces) if cmd.replaces else None
        assert key is not None  # a fresh cookie is always a valid one
        async with self.uow() as work:
            if old is not None:
                await work.repo.delete_session(old)
            await work.repo.add_session(key, cmd.user.id, work.now, work.now + self.session_ttl)
        return cookie

    async def log_out(self, cmd: LogOut) -> None:
        """End one session: the server forgets it, so a copy of the cookie is worthless."""
        key = session_key(cmd.cookie)
        if key is None:
            return
        async with self.uow() as work:
            await work.repo.delete_session(key)

    async def session_user(self, cookie: str) -> User | None:
        """The user of a live session cookie (read fresh: a role change shows at once), else ``None``."""
        key = session_key(cookie)
        if key is None:
            return None
        async with self.uow.reading() as repo:
            return await repo.session_user(key, self.clock())

    async def token_current(self, user_id: str, version: int) -> bool:
        """Whether an access token of this version is still good: the user exists and kept their password."""
        async with self.uow.reading() as repo:
            return await repo.token_version(user_id) == version

    # --- users -------------------------------------------------------------------------------------------------

    async def create_user(self, cmd: CreateUser) -> User:
        """Add a user.

        Raises:
            Invalid: a bad field.
            Conflict: the username is taken.
        """
        valid = new_user(cmd.username, cmd.password, cmd.role, cmd.staff_id, cmd.language)
        password_hash = await asyncio.to_thread(self.passwords.hash, valid.password)
        user = User(str(new_id()), valid.username, valid.role, valid.staff_id, valid.language)
        async with self.uow() as work:
            if await work.repo.user_by_username(valid.username) is not None:
                raise Conflict(
                    f"the username {valid.username!r} is taken",
                    field="username",
                    code="user.username_taken",
                    params={"username": valid.username},
                )
            await work.repo.add_user(user, password_hash, work.now)
        return user

    async def ensure_admin(self, cmd: EnsureAdmin) -> bool:
        """Create the user ``admin`` unless it exists; True when created."""
        async with self.uow.reading() as repo:
            if await repo.user_by_username("admin") is not None:
                return False
        try:
            await self.create_user(CreateUser("admin", cmd.password, "admin"))
        except Conflict:
            return False
        log.info("created the first admin user 'admin'")
        return True

    async def change_password(self, cmd: ChangePassword) -> PasswordChanged:
        """Set a new password; ends every session and access token of the user.

        Raises:
            Throttled: too many wrong current passwords lately (a stolen session must not guess it).
            BadCredentials: the current password is wrong.
            Invalid: the new password is too short.
        """
        async with self.uow.reading() as repo:
            stored = await repo.password_hash(cmd.user_id)
            me = await repo.user(cmd.user_id)
        if me is None or stored is None:
            raise BadCredentials
        await self._check_throttle(me.username, cmd.address)
        if not await asyncio.to_thread(self.passwords.verify, stored, cmd.current_password):
            await self._count_failure(me.username, cmd.address)
            raise BadCredentials
        new_hash = await asyncio.to_thread(self.passwords.hash, check_password(cmd.new_password))
        async with self.uow() as work:
            await work.repo.set_password(cmd.user_id, new_hash)
            await work.repo.delete_sessions_of(cmd.user_id, work.now)
            user = await work.repo.user(cmd.user_id)
        if user is None:
            raise BadCredentials
        log.info("password changed for user %s; their sessions and tokens were ended", user.username)
        return PasswordChanged(user, self.tokens.issue_access(user))

    async def set_language(self, cmd: SetLanguage) -> None:
        """Remember the UI language of a user.

        Raises:
            Invalid: not a language of the UI.
        """
        if cmd.language not in LANGUAGES:
            raise Invalid(
                f"language must be one of {', '.join(LANGUAGES)}",
                field="language",
                code="record.choose_from_list",
                params={"value": cmd.language},
            )
        async with self.uow() as work:
            await work.repo.set_language(cmd.user_id, cmd.language)

    async def user(self, user_id: str) -> User | None:
        """The user with this id, or ``None``."""
        async with self.uow.reading() as repo:
            return await repo.user(user_id)

    async def users(self, limit: int, offset: int) -> tuple[list[User], int]:
        """One page of users by username, and how many there are."""
        async with self.uow.reading() as repo:
            return await repo.users(limit, offset)

    # --- throttling --------------------------------------------------------------------------------------------

    async def _check_throttle(self, username: str, address: str) -> None:
        async with self.uow.reading() as repo:
            records = await repo.failures(list(self.throttle.limits(username, address)))
        retry_after = self.throttle.retry_after(records, self.clock())
        if retry_after is not None:
            log.warning("login refused while locked: user=%r address=%s", username[:50], address)
            raise Throttled(retry_after)

    async def _count_failure(self, username: str, address: str) -> None:
        limits = self.throttle.limits(username, address)
        for attempt in range(2):
            try:
                async with self.uow() as work:
                    known = {r.key: r for r in await work.repo.failures(list(limits))}
                    for key, allowed in limits.items():
                        record = self.throttle.failed(key, allowed, known.get(key), work.now)
                        await work.repo.save_failures(record, existed=key in known)
                        if record.locked_until is not None:
                            seconds = int((record.locked_until - work.now).total_seconds())
                            log.warning("login locked: %s after %d failures, for %ds", key, record.failures, seconds)
                break
            except AlreadyCounted:
                # Another request inserted the same key first: count again on top of its row.
                if attempt:
                    raise
        log.info("failed login: user=%r address=%s", username[:50], address)

    async def _forget_failures(self, username: str) -> None:
        # A good login clears the username's count (not the address's: one own account must not reset it).
        async with self.uow() as work:
            await work.repo.forget_failures(user_key(username), self.throttle.stale_before(work.now), work.now)
