"""The gateway's settings: env prefix CRM_GATEWAY_, plus CRM_ADMIN_PASSWORD for the first admin."""

from __future__ import annotations

import json
from typing import Any

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import SettingsConfigDict

from crm_kit.ports import GATEWAY_PORT, local_url
from crm_kit.settings import ServiceSettings

_PARTNERS = local_url("partners")
_COMMERCIAL = local_url("commercial")
_OPPORTUNITIES = local_url("opportunities")
_CAMPAIGNS = local_url("campaigns")
_TASKS = local_url("tasks")
_NOTIFIER = local_url("notifier")
_MAIL_INGEST = local_url("mail-ingest")

DEFAULT_ROUTES: dict[str, str] = {
    "partners": _PARTNERS,
    "staff": _PARTNERS,
    "dossiers": _PARTNERS,
    "partner-imports": _PARTNERS,
    "articles": _COMMERCIAL,
    "documents": _COMMERCIAL,
    "cost-documents": _COMMERCIAL,
    "invoices": _COMMERCIAL,
    "payments": _COMMERCIAL,
    "balances": _COMMERCIAL,
    "contracts": _COMMERCIAL,
    "vat-rates": _COMMERCIAL,
    "commercial-settings": _COMMERCIAL,
    "opportunities": _OPPORTUNITIES,
    "lost-reasons": _OPPORTUNITIES,
    "stage-weights": _OPPORTUNITIES,
    "pipeline": _OPPORTUNITIES,
    "campaigns": _CAMPAIGNS,
    "tasks": _TASKS,
    "task-broadcasts": _TASKS,
    "services": _TASKS,
    "availability": _TASKS,
    "reminder-settings": _TASKS,
    "mail-servers": _NOTIFIER,
    "emails": _NOTIFIER,
    "messages": _NOTIFIER,
    "notification-settings": _NOTIFIER,
    "mail-imports": _MAIL_INGEST,
}
"""Which service owns each first path segment after ``/api/``."""

DEV_TOKEN_SECRET = "dev-only-gateway-token-secret-change-me"  # noqa: S105 - a marker the startup check refuses off loopback


class GatewaySettings(ServiceSettings):
    """Settings of the gateway process."""

    model_config = SettingsConfigDict(env_prefix="CRM_GATEWAY_", extra="ignore", populate_by_name=True)

    service_name: str = Field(default="gateway", description="The service's name.")
    port: int = Field(default=GATEWAY_PORT, description="HTTP port of the gateway (the only port a user needs).")
    routes: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_ROUTES),
        description=(
            "Route table: first path segment after /api/ -> base URL of the owning service. "
            "CRM_GATEWAY_ROUTES (JSON) entries are merged over the defaults."
        ),
    )
    token_secret: str = Field(
        default=DEV_TOKEN_SECRET,
        description="HMAC secret signing access tokens and session cookies; must be set when not bound to loopback.",
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
        if isinstance(value, str):
            value = json.loads(value) if value.strip() else {}
        if isinstance(value, dict):
            return {**DEFAULT_ROUTES, **{str(k): str(v).rstrip("/") for k, v in value.items()}}
        return value

    @property
    def on_loopback(self) -> bool:
        """Whether the gateway listens only on this machine."""
        return self.host in ("127.0.0.1", "localhost", "::1")

    @property
    def secure_cookies(self) -> bool:
        """Whether cookies get ``Secure``: asked for, or the public address is HTTPS."""
        return self.cookie_secure or self.public_url.lower().startswith("https://")
