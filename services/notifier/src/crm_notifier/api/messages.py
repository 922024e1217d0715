"""In-app messages of the calling user: the message stack, unread count, marking read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from crm_kit.errors import Invalid, NotFound
from crm_kit.identity import Identity
from crm_kit.ids import new_id
from crm_kit.links import UI_PATH_RULE, is_ui_path
from crm_kit.pagination import Limit, Offset
from crm_notifier.api.context import ApiContext
from crm_notifier.api.schemas import MessageIn
from crm_notifier.store import repository as repo


def message_view(row: dict[str, Any]) -> dict[str, Any]:
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


class MessageController(Controller):
    path = "/api/messages"
    tags = ["in-app messages"]

    @get("/")
    async def my_messages(
        self,
        api: NamedDependency[ApiContext],
        identity: NamedDependency[Identity],
        unread: FromQuery[bool] = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """The caller's messages, newest first, with the unread count."""
        async with api.db.read() as conn:
            rows, total, unread_count = await repo.messages(
                conn, identity.username, unread=unread, limit=limit, offset=offset
            )
        return {"items": [message_view(r) for r in rows], "total": total, "unread": unread_count}

    @post("/")
    async def send(
        self, api: NamedDependency[ApiContext], identity: NamedDependency[Identity], data: JSONBody[MessageIn]
    ) -> dict[str, Any]:
        """Messaging (A1): post an in-app message to users or staff members who are users."""
        if data.link is not None and not is_ui_path(data.link):
            raise Invalid(UI_PATH_RULE, field="link")  # the UI redirects to it when the message is opened
        now = datetime.now(UTC)
        request_id = f"message:{new_id()}"
        async with api.db.transaction() as conn:
            staff = await repo.staff_by_ids(conn, data.to_staff_ids) if data.to_staff_ids else {}
            logins: dict[str, str | None] = dict.fromkeys(data.to_users)
            for staff_id in data.to_staff_ids:
                member = staff.get(staff_id)
                if member is None:
                    raise NotFound(f"unknown staff member {staff_id}", field="to_staff_ids")
                if not member.user_login:
                    raise Invalid(f"{member.name} is not a system user; send an email instead", field="to_staff_ids")
                logins[member.user_login] = staff_id
            if not logins:
                raise Invalid("choose at least one recipient", field="to_users")
            posted = []
            for login, member_id in logins.items():
                await api.notifier.post_message(
                    conn,
                    cause_event_id=request_id,
                    login=login,
                    staff_id=member_id,
                    kind="message",
                    title=f"{identity.username}: {data.title}",
                    body=data.body,
                    link=data.link,
                    partner_id=None,
                    now=now,
                )
                posted.append(login)
        return {"id": request_id, "recipients": posted, "title": data.title}

    @post("/{message_id:str}/read", status_code=HTTP_200_OK)
    async def read(
        self, api: NamedDependency[ApiContext], identity: NamedDependency[Identity], message_id: FromPath[str]
    ) -> dict[str, Any]:
        """Mark one of the caller's messages read (again is fine)."""
        async with api.db.transaction() as conn:
            row = await repo.message(conn, message_id)
            if row is None or row["recipient"] != identity.username:
                raise NotFound(f"no message {message_id} for you")
            await repo.mark_read(conn, message_id, datetime.now(UTC))
            row = await repo.message(conn, message_id)
        assert row is not None
        return message_view(row)

    @post("/read-all", status_code=HTTP_200_OK)
    async def read_all(self, api: NamedDependency[ApiContext], identity: NamedDependency[Identity]) -> dict[str, int]:
        """Mark every message of the caller read."""
        async with api.db.transaction() as conn:
            count = await repo.mark_all_read(conn, identity.username, datetime.now(UTC))
        return {"marked": count}
