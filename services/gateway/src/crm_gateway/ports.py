"""The ports of the gateway's use cases: its store, its (absent) events, password hashing and access tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from crm_gateway.domain.logins import Failures
from crm_gateway.domain.users import User


class Repository(Protocol):
    """Users, their sessions and failed logins, inside one unit of work."""

    async def user(self, user_id: str) -> User | None:
        """The user with this id, or ``None``."""
        ...

    async def user_by_username(self, username: str) -> tuple[User, str] | None:
        """The user with this login and their password hash, or ``None``."""
        ...

    async def users(self, limit: int, offset: int) -> tuple[list[User], int]:
        """One page of users by username, and how many there are."""
        ...

    async def add_user(self, user: User, password_hash: str, now: datetime) -> None:
        """Store a new user."""
        ...

    async def set_language(self, user_id: str, language: str) -> None:
        """Store the user's UI language."""
        ...

    async def password_hash(self, user_id: str) -> str | None:
        """The user's stored password hash, ``None`` for a user that does not exist."""
        ...

    async def set_password(self, user_id: str, password_hash: str) -> None:
        """Store a new password hash and bump the token version (older access tokens stop working)."""
        ...

    async def token_version(self, user_id: str) -> int | None:
        """The user's current token version, ``None`` for a user that no longer exists."""
        ...

    async def add_session(self, key: str, user_id: str, now: datetime, expires: datetime) -> None:
        """Store a new session, dropping the user's expired ones."""
        ...

    async def session_user(self, key: str, now: datetime) -> User | None:
        """The user of an unexpired session, read fresh, or ``None``."""
        ...

    async def delete_session(self, key: str) -> None:
        """End one session."""
        ...

    async def delete_sessions_of(self, user_id: str, now: datetime) -> None:
        """End every session of a user, and drop expired sessions of anyone."""
        ...

    async def failures(self, keys: list[str]) -> list[Failures]:
        """The failure records of these keys (keys nobody failed on are absent)."""
        ...

    async def save_failures(self, record: Failures, existed: bool) -> None:
        """Insert or update one key's record.

        Raises:
            AlreadyCounted: another request inserted the same key first.
        """
        ...

    async def forget_failures(self, key: str, stale_before: datetime, now: datetime) -> None:
        """Drop a key's failures, and every unlocked record nobody failed on since ``stale_before``."""
        ...


class Publisher(Protocol):
    """The gateway publishes no events: its use cases change only its own store (no outbox rows)."""


class PasswordHasher(Protocol):
    """Slow, salted password hashes (argon2 in production)."""

    def hash(self, password: str) -> str:
        """The hash to store for a password."""
        ...

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether the password matches; ``password_hash`` None (no such user) still costs one hash."""
        ...


class AccessTokens(Protocol):
    """Issues the bearer tokens of the gateway's API."""

    def issue_access(self, user: User) -> str:
        """An access token naming the user (and their token version)."""
        ...
