"""Settings of the mail-ingest service (env prefix CRM_MAIL_INGEST_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from crm_kit.ports import SERVICE_PORTS
from crm_kit.settings import ServiceSettings, project_root


class MailIngestSettings(ServiceSettings):
    """Where the import folder is, how files are taken, and who triages unknown senders."""

    model_config = SettingsConfigDict(env_prefix="CRM_MAIL_INGEST_", extra="ignore", populate_by_name=True)

    service_name: str = Field(default="mail-ingest", description="The service's name (ce_source, group id).")
    port: int = Field(default=SERVICE_PORTS["mail-ingest"], description="HTTP port.")
    inbox: Path = Field(
        default_factory=lambda: project_root() / "var" / "mail-inbox",
        description=(
            "The import folder (C4) exported emails are dropped into; done/ and failed/ live inside it. "
            "The default: an administrator's choice in the web UI (Configurări > C4) replaces it without a restart."
        ),
    )
    export_format: str = Field(
        default="auto",
        description=(
            "Default export format (C4): auto (recognised per file), outlook, thunderbird or eml; "
            "replaced, like the folder, by an administrator's choice in the web UI."
        ),
    )
    max_file_bytes: int = Field(
        default=25 * 1024 * 1024, ge=1, description="Largest file imported, attachments folder included, in bytes."
    )
    max_header_chars: int = Field(
        default=256 * 1024, ge=1024, description="Longest header section accepted; longer is treated as hostile."
    )
    scan_seconds: float = Field(
        default=1.0, gt=0, description="Interval between folder scans; a file is taken after two equal scans."
    )
    batch_files: int = Field(default=100, ge=1, description="Files imported per database transaction.")
    prepare_processes: int = Field(
        default=2,
        ge=0,
        description=(
            "Worker processes that claim, read and parse files and store attachments (one more builds the "
            "events and moves the files), while the service process writes to the database and publishes; "
            "0 does all of that in the service process."
        ),
    )
    local_timezone: str = Field(
        default="Europe/Bucharest", description="Zone of dates the exports write without an offset."
    )
    triage_staff_id: str | None = Field(
        default=None,
        description="Staff member responsible for email tasks whose partner has no representative, or no partner.",
    )
    task_deadline_working_days: int = Field(
        default=1,
        ge=0,
        le=60,
        description=(
            "Working days (Monday to Friday, in local_timezone) an email's task is due after its import, at the "
            "same time of day; 0 leaves such tasks without a deadline."
        ),
    )
    max_body_chars: int = Field(
        default=64 * 1024, ge=1024, description="Email body kept on the TaskCreated event (longer is truncated)."
    )
