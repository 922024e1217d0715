"""Rebuild the partner history (H1) by replaying every topic from offset 0 into a fresh projection.

``python -m crm_partners rebuild-history [--swap]`` reads each topic up to its end at the start
of the run (no consumer group, nothing committed), translates each record as the live subscribers
do and hands each batch to one use case (``UseCases.replay_facts``), into the ``history_rebuild``
tables; it reports how the rebuilt history differs from the live one, and with ``--swap`` makes
it the live one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from crm_contracts.base import ContractError, Envelope, Event
from crm_contracts.registry import parse
from crm_kit.cloudevents import MissingHeaders, from_headers
from crm_kit.service import Service
from crm_partners.domain.timeline import Fact
from crm_partners.events.subscribers import HISTORY_EVENTS, fact_of, owners_of
from crm_partners.service_layer import BeginHistoryRebuild, KeepTaskOwners, ReplayFacts, SwapInHistory, UseCases

_TYPES = {cls.ce_type() for cls in HISTORY_EVENTS}


@dataclass
class ReplayReport:
    """What a replay read and built, and how it compares with the live history."""

    started_at: str
    records: int
    entries: int
    partners: int
    missing_from_live: int = 0
    only_in_live: int = 0
    swapped: bool = False

    @property
    def same_as_live(self) -> bool:
        return self.missing_from_live == 0 and self.only_in_live == 0


async def replay_history(service: Service, uses: UseCases, *, timeout: float = 300.0) -> ReplayReport:
    """Replay the topics from offset 0 into the ``history_rebuild`` projection (emptied first).

    Args:
        service: the partners service (its settings name the broker and the topics).
        uses: its use cases (the replayed facts go through them, as live ones do).
        timeout: seconds to reach the topics' ends.
    """
    started_at = datetime.now(UTC)
    settings = service.settings
    names = sorted({settings.topic(cls.topic) for cls in HISTORY_EVENTS})
    await uses.begin_history_rebuild(BeginHistoryRebuild())
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    records = entries = 0
    try:
        partitions = await _partitions(settings.kafka_bootstrap, names)
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        pending = {tp for tp in partitions if ends[tp] > 0}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while pending:
            if loop.time() > deadline:
                raise TimeoutError(f"replay did not reach the end of {sorted(str(tp) for tp in pending)}")
            batch = await consumer.getmany(*pending, timeout_ms=500, max_records=2000)
            facts: list[Fact] = []
            owners: list[KeepTaskOwners] = []
            for tp, items in batch.items():
                for record in items:
                    if record.offset >= ends[tp]:
                        continue
                    records += 1
                    parsed = _parsed(record.headers, record.value)
                    if parsed is None:
                        continue
                    facts.append(fact_of(*parsed))
                    # Task owners are kept too: a store that predates them gets them from the replay.
                    if (owner := owners_of(parsed[1])) is not None:
                        owners.append(owner)
            if facts or owners:
                entries += await uses.replay_facts(ReplayFacts(facts, owners, recorded_at=started_at))
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
    finally:
        await consumer.stop()
    compared = await uses.compare_rebuilt_history()
    return ReplayReport(
        started_at=started_at.isoformat(),
        records=records,
        entries=entries,
        partners=compared.partners,
        missing_from_live=compared.missing_from_live,
        only_in_live=compared.only_in_live,
    )


async def _partitions(bootstrap: str, names: list[str]) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    return sorted(
        TopicPartition(t["topic"], p["partition"])
        for t in described
        if not t.get("error_code")
        for p in t["partitions"]
    )


def _parsed(headers: Sequence[tuple[str, bytes]] | None, value: bytes | None) -> tuple[Envelope, Event] | None:
    try:
        envelope = from_headers(headers)
    except MissingHeaders:
        return None
    if envelope.type not in _TYPES or value is None:
        return None
    try:
        return envelope, parse(envelope.type, value)
    except ContractError:
        return None


async def rebuild(service: Service, uses: UseCases, *, swap: bool, timeout: float = 300.0) -> ReplayReport:
    """Replay into the fresh projection and, when asked, make it the live history."""
    await service.migrate()
    report = await replay_history(service, uses, timeout=timeout)
    if swap:
        await uses.swap_in_rebuilt_history(SwapInHistory(datetime.fromisoformat(report.started_at)))
        report.swapped = True
    await service.db.dispose()
    return report


def rebuild_main(compose: Callable[[], tuple[Service, UseCases]], argv: Sequence[str]) -> int:
    """The ``rebuild-history`` command: prints the report as JSON; exit status 0."""
    parser = argparse.ArgumentParser(prog="python -m crm_partners rebuild-history")
    parser.add_argument("--swap", action="store_true", help="make the rebuilt history the live one")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to reach the topics' ends")
    args = parser.parse_args(argv)
    service, uses = compose()
    report = asyncio.run(rebuild(service, uses, swap=args.swap, timeout=args.timeout))
    print(json.dumps({**asdict(report), "same_as_live": report.same_as_live}))  # noqa: T201
    return 0
