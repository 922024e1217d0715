"""UI sessions at the HTTP edge: the session a cookie names (via the use cases) and its CSRF token."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from crm_gateway.domain.users import User
from crm_gateway.service_layer import OpenSession, UseCases


@dataclass(frozen=True)
class Session:
    """A live session: whose it is and the token its forms must send back."""

    user: User
    csrf_token: str


class Sessions:
    """Resolves session cookies and checks their CSRF tokens; the sessions themselves are the use cases'.

    Args:
        uses: the gateway's use cases (they store, find and end sessions).
        secret: the gateway's token secret (the CSRF key derives from it).
        ttl: how long a session (and its cookie) lasts.
    """

    def __init__(self, uses: UseCases, secret: str, ttl: timedelta) -> None:
        self.uses = uses
        self._key = hashlib.sha256(b"crm-csrf:" + secret.encode()).digest()
        self.ttl = ttl

    def csrf_token(self, cookie: str) -> str:
        """The CSRF token of a session: an HMAC of its cookie, so nothing more needs storing."""
        return hmac.new(self._key, cookie.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, cookie: str, token: str | None) -> bool:
        """Whether ``token`` is the session's CSRF token (compared in constant time)."""
        return bool(token) and hmac.compare_digest(self.csrf_token(cookie), str(token))

    async def open(self, user: User) -> str:
        """A new session for the user (``UseCases.open_session``); returns the cookie value."""
        return await self.uses.open_session(OpenSession(user))

    async def resolve(self, cookie: str) -> Session | None:
        """The session a cookie names, ``None`` when it was never opened, has ended or has expired."""
        user = await self.uses.session_user(cookie)
        return None if user is None else Session(user, self.csrf_token(cookie))
