"""Settings base: one pydantic-settings class per service, an env prefix each, shared keys under CRM_."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crm_kit import secrets


def project_root() -> Path:
    """The checkout's root (the folder that holds ``var/``), or CRM_HOME when set."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists() and (parent / "services").is_dir():
            return parent
    return Path.cwd()


def _var() -> Path:
    import os

    return Path(os.environ.get("CRM_VAR", str(project_root() / "var")))


def secrets_dir() -> Path:
    """Where generated secrets live: ``var/secrets`` (mode 0700), shared by every local process."""
    return _var() / "secrets"


class ServiceSettings(BaseSettings):
    """What every service needs; a service subclasses it and sets ``env_prefix``.

    Shared keys (Kafka, topic prefix, identity secret, blobs, log level) are read from
    ``CRM_<KEY>``; the rest from ``<env_prefix><KEY>``.
    """

    model_config = SettingsConfigDict(env_prefix="CRM_SERVICE_", extra="ignore", populate_by_name=True)

    service_name: str = Field(default="service", description="The service's name, used as ce_source and group id.")
    database_url: str = Field(
        default="",
        description="SQLAlchemy async URL of this service's own database; empty = SQLite file var/<service>.db.",
    )
    kafka_bootstrap: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("kafka_bootstrap", "CRM_KAFKA_BOOTSTRAP"),
        description="Kafka bootstrap servers (host:port, comma separated).",
    )
    topic_prefix: str = Field(
        default="",
        validation_alias=AliasChoices("topic_prefix", "CRM_TOPIC_PREFIX"),
        description="Prefix put before every topic name (isolates deployments or test runs on one cluster).",
    )
    topic_partitions: int = Field(
        default=6,
        ge=1,
        validation_alias=AliasChoices("topic_partitions", "CRM_TOPIC_PARTITIONS"),
        description="Partitions of each topic when the project creates it.",
    )
    identity_secret: str = Field(
        default="",
        validate_default=True,
        validation_alias=AliasChoices("identity_secret", "CRM_IDENTITY_SECRET"),
        description="HMAC secret that signs the gateway's identity tokens (at least 32 bytes); "
        "empty = generated into var/secrets/identity-secret on first start. Set the same value everywhere "
        "when the services run on more than one machine.",
    )
    blob_dir: Path = Field(
        default_factory=lambda: _var() / "blobs",
        validation_alias=AliasChoices("blob_dir", "CRM_BLOB_DIR"),
        description="Folder of the content-addressed blob store shared by the services.",
    )
    blob_max_bytes: int = Field(
        default=25 * 1024 * 1024,
        validation_alias=AliasChoices("blob_max_bytes", "CRM_BLOB_MAX_BYTES"),
        description="Largest blob accepted, in bytes.",
    )
    host: str = Field(default="127.0.0.1", description="HTTP bind address.")
    port: int = Field(default=8000, description="HTTP port.")
    max_attempts: int = Field(default=5, ge=1, description="Handler attempts before a message goes to the DLQ.")
    retry_backoff_seconds: float = Field(default=0.2, ge=0, description="First retry delay; doubles each attempt.")
    relay_poll_seconds: float = Field(default=1.0, gt=0, description="Outbox poll interval when no wake-up comes.")
    relay_batch_size: int = Field(default=500, ge=1, description="Outbox rows published per batch.")
    consumer_batch_size: int = Field(default=500, ge=1, description="Records fetched per consumer poll.")
    consumer_transaction_seconds: float = Field(
        default=0.5,
        gt=0,
        description="A fetched batch commits its effects after about this long and goes on in a new transaction, "
        "so bulk work (M7) shows its progress while it runs.",
    )
    gc_threshold: int = Field(
        default=10_000,
        ge=0,
        validation_alias=AliasChoices("gc_threshold", "CRM_GC_THRESHOLD"),
        description="Allocations between young-generation garbage collections of a service process "
        "(Python's default is 700; 0 = leave the interpreter's default). See ADR 0004.",
    )
    test_pause_after_commit_seconds: float = Field(
        default=0.0,
        ge=0,
        description=(
            "Tests only: pause between the commit of a request carrying an Idempotency-Key and its response "
            "(a window to kill the process in). Leave 0."
        ),
    )
    log_level: str = Field(
        default="INFO",
        validation_alias=AliasChoices("log_level", "CRM_LOG_LEVEL"),
        description="Log level of the service's JSON logs.",
    )

    @field_validator("identity_secret")
    @classmethod
    def _identity_secret(cls, value: str) -> str:
        return secrets.resolve(value, "CRM_IDENTITY_SECRET", secrets_dir(), "identity-secret")

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under var/."""
        if self.database_url:
            return self.database_url
        path = _var() / f"{self.service_name}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{path}"

    def topic(self, name: str) -> str:
        """The physical topic name for a logical one (with the deployment prefix)."""
        return f"{self.topic_prefix}{name}"
