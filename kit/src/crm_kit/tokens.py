"""Signed tokens (HS256 JWTs): the one place that signs and checks them, for identity tokens and the gateway's own.

Both kinds carry ``iat``/``exp`` set from one issue time and a lifetime; checking one names what was
wrong (expired, for another audience, otherwise invalid), and the caller turns that into its own words.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt

ALGORITHM = "HS256"

Failure = Literal["expired", "audience", "invalid"]


class TokenRefused(Exception):
    """A forged, expired, malformed token, or one for another audience; ``reason`` says which."""

    def __init__(self, reason: Failure, detail: str) -> None:
        super().__init__(detail)
        self.reason: Failure = reason


def sign(claims: dict[str, Any], secret: str, ttl: timedelta, now: datetime | None = None) -> str:
    """``claims`` plus ``iat`` and ``exp``, signed with ``secret``."""
    issued = now or datetime.now(UTC)
    body = {**claims, "iat": int(issued.timestamp()), "exp": int((issued + ttl).timestamp())}
    return jwt.encode(body, secret, algorithm=ALGORITHM)


def check(
    token: str,
    secret: str,
    *,
    require: Sequence[str],
    audience: str | None = None,
    leeway: timedelta = timedelta(0),
) -> dict[str, Any]:
    """The claims of a token signed with ``secret`` that has every claim in ``require`` (and ``exp``).

    Raises:
        TokenRefused: expired, for another audience, or otherwise not valid.
    """
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            leeway=leeway,
            options={"require": sorted({"exp", *require})},
        )
    except jwt.ExpiredSignatureError:
        raise TokenRefused("expired", "token expired") from None
    except jwt.InvalidAudienceError:
        raise TokenRefused("audience", "token issued for another audience") from None
    except jwt.PyJWTError as exc:
        raise TokenRefused("invalid", f"invalid token: {exc}") from None
    return claims
