"""The request guards: the session cookie, the /api credential check, and the Origin check on writes."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp, Receive, Scope, Send

from crm_gateway.auth.csrf import CSRF_HEADER, UNSAFE_METHODS, check_api_write, check_origin
from crm_gateway.auth.sessions import Session, Sessions
from crm_gateway.auth.tokens import ACCESS, InvalidToken, TokenIssuer
from crm_gateway.domain.users import User
from crm_gateway.service_layer import UseCases

SESSION_COOKIE = "crm_session"
LANG_COOKIE = "crm_lang"
OPEN_API_PATHS = frozenset(
    {"/api/auth/token", "/api/healthz", "/api/schema", "/api/schema/openapi.json", "/api/schema/docs"}
)
"""What the gateway serves without a credential: the token exchange, health, and the API's own description."""
_STATE_KEY = "crm_session"


def current_session(scope: Scope | Any) -> Session | None:
    """The session ``SessionMiddleware`` found for this request (a scope or a connection)."""
    state = scope.get("state") if isinstance(scope, dict) else scope.scope.get("state")
    found = (state or {}).get(_STATE_KEY)
    return found if isinstance(found, Session) else None


async def read_session(scope: Scope, sessions: Sessions) -> Session | None:
    """The session the request's cookie names, looked up once per request and kept in the scope's state.

    ``SessionMiddleware`` calls it for every routed request; the 404/405 pages call it themselves, because
    Litestar answers an unknown address or method before any middleware runs.
    """
    state = scope.setdefault("state", {})  # type: ignore[typeddict-item]
    if _STATE_KEY in state:
        return current_session(scope)
    cookie = ASGIConnection[Any, Any, Any, Any](scope).cookies.get(SESSION_COOKIE)
    session = await sessions.resolve(cookie) if cookie else None
    state[_STATE_KEY] = session
    return session


class SessionMiddleware:
    """Looks the session cookie up in the store (one indexed read) and checks the Origin of every write."""

    def __init__(self, app: ASGIApp, sessions: Sessions, public_url: str = "") -> None:
        self.app = app
        self.sessions = sessions
        self.public_url = public_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and not str(scope.get("path", "")).startswith("/static/"):
            connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
            if scope.get("method", "GET") in UNSAFE_METHODS:
                check_origin(connection, self.public_url)
            await read_session(scope, self.sessions)
        await self.app(scope, receive, send)


class ApiAuthMiddleware(AbstractAuthenticationMiddleware):
    """Sets ``request.user`` (a ``User``) on /api requests; 401 when no valid credential comes with one."""

    def __init__(self, app: ASGIApp, tokens: TokenIssuer, sessions: Sessions, uses: UseCases) -> None:
        super().__init__(app)
        self.tokens = tokens
        self.sessions = sessions
        self.uses = uses

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
        if scheme.lower() == "bearer" and token:
            try:
                user = self.tokens.verify(token.strip(), ACCESS)
            except InvalidToken as exc:
                raise NotAuthorizedException(str(exc)) from None
            # One primary-key read: a password change (or a deleted user) ends every older token.
            if not await self.uses.token_current(user.id, user.token_version):
                raise NotAuthorizedException("the token was revoked (password changed); log in again")
            return AuthenticationResult(user=user, auth=token)
        cookie = connection.cookies.get(SESSION_COOKIE)
        if cookie:
            # The browser's own calls (the SSE stream, fetch from pages).
            session = current_session(connection)
            if session is None:
                raise NotAuthorizedException("the session has ended; log in again")
            if connection.scope.get("method", "GET") in UNSAFE_METHODS:
                check_api_write(connection, self.sessions.csrf_ok(cookie, connection.headers.get(CSRF_HEADER)))
            return AuthenticationResult(user=session.user, auth=cookie)
        raise NotAuthorizedException("log in first: send 'Authorization: Bearer <token>' from POST /api/auth/token")


def requires_role(*roles: str) -> Any:
    """A guard that allows only users with one of the roles (403 otherwise)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, User) or user.role not in roles:
            raise PermissionDeniedException(f"this action needs the role {' or '.join(roles)}")

    return guard
