"""The gateway's Litestar app: the /api guard and router, its own API, and the web UI with its areas."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Litestar, MediaType, Request, Response
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from crm_gateway.api import auth, blobs, openapi, proxy, stream, users
from crm_gateway.auth.csrf import CsrfRejected
from crm_gateway.auth.headers import security_headers
from crm_gateway.auth.middleware import ApiAuthMiddleware, SessionMiddleware
from crm_gateway.auth.sessions import Sessions
from crm_gateway.auth.tokens import TokenIssuer
from crm_gateway.live import LiveHub
from crm_gateway.routing import BadTarget, Forwarder, ServiceUnavailable, UnknownRoute
from crm_gateway.service_layer import EnsureAdmin, UseCases
from crm_gateway.settings import GatewaySettings
from crm_gateway.ui import login
from crm_gateway.ui.api import ApiClients, ApiError
from crm_gateway.ui.own_api import OwnApi
from crm_gateway.ui.web import (
    STATIC,
    TEMPLATES,
    LoginRequired,
    api_error_page,
    configure_templates,
    csrf_guard,
    csrf_rejected_page,
    discover_areas,
    http_error_page,
    login_redirect,
    provide_api,
    provide_user,
)
from crm_kit.http import EDGE_EXCEPTION_HANDLERS, EDGE_MIDDLEWARE, health_routes
from crm_kit.service import Service


def _json_error(status: int, detail: str) -> Response[dict[str, Any]]:
    return Response(
        {"status_code": status, "detail": detail, "extra": {}}, status_code=status, media_type=MediaType.JSON
    )


def _unavailable(_: Request[Any, Any, Any], exc: ServiceUnavailable) -> Response[dict[str, Any]]:
    return _json_error(503, str(exc))


def _bad_target(_: Request[Any, Any, Any], exc: BadTarget) -> Response[dict[str, Any]]:
    return _json_error(400, str(exc))


def _unknown_route(_: Request[Any, Any, Any], exc: UnknownRoute) -> Response[dict[str, Any]]:
    return _json_error(404, f"no service serves {exc.args[0]}")


def first_admin_password(settings: GatewaySettings) -> str:
    """The password for the first admin; the default ``admin`` only when bound to loopback.

    Raises:
        RuntimeError: the default password on an address reachable from other machines.
    """
    # No secret check here: the settings refuse a published or short token secret on any address.
    if not settings.on_loopback and not settings.admin_password:
        raise RuntimeError("set CRM_ADMIN_PASSWORD: the gateway listens beyond this machine")
    return settings.admin_password or "admin"


def create_app(
    service: Service, settings: GatewaySettings, hub: LiveHub, uses: UseCases, tokens: TokenIssuer
) -> Litestar:
    """The gateway app for one service instance, over the use cases the composition root built."""
    sessions = Sessions(uses, settings.token_secret, timedelta(hours=settings.token_ttl_hours))
    # One pooled HTTP client to the services for the app's lifetime: the /api proxy and the pages share it.
    forwarder = Forwarder(
        settings.routes,
        settings.service_urls,
        settings.identity_secret,
        settings.service_timeout_seconds,
        timedelta(seconds=settings.identity_ttl_seconds),
    )
    api_clients = ApiClients(forwarder, OwnApi(uses, service.blobs, forwarder))
    areas = discover_areas()
    admin_password = first_admin_password(settings)

    async def create_first_admin() -> None:
        await uses.ensure_admin(EnsureAdmin(admin_password))

    async def close_forwarder() -> None:
        await forwarder.close()

    def value(obj: Any) -> Provide:
        return Provide(lambda: obj, sync_to_thread=False, use_cache=True)

    return Litestar(
        route_handlers=[
            *health_routes(service, ("/healthz", "/api/healthz")),
            auth.issue_token,
            users.UsersController,
            blobs.upload_blob,
            blobs.download_blob,
            openapi.api_schema,
            openapi.api_docs,
            stream.message_stream,
            proxy.proxy_root,
            proxy.proxy_path,
            *login.routes,
            *areas.routes,
            create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False),
        ],
        middleware=[
            *EDGE_MIDDLEWARE,
            DefineMiddleware(SessionMiddleware, sessions=sessions, public_url=settings.public_url),
            DefineMiddleware(ApiAuthMiddleware, tokens=tokens, sessions=sessions, uses=uses),
        ],
        before_request=csrf_guard(sessions),
        before_send=[security_headers(https=settings.public_url.lower().startswith("https://"))],
        dependencies={
            "uses": value(uses),
            "sessions": value(sessions),
            "forwarder": value(forwarder),
            "blobs": value(service.blobs),
            "hub": value(hub),
            "settings": value(settings),
            "zone": value(ZoneInfo(settings.timezone)),
            "user": Provide(provide_user(), sync_to_thread=False),
            "api": Provide(provide_api(api_clients)),
        },
        exception_handlers={
            **EDGE_EXCEPTION_HANDLERS,
            ServiceUnavailable: _unavailable,
            UnknownRoute: _unknown_route,
            BadTarget: _bad_target,
            LoginRequired: login_redirect,
            ApiError: api_error_page,
            CsrfRejected: csrf_rejected_page,
            404: http_error_page,
            405: http_error_page,
        },
        template_config=TemplateConfig(
            directory=TEMPLATES,
            engine=JinjaTemplateEngine,
            engine_callback=lambda engine: configure_templates(
                engine, areas, settings.timezone, settings.default_language
            ),
        ),
        openapi_config=OpenAPIConfig(title="CRM gateway", version="1.0.0", path="/schema"),
        on_startup=[create_first_admin],
        on_shutdown=[close_forwarder],
        request_max_body_size=settings.blob_max_bytes + 1024 * 1024,
        state=State({"api_clients": api_clients, "sessions": sessions}),
        debug=False,
    )
