"""``/api/<segment>/...``: forwarded to the service that owns the segment, with the caller's identity."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, route
from litestar.di import NamedDependency
from litestar.enums import HttpMethod
from litestar.params import FromPath

from crm_gateway.domain.users import User
from crm_gateway.routing import Forwarder

_METHODS = [HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE]


async def _forward(request: Request[User, Any, Any], forwarder: Forwarder) -> Response[bytes]:
    # The path as the client encoded it: decoding and re-sending would turn %3F into a query and %2F into a slash.
    raw_path = request.scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else quote(request.scope["path"])
    answer = await forwarder.forward(
        request.user,
        request.method,
        path,
        query=request.scope.get("query_string", b""),
        headers=dict(request.headers),
        content=await request.body(),
    )
    return Response(answer.content, status_code=answer.status_code, headers=answer.headers)


@route("/api/{segment:str}", http_method=_METHODS, include_in_schema=False)
async def proxy_root(
    request: Request[User, Any, Any], forwarder: NamedDependency[Forwarder], segment: FromPath[str]
) -> Response[bytes]:
    """``/api/<segment>``."""
    return await _forward(request, forwarder)


@route("/api/{segment:str}/{rest:path}", http_method=_METHODS, include_in_schema=False)
async def proxy_path(
    request: Request[User, Any, Any], forwarder: NamedDependency[Forwarder], segment: FromPath[str], rest: FromPath[str]
) -> Response[bytes]:
    """``/api/<segment>/<rest>``."""
    return await _forward(request, forwarder)
