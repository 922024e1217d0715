"""HTTP request bodies (not the event contracts); responses are plain dicts built in the controllers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TlsMode = Literal["none", "starttls", "tls"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MailServerIn(_In):
    name: str = Field(min_length=1, max_length=100, description="A name people recognise.")
    host: str = Field(min_length=1, max_length=255, description="SMTP host.")
    port: int = Field(ge=1, le=65535, description="SMTP port (25, 465, 587, ...).")
    tls_mode: TlsMode = Field(default="starttls", description="none, starttls or tls.")
    sender: str = Field(min_length=3, max_length=320, description="From address.")
    username: str | None = Field(default=None, max_length=200, description="Login (empty = none).")
    password: str | None = Field(default=None, max_length=500, description="Password (stored encrypted).")
    is_default: bool = Field(default=False, description="Use it when no user credentials apply.")
    rate_per_minute: int = Field(default=0, ge=0, le=100_000, description="Messages per minute, 0 = unlimited.")


class MailServerPatch(_In):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    host: str | None = Field(default=None, min_length=1, max_length=255)
    port: int | None = Field(default=None, ge=1, le=65535)
    tls_mode: TlsMode | None = None
    sender: str | None = Field(default=None, min_length=3, max_length=320)
    username: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, max_length=500)
    is_default: bool | None = None
    rate_per_minute: int | None = Field(default=None, ge=0, le=100_000)


class CredentialsIn(_In):
    username: str = Field(min_length=1, max_length=200, description="The user's own SMTP login.")
    password: str | None = Field(default=None, max_length=500, description="Password (stored encrypted).")
    sender: str | None = Field(default=None, max_length=320, description="The user's From address.")


class TestIn(_In):
    use_my_credentials: bool = Field(default=False, description="Test with the caller's own credentials.")


class EmailIn(_In):
    to_partner_id: str | None = Field(default=None, description="Send to the partner's site addresses.")
    to_contact_ids: list[str] = Field(default_factory=list, description="Chosen contact persons of the partner.")
    to_staff_ids: list[str] = Field(default_factory=list, description="Chosen staff members.")
    to_addresses: list[str] = Field(default_factory=list, max_length=50, description="Other addresses.")
    subject: str = Field(min_length=1, max_length=998, description="Subject.")
    body: str = Field(default="", max_length=200_000, description="Body text.")
    document_id: str | None = Field(default=None, description="The document emailed.")
    attach_printout: bool = Field(default=False, description="Attach the document's printout (PDF).")
    attach_files: bool = Field(default=False, description="Attach the document's filed attachments.")
    article_codes: list[str] = Field(default_factory=list, description="Attach these articles' photos.")


class SettingsIn(_In):
    language: Literal["ro", "en"] = Field(default="ro", description="Language of notifications.")
    task_message: bool = Field(default=True, description="In-app message for task news.")
    task_email: bool = Field(default=False, description="Email for task news.")


class MessageIn(_In):
    to_staff_ids: list[str] = Field(default_factory=list, max_length=200, description="Staff members (system users).")
    to_users: list[str] = Field(default_factory=list, max_length=200, description="User logins.")
    title: str = Field(min_length=1, max_length=500, description="Title.")
    body: str = Field(default="", max_length=20_000, description="Text.")
    link: str | None = Field(default=None, max_length=500, description="A path in the web UI, e.g. /tasks/<id>.")
