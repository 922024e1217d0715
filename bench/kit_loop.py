"""The kit's consume loop before FastStream (aiokafka ``getmany``), kept here only as the consume benchmark's baseline.

The services consume through ``crm_kit.consuming`` (ADR 0009); this is the loop ADR 0002 described, around the
same ``InboxConsumer.apply``, so the benchmark compares the two fetch-and-commit paths and nothing else.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition

from crm_kit import kafka
from crm_kit.inbox import TRANSIENT, InboxConsumer
from crm_kit.waiting import nap

log = logging.getLogger(__name__)


class _Assigned(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka ships no type hints
    """Sets ``inbox.assigned`` where the FastStream path sets it, so both are timed from the same moment."""

    def __init__(self, inbox: InboxConsumer) -> None:
        self.inbox = inbox

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        if assigned:
            self.inbox.assigned.set()


class AiokafkaLoop:
    """Fetches with aiokafka, applies each batch through the inbox, commits its offsets (the former loop)."""

    def __init__(self, inbox: InboxConsumer, *, bootstrap: str, topic_names: list[str], batch_size: int) -> None:
        self.inbox = inbox
        self.bootstrap = bootstrap
        self.topic_names = topic_names
        self.batch_size = batch_size

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop``; a failed consumer is rebuilt after a pause."""
        while not stop.is_set():
            try:
                await self._consume(stop)
            except Exception:
                log.exception("consumer %s failed; starting a new one in 2 s", self.inbox.group_id)
                await nap(2.0, stop)

    async def _consume(self, stop: asyncio.Event) -> None:
        consumer = kafka.consumer(self.bootstrap, self.inbox.group_id)
        consumer.subscribe(self.topic_names, listener=_Assigned(self.inbox))
        try:
            await consumer.start()
            while not stop.is_set():
                try:
                    batch = await consumer.getmany(timeout_ms=500, max_records=self.batch_size)
                    await self._handle_batch(consumer, batch)
                except TRANSIENT:
                    await self._rewind(consumer)
                    await asyncio.sleep(1.0)
        finally:
            await consumer.stop()

    async def _rewind(self, consumer: AIOKafkaConsumer) -> None:
        for tp in consumer.assignment():
            committed = await consumer.committed(tp)
            if committed is None:
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, committed)

    async def _handle_batch(
        self, consumer: AIOKafkaConsumer, batch: dict[TopicPartition, list[ConsumerRecord[Any, Any]]]
    ) -> None:
        records = [r for rs in batch.values() for r in rs]
        if not records:
            return
        await self.inbox.apply(records)
        await consumer.commit({tp: rs[-1].offset + 1 for tp, rs in batch.items() if rs})
