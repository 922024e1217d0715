"""Notifier area (C1, E1-E3, A1): email log, composer, mail servers, message stack, settings.

The email log with filters, the document email composer, mail servers with the connection test, the
message stack with its unread count, messaging, and notification settings.

Pages call the notifier's API (and, for the composer's choices, the partners and commercial APIs) as the
logged-in user; a service that does not answer leaves its part of the page empty instead of failing it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import MediaType, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from crm_gateway.domain.users import User
from crm_gateway.ui.api import ApiClient, ApiError, together
from crm_gateway.ui.forms import many as _many
from crm_gateway.ui.forms import optional as _optional
from crm_gateway.ui.forms import text as _text
from crm_gateway.ui.pickers import names_of, partner_choice
from crm_kit.links import is_ui_path

Form = URLEncodedBody[dict[str, Any]]
EMAIL_STATUSES = ("pending", "sending", "handed_over", "sent", "failed")
PAGE = 50


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").replace(";", ",").replace("\n", ",").split(",") if p.strip()]


# Email log (E3) --------------------------------------------------------------------------------------------


@get("/emails", include_in_schema=False)
async def email_log(
    api: NamedDependency[ApiClient],
    status: FromQuery[str | None] = None,
    partner_id: FromQuery[str | None] = None,
    email_id: FromQuery[str | None] = None,
    offset: FromQuery[int] = 0,
) -> Template:
    """Every email to every recipient, newest first, filtered by status, partner or request."""
    status = status if status in EMAIL_STATUSES else None
    page = await api.get(
        "/api/emails",
        params={
            "status": status,
            "partner_id": partner_id,
            "email_id": email_id,
            "limit": PAGE,
            "offset": max(offset, 0),
        },
    )
    return Template(
        "notifier/emails.html",
        context={
            "page": page,
            "status": status or "",
            "partner_id": partner_id or "",
            "filter_partner": await partner_choice(api, partner_id),
            "partner_names": await names_of(api, "/api/partners", (e.get("partner_id") for e in page["items"])),
            "email_id": email_id or "",
            "statuses": EMAIL_STATUSES,
            "offset": max(offset, 0),
            "page_size": PAGE,
        },
    )


# Composer (E1, E2) -----------------------------------------------------------------------------------------


async def _nothing() -> None:
    """No read at all, where a page reads something only in some cases."""


async def _composer(
    api: ApiClient,
    *,
    document_id: str | None,
    partner_id: str | None,
    form: dict[str, Any] | None = None,
    error: ApiError | None = None,
) -> Template:
    document = await _optional(api, f"/api/documents/{document_id}") if document_id else None
    partner_id = partner_id or (document or {}).get("partner_id")
    partner, staff = await together(
        _optional(api, f"/api/partners/{partner_id}") if partner_id else _nothing(),
        _optional(api, "/api/staff", {"limit": 500}),
    )
    articles = sorted(
        {line.get("article_code") for line in (document or {}).get("lines", []) if line.get("article_code")}
    )
    return Template(
        "notifier/compose.html",
        context={
            "document_id": document_id or "",
            "document": document,
            "partner_id": partner_id or "",
            "partner": partner,
            "staff": (staff or {}).get("items", []),
            "articles": articles,
            "form": form or {},
            "error": error,
        },
        status_code=error.status if error else 200,
    )


@get("/emails/new", include_in_schema=False)
async def compose(
    api: NamedDependency[ApiClient], document_id: FromQuery[str | None] = None, partner_id: FromQuery[str | None] = None
) -> Template:
    """Write an email, from a document when one is given: recipients and attachments to choose."""
    return await _composer(api, document_id=document_id, partner_id=partner_id)


@post("/emails/new", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def send_email(api: NamedDependency[ApiClient], data: Form) -> Redirect | Template:
    """Ask the notifier to send it (202); the log shows each recipient's delivery."""
    body = {
        "to_partner_id": _text(data, "partner_id") if _text(data, "to_partner") else None,
        "to_contact_ids": _many(data, "contact_ids"),
        "to_staff_ids": _many(data, "staff_ids"),
        "to_addresses": _split(_text(data, "addresses")),
        "subject": _text(data, "subject") or "",
        "body": data.get("body") if isinstance(data.get("body"), str) else "",
        "document_id": _text(data, "document_id"),
        "attach_printout": bool(_text(data, "attach_printout")),
        "attach_files": bool(_text(data, "attach_files")),
        "article_codes": _many(data, "article_codes"),
    }
    try:
        accepted = await api.post("/api/emails", json=body)
    except ApiError as exc:
        return await _composer(
            api, document_id=_text(data, "document_id"), partner_id=_text(data, "partner_id"), form=data, error=exc
        )
    return Redirect(f"/emails?{urlencode({'email_id': accepted['email_id']})}", status_code=303)


# Mail servers (C1) -----------------------------------------------------------------------------------------


async def _servers_page(
    api: ApiClient,
    user: User,
    *,
    report: dict[str, Any] | None = None,
    error: ApiError | None = None,
    form: dict[str, Any] | None = None,
) -> Template:
    servers = await api.get("/api/mail-servers")
    mine = await _optional(api, "/api/mail-servers/credentials/me")
    return Template(
        "notifier/servers.html",
        context={
            "servers": servers["items"],
            "mine": mine or {},
            "report": report,
            "error": error,
            "is_admin": user.role == "admin",
            # a refused new server keeps what was typed (never the password) beside its field errors
            "form": {k: v for k, v in (form or {}).items() if k != "password"},
        },
        status_code=error.status if error else 200,
    )


@get("/emails/servers", include_in_schema=False)
async def mail_servers(api: NamedDependency[ApiClient], user: NamedDependency[User]) -> Template:
    """The outgoing mail servers, the default one, and the user's own credentials."""
    return await _servers_page(api, user)


def _server_body(form: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": _text(form, "name"),
        "host": _text(form, "host"),
        "port": int(_text(form, "port") or 0) if (_text(form, "port") or "").isdigit() else _text(form, "port"),
        "tls_mode": _text(form, "tls_mode") or "starttls",
        "sender": _text(form, "sender"),
        "username": _text(form, "username"),
        "is_default": bool(_text(form, "is_default")),
        "rate_per_minute": int(_text(form, "rate_per_minute") or 0)
        if (_text(form, "rate_per_minute") or "0").isdigit()
        else _text(form, "rate_per_minute"),
    }
    if _text(form, "password"):
        body["password"] = _text(form, "password")
    return body


@post("/emails/servers", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def add_server(api: NamedDependency[ApiClient], user: NamedDependency[User], data: Form) -> Redirect | Template:
    try:
        await api.post("/api/mail-servers", json=_server_body(data))
    except ApiError as exc:
        return await _servers_page(api, user, error=exc, form=dict(data))
    return Redirect("/emails/servers", status_code=303)


@post("/emails/servers/{server_id:str}/default", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def make_default(
    api: NamedDependency[ApiClient], user: NamedDependency[User], server_id: FromPath[str]
) -> Redirect | Template:
    try:
        await api.patch(f"/api/mail-servers/{server_id}", json={"is_default": True})
    except ApiError as exc:
        return await _servers_page(api, user, error=exc)
    return Redirect("/emails/servers", status_code=303)


@post("/emails/servers/{server_id:str}/delete", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def delete_server(
    api: NamedDependency[ApiClient], user: NamedDependency[User], server_id: FromPath[str]
) -> Redirect | Template:
    """Delete a mail server (confirmed on the page); the default one or one in use is refused with the reason."""
    try:
        await api.delete(f"/api/mail-servers/{server_id}")
    except ApiError as exc:
        return await _servers_page(api, user, error=exc)
    return Redirect("/emails/servers", status_code=303)


@post("/emails/servers/{server_id:str}/test", include_in_schema=False, media_type=MediaType.HTML)
async def test_server(
    api: NamedDependency[ApiClient], user: NamedDependency[User], server_id: FromPath[str], data: Form
) -> Template:
    """Try the server and show, step by step, what worked and what failed (in words)."""
    try:
        report = await api.post(
            f"/api/mail-servers/{server_id}/test", json={"use_my_credentials": bool(_text(data, "mine"))}
        )
    except ApiError as exc:
        return await _servers_page(api, user, error=exc)
    return await _servers_page(api, user, report=report)


@post(
    "/emails/servers/{server_id:str}/credentials", include_in_schema=False, status_code=303, media_type=MediaType.HTML
)
async def my_credentials(
    api: NamedDependency[ApiClient], user: NamedDependency[User], server_id: FromPath[str], data: Form
) -> Redirect | Template:
    body = {
        "username": _text(data, "username") or "",
        "password": _text(data, "password"),
        "sender": _text(data, "sender"),
    }
    try:
        await api.put(f"/api/mail-servers/{server_id}/credentials", json=body)
    except ApiError as exc:
        return await _servers_page(api, user, error=exc)
    return Redirect("/emails/servers", status_code=303)


# Message stack, messaging, notification settings (A1) ----------------------------------------------------


async def _stack(api: ApiClient, *, unread: bool, offset: int, error: ApiError | None = None) -> Template:
    page = await api.get(
        "/api/messages", params={"unread": "true" if unread else None, "limit": PAGE, "offset": offset}
    )
    return Template(
        "notifier/messages.html",
        context={"page": page, "unread_only": unread, "offset": offset, "page_size": PAGE, "error": error},
        status_code=error.status if error else 200,
    )


@get("/messages", include_in_schema=False)
async def message_stack(
    api: NamedDependency[ApiClient], unread: FromQuery[bool] = False, offset: FromQuery[int] = 0
) -> Template:
    """The user's messages, newest first, with the unread count."""
    return await _stack(api, unread=unread, offset=max(offset, 0))


@post("/messages/{message_id:str}/read", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def mark_read(api: NamedDependency[ApiClient], message_id: FromPath[str]) -> Redirect | Template:
    try:
        message = await api.post(f"/api/messages/{message_id}/read")
    except ApiError as exc:
        return await _stack(api, unread=False, offset=0, error=exc)
    link = message.get("link")
    # Checked again here: a message stored before the API checked links may point at another site.
    return Redirect(link if isinstance(link, str) and is_ui_path(link) else "/messages", status_code=303)


@post("/messages/read-all", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def mark_all_read(api: NamedDependency[ApiClient]) -> Redirect:
    await api.post("/api/messages/read-all")
    return Redirect("/messages", status_code=303)


async def _message_form(api: ApiClient, form: dict[str, Any] | None = None, error: ApiError | None = None) -> Template:
    staff = await _optional(api, "/api/staff", {"limit": 500})
    users = [s for s in (staff or {}).get("items", []) if s.get("user_login")]
    return Template(
        "notifier/message_form.html",
        context={"staff": users, "form": form or {}, "error": error},
        status_code=error.status if error else 200,
    )


@get("/messages/new", include_in_schema=False)
async def new_message(api: NamedDependency[ApiClient]) -> Template:
    """Messaging: write an in-app message to colleagues."""
    return await _message_form(api)


@post("/messages/new", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def send_message(api: NamedDependency[ApiClient], data: Form) -> Redirect | Template:
    body = {
        "to_staff_ids": _many(data, "staff_ids"),
        "to_users": _split(_text(data, "users")),
        "title": _text(data, "title") or "",
        "body": data.get("body") if isinstance(data.get("body"), str) else "",
        "link": _text(data, "link"),
    }
    try:
        await api.post("/api/messages", json=body)
    except ApiError as exc:
        return await _message_form(api, form=data, error=exc)
    return Redirect("/messages?sent=1", status_code=303)


@get("/messages/settings", include_in_schema=False)
async def notification_settings(api: NamedDependency[ApiClient], saved: FromQuery[bool] = False) -> Template:
    """Language and channels of the user's notifications."""
    current = await api.get("/api/notification-settings")
    return Template("notifier/settings.html", context={"settings": current, "saved": saved, "error": None})


@post("/messages/settings", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def save_notification_settings(api: NamedDependency[ApiClient], data: Form) -> Redirect | Template:
    body = {
        "language": _text(data, "language") or "ro",
        "task_message": bool(_text(data, "task_message")),
        "task_email": bool(_text(data, "task_email")),
    }
    try:
        await api.put("/api/notification-settings", json=body)
    except ApiError as exc:
        return Template(
            "notifier/settings.html", context={"settings": body, "saved": False, "error": exc}, status_code=exc.status
        )
    return Redirect("/messages/settings?saved=true", status_code=303)


routes = [
    email_log,
    compose,
    send_email,
    mail_servers,
    add_server,
    make_default,
    delete_server,
    test_server,
    my_credentials,
    message_stack,
    mark_read,
    mark_all_read,
    new_message,
    send_message,
    notification_settings,
    save_notification_settings,
]
