"""How the notifier's records look in its HTTP responses (never a sealed password)."""

from __future__ import annotations

from typing import Any

from crm_notifier.domain.composing import EmailRequest
from crm_notifier.domain.models import Preferences, Row


def email_view(row: Row) -> dict[str, Any]:
    """One email to one recipient, as the log shows it (E3)."""
    return {
        "id": row["id"],
        "email_id": row["email_id"],
        "cause_event_id": row["cause_event_id"],
        "kind": row["kind"],
        "recipient": row["recipient"],
        "subject": row["subject"],
        "status": row["status"],
        "attempts": row["attempts"],
        "server": row["server"],
        "error": row["error"],
        "partner_id": row["partner_id"],
        "document_id": row["document_id"],
        "requested_by": row["requested_by"],
        "attachments": row["attachments"],
        "message_id": row["message_id"],
        "created_at": row["created_at"],
        "sent_at": row["sent_at"],
    }


def request_view(request: EmailRequest) -> dict[str, Any]:
    """An email request as accepted (E1): before any delivery exists."""
    return {
        "id": request.email_id,
        "email_id": request.email_id,
        "status": "requested",
        "recipients": request.recipients,
        "subject": request.subject,
        "partner_id": request.partner_id,
        "document_id": request.document_id,
        "attachments": [{"file_name": a.file_name, "sha256": a.sha256, "size": a.size} for a in request.attachments],
    }


def server_view(row: Row) -> dict[str, Any]:
    """A mail server as the API shows it: never the password."""
    return {
        "id": row["id"],
        "name": row["name"],
        "host": row["host"],
        "port": row["port"],
        "tls_mode": row["tls_mode"],
        "sender": row["sender"],
        "username": row["username"],
        "has_password": bool(row["password_enc"]),
        "is_default": row["is_default"],
        "rate_per_minute": row["rate_per_minute"],
        "created_at": row["created_at"],
    }


def credentials_view(cred: Row | None) -> dict[str, Any]:
    """A user's own credentials without the password (nulls when they have none)."""
    if cred is None:
        return {"server_id": None, "username": None, "has_password": False, "sender": None}
    return {
        "server_id": cred["server_id"],
        "username": cred["username"],
        "has_password": bool(cred["password_enc"]),
        "sender": cred["sender"],
    }


def message_view(row: Row) -> dict[str, Any]:
    """An in-app message."""
    return {
        "id": row["id"],
        "recipient": row["recipient"],
        "title": row["title"],
        "body": row["body"],
        "link": row["link"],
        "partner_id": row["partner_id"],
        "cause_event_id": row["cause_event_id"],
        "created_at": row["created_at"],
        "read_at": row["read_at"],
        "unread": row["read_at"] is None,
    }


def settings_view(login: str, prefs: Preferences) -> dict[str, Any]:
    """A user's notification settings."""
    return {
        "user": login,
        "language": prefs.language,
        "task_message": prefs.task_message,
        "task_email": prefs.task_email,
    }
