"""``POST /api/auth/token``: credentials in, bearer token out."""

from __future__ import annotations

from litestar import post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import JSONBody

from crm_gateway.accounts import Accounts, BadCredentials
from crm_gateway.api.schemas import TokenRequest, TokenResponse


@post("/api/auth/token", status_code=200, tags=["auth"], summary="Exchange a username and password for a token")
async def issue_token(data: JSONBody[TokenRequest], accounts: NamedDependency[Accounts]) -> TokenResponse:
    """An access token (hours long) for ``Authorization: Bearer``."""
    try:
        return TokenResponse(access_token=await accounts.token(data.username, data.password))
    except BadCredentials:
        raise NotAuthorizedException("wrong username or password") from None
