"""The gateway's settings: env prefix CRM_GATEWAY_, plus CRM_ADMIN_PASSWORD for the first admin."""

from __future__ import annotations

import json
from typing import Any

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from crm_kit import secrets
from crm_kit.ports import GATEWAY_PORT, SERVICE_PORTS, local_url
from crm_kit.settings import ServiceSettings, secrets_dir

DEFAULT_ROUTES: dict[str, str] = {
    "partners": "partners",
    "staff": "partners",
    "dossiers": "partners",
    "partner-imports": "partners",
    "articles": "commercial",
    "documents": "commercial",
    "cost-documents": "commercial",
    "invoices": "commercial",
    "payments": "commercial",
    "balances": "commercial",
    "contracts": "commercial",
    "vat-rates": "commercial",
    "commercial-settings": "commercial",
    "opportunities": "opportunities",
    "lost-reasons": "opportunities",
    "stage-weights": "opportunities",
    "pipeline": "opportunities",
    "campaigns": "campaigns",
    "tasks": "tasks",
    "task-broadcasts": "tasks",
    "services": "tasks",
    "availability": "tasks",
    "reminder-settings": "tasks",
    "mail-servers": "notifier",
    "emails": "notifier",
    "messages": "notifier",
    "notification-settings": "notifier",
    "mail-imports": "mail-ingest",
    "mail-import-settings": "mail-ingest",
}
"""Which service (by name, the identity tokens' audience) owns each first path segment after ``/api/``."""


def default_service_urls() -> dict[str, str]:
    """Every service at its default port on this machine."""
    return {name: local_url(name) for name in SERVICE_PORTS}


def _json_dict(value: Any) -> Any:
    """A JSON object given as text (an environment variable) parsed; anything else unchanged."""
    if isinstance(value, str):
        return json.loads(value) if value.strip() else {}
    return value


class GatewaySettings(ServiceSettings):
    """Settings of the gateway process."""

    model_config = SettingsConfigDict(env_prefix="CRM_GATEWAY_", extra="ignore", populate_by_name=True)

    service_name: str = Field(default="gateway", description="The service's name.")
    port: int = Field(default=GATEWAY_PORT, description="HTTP port of the gateway (the only port a user needs).")
    routes: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_ROUTES),
        description=(
            "Route table: first path segment after /api/ -> name of the owning service. "
            "CRM_GATEWAY_ROUTES (JSON) entries are merged over the defaults."
        ),
    )
    service_urls: dict[str, str] = Field(
        default_factory=default_service_urls,
        description=(
            "Base URL of each service by name (default: its port on 127.0.0.1). "
            "CRM_GATEWAY_SERVICE_URLS (JSON) entries are merged over the defaults."
        ),
    )
    token_secret: str = Field(
        default="",
        validate_default=True,
        description="HMAC secret signing access tokens and session cookies (at least 32 bytes); empty = generated "
        "into var/secrets/gateway-token-secret on first start. Changing it ends every session.",
    )
    identity_ttl_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="Lifetime of the identity token the gateway sends with each forwarded request, seconds.",
    )
    token_ttl_hours: float = Field(default=8.0, gt=0, description="Lifetime of an access token or UI session, hours.")
    admin_password: str = Field(
        default="",
        validation_alias=AliasChoices("admin_password", "CRM_ADMIN_PASSWORD"),
        description="Password of the first admin (user `admin`), created at startup; empty = `admin` on loopback only.",
    )
    argon2_time_cost: int = Field(default=3, ge=1, description="Argon2id passes per password hash.")
    argon2_memory_kib: int = Field(default=65536, ge=1024, description="Argon2id memory per password hash, KiB.")
    service_timeout_seconds: float = Field(
        default=30.0, gt=0, description="How long the gateway waits for a service's answer."
    )
    timezone: str = Field(default="Europe/Bucharest", description="Time zone in which the UI shows times.")
    default_language: str = Field(default="ro", description="UI language for new sessions: ro or en.")
    cookie_secure: bool = Field(
        default=False, description="Mark the session cookie Secure; implied when public_url starts with https://."
    )
    public_url: str = Field(
        default="",
        description=(
            "The address users open, e.g. https://crm.example.com: its origin is accepted on form posts besides "
            "the request's own host, and https:// makes cookies Secure. Empty: the request's own host only."
        ),
    )
    login_max_failures_user: int = Field(
        default=5, ge=1, description="Failed logins per username (known or not) before it is locked for a while."
    )
    login_max_failures_address: int = Field(
        default=20, ge=1, description="Failed logins per client address before the address is locked for a while."
    )
    login_lock_seconds: float = Field(
        default=30.0, gt=0, description="First login lock, seconds; doubles with each further failure."
    )
    login_lock_max_seconds: float = Field(default=900.0, gt=0, description="Longest login lock, seconds.")
    login_failure_window_seconds: float = Field(
        default=900.0, gt=0, description="Failed logins older than this (seconds) no longer count."
    )

    @field_validator("routes", mode="before")
    @classmethod
    def _merge_routes(cls, value: Any) -> Any:
        value = _json_dict(value)
        if isinstance(value, dict):
            return {**DEFAULT_ROUTES, **{str(k): str(v) for k, v in value.items()}}
        return value

    @field_validator("service_urls", mode="before")
    @classmethod
    def _merge_service_urls(cls, value: Any) -> Any:
        value = _json_dict(value)
        if isinstance(value, dict):
            return {**default_service_urls(), **{str(k): str(v).rstrip("/") for k, v in value.items()}}
        return value

    @field_validator("token_secret")
    @classmethod
    def _token_secret(cls, value: str) -> str:
        return secrets.resolve(value, "CRM_GATEWAY_TOKEN_SECRET", secrets_dir(), "gateway-token-secret")

    @model_validator(mode="after")
    def _routes_name_services(self) -> GatewaySettings:
        unknown = sorted({service for service in self.routes.values() if service not in self.service_urls})
        if unknown:
            raise ValueError(
                f"CRM_GATEWAY_ROUTES names services without a URL: {', '.join(unknown)}; a route maps a segment "
                'to a service name (e.g. "tasks"), and CRM_GATEWAY_SERVICE_URLS maps a service name to its URL'
            )
        return self

    @property
    def on_loopback(self) -> bool:
        """Whether the gateway listens only on this machine."""
        return self.host in ("127.0.0.1", "localhost", "::1")

    @property
    def secure_cookies(self) -> bool:
        """Whether cookies get ``Secure``: asked for, or the public address is HTTPS."""
        return self.cookie_secure or self.public_url.lower().startswith("https://")
