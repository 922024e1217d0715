"""Access tokens (API bearer) and session cookies (UI): JWTs signed with the gateway's own secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from crm_gateway.domain.users import ROLES, User

_ALGORITHM = "HS256"
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
        issued = now or datetime.now(UTC)
        claims: dict[str, Any] = {
            "sub": user.id,
            "name": user.username,
            "role": user.role,
            "staff_id": user.staff_id,
            "lang": user.language,
            "typ": kind,
            "ver": user.token_version,
            "iat": int(issued.timestamp()),
            "exp": int((issued + self.ttl).timestamp()),
        }
        return jwt.encode(claims, self.secret, algorithm=_ALGORITHM)

    def verify(self, token: str, kind: str = ACCESS) -> User:
        """The user a token names.

        Raises:
            InvalidToken: forged, expired, of another kind, or malformed.
        """
        try:
            claims = jwt.decode(
                token, self.secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub", "role", "typ"]}
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired; log in again") from None
        except jwt.PyJWTError:
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
