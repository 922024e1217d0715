"""Server-side UI sessions: an opaque cookie whose hash names a row in the gateway's store, and its CSRF token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from crm_gateway.domain.users import User
from crm_gateway.store import security
from crm_kit.store import Database


@dataclass(frozen=True)
class Session:
    """A live session: whose it is and the token its forms must send back."""

    user: User
    csrf_token: str


def _hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


class Sessions:
    """Opens, resolves and ends UI sessions; checks that an access token's version is still current."""

    def __init__(self, db: Database, secret: str, ttl: timedelta) -> None:
        self.db = db
        self._key = hashlib.sha256(b"crm-csrf:" + secret.encode()).digest()
        self.ttl = ttl

    def csrf_token(self, cookie: str) -> str:
        """The CSRF token of a session: an HMAC of its cookie, so nothing more needs storing."""
        return hmac.new(self._key, cookie.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, cookie: str, token: str | None) -> bool:
        """Whether ``token`` is the session's CSRF token (compared in constant time)."""
        return bool(token) and hmac.compare_digest(self.csrf_token(cookie), str(token))

    async def open(self, user: User, now: datetime | None = None) -> str:
        """A new session for the user; returns the cookie value (256 random bits)."""
        issued = now or datetime.now(UTC)
        cookie = secrets.token_urlsafe(32)
        async with self.db.transaction() as conn:
            await security.add_session(conn, _hash(cookie), user.id, issued, issued + self.ttl)
        return cookie

    async def resolve(self, cookie: str, now: datetime | None = None) -> Session | None:
        """The session a cookie names, ``None`` when it was never opened, has ended or has expired."""
        if not cookie or len(cookie) > 200:
            return None
        async with self.db.read() as conn:
            user = await security.session_user(conn, _hash(cookie), now or datetime.now(UTC))
        return None if user is None else Session(user, self.csrf_token(cookie))

    async def close(self, cookie: str) -> None:
        """End one session (logout)."""
        async with self.db.transaction() as conn:
            await security.delete_session(conn, _hash(cookie))

    async def close_all(self, user_id: str) -> None:
        """End every session of a user (password change)."""
        async with self.db.transaction() as conn:
            await security.delete_sessions_of(conn, user_id, datetime.now(UTC))

    async def token_current(self, user_id: str, version: int) -> bool:
        """Whether an access token of this version is still good: the user exists and kept their password."""
        async with self.db.read() as conn:
            return await security.token_version(conn, user_id) == version
