"""``GET /api/messages/stream``: Server-Sent Events with the user's new messages and tasks."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import ServerSentEvent, ServerSentEventMessage

from crm_gateway.domain.users import User
from crm_gateway.live import LiveHub
from crm_gateway.routing import Forwarder

log = logging.getLogger(__name__)
KEEPALIVE_SECONDS = 15.0
MAX_STREAM_SECONDS = 300.0  # the browser reconnects by itself; a bounded stream re-checks the session
RECONNECT_MS = 3000
KEEPALIVE = ServerSentEventMessage(comment="keepalive", data=None)
"""A comment line only: with Litestar's default ``data=""`` the browser dispatched an empty ``message`` event."""


async def unread_count(forwarder: Forwarder, user: User) -> int | None:
    """How many unread messages the notifier holds for the user (``None`` when it cannot tell)."""
    try:
        answer = await forwarder.forward(user, "GET", "/api/messages", query="unread=true&limit=1")
        if answer.status_code == 200:
            return int(json.loads(answer.content).get("total", 0))
    except Exception:
        log.debug("unread count unavailable", exc_info=True)
    return None


# The media type only tells the OpenAPI document what the answer is (Litestar would say application/json).
@get(
    "/api/messages/stream",
    tags=["messages"],
    summary="Live messages and new tasks (SSE)",
    media_type="text/event-stream",
)
async def message_stream(
    request: Request[User, Any, Any], hub: NamedDependency[LiveHub], forwarder: NamedDependency[Forwarder]
) -> ServerSentEvent:
    """The user's live feed.

    Events: ``unread`` {count} first, then ``message`` {message_id, title, body, link} and ``task``
    {task_id, title, link}; a comment every 15 s keeps the connection open.
    """
    user = request.user

    async def events() -> AsyncGenerator[ServerSentEventMessage, None]:
        async with hub.listen(user) as queue:
            count = await unread_count(forwarder, user)
            yield ServerSentEventMessage(event="unread", data=json.dumps({"count": count}), retry=RECONNECT_MS)
            loop = asyncio.get_running_loop()
            started = last_sent = loop.time()
            while not hub.closed.is_set() and loop.time() - started < MAX_STREAM_SECONDS:
                try:
                    live = await asyncio.wait_for(queue.get(), timeout=1.0)
                except TimeoutError:
                    if loop.time() - last_sent >= KEEPALIVE_SECONDS:
                        last_sent = loop.time()
                        yield KEEPALIVE
                    continue
                last_sent = loop.time()
                yield ServerSentEventMessage(event=live.name, data=json.dumps(live.data))

    return ServerSentEvent(events(), headers={"cache-control": "no-cache", "x-accel-buffering": "no"})
