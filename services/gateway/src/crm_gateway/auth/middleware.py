"""The /api guard: a bearer token (or the UI's session cookie) on every /api route but the open ones."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp, Receive, Scope, Send

from crm_gateway.auth.tokens import ACCESS, SESSION, InvalidToken, TokenIssuer
from crm_gateway.domain.users import User

SESSION_COOKIE = "crm_session"
LANG_COOKIE = "crm_lang"
OPEN_API_PATHS = frozenset({"/api/auth/token", "/api/healthz"})


class ApiAuthMiddleware(AbstractAuthenticationMiddleware):
    """Sets ``request.user`` (a ``User``) on /api requests; 401 when no valid credential comes with one."""

    def __init__(self, app: ASGIApp, tokens: TokenIssuer) -> None:
        super().__init__(app)
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] == ScopeType.HTTP and path.startswith("/api/") and path.rstrip("/") not in OPEN_API_PATHS:
            result = await self.authenticate_request(ASGIConnection(scope))
            scope["user"] = result.user
            scope["auth"] = result.auth
        await self.app(scope, receive, send)

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        try:
            if scheme.lower() == "bearer" and token:
                return AuthenticationResult(user=self.tokens.verify(token.strip(), ACCESS), auth=token)
            cookie = connection.cookies.get(SESSION_COOKIE)
            if cookie:
                # The browser's own calls (the SSE stream, fetch from pages); the cookie is SameSite=Lax.
                return AuthenticationResult(user=self.tokens.verify(cookie, SESSION), auth=cookie)
        except InvalidToken as exc:
            raise NotAuthorizedException(str(exc)) from None
        raise NotAuthorizedException("log in first: send 'Authorization: Bearer <token>' from POST /api/auth/token")


def requires_role(*roles: str) -> Any:
    """A guard that allows only users with one of the roles (403 otherwise)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, User) or user.role not in roles:
            raise PermissionDeniedException(f"this action needs the role {' or '.join(roles)}")

    return guard
