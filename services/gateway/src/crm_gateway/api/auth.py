"""``POST /api/auth/token``: credentials in, bearer token out (throttled per username and client address)."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.params import JSONBody

from crm_gateway.api.schemas import TokenRequest, TokenResponse
from crm_gateway.service_layer import BadCredentials, LogIn, Throttled, UseCases


def client_address(request: Request[Any, Any, Any]) -> str:
    """The peer address the throttle counts under (the proxy's, when behind one)."""
    return request.client.host if request.client else "unknown"


def too_many(exc: Throttled) -> TooManyRequestsException:
    """A 429 with ``Retry-After``."""
    return TooManyRequestsException(str(exc), headers={"retry-after": str(exc.retry_after)})


@post("/api/auth/token", status_code=200, tags=["auth"], summary="Exchange a username and password for a token")
async def issue_token(
    data: JSONBody[TokenRequest], request: Request[Any, Any, Any], uses: NamedDependency[UseCases]
) -> TokenResponse:
    """An access token (hours long) for ``Authorization: Bearer``; 429 after too many failures."""
    try:
        token = await uses.issue_token(LogIn(data.username, data.password, client_address(request)))
    except BadCredentials:
        raise NotAuthorizedException("wrong username or password") from None
    except Throttled as exc:
        raise too_many(exc) from None
    return TokenResponse(access_token=token)
