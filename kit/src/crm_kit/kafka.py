"""Kafka adapters: producer and consumer factories, topic creation, a real readiness probe."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from crm_contracts import topics
from crm_kit.waiting import nap

log = logging.getLogger(__name__)


def producer(bootstrap: str, **kwargs: object) -> AIOKafkaProducer:
    """An idempotent producer (acks=all), so a retried send never duplicates or reorders."""
    options: dict[str, object] = {
        "bootstrap_servers": bootstrap,
        "enable_idempotence": True,
        "acks": "all",
        "linger_ms": 5,
        "max_batch_size": 256 * 1024,
        "request_timeout_ms": 30000,
    }
    options.update(kwargs)
    return AIOKafkaProducer(**options)


def consumer(bootstrap: str, group_id: str, *topic_names: str, **kwargs: object) -> AIOKafkaConsumer:
    """A consumer that commits only when told to, and reads a new group from the beginning."""
    options: dict[str, object] = {
        "bootstrap_servers": bootstrap,
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "isolation_level": "read_committed",
        "max_poll_interval_ms": 300000,
        "session_timeout_ms": 10000,
        "heartbeat_interval_ms": 3000,
    }
    options.update(kwargs)
    return AIOKafkaConsumer(*topic_names, **options)


def all_topic_names(prefix: str = "") -> list[str]:
    """Every CRM topic and its dead-letter topic, with the deployment prefix."""
    names = [f"{prefix}{t}" for t in topics.ALL]
    return names + [topics.dlq(n) for n in names]


EVENT_TOPIC_CONFIG = {"retention.ms": str(topics.EVENT_RETENTION_MS), "cleanup.policy": "delete"}
"""Event topics keep every event, so a new consumer can replay from offset 0 (ADR 0006)."""
DLQ_TOPIC_CONFIG = {"retention.ms": str(topics.DLQ_RETENTION_MS), "cleanup.policy": "delete"}
"""Dead letters are kept 30 days: long enough to look at, fix and replay them."""


def replication_for(brokers: int) -> tuple[int, int]:
    """Replication factor and ``min.insync.replicas`` for a cluster of ``brokers`` nodes.

    Three copies where there are three brokers, and a write needs all but one of them, so one
    broker can be lost (or restarted) without losing an acknowledged event or stopping writes.
    """
    replicas = max(1, min(3, brokers))
    return replicas, max(1, replicas - 1)


async def ensure_topics(bootstrap: str, names: Iterable[str], partitions: int) -> list[str]:
    """Create the topics that do not exist yet, replicated as the cluster's size allows; returns those created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [n for n in names if n not in existing]
        if wanted:
            cluster = await admin.describe_cluster()
            replicas, min_isr = replication_for(len(cluster.get("brokers", [])) or 1)
            new = []
            for n in wanted:
                config = dict(DLQ_TOPIC_CONFIG if topics.is_dlq(n) else EVENT_TOPIC_CONFIG)
                config["min.insync.replicas"] = str(min_isr)
                new.append(
                    NewTopic(name=n, num_partitions=partitions, replication_factor=replicas, topic_configs=config)
                )
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
        return wanted
    finally:
        await admin.close()


async def delete_topics(bootstrap: str, prefix: str) -> int:
    """Delete every topic whose name starts with ``prefix`` (test clean-up); returns how many."""
    if not prefix:
        raise ValueError("refusing to delete topics without a prefix")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [n for n in await admin.list_topics() if n.startswith(prefix)]
        if names:
            await admin.delete_topics(names)
        return len(names)
    finally:
        await admin.close()


def is_broker_error(exc: BaseException) -> bool:
    """Whether an exception says the broker is unreachable or failing (not a bug of ours)."""
    return isinstance(exc, KafkaError | ConnectionError | asyncio.TimeoutError)


@dataclass
class BrokerLink:
    """A process's view of its broker: whether it answered last, and since when it has not (``/readyz``).

    A service never needs the broker to start or to accept writes (the outbox holds them), so an
    unreachable broker makes the service *degraded*, not dead: the topic set-up, the relay and the
    consumer retry with backoff and report here.
    """

    used: bool = False
    reachable: bool = False
    reason: str = "not connected yet"
    topics_ready: asyncio.Event = field(default_factory=asyncio.Event)

    def up(self) -> None:
        """The broker answered."""
        if not self.reachable:
            log.info("broker reachable")
        self.reachable = True
        self.reason = ""

    def down(self, error: BaseException | str) -> None:
        """The broker did not answer; logged once per outage, not once per retry."""
        reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        if self.reachable or self.reason == "not connected yet":
            log.warning("broker unreachable: %s", reason)
        self.reachable = False
        self.reason = reason[:200]

    async def prepare_topics(
        self, bootstrap: str, names: list[str], partitions: int, stop: asyncio.Event, max_backoff: float = 30.0
    ) -> None:
        """Create the topics, retrying with exponential backoff until the broker answers or ``stop``."""
        delay = 0.5
        while not stop.is_set():
            try:
                await ensure_topics(bootstrap, names, partitions)
            except Exception as exc:
                self.down(exc)
                await nap(delay, stop)
                delay = min(delay * 2, max_backoff)
                continue
            self.up()
            self.topics_ready.set()
            return


async def cluster_size(bootstrap: str) -> int:
    """How many brokers the cluster has registered right now."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return len((await admin.describe_cluster()).get("brokers", []))
    finally:
        await admin.close()


PROBE_TOPIC_PREFIX = "__crm_probe_"
"""The readiness probe's own topics: internal by name (``__``), never part of the event stream or its contract."""
PROBE_TOPIC_CONFIG = {"retention.ms": "60000", "cleanup.policy": "delete"}
"""A probe's token is read back at once; a topic a killed probe left behind empties within a minute."""


def probe_topic() -> str:
    """A fresh topic name for one probe, so concurrent probes on one cluster never delete each other's topic."""
    return f"{PROBE_TOPIC_PREFIX}{uuid.uuid4().hex[:12]}"


async def _create_probe_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        replicas, _ = replication_for(len((await admin.describe_cluster()).get("brokers", [])) or 1)
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(
                [NewTopic(name=topic, num_partitions=1, replication_factor=replicas, topic_configs=PROBE_TOPIC_CONFIG)]
            )
    finally:
        await admin.close()


async def _delete_probe_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([topic])
    except Exception as exc:  # the probe succeeded; a leftover empties itself (PROBE_TOPIC_CONFIG)
        log.warning("could not delete the probe topic %s: %r", topic, exc)
    finally:
        await admin.close()


async def probe(bootstrap: str, timeout: float = 60.0, topic: str | None = None) -> float:
    """Wait until the broker takes a write with acks=all and serves it back; returns seconds waited.

    The write goes to a topic of the probe's own (``__crm_probe_<random>``, deleted afterwards), not to an
    event topic: a consumer replaying the CRM's topics never sees a probe.

    Args:
        bootstrap: the cluster's bootstrap servers.
        timeout: seconds to keep trying.
        topic: the probe topic's name (default: a fresh ``probe_topic()``).

    Raises:
        TimeoutError: the broker did not answer in time.
    """
    topic = topic or probe_topic()
    waited = await _probe(bootstrap, topic, time.monotonic(), timeout)
    # Only after a success: with the broker gone the deletion would wait as long as the probe did.
    with contextlib.suppress(Exception):
        await asyncio.wait_for(_delete_probe_topic(bootstrap, topic), timeout=15)
    return waited


async def _probe(bootstrap: str, topic: str, start: float, timeout: float) -> float:
    """Write a token to ``topic`` and read it back, retrying until ``timeout`` seconds after ``start``."""
    last_error: Exception | None = None
    while time.monotonic() - start < timeout:
        try:
            await _create_probe_topic(bootstrap, topic)
            token = uuid.uuid4().hex.encode()
            prod = producer(bootstrap, request_timeout_ms=5000)
            await prod.start()
            try:
                meta = await prod.send_and_wait(topic, token)
            finally:
                await prod.stop()
            cons = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
            await cons.start()
            try:
                tp = TopicPartition(topic, meta.partition)
                cons.assign([tp])
                cons.seek(tp, meta.offset)
                batch = await cons.getmany(tp, timeout_ms=5000)
                if any(r.value == token for r in batch.get(tp, [])):
                    return time.monotonic() - start
            finally:
                await cons.stop()
        except Exception as exc:
            last_error = exc
        await asyncio.sleep(0.5)
    raise TimeoutError(f"Kafka at {bootstrap} not ready after {timeout:.0f}s: {last_error!r}")
