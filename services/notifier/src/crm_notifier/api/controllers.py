"""The notifier's HTTP API: emails (E1-E3), mail servers (C1), in-app messages and notification settings.

Each handler parses, calls one use-case method (``uses``) and renders (``views``).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from crm_kit.http import BlobRefCheck
from crm_kit.identity import Identity, requires_role
from crm_kit.pagination import Limit, Offset
from crm_notifier.api.schemas import (
    CredentialsIn,
    EmailIn,
    MailServerIn,
    MailServerPatch,
    MessageIn,
    SettingsIn,
    TestIn,
)
from crm_notifier.api.views import (
    credentials_view,
    email_view,
    message_view,
    request_view,
    server_view,
    settings_view,
)
from crm_notifier.domain.models import EmailViewer
from crm_notifier.service_layer import (
    AddMailServer,
    ChangeMailServer,
    ChangeSettings,
    CheckMailServer,
    DeleteCredentials,
    MarkAllRead,
    MarkRead,
    RemoveMailServer,
    RequestEmail,
    SendMessage,
    SetCredentials,
    UseCases,
)


def email_viewer(identity: Identity) -> EmailViewer:
    """The caller as the email log's scope sees them."""
    return EmailViewer(identity.role, identity.username, identity.staff_id)


class EmailController(Controller):
    path = "/api/emails"
    tags = ["emails (E1-E3)"]

    @post("/", status_code=HTTP_202_ACCEPTED)
    async def request_email(
        self, uses: NamedDependency[UseCases], identity: NamedDependency[Identity], data: JSONBody[EmailIn]
    ) -> dict[str, Any]:
        """Email a document to the partner, its contacts or staff, with printout, files and article photos."""
        request = await uses.request_email(RequestEmail(requested_by=identity.username, **data.model_dump()))
        return request_view(request)

    @get("/")
    async def email_log(
        self,
        uses: NamedDependency[UseCases],
        identity: NamedDependency[Identity],
        partner_id: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        email_id: FromQuery[str | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """E3: the emails the caller may see (``crm_kit.scoping.may_see_email``), newest first, filtered."""
        rows, total = await uses.email_log(
            email_viewer(identity), partner_id=partner_id, status=status, email_id=email_id, limit=limit, offset=offset
        )
        return {"items": [email_view(r) for r in rows], "total": total}

    @get("/{delivery_id:str}")
    async def one_email(
        self, uses: NamedDependency[UseCases], identity: NamedDependency[Identity], delivery_id: FromPath[str]
    ) -> dict[str, Any]:
        """One email to one recipient; another agent's email is 404, as if it did not exist."""
        return email_view(await uses.email(email_viewer(identity), delivery_id))


class MailServerController(Controller):
    path = "/api/mail-servers"
    tags = ["mail servers (C1)"]

    @get("/")
    async def list_servers(self, uses: NamedDependency[UseCases]) -> dict[str, Any]:
        """Every configured mail server (passwords never shown)."""
        rows = await uses.mail_servers()
        return {"items": [server_view(r) for r in rows], "total": len(rows)}

    @post("/", guards=[requires_role("admin")])
    async def create_server(self, uses: NamedDependency[UseCases], data: JSONBody[MailServerIn]) -> dict[str, Any]:
        """Add a mail server; the password is stored encrypted."""
        return server_view(await uses.add_mail_server(AddMailServer(**data.model_dump())))

    @get("/{server_id:str}")
    async def get_server(self, uses: NamedDependency[UseCases], server_id: FromPath[str]) -> dict[str, Any]:
        return server_view(await uses.mail_server(server_id))

    @patch("/{server_id:str}", guards=[requires_role("admin")])
    async def update_server(
        self, uses: NamedDependency[UseCases], server_id: FromPath[str], data: JSONBody[MailServerPatch]
    ) -> dict[str, Any]:
        """Change a mail server; an omitted password keeps the stored one, an empty one removes it."""
        changes = data.model_dump(exclude_unset=True)
        return server_view(await uses.change_mail_server(ChangeMailServer(server_id, changes)))

    @delete("/{server_id:str}", guards=[requires_role("admin")])
    async def delete_server(self, uses: NamedDependency[UseCases], server_id: FromPath[str]) -> None:
        """Delete a mail server; the default one or one in users' own credentials is refused with 409."""
        await uses.remove_mail_server(RemoveMailServer(server_id))

    @post("/{server_id:str}/test", status_code=HTTP_200_OK)
    async def test_server(
        self,
        uses: NamedDependency[UseCases],
        identity: NamedDependency[Identity],
        server_id: FromPath[str],
        data: JSONBody[TestIn | None] = None,
    ) -> dict[str, Any]:
        """Connect, encrypt, log in and try the sender; says in words what failed."""
        mine = data is not None and data.use_my_credentials
        return await uses.check_mail_server(CheckMailServer(server_id, identity.username, mine))

    @put("/{server_id:str}/credentials")
    async def set_credentials(
        self,
        uses: NamedDependency[UseCases],
        identity: NamedDependency[Identity],
        server_id: FromPath[str],
        data: JSONBody[CredentialsIn],
    ) -> dict[str, Any]:
        """The caller's own login on this server; emails they send go through it."""
        cmd = SetCredentials(identity.username, server_id, data.username, data.password, data.sender)
        return credentials_view(await uses.set_credentials(cmd))

    @get("/credentials/me")
    async def my_credentials(
        self, uses: NamedDependency[UseCases], identity: NamedDependency[Identity]
    ) -> dict[str, Any]:
        """The caller's own credentials (without the password), or nulls."""
        return credentials_view(await uses.credentials_of(identity.username))

    @delete("/{server_id:str}/credentials", status_code=HTTP_204_NO_CONTENT)
    async def delete_credentials(
        self, uses: NamedDependency[UseCases], identity: NamedDependency[Identity], server_id: FromPath[str]
    ) -> None:
        await uses.delete_credentials(DeleteCredentials(identity.username))


class MessageController(Controller):
    path = "/api/messages"
    tags = ["in-app messages"]

    @get("/")
    async def my_messages(
        self,
        uses: NamedDependency[UseCases],
        identity: NamedDependency[Identity],
        unread: FromQuery[bool] = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """The caller's messages, newest first, with the unread count."""
        rows, total, unread_count = await uses.my_messages(identity.username, unread=unread, limit=limit, offset=offset)
        return {"items": [message_view(r) for r in rows], "total": total, "unread": unread_count}

    @post("/")
    async def send(
        self, uses: NamedDependency[UseCases], identity: NamedDependency[Identity], data: JSONBody[MessageIn]
    ) -> dict[str, Any]:
        """Messaging (A1): post an in-app message to users or staff members who are users."""
        sent = await uses.send_message(SendMessage(author=identity.username, **data.model_dump()))
        return {"id": sent.id, "recipients": sent.recipients, "title": sent.title}

    @post("/{message_id:str}/read", status_code=HTTP_200_OK)
    async def read(
        self, uses: NamedDependency[UseCases], identity: NamedDependency[Identity], message_id: FromPath[str]
    ) -> dict[str, Any]:
        """Mark one of the caller's messages read (again is fine)."""
        return message_view(await uses.mark_read(MarkRead(identity.username, message_id)))

    @post("/read-all", status_code=HTTP_200_OK)
    async def read_all(self, uses: NamedDependency[UseCases], identity: NamedDependency[Identity]) -> dict[str, int]:
        """Mark every message of the caller read."""
        return {"marked": await uses.mark_all_read(MarkAllRead(identity.username))}


class NotificationSettingsController(Controller):
    path = "/api/notification-settings"
    tags = ["notification settings"]

    @get("/")
    async def mine(self, uses: NamedDependency[UseCases], identity: NamedDependency[Identity]) -> dict[str, Any]:
        return settings_view(identity.username, await uses.settings_of(identity.username))

    @put("/")
    async def change(
        self, uses: NamedDependency[UseCases], identity: NamedDependency[Identity], data: JSONBody[SettingsIn]
    ) -> dict[str, Any]:
        prefs = await uses.change_settings(ChangeSettings(identity.username, **data.model_dump()))
        return settings_view(identity.username, prefs)


CONTROLLERS = [MailServerController, EmailController, MessageController, NotificationSettingsController]


def blob_check(uses: UseCases) -> BlobRefCheck:
    """The gateway's blob check: a blob is readable through an email the caller may see (its attachments)."""

    async def check(identity: Identity, sha256: str) -> bool:
        return await uses.email_references_blob(email_viewer(identity), sha256)

    return check
