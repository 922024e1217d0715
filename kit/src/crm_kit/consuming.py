"""A service's subscriptions on FastStream: one ``KafkaRouter``, one batch subscriber, offsets after the inbox commit.

FastStream fetches and hands over batches; the kit keeps what FastStream does not do on Kafka (ADR 0009):
the inbox dedupe, one transaction per batch, retries in savepoints and ``<topic>.dlq`` are
``InboxConsumer.apply``; the subscriber acks manually (``AckPolicy.MANUAL``, auto-commit off), so the
offsets are committed only after that transaction committed. A failure of the database or the broker
nacks the batch: FastStream seeks every partition of it back to its first record, which is the
committed offset, and the batch is read again.

Built in the composition root (``Service.kafka_broker``), never at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from itertools import chain
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.message import KafkaAckableMessage, KafkaMessage
from faststream.kafka.subscriber.usecase import LogicSubscriber
from faststream.message import StreamMessage

from crm_kit import kafka
from crm_kit.inbox import TRANSIENT, InboxConsumer
from crm_kit.waiting import nap

log = logging.getLogger(__name__)

FETCH_TIMEOUT_MS = 100
"""How long one fetch waits for records; a record that arrives meanwhile ends the wait at once. FastStream
sleeps as long again after an empty fetch; the kit's fetch does not (``_fetch_without_nap``, ADR 0012)."""
GRACEFUL_STOP_SECONDS = 8.0
"""How long a stopping broker lets the batch in hand finish before it cancels it (it is then read again)."""
RESTART_PAUSE_SECONDS = 2.0
"""Pause before a broker that could not start (or whose fetch loop ended) is started again."""


class _Assigned(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka ships no type hints
    """Tells the inbox when the group gave this consumer its partitions."""

    def __init__(self, inbox: InboxConsumer) -> None:
        self.inbox = inbox

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        """Nothing to do: offsets are committed after each batch, never held back."""

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """Record that partitions arrived."""
        if assigned:
            self.inbox.assigned.set()


Batch = tuple[ConsumerRecord[Any, Any], ...]


def _fetch_without_nap(max_records: int) -> Callable[[AIOKafkaConsumer], Awaitable[Batch]]:
    """FastStream's batch fetch without its nap after an empty fetch (ADR 0012).

    FastStream's ``BatchSubscriber.get_msg`` sleeps ``batch_timeout_ms`` after a fetch that found nothing, so an
    event arriving during that sleep waits up to 100 ms more, on every hop of a flow. ``getmany`` already waits
    for records and returns as soon as one arrives: this fetch only sleeps out the rest of the timeout when
    ``getmany`` came back empty early (no partitions assigned yet), so an idle consumer never spins.
    """

    async def get_msg(consumer: AIOKafkaConsumer) -> Batch:
        loop = asyncio.get_running_loop()
        began = loop.time()
        fetched = await consumer.getmany(timeout_ms=FETCH_TIMEOUT_MS, max_records=max_records)
        if not fetched:
            rest = FETCH_TIMEOUT_MS / 1000 - (loop.time() - began)
            if rest > 0:
                await asyncio.sleep(rest)
            return ()
        return tuple(chain.from_iterable(fetched.values()))

    return get_msg


ParseBatch = Callable[[Batch], Awaitable[StreamMessage[Batch]]]


def _lean_parser(subscriber: LogicSubscriber[Any]) -> Callable[[Batch, ParseBatch], Awaitable[StreamMessage[Batch]]]:
    """A batch parser that leaves the records as they are, with the subscriber's consumer to ack on.

    FastStream's parser decodes every record's headers into a dict of text, which nothing here reads:
    the inbox reads the ``ce_*`` headers itself (it does so for the replay too).
    """

    async def parse(records: Batch, default: ParseBatch) -> StreamMessage[Batch]:
        consumer = subscriber.consumer
        if consumer is None:  # TestKafkaBroker does not start subscribers; its parser holds a fake consumer
            return await default(records)
        first, last = records[0], records[-1]
        return KafkaAckableMessage(
            raw_message=records,
            body=records,
            message_id=f"{first.topic}-{first.partition}-{first.offset}-{last.offset}",
            consumer=consumer,
        )

    return parse


async def _the_message(message: StreamMessage[Batch]) -> StreamMessage[Batch]:
    """The handler's argument is the batch message itself.

    FastStream's default decoder would parse every record's JSON once more; the inbox validates each
    record into its contract class (one pydantic pass) and needs the raw records, their offsets and
    the message to ack.
    """
    return message


def build_router(
    inbox: InboxConsumer,
    topic_names: Sequence[str],
    *,
    batch_size: int,
    retry_pause: float = 1.0,
) -> KafkaRouter:
    """The service's subscriptions as one FastStream router: a batch subscriber over ``topic_names``.

    Args:
        inbox: the service's inbox (its subscriptions, database, outbox and consumer group id).
        topic_names: the full names (with the deployment prefix) of the topics the subscriptions listen on.
        batch_size: the most records handed over at once (``consumer_batch_size``).
        retry_pause: seconds to wait before a batch that failed on the infrastructure is read again.

    Returns:
        A router to include in the service's ``KafkaBroker`` (``build_broker``).
    """
    router = KafkaRouter()
    subscriber = router.subscriber(
        *topic_names,
        batch=True,
        max_records=batch_size,
        batch_timeout_ms=FETCH_TIMEOUT_MS,
        group_id=inbox.group_id,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_interval_ms=300000,
        session_timeout_ms=10000,
        heartbeat_interval_ms=3000,
        listener=_Assigned(inbox),
        title=f"{inbox.group_id}:inbox",
        description="Every subscribed event, through the inbox (crm_kit.consuming); contracts/asyncapi.yaml "
        "describes the channels and messages.",
        include_in_schema=False,
    )
    subscriber.get_msg = _fetch_without_nap(batch_size)  # type: ignore[method-assign,assignment]

    @subscriber(parser=_lean_parser(subscriber), decoder=_the_message)
    async def handle_batch(message: KafkaMessage) -> None:
        """Apply the batch in one inbox transaction, then commit its offsets; on failure read it again."""
        try:
            records = message.raw_message
            if not isinstance(records, tuple):
                # TestKafkaBroker hands a batch subscriber a list (a real fetch, a tuple, which nack() reads).
                message.raw_message = records = tuple(records) if isinstance(records, list) else (records,)
            await inbox.apply(records)
            await message.ack()
        except Exception as exc:
            if isinstance(exc, TRANSIENT) or kafka.is_broker_error(exc):
                log.warning(
                    "consumer %s: transient failure, rereading from the committed offset: %r", inbox.group_id, exc
                )
            else:
                log.exception("consumer %s: batch failed, rereading it from the committed offset", inbox.group_id)
            await _read_again(message)
            await asyncio.sleep(retry_pause)

    return router


async def _read_again(message: KafkaMessage) -> None:
    """Seek the batch's partitions back to its first records (the committed offsets): it is fetched again."""
    try:
        await message.nack()
    except Exception as exc:  # a partition revoked meanwhile: its new owner starts from the committed offset
        log.warning("rewind failed: %r", exc)


def build_broker(bootstrap: str, router: KafkaRouter) -> KafkaBroker:
    """A consuming broker for one service: no producer (the relay publishes), no topic creation, no per-message log.

    Args:
        bootstrap: the cluster's bootstrap servers, comma-separated.
        router: the service's subscriptions (``build_router``).
    """
    broker = KafkaBroker(
        # FastStream wraps a string in a list, so "a:9092,b:9092" would reach aiokafka as one host name.
        [server.strip() for server in bootstrap.split(",") if server.strip()],
        consumer_only=True,  # the outbox relay produces; topics are created by BrokerLink.prepare_topics
        allow_auto_create_topics=False,
        apply_types=False,  # the handler takes the batch message as it is (no dependency injection to resolve)
        logger=None,  # FastStream logs every message at INFO by default: 3x slower; failures are logged above
        graceful_timeout=GRACEFUL_STOP_SECONDS,
    )
    broker.include_router(router)
    return broker


async def run(broker: KafkaBroker, link: kafka.BrokerLink, stop: asyncio.Event, *, name: str) -> None:
    """Run ``broker`` until ``stop``; a broker that cannot start, or whose fetch loop ended, starts again.

    An unreachable cluster makes the service degraded (``link``), not dead: the start is retried
    every ``RESTART_PAUSE_SECONDS``, and consumption resumes from the committed offsets.
    """
    while not stop.is_set():
        try:
            await broker.start()
        except Exception as exc:
            await _stop_quietly(broker)
            if kafka.is_broker_error(exc):
                link.down(exc)
            else:
                log.exception("consumer %s failed to start; starting again in %.0f s", name, RESTART_PAUSE_SECONDS)
            await nap(RESTART_PAUSE_SECONDS, stop)
            continue
        link.up()
        try:
            while not stop.is_set() and _fetching(broker):
                await nap(1.0, stop)
        finally:
            await _stop_quietly(broker)
        if not stop.is_set():
            log.warning("consumer %s stopped fetching; starting it again", name)
            await nap(RESTART_PAUSE_SECONDS, stop)


def _fetching(broker: KafkaBroker) -> bool:
    """Whether every subscriber still has a live fetch loop (FastStream restarts a loop that raised)."""
    return all(any(not t.done() for t in getattr(sub, "tasks", ())) for sub in broker.subscribers)


async def _stop_quietly(broker: KafkaBroker) -> None:
    with contextlib.suppress(Exception):
        await broker.stop()
