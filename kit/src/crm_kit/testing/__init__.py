"""Test support: the joint fixture (real Kafka, PostgreSQL, SMTP) and helpers to publish and read events."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from crm_contracts.base import Envelope, Event
from crm_contracts.registry import parse
from crm_kit import kafka
from crm_kit.cloudevents import from_headers, to_headers
from crm_kit.ids import new_id


async def publish(
    bootstrap: str,
    prefix: str,
    *events: Event,
    source: str = "/crm/test",
    event_id: str | None = None,
    causation_id: str | None = None,
) -> list[Envelope]:
    """Publish events straight to Kafka with CloudEvents headers (as another context would)."""
    producer = kafka.producer(bootstrap)
    await producer.start()
    envelopes = []
    pending: list[asyncio.Future[Any]] = []
    try:
        for event in events:
            eid = event_id or str(new_id())
            envelope = Envelope(
                id=eid,
                source=source,
                type=event.ce_type(),
                time=datetime.now(UTC),
                correlationid=eid,
                causationid=causation_id,
                subject=event.key(),
            )
            sent = await producer.send(
                f"{prefix}{event.topic}", event.payload(), key=event.key().encode(), headers=to_headers(envelope)
            )
            pending.append(sent)
            envelopes.append(envelope)
        # Sent without waiting one by one: the idempotent producer keeps each partition's order.
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return envelopes


async def read_events(
    bootstrap: str,
    prefix: str,
    topic: str,
    *,
    until: Callable[[list[tuple[Envelope, Event]]], bool] | None = None,
    timeout: float = 30.0,
) -> list[tuple[Envelope, Event]]:
    """Read a topic from the beginning until ``until(events)`` holds (or the timeout passes: then raise)."""
    consumer = AIOKafkaConsumer(
        f"{prefix}{topic}", bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: list[tuple[Envelope, Event]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for records in batch.values():
                for r in records:
                    env = from_headers(r.headers)
                    try:
                        found.append((env, parse(env.type, r.value)))
                    except ValueError:
                        continue
            if until is None and not batch and found:
                return found
            if until is not None and until(found):
                return found
    finally:
        await consumer.stop()
    if until is None:
        return found
    raise AssertionError(f"condition not met on {topic} within {timeout}s; saw {[e.type for e, _ in found]}")


def fetched_record(offset: int, event: Event, topic: str = "t") -> ConsumerRecord[bytes, bytes]:
    """A fetched record of ``event`` as another context publishes it (CloudEvents headers), to ``apply``."""
    eid = str(new_id())
    envelope = Envelope(id=eid, source="/crm/test", type=event.ce_type(), time=datetime.now(UTC), correlationid=eid)
    value = event.payload()
    key = event.key().encode()
    return ConsumerRecord(topic, 0, offset, 0, 0, key, value, None, len(key), len(value), to_headers(envelope))


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 30.0, interval: float = 0.1) -> Any:
    """Poll ``check`` until it returns a truthy value; raise AssertionError with the last value otherwise."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: Any = None
    while loop.time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"not true within {timeout}s (last: {last!r})")


async def created(client: Any, path: str, body: dict[str, Any], timeout: float = 60.0) -> dict[str, Any]:
    """POST ``body`` until the owning service accepts it (its read models fill from events); the resource.

    A 4xx is tried again until ``timeout``; a 5xx fails at once (never an answer for an input).
    """

    async def attempt() -> dict[str, Any] | None:
        response = await client.post(path, json=body)
        assert response.status_code < 500, response.text
        return dict(response.json()) if response.status_code in (200, 201, 202) else None

    return dict(await eventually(attempt, timeout=timeout))


async def shoot(page: Any, name: str) -> None:
    """A full-page screenshot ``<name>.png`` into ``CRM_UI_SHOTS`` when that is set (to look at a browser test)."""
    folder = os.environ.get("CRM_UI_SHOTS")
    if folder:
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)  # Playwright makes the folder
