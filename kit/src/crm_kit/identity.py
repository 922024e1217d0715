"""Identity tokens: the gateway signs who the user is, for one service; that service verifies it on every request.

A token names its service in ``aud`` and lives a minute: one captured on its way to the tasks
service opens nothing at the partners service, and not for long anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp

from crm_kit.tokens import TokenRefused, check, sign

HEADER = "x-crm-identity"
ROLES = ("admin", "manager", "agent")
DEFAULT_TTL = timedelta(seconds=60)
"""How long a token is valid: one forwarded request needs seconds."""
_LEEWAY = timedelta(seconds=5)  # clocks of the gateway's and a service's machine may differ a little


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


def issue(
    identity: Identity, secret: str, audience: str, ttl: timedelta = DEFAULT_TTL, now: datetime | None = None
) -> str:
    """A signed, short-lived token for one identity, valid only at the service named ``audience``.

    Args:
        identity: who calls.
        secret: the shared identity secret.
        audience: the name of the service the token is for (``partners``, ``mail-ingest``, ...).
        ttl: how long it is valid.
        now: the issue time (tests).
    """
    claims: dict[str, Any] = {
        "aud": audience,
        "sub": identity.user_id,
        "name": identity.username,
        "role": identity.role,
        "staff_id": identity.staff_id,
    }
    return sign(claims, secret, ttl, now)


class InvalidIdentity(Exception):
    """A missing, forged or expired identity token."""


def verify(token: str, secret: str, audience: str) -> Identity:
    """The identity in a token issued for the service ``audience``.

    Raises:
        InvalidIdentity: forged, expired, for another service, without ``iat``/``exp``, or malformed.
    """
    try:
        claims = check(token, secret, require=("aud", "iat", "exp", "sub", "role"), audience=audience, leeway=_LEEWAY)
    except TokenRefused as exc:
        if exc.reason == "expired":
            raise InvalidIdentity("identity token expired") from None
        if exc.reason == "audience":
            raise InvalidIdentity(f"identity token issued for another service, not {audience}") from None
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
    """Rejects requests without a valid identity token for this service (401); health and schema routes stay open."""

    def __init__(self, app: ASGIApp, secret: str, audience: str, exclude: list[str] | None = None) -> None:
        super().__init__(app, exclude=exclude or ["^/healthz", "^/readyz", "^/schema"])
        self.secret = secret
        self.audience = audience

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        token = connection.headers.get(HEADER)
        if not token:
            raise NotAuthorizedException("missing identity: call through the gateway with a bearer token")
        try:
            identity = verify(token, self.secret, self.audience)
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
