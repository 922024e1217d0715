"""Access tokens (API bearer) and session cookies (UI): JWTs signed with the gateway's own secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crm_gateway.domain.users import ROLES, User
from crm_kit.tokens import TokenRefused, check, sign

ACCESS = "access"
SESSION = "session"


class InvalidToken(Exception):
    """A missing, forged, expired or malformed token."""


@dataclass(frozen=True)
class TokenIssuer:
    """Signs and checks the gateway's tokens."""

    secret: str
    ttl: timedelta

    def issue(self, user: User, kind: str = ACCESS, now: datetime | None = None) -> str:
        """A signed token naming the user, valid for ``ttl``."""
        claims: dict[str, Any] = {
            "sub": user.id,
            "name": user.username,
            "role": user.role,
            "staff_id": user.staff_id,
            "lang": user.language,
            "typ": kind,
            "ver": user.token_version,
        }
        return sign(claims, self.secret, self.ttl, now)

    def issue_access(self, user: User) -> str:
        """An access token (``Authorization: Bearer``) naming the user."""
        return self.issue(user, ACCESS)

    def verify(self, token: str, kind: str = ACCESS) -> User:
        """The user a token names.

        Raises:
            InvalidToken: forged, expired, of another kind, or malformed.
        """
        try:
            claims = check(token, self.secret, require=("exp", "sub", "role", "typ"))
        except TokenRefused as exc:
            if exc.reason == "expired":
                raise InvalidToken("the token has expired; log in again") from None
            raise InvalidToken("the token is not valid; log in again") from None
        if claims["typ"] != kind or claims["role"] not in ROLES:
            raise InvalidToken("the token is not valid here; log in again")
        return User(
            id=str(claims["sub"]),
            username=str(claims.get("name", "")),
            role=str(claims["role"]),
            staff_id=claims.get("staff_id"),
            language=str(claims.get("lang") or "ro"),
            token_version=int(claims.get("ver") or 0),
        )
