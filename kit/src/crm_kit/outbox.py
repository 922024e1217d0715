"""The transactional outbox: events written with the state change, published by one relay per service."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_contracts.base import Envelope, Event
from crm_kit import kafka
from crm_kit.cloudevents import Headers, header_text
from crm_kit.ids import new_id
from crm_kit.store import Database, dialect_insert
from crm_kit.waiting import nap

log = logging.getLogger(__name__)

ACK_DEADLINE_SECONDS = 45.0
"""How long the relay waits for the broker to acknowledge a batch before it starts a new producer.

Measured in the container stack (3 brokers, one stopped): a producer whose metadata had come from the stopping
broker listed only that broker, retried its sends to it every 100 ms and could not refresh its metadata for
the 180 s of the test; the rows stayed unsent. A new producer bootstraps from every address and goes on."""
STOP_DEADLINE_SECONDS = 10.0
"""How long stopping a producer may take (it flushes pending batches) before it is abandoned."""

_HEADER_PAIRS = msgspec.json.Decoder(list[tuple[str, str]])
"""Reads the outbox's header column (a JSON array of [name, text] pairs) straight into pairs."""


class Outbox:
    """Writes events into the service's ``outbox`` table inside the caller's transaction."""

    def __init__(self, metadata: sa.MetaData, source: str, topic_name: Callable[[str], str]) -> None:
        self.table = metadata.tables["outbox"]
        self.source = source
        self._topic_name = topic_name
        self._inserts: dict[str, Any] = {}

    def _insert(self, conn: AsyncConnection) -> Any:
        """The INSERT ... ON CONFLICT DO NOTHING statement for this dialect, built once."""
        name = conn.dialect.name
        if name not in self._inserts:
            self._inserts[name] = dialect_insert(conn)(self.table).on_conflict_do_nothing(index_elements=["event_id"])
        return self._inserts[name]

    def prepare(
        self,
        event: Event,
        *,
        now: datetime | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> tuple[Envelope, dict[str, Any]]:
        """The envelope and the outbox row of one event, not yet written (see ``write``).

        For callers that collect a batch's events and need their ids first (e.g. one event
        caused by another of the same batch).
        """
        event_id = str(new_id())
        key = event.key()
        envelope = Envelope(
            id=event_id,
            source=self.source,
            type=event.ce_type(),
            time=now or datetime.now(UTC),
            correlationid=correlation_id or event_id,
            # A first event is its own cause, as it is its own correlation: both headers are always present.
            causationid=causation_id or event_id,
            subject=key,
            dataschema=event.dataschema(),
        )
        row = _encode(
            event_id=event_id,
            topic=self._topic_name(event.topic),
            key=key,
            ce_type=envelope.type,
            headers=header_text(envelope),
            payload=event.payload(),
        )
        return envelope, row

    async def add(
        self,
        conn: AsyncConnection,
        event: Event,
        *,
        now: datetime | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> Envelope:
        """Queue one event; it is published only if the caller's transaction commits."""
        envelope, row = self.prepare(event, now=now, correlation_id=correlation_id, causation_id=causation_id)
        await conn.execute(self._insert(conn), row)
        return envelope

    async def add_many(
        self,
        conn: AsyncConnection,
        events: Sequence[Event],
        *,
        now: datetime | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        causation_ids: Sequence[str | None] | None = None,
    ) -> list[Envelope]:
        """Queue several events in one statement (bulk writes: imports, broadcasts, batch handlers).

        ``causation_ids`` gives each event its own cause (one per event, e.g. the events a batch
        handler answers); otherwise ``causation_id`` is every event's cause.
        """
        if not events:
            return []
        if causation_ids is not None and len(causation_ids) != len(events):
            raise ValueError("causation_ids must have one id per event")
        causes = list(causation_ids) if causation_ids is not None else [causation_id] * len(events)
        built = [
            self.prepare(e, now=now, correlation_id=correlation_id or cause, causation_id=cause)
            for e, cause in zip(events, causes, strict=True)
        ]
        await self.write(conn, [row for _, row in built])
        return [envelope for envelope, _ in built]

    async def write(self, conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
        """Write prepared rows in one statement, in the caller's transaction (a repeated id is ignored)."""
        if rows:
            await conn.execute(self._insert(conn), list(rows))

    async def add_raw(
        self,
        conn: AsyncConnection,
        *,
        event_id: str,
        topic: str,
        key: str,
        ce_type: str,
        headers: Headers,
        payload: bytes,
    ) -> None:
        """Queue an already-encoded record (used for dead letters); a repeated event_id is ignored."""
        text = [(k, v.decode("utf-8", "replace")) for k, v in headers]
        row = _encode(event_id=event_id, topic=topic, key=key, ce_type=ce_type, headers=text, payload=payload)
        await conn.execute(self._insert(conn), row)


def _encode(
    *, event_id: str, topic: str, key: str, ce_type: str, headers: list[tuple[str, str]], payload: bytes
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "topic": topic,
        "key": key,
        "ce_type": ce_type,
        "headers": headers,  # a JSON array of [name, text] pairs
        "payload": payload,
        "created_at": datetime.now(UTC),
    }


class Lease:
    """A named lease in the ``leases`` table: at most one holder at a time, renewed while alive."""

    def __init__(self, db: Database, name: str, ttl: timedelta = timedelta(seconds=10)) -> None:
        self.db = db
        self.name = name
        self.ttl = ttl
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{new_id().hex[:8]}"
        self.table = db.metadata.tables["leases"]

    async def acquire(self) -> bool:
        """Take or renew the lease; False when another live holder has it."""
        now = datetime.now(UTC)
        t = self.table
        async with self.db.transaction(hooks=False) as conn:
            result = await conn.execute(
                t.update()
                .where(t.c.name == self.name)
                .where(sa.or_(t.c.owner == self.owner, t.c.expires_at < now))
                .values(owner=self.owner, expires_at=now + self.ttl)
            )
            if result.rowcount:
                return True
            insert = dialect_insert(conn)
            result = await conn.execute(
                insert(t)
                .values(name=self.name, owner=self.owner, expires_at=now + self.ttl)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            return bool(result.rowcount)

    async def release(self) -> None:
        t = self.table
        async with self.db.transaction(hooks=False) as conn:
            await conn.execute(t.delete().where(t.c.name == self.name).where(t.c.owner == self.owner))


class Relay:
    """Publishes unsent outbox rows in id order with an idempotent producer, then marks them sent.

    A crash between publishing and marking re-publishes the same rows with the same ``ce_id``;
    consumers' inboxes skip them. One relay per service holds the lease, so per-key order holds.
    """

    def __init__(
        self,
        db: Database,
        bootstrap: str,
        *,
        name: str,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        retention: timedelta = timedelta(days=1),
        producer_factory: Callable[[], AIOKafkaProducer] | None = None,
    ) -> None:
        self.db = db
        self.table = db.metadata.tables["outbox"]
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.retention = retention
        self.lease = Lease(db, f"relay:{name}")
        self._producer_factory = producer_factory or (lambda: kafka.producer(bootstrap))
        self._wake = asyncio.Event()
        self.published = 0
        self._partitioner = DefaultPartitioner()
        self.broker = kafka.BrokerLink()

    def wake(self) -> None:
        """Ask the relay to look now (registered as the database's after-commit hook)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until ``stop`` is set; survives broker and database outages."""
        producer: AIOKafkaProducer | None = None
        last_cleanup = datetime.now(UTC)
        try:
            while not stop.is_set():
                try:
                    if not await self.lease.acquire():
                        await self._sleep(stop, self.lease.ttl.total_seconds() / 2)
                        continue
                    if producer is None:
                        producer = self._producer_factory()
                        await producer.start()
                    await self.drain(producer, stop)
                    self.broker.up()
                    if datetime.now(UTC) - last_cleanup > timedelta(minutes=1):
                        await self.cleanup()
                        last_cleanup = datetime.now(UTC)
                except Exception as exc:
                    if kafka.is_broker_error(exc):
                        self.broker.down(exc)
                    else:
                        log.exception("relay pass failed; retrying")
                    if producer is not None:
                        await _stop_quietly(producer)
                        producer = None
                    await self._sleep(stop, self.poll_seconds)
                    continue
                await self._sleep(stop, self.poll_seconds)
        finally:
            if producer is not None:
                await _stop_quietly(producer)
            try:
                await self.lease.release()
            except Exception:
                log.warning("could not release the relay lease", exc_info=True)

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        await nap(seconds, self._wake, stop)
        self._wake.clear()

    async def drain(self, producer: AIOKafkaProducer, stop: asyncio.Event | None = None) -> int:
        """Publish every unsent row, a batch at a time, in id order; returns how many were published.

        A batch is marked sent only after the broker acknowledged all of it. The work around the
        broker overlaps: the next batch is read while the broker acknowledges this one, and the
        mark-sent runs in the background while the next batch is sent (on SQLite it is the costliest
        statement, each row rewritten; it runs on another connection's thread). The next batch is
        read after the last id sent, so rows in flight are not read twice; each pass starts again
        from the first unsent row, so a row that became visible late (a PostgreSQL transaction that
        committed after a later id) is published on the next pass.
        """
        published = 0
        marking: asyncio.Task[None] | None = None
        self._wake.clear()
        try:
            rows = await self._unsent(0)
            while rows and (stop is None or not stop.is_set()):
                futures = await self._send(producer, rows)
                upcoming = await self._unsent(rows[-1].id)
                # aiokafka retries a send to a partition leader it still believes in for ever; a producer whose
                # metadata names only a broker that is gone never learns better. A batch not acknowledged in
                # ACK_DEADLINE_SECONDS is a broker failure: run() starts a new producer from the bootstrap list.
                await asyncio.wait_for(asyncio.gather(*futures), ACK_DEADLINE_SECONDS)
                if marking is not None:
                    await marking
                marking = asyncio.create_task(self._mark_sent([row.id for row in rows]))
                published += len(rows)
                rows = upcoming
        finally:
            if marking is not None:
                await marking
        return published

    async def _send(self, producer: AIOKafkaProducer, rows: Sequence[Any]) -> list[asyncio.Future[Any]]:
        """Queue the rows with the producer: per partition, record batches in id order.

        aiokafka's batch API queues 2-3x the records per second of one ``send()`` per record. The
        partition of a key is the producer's default (murmur2 over the topic's partitions), as
        for a ``send()`` with that key, so one aggregate's events stay in one partition, in order.
        """
        partitions: dict[str, list[int]] = {}
        placed: dict[tuple[str, bytes], int] = {}
        by_partition: dict[tuple[str, int], list[tuple[bytes, Any]]] = {}
        for row in rows:
            key = row.key.encode()
            partition = placed.get((row.topic, key))
            if partition is None:
                if row.topic not in partitions:
                    partitions[row.topic] = sorted(await producer.partitions_for(row.topic))
                every = partitions[row.topic]
                partition = placed[row.topic, key] = self._partitioner(key, every, every)
            by_partition.setdefault((row.topic, partition), []).append((key, row))
        futures: list[asyncio.Future[Any]] = []
        for (topic, partition), items in by_partition.items():
            batch = producer.create_batch()
            for key, row in items:
                headers = [(k, v.encode()) for k, v in _HEADER_PAIRS.decode(row.headers)]
                if batch.append(timestamp=None, key=key, value=row.payload, headers=headers) is None:
                    # The batch is full: queue it and start the next (which always takes its first record).
                    futures.append(await producer.send_batch(batch, topic, partition=partition))
                    batch = producer.create_batch()
                    batch.append(timestamp=None, key=key, value=row.payload, headers=headers)
            futures.append(await producer.send_batch(batch, topic, partition=partition))
        return futures

    async def _unsent(self, after: int) -> Sequence[Any]:
        t = self.table
        async with self.db.read() as conn:
            result = await conn.execute(
                # The headers as JSON text (cast in SQL on every dialect): _send decodes them in one step.
                sa.select(t.c.id, t.c.topic, t.c.key, sa.cast(t.c.headers, sa.Text).label("headers"), t.c.payload)
                .where(t.c.sent_at.is_(None))
                .where(t.c.id > after)
                .order_by(t.c.id)
                .limit(self.batch_size)
            )
            return result.all()

    async def _mark_sent(self, ids: list[int]) -> None:
        t = self.table
        async with self.db.transaction(hooks=False) as conn:
            await conn.execute(t.update().where(t.c.id.in_(ids)).values(sent_at=datetime.now(UTC)))
        self.published += len(ids)

    async def cleanup(self) -> None:
        """Delete rows sent longer ago than the retention."""
        t = self.table
        async with self.db.transaction(hooks=False) as conn:
            await conn.execute(t.delete().where(t.c.sent_at < datetime.now(UTC) - self.retention))


async def _stop_quietly(producer: Any) -> None:
    try:
        # stop() flushes what is pending: towards a broker that is gone it would wait for ever.
        await asyncio.wait_for(producer.stop(), STOP_DEADLINE_SECONDS)
    except Exception:
        log.warning("producer stop failed", exc_info=True)
