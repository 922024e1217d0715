"""The ``crm`` command for people.

``crm events tail [topic ...]`` prints events as they arrive, decoded, one line each;
``crm kafka wait`` waits for a real produce-and-read on the broker; ``crm kafka topics`` creates the topics;
``crm replay <service> --database-url URL`` rebuilds a service's read models from offset 0 into a fresh store.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from dataclasses import asdict

from aiokafka import AIOKafkaConsumer

from crm_contracts import topics
from crm_contracts.base import ContractError
from crm_contracts.registry import parse
from crm_kit import kafka, replay
from crm_kit.cloudevents import MissingHeaders, from_headers
from crm_kit.discovery import settings_class
from crm_kit.settings import ServiceSettings


def format_record(topic: str, key: bytes | None, headers: list[tuple[str, bytes]], value: bytes) -> str:
    """One line: time, topic, type, key, and the payload (or why it could not be decoded)."""
    try:
        envelope = from_headers(headers)
    except MissingHeaders as exc:
        return f"{'?':<25} {topic:<22} {'(no CloudEvents headers)':<40} {exc}"
    try:
        payload = parse(envelope.type, value).model_dump(mode="json")
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    except ContractError as exc:
        body = f"!! {exc.reason}: {value[:200]!r}"
    when = envelope.time.isoformat(timespec="seconds")
    return f"{when:<25} {topic:<22} {envelope.type:<40} key={(key or b'').decode(errors='replace')} {body}"


async def tail(names: list[str], from_beginning: bool) -> None:
    settings = ServiceSettings()
    wanted = [settings.topic(n if n.startswith("crm.") else f"crm.{n}") for n in names] or [
        settings.topic(t) for t in topics.ALL
    ]
    consumer = AIOKafkaConsumer(
        *wanted,
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest" if from_beginning else "latest",
        enable_auto_commit=False,
    )
    await consumer.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for r in records:
                    line = format_record(r.topic, r.key, list(r.headers or ()), r.value or b"")
                    sys.stdout.write(line + "\n")
            sys.stdout.flush()
    finally:
        await consumer.stop()


def main() -> None:
    """Entry point of the ``crm`` command."""
    parser = argparse.ArgumentParser(prog="crm", description=__doc__)
    sub = parser.add_subparsers(dest="area", required=True)
    events = sub.add_parser("events", help="the event stream").add_subparsers(dest="command", required=True)
    tail_cmd = events.add_parser("tail", help="print events as they arrive, one line each")
    tail_cmd.add_argument("topics", nargs="*", help="e.g. tasks crm.partners (default: all)")
    tail_cmd.add_argument("--from-beginning", action="store_true", help="start at the oldest event")
    kafka_cmd = sub.add_parser("kafka", help="the broker").add_subparsers(dest="command", required=True)
    wait_cmd = kafka_cmd.add_parser("wait", help="wait until the broker takes a write and serves it back")
    wait_cmd.add_argument("--timeout", type=float, default=120.0)
    kafka_cmd.add_parser("topics", help="create the CRM topics and their .dlq (idempotent)")
    replay_cmd = sub.add_parser("replay", help="rebuild a service's read models from offset 0 into a fresh database")
    replay_cmd.add_argument("service", help="e.g. partners, notifier")
    replay_cmd.add_argument("--database-url", required=True, help="SQLAlchemy async URL of a new, empty database")
    replay_cmd.add_argument(
        "--from-beginning", action="store_true", help="read from offset 0 (the only mode; stated for clarity)"
    )
    replay_cmd.add_argument("--timeout", type=float, default=600.0, help="seconds to reach the end offsets")
    args = parser.parse_args()
    if args.area == "replay":
        sys.exit(_replay(args.service, args.database_url, args.timeout))
    if args.area == "events":
        asyncio.run(tail(args.topics, args.from_beginning))
    elif args.command == "wait":
        settings = ServiceSettings()
        waited = asyncio.run(kafka.probe(settings.kafka_bootstrap, timeout=args.timeout))
        sys.stdout.write(f"Kafka at {settings.kafka_bootstrap} is ready ({waited:.1f}s)\n")
    else:
        settings = ServiceSettings()
        created = asyncio.run(
            kafka.ensure_topics(
                settings.kafka_bootstrap, kafka.all_topic_names(settings.topic_prefix), settings.topic_partitions
            )
        )
        sys.stdout.write(f"created {len(created)} topics: {', '.join(created) or '(all existed)'}\n")


def _replay(name: str, database_url: str, timeout: float) -> int:
    """``crm replay``: the report as JSON on stdout; exit status 2 when the target is not a fresh store."""
    try:
        live_url = settings_class(name)().resolved_database_url()
    except ModuleNotFoundError:
        sys.stderr.write(f"crm replay: no service named {name!r}\n")
        return 2
    try:
        service = replay.service_on(name, database_url)
        report = asyncio.run(replay.replay(service, live_database_url=live_url, timeout=timeout))
    except replay.NotFresh as exc:
        sys.stderr.write(f"crm replay: {exc}\n")
        return 2
    sys.stdout.write(json.dumps(asdict(report), indent=2) + "\n")
    return 0
