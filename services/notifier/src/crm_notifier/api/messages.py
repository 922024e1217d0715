"""In-app messages of the calling user: the message stack, unread count, marking read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, get, post
from litestar.status_codes import HTTP_200_OK

from crm_kit.errors import Invalid, NotFound
from crm_kit.identity import Identity
from crm_notifier.api.context import ApiContext
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
        self, api: ApiContext, identity: Identity, unread: bool = False, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        """The caller's messages, newest first, with the unread count."""
        if not 1 <= limit <= 500 or offset < 0:
            raise Invalid("limit is 1-500 and offset at least 0", field="limit")
        async with api.db.read() as conn:
            rows, total, unread_count = await repo.messages(
                conn, identity.username, unread=unread, limit=limit, offset=offset
            )
        return {"items": [message_view(r) for r in rows], "total": total, "unread": unread_count}

    @post("/{message_id:str}/read", status_code=HTTP_200_OK)
    async def read(self, api: ApiContext, identity: Identity, message_id: str) -> dict[str, Any]:
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
    async def read_all(self, api: ApiContext, identity: Identity) -> dict[str, int]:
        """Mark every message of the caller read."""
        async with api.db.transaction() as conn:
            count = await repo.mark_all_read(conn, identity.username, datetime.now(UTC))
        return {"marked": count}
