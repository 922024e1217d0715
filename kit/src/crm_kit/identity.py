"""Identity tokens: the gateway signs who the user is; every service verifies it on every request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp

HEADER = "x-crm-identity"
ROLES = ("admin", "manager", "agent")
_ALGORITHM = "HS256"


@dataclass(frozen=True)
class Identity:
    """The caller: user id, login, role, linked staff member and team."""

    user_id: str
    username: str
    role: str
    staff_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_manager(self) -> bool:
        return self.role in ("admin", "manager")


def issue(identity: Identity, secret: str, ttl: timedelta = timedelta(minutes=5), now: datetime | None = None) -> str:
    """A signed, short-lived token for one identity."""
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": identity.user_id,
        "name": identity.username,
        "role": identity.role,
        "staff_id": identity.staff_id,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


class InvalidIdentity(Exception):
    """A missing, forged or expired identity token."""


def verify(token: str, secret: str) -> Identity:
    """The identity in a token.

    Raises:
        InvalidIdentity: forged, expired or malformed.
    """
    try:
        claims = jwt.decode(token, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub", "role"]})
    except jwt.ExpiredSignatureError:
        raise InvalidIdentity("identity token expired") from None
    except jwt.PyJWTError as exc:
        raise InvalidIdentity(f"invalid identity token: {exc}") from None
    if claims["role"] not in ROLES:
        raise InvalidIdentity("unknown role")
    return Identity(
        user_id=str(claims["sub"]),
        username=str(claims.get("name", "")),
        role=str(claims["role"]),
        staff_id=claims.get("staff_id"),
    )


class IdentityMiddleware(AbstractAuthenticationMiddleware):
    """Rejects requests without a valid identity token (401); health and schema routes stay open."""

    def __init__(self, app: ASGIApp, secret: str, exclude: list[str] | None = None) -> None:
        super().__init__(app, exclude=exclude or ["^/healthz", "^/readyz", "^/schema"])
        self.secret = secret

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        token = connection.headers.get(HEADER)
        if not token:
            raise NotAuthorizedException("missing identity: call through the gateway with a bearer token")
        try:
            identity = verify(token, self.secret)
        except InvalidIdentity as exc:
            raise NotAuthorizedException(str(exc)) from None
        return AuthenticationResult(user=identity, auth=token)


def requires_role(*roles: str) -> Any:
    """A Litestar guard that allows only the given roles (403 otherwise)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        identity = connection.user
        if not isinstance(identity, Identity) or identity.role not in roles:
            raise PermissionDeniedException(f"this action needs the role {' or '.join(roles)}")

    return guard
