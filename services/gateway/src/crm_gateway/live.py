"""Live messages: one Kafka consumer per gateway process fans events out to the users' open SSE streams."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer

from crm_contracts import topics
from crm_contracts.notifications import MessagePosted
from crm_contracts.registry import parse
from crm_contracts.tasks import TaskAssigned, TaskCreated
from crm_gateway.domain.users import User
from crm_kit.cloudevents import from_headers

log = logging.getLogger(__name__)

QUEUE_SIZE = 100


@dataclass(frozen=True)
class LiveEvent:
    """One thing to push to a browser: an SSE event name and its JSON data."""

    name: str
    data: dict[str, Any]


@dataclass(eq=False)
class _Listener:
    username: str
    staff_id: str | None
    queue: asyncio.Queue[LiveEvent] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))


def route_event(event: object) -> tuple[str | None, str | None, LiveEvent] | None:
    """Who an event is for (username, staff id) and what to push, or ``None`` when it is for nobody."""
    if isinstance(event, MessagePosted):
        data = {
            "message_id": str(event.message_id),
            "title": event.title,
            "body": event.body,
            "link": event.link,
            "partner_id": str(event.partner_id) if event.partner_id else None,
        }
        return event.recipient, None, LiveEvent("message", data)
    if isinstance(event, TaskCreated | TaskAssigned) and event.responsible_staff_id is not None:
        data = {"task_id": str(event.task_id), "title": event.title, "link": f"/tasks/{event.task_id}"}
        return None, str(event.responsible_staff_id), LiveEvent("task", data)
    return None


class LiveHub:
    """Reads crm.notifications and crm.tasks from "now" on (no consumer group) and fans out per user."""

    def __init__(self, bootstrap: str, topic_prefix: str) -> None:
        self.bootstrap = bootstrap
        self.topic_names = [f"{topic_prefix}{topics.NOTIFICATIONS}", f"{topic_prefix}{topics.TASKS}"]
        self._listeners: set[_Listener] = set()
        self.ready = asyncio.Event()
        self.closed = asyncio.Event()

    def publish(self, event: object) -> int:
        """Hand an event to the listeners it names; returns how many got it (a full queue drops it)."""
        routed = route_event(event)
        if routed is None:
            return 0
        username, staff_id, live = routed
        delivered = 0
        for listener in list(self._listeners):
            if (username and listener.username == username) or (staff_id and listener.staff_id == staff_id):
                with contextlib.suppress(asyncio.QueueFull):
                    listener.queue.put_nowait(live)
                    delivered += 1
        return delivered

    @contextlib.asynccontextmanager
    async def listen(self, user: User) -> AsyncIterator[asyncio.Queue[LiveEvent]]:
        """A queue of the live events for one user while the block runs."""
        listener = _Listener(user.username, user.staff_id)
        self._listeners.add(listener)
        try:
            yield listener.queue
        finally:
            self._listeners.discard(listener)

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop``; reconnects after a broker failure. Open streams end when it stops."""
        try:
            await self._run(stop)
        finally:
            # Open SSE responses end now, so the HTTP server can shut down without waiting on them.
            self.closed.set()

    async def _run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            consumer = AIOKafkaConsumer(
                *self.topic_names,
                bootstrap_servers=self.bootstrap,
                group_id=None,
                auto_offset_reset="latest",
                enable_auto_commit=False,
            )
            try:
                await consumer.start()
                await self._consume(consumer, stop)
            except Exception:
                log.exception("live messages: consumer failed; retrying")
                await asyncio.sleep(2)
            finally:
                with contextlib.suppress(Exception):
                    await consumer.stop()

    async def _consume(self, consumer: AIOKafkaConsumer, stop: asyncio.Event) -> None:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=500)
            if not self.ready.is_set() and consumer.assignment():
                # Resolve the "latest" positions now, so an event published after ``ready`` is seen.
                for tp in consumer.assignment():
                    await consumer.position(tp)
                self.ready.set()
            for records in batch.values():
                for record in records:
                    self._handle(record.headers, record.value)

    def _handle(self, headers: Any, value: bytes | None) -> None:
        try:
            envelope = from_headers(headers)
            if envelope.type not in (MessagePosted.ce_type(), TaskCreated.ce_type(), TaskAssigned.ce_type()):
                return
            self.publish(parse(envelope.type, value or b"{}"))
        except Exception:
            log.warning("live messages: skipped an unreadable record", exc_info=True)
