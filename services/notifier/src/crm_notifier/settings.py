"""The notifier's settings (env prefix ``CRM_NOTIFIER_``)."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from crm_kit import secrets
from crm_kit.ports import SERVICE_PORTS
from crm_kit.settings import ServiceSettings, secrets_dir
from crm_notifier.credentials import is_key, new_key


class NotifierSettings(ServiceSettings):
    """Settings of the notifier; the SMTP ones describe the fallback server used when none is configured."""

    model_config = SettingsConfigDict(env_prefix="CRM_NOTIFIER_", extra="ignore", populate_by_name=True)

    service_name: str = Field(default="notifier", description="The service's name (ce_source, consumer group).")
    port: int = Field(default=SERVICE_PORTS["notifier"], description="HTTP port.")
    credentials_key: str = Field(
        default="",
        validate_default=True,
        description="Fernet key (urlsafe base64, 32 bytes) that encrypts stored SMTP passwords; empty = generated "
        "into var/secrets/notifier-credentials-key on first start. Changing it makes stored passwords unreadable.",
    )
    smtp_host: str = Field(
        default="127.0.0.1", description="Fallback SMTP server host, used while no mail server is configured."
    )
    smtp_port: int = Field(default=2525, description="Fallback SMTP server port (the local sink by default).")
    smtp_tls_mode: str = Field(default="none", description="Fallback server TLS mode: none, starttls or tls.")
    smtp_sender: str = Field(default="crm@localhost", description="Fallback sender address.")
    smtp_username: str = Field(default="", description="Fallback server user name (empty = no login).")
    smtp_password: str = Field(default="", description="Fallback server password.")
    smtp_source_address: str = Field(
        default="",
        max_length=64,
        description="Local IP address the SMTP connections come from (empty = the system's choice); a server's "
        "per-client connection limit counts per address.",
    )
    smtp_timeout_seconds: float = Field(default=20.0, gt=0, description="Timeout of one SMTP command.")
    smtp_rate_per_minute: int = Field(
        default=0, ge=0, description="Fallback server rate limit, messages per minute (0 = unlimited)."
    )
    web_base_url: str = Field(default="http://127.0.0.1:8000", description="The web UI's address, for links in emails.")
    default_language: str = Field(default="ro", description="Language of notifications when a user chose none.")
    timezone: str = Field(
        default="Europe/Bucharest", description="Time zone in which notifications show times (an IANA name)."
    )
    max_message_bytes: int = Field(
        default=20 * 1024 * 1024, gt=0, description="Largest email accepted, attachments included, in bytes."
    )
    max_send_attempts: int = Field(
        default=10, ge=1, description="Attempts at a temporary failure (4xx, server down) before an email fails."
    )
    send_backoff_seconds: float = Field(default=5.0, gt=0, description="First retry delay of an email; doubles.")
    send_backoff_max_seconds: float = Field(default=600.0, gt=0, description="Longest delay between retries.")
    deliver_batch_size: int = Field(default=50, ge=1, description="Email deliveries claimed per pass of a worker.")
    deliver_poll_seconds: float = Field(default=1.0, gt=0, description="Worker poll interval when not woken up.")
    claim_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A delivery claimed longer ago than this by a silent worker is recovered by another one.",
    )
    connections_per_server: int = Field(
        default=4, ge=1, le=20, description="SMTP connections a worker keeps open per server, sending in parallel."
    )
    idle_connection_seconds: float = Field(default=30.0, gt=0, description="An unused SMTP connection is closed.")

    @field_validator("smtp_source_address")
    @classmethod
    def _source_address(cls, value: str) -> str:
        if value:
            ipaddress.ip_address(value)  # ValueError names the bad value
        return value

    @field_validator("credentials_key")
    @classmethod
    def _credentials_key(cls, value: str) -> str:
        key = secrets.resolve(
            value, "CRM_NOTIFIER_CREDENTIALS_KEY", secrets_dir(), "notifier-credentials-key", make=new_key
        )
        if not is_key(key):
            raise ValueError(
                "CRM_NOTIFIER_CREDENTIALS_KEY is not a Fernet key (32 bytes, urlsafe base64); make one with "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            )
        return key
