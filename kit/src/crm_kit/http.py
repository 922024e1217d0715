"""The HTTP edge of a service: a Litestar app with identity, health, OpenAPI and 4xx error mapping."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from litestar import Litestar, MediaType, Request, Response, get
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.types import ControllerRouterHandler

from crm_kit.errors import DomainError
from crm_kit.idempotency import IdempotencyMiddleware, document_header
from crm_kit.identity import Identity, IdentityMiddleware

if TYPE_CHECKING:
    from crm_kit.service import Service


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


def create_app(
    service: Service,
    route_handlers: Sequence[ControllerRouterHandler],
    *,
    dependencies: dict[str, Callable[..., Any]] | None = None,
    title: str | None = None,
) -> Litestar:
    """A service's Litestar app; every route but health and schema needs an identity token for this service.

    Every write route honours an ``Idempotency-Key`` header (``crm_kit.idempotency``, ADR 0007).
    """
    deps: dict[str, Provide] = {"identity": Provide(identity, sync_to_thread=False)}
    for name, factory in (dependencies or {}).items():
        deps[name] = Provide(factory, sync_to_thread=False, use_cache=True)
    app = Litestar(
        route_handlers=[*health_routes(service), *route_handlers],
        middleware=[
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
        exception_handlers={DomainError: domain_error_handler, sa.exc.IntegrityError: integrity_error_handler},
        openapi_config=OpenAPIConfig(title=title or f"CRM {service.name}", version="1.0.0", path="/schema"),
        debug=False,
    )
    document_header(app.openapi_schema)
    return app


__all__ = ["HTTPException", "ValidationException", "create_app", "identity"]
