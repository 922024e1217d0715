"""The HTTP edge of a service: a Litestar app with identity, health, OpenAPI and 4xx error mapping."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from litestar import Litestar, MediaType, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.params import FromPath
from litestar.types import ControllerRouterHandler

from crm_kit.errors import DomainError, NotFound
from crm_kit.idempotency import IdempotencyMiddleware, document_header
from crm_kit.identity import Identity, IdentityMiddleware
from crm_kit.ids import new_id
from crm_kit.json_depth import JsonDepthMiddleware
from crm_kit.unit_of_work import Unavailable

if TYPE_CHECKING:
    from crm_kit.service import Service
    from crm_kit.store import Database

log = logging.getLogger(__name__)


def domain_error_handler(_: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    """A domain rule broken: its status (404/409/422/403) and the message a user can act on."""
    return Response(
        {"status_code": exc.status_code, "detail": exc.message, "extra": exc.extra},
        status_code=exc.status_code,
        media_type=MediaType.JSON,
    )


def integrity_error_handler(_: Request[Any, Any, Any], exc: sa.exc.IntegrityError) -> Response[dict[str, Any]]:
    """A uniqueness or reference rule enforced by the database: 409, never a 500."""
    return Response(
        {"status_code": 409, "detail": "conflicts with existing data", "extra": {"reason": str(exc.orig)[:300]}},
        status_code=409,
        media_type=MediaType.JSON,
    )


def unavailable_handler(_: Request[Any, Any, Any], exc: Unavailable) -> Response[dict[str, Any]]:
    """The store did not answer: 503 with ``Retry-After``, the request did nothing and may be sent again."""
    log.warning("unavailable: %s", exc)
    return Response(
        {"status_code": 503, "detail": "temporarily unavailable; try again", "extra": {"reason": str(exc)[:200]}},
        status_code=503,
        media_type=MediaType.JSON,
        headers={"Retry-After": "2"},
    )


def unexpected_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Any exception no other handler took: logged with its traceback, answered 500 with a problem body.

    A 500 is still a bug to fix; the reference in the body finds its traceback in the log.
    """
    reference = new_id().hex[:12]
    log.error(
        "unhandled %s on %s %s (reference %s)",
        type(exc).__name__,
        request.method,
        request.url.path,
        reference,
        exc_info=exc,
    )
    return Response(
        {"status_code": 500, "detail": f"internal error (reference {reference})", "extra": {"reference": reference}},
        status_code=500,
        media_type=MediaType.JSON,
    )


EDGE_MIDDLEWARE = [JsonDepthMiddleware]
"""The ASGI guards every app (each service and the gateway) puts first."""

EDGE_EXCEPTION_HANDLERS: dict[int | type[Exception], Callable[..., Response[Any]]] = {
    DomainError: domain_error_handler,
    sa.exc.IntegrityError: integrity_error_handler,
    Unavailable: unavailable_handler,
    500: unexpected_error_handler,
}
"""The exception mapping every app starts from: domain rules, database uniqueness, and the logged catch-all."""


def identity(request: Request[Identity, Any, Any]) -> Identity:
    """The caller's identity, set by the identity middleware."""
    return request.user


def health_routes(service: Service, live_paths: Sequence[str] = ("/healthz",)) -> list[ControllerRouterHandler]:
    """``/healthz`` (the process answers) and ``/readyz`` (its database answers too), outside the schema."""

    @get(list(live_paths), sync_to_thread=False, include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service.name}

    @get("/readyz", include_in_schema=False)
    async def readyz() -> Response[dict[str, str]]:
        try:
            async with service.db.read() as conn:
                await conn.execute(sa.text("SELECT 1"))
        except Exception as exc:
            return Response({"status": "unavailable", "reason": str(exc)[:200]}, status_code=503)
        if service.broker.used and not service.broker.reachable:
            # Still ready: writes go to the outbox and are published once the broker is back.
            return Response({"status": "degraded", "reason": f"broker unreachable: {service.broker.reason}"})
        return Response({"status": "ready"})

    return [healthz, readyz]


BlobRefCheck = Callable[[Identity, str], Awaitable[bool]]
"""Whether the caller may read a record of this service that references the blob (by its sha256)."""

SERVER_KEEP_ALIVE_SECONDS = 75
"""How long a service keeps an idle HTTP connection open (uvicorn's default is 5 s). Clients that pool
connections (the gateway, httpx with its 5 s default) must drop idle ones sooner: when both sides close at
the same moment, a request sent on the closing connection fails with a ReadError (seen as 503 under load)."""


BLOB_REFS_PATH = "/blob-refs"
"""Where every service answers the gateway's blob check (outside ``/api``: the gateway does not route it)."""

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def blob_refs_route(check: BlobRefCheck | None) -> ControllerRouterHandler:
    """``GET /blob-refs/{sha256}``: 200 when the caller may read a record of this service that references the blob.

    The gateway asks every service before it hands a blob out (``docs/security-scoping.md``); 404 means
    "not through a record of mine the caller may read". A service without blobs answers 404 always.
    """

    @get(f"{BLOB_REFS_PATH}/{{sha256:str}}", include_in_schema=False)
    async def blob_refs(sha256: FromPath[str], identity: NamedDependency[Identity]) -> dict[str, bool]:
        if not _SHA256.match(sha256) or check is None or not await check(identity, sha256):
            raise NotFound("no record you may read references this file", code="record.not_found")
        return {"readable": True}

    return blob_refs


def blob_refs_in(db: Database, *columns: sa.Column[Any]) -> BlobRefCheck:
    """The blob check of records every role may read: a blob is readable when one of ``columns`` references it.

    A text column holds one sha256; a JSON column (a list of photos, attachments) is searched as text.
    """

    def mentions(column: sa.Column[Any], sha256: str) -> sa.ColumnElement[bool]:
        if isinstance(column.type, sa.JSON):
            # A hex digest cannot hold LIKE wildcards, so a text search of the JSON is exact enough.
            return sa.cast(column, sa.Text).contains(sha256)
        return column == sha256

    async def check(_: Identity, sha256: str) -> bool:
        async with db.read() as conn:
            for column in columns:
                if (await conn.execute(sa.select(sa.literal(1)).where(mentions(column, sha256)).limit(1))).first():
                    return True
        return False

    return check


def create_app(
    service: Service,
    route_handlers: Sequence[ControllerRouterHandler],
    *,
    dependencies: dict[str, Callable[..., Any]] | None = None,
    title: str | None = None,
    blob_refs: BlobRefCheck | None = None,
) -> Litestar:
    """A service's Litestar app; every route but health and schema needs an identity token for this service.

    Every write route honours an ``Idempotency-Key`` header (``crm_kit.idempotency``, ADR 0008).

    Args:
        service: the service whose settings (identity secret, name as the token's audience) and health the app uses.
        route_handlers: the service's controllers.
        dependencies: named dependencies the handlers ask for.
        title: the OpenAPI title.
        blob_refs: the service's blob check (which of its records reference a blob and who may read them).
    """
    deps: dict[str, Provide] = {"identity": Provide(identity, sync_to_thread=False)}
    for name, factory in (dependencies or {}).items():
        deps[name] = Provide(factory, sync_to_thread=False, use_cache=True)
    app = Litestar(
        route_handlers=[*health_routes(service), blob_refs_route(blob_refs), *route_handlers],
        middleware=[
            *EDGE_MIDDLEWARE,
            DefineMiddleware(IdentityMiddleware, secret=service.settings.identity_secret, audience=service.name),
            # After the identity (keys are per user); the key row joins the handler's own transaction.
            DefineMiddleware(
                IdempotencyMiddleware,
                db=service.db,
                pause_after_commit=service.settings.test_pause_after_commit_seconds,
                # As large as the largest upload a route accepts (Litestar's own default is 10 MiB).
                max_body=max(service.settings.blob_max_bytes, 10 * 1024 * 1024) + 1024 * 1024,
            ),
        ],
        dependencies=deps,
        exception_handlers=dict(EDGE_EXCEPTION_HANDLERS),
        openapi_config=OpenAPIConfig(title=title or f"CRM {service.name}", version="1.0.0", path="/schema"),
        debug=False,
    )
    document_header(app.openapi_schema)
    return app


__all__ = [
    "EDGE_EXCEPTION_HANDLERS",
    "EDGE_MIDDLEWARE",
    "HTTPException",
    "ValidationException",
    "create_app",
    "identity",
    "unexpected_error_handler",
]
