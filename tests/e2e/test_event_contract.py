"""A consumer built from contracts/asyncapi.yaml alone reads every topic of a journey and finds every record valid.

The consumer below knows nothing of the CRM's code: it loads the YAML, picks each record's message by its topic
and ``ce_type``, and validates headers, key and payload with ``jsonschema``, as another team's consumer would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import yaml
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from crm_kit import kafka
from crm_kit.smtp_sink import SmtpSink
from crm_kit.testing import eventually
from crm_kit.testing.stack import start_stack

ASYNCAPI = Path(__file__).resolve().parents[2] / "contracts" / "asyncapi.yaml"

FORMATS = jsonschema.FormatChecker()
"""jsonschema's formats, with date-time and uri checked without its optional extra packages."""
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


@FORMATS.checks("date-time", raises=ValueError)
def is_date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(RFC3339.fullmatch(value) and datetime.fromisoformat(value))


@FORMATS.checks("uri")
def is_uri(value: object) -> bool:
    return not isinstance(value, str) or (bool(urlsplit(value).scheme) and not any(c.isspace() for c in value))


@dataclass
class Checked:
    """One record as the contract consumer saw it."""

    topic: str
    key: str
    message: str
    problems: list[str]


class ContractConsumer:
    """Validates Kafka records against an AsyncAPI document and nothing else."""

    def __init__(self, document: Mapping[str, Any], prefix: str = "") -> None:
        self.doc = dict(document)
        self.prefix = prefix
        self.channels = {c["address"]: c for c in self.doc["channels"].values()}

    def _resolve(self, node: Mapping[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.doc
            for part in str(node["$ref"]).removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return dict(node)

    def _errors(self, instance: Any, schema: Mapping[str, Any]) -> list[str]:
        validator = jsonschema.Draft7Validator({**self.doc, **schema}, format_checker=FORMATS)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]

    def check(self, topic: str, key: bytes | None, value: bytes | None, raw_headers: Any) -> Checked:
        """Every way the record breaks its contract (empty when it keeps it)."""
        address = topic.removeprefix(self.prefix)
        key_text = (key or b"").decode("utf-8")
        channel = self.channels.get(address)
        if channel is None:
            return Checked(address, key_text, "?", [f"no channel for topic {address}"])
        headers = {k: v.decode("utf-8") for k, v in raw_headers or ()}
        messages = {name: self._resolve(ref) for name, ref in channel["messages"].items()}
        if len(messages) == 1 and "ce_type" not in self._resolve(next(iter(messages.values()))["headers"]).get(
            "required", []
        ):
            message = next(iter(messages.values()))  # a dead-letter channel: one message, any original
        else:
            found = [m for m in messages.values() if m["name"] == headers.get("ce_type")]
            if not found:
                return Checked(address, key_text, str(headers.get("ce_type")), [f"ce_type not on {address}"])
            message = found[0]
        problems = [f"header {p}" for p in self._errors(headers, message["headers"])]
        key_schema = message["bindings"]["kafka"]["key"]
        problems += [f"key {p}" for p in self._errors(key_text, key_schema)]
        if message.get("contentType") == "application/json":
            try:
                payload = json.loads(value or b"")
            except ValueError as exc:
                problems.append(f"payload is not JSON: {exc}")
            else:
                problems += [f"payload {p}" for p in self._errors(payload, message["payload"])]
            if headers.get("ce_subject") != key_text:
                problems.append("ce_subject is not the key")
        return Checked(address, key_text, message["name"], problems)


async def read_everything(bootstrap: str, names: list[str]) -> list[Any]:
    """Every record of the topics, from offset 0 to their current end."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    partitions = [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed")
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[Any] = []
        while True:
            behind = [tp for tp, end in ends.items() if await consumer.position(tp) < end]
            if not behind:
                return records
            batch = await consumer.getmany(*behind, timeout_ms=1000)
            records += [r for rs in batch.values() for r in rs]
    finally:
        await consumer.stop()


async def created(client: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async def attempt() -> dict[str, Any] | None:
        response = await client.post(path, json=body)
        assert response.status_code < 500, response.text
        return dict(response.json()) if response.status_code in (200, 201, 202) else None

    return dict(await eventually(attempt, timeout=60, interval=0.3))


async def test_a_consumer_built_from_the_asyncapi_document_alone_finds_every_record_of_a_journey_valid(
    service_env, topics: str, kafka_bootstrap: str, smtp_sink: SmtpSink
) -> None:
    contract = ContractConsumer(yaml.safe_load(ASYNCAPI.read_text()), prefix=topics)
    async with start_stack(
        service_env,
        ["partners", "commercial", "opportunities", "tasks", "notifier"],
        overrides={"notifier": {"smtp_port": smtp_sink.port}},
    ) as stack:
        api = stack.client
        ion = await created(api, "/api/staff", {"name": "Ion Pop", "email": "ion@example.ro", "hours_per_day": "8"})
        await created(
            api,
            "/api/articles",
            {"code": "LIC-ERP", "name": "Licență ERP", "unit": "buc", "price": "450.00", "vat_rate": "21"},
        )
        partner = await created(
            api,
            "/api/partners",
            {"kind": "client", "name": "Gamma SRL", "sites": [{"name": "Sediu", "emails": ["a@gamma.ro"]}]},
        )
        opportunity = await created(
            api,
            "/api/opportunities",
            {"partner_id": partner["id"], "title": "ERP", "potential": "5400.00", "probability": 50},
        )
        follow_up = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
        await created(
            api,
            f"/api/opportunities/{opportunity['id']}/stage",
            {"stage": "presentation", "delegate_staff_id": ion["id"], "follow_up_at": follow_up.isoformat()},
        )
        await created(api, f"/api/opportunities/{opportunity['id']}/stage", {"stage": "offer"})
        await created(
            api, f"/api/opportunities/{opportunity['id']}/offer", {"lines": [{"article_code": "LIC-ERP", "qty": "2"}]}
        )

        async def follow_up_task() -> list[dict[str, Any]]:
            tasks = (await api.get("/api/tasks", params={"view": "all"})).json()["items"]
            return [t for t in tasks if t.get("source") == "follow_up"]

        (task,) = await eventually(follow_up_task, timeout=60)
        patched = await api.patch(f"/api/tasks/{task['id']}", json={"title": "Sună clientul"})
        assert patched.status_code == 200, patched.text

        # A record that breaks the contract: the services consuming crm.tasks dead-letter it.
        producer = kafka.producer(kafka_bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(f"{topics}crm.tasks", b"not an event", key=b"junk")
        finally:
            await producer.stop()

        names = kafka.all_topic_names(topics)
        wanted = {
            "crm.partners.StaffMemberRegistered.v1",
            "crm.partners.PartnerRegistered.v1",
            "crm.commercial.ArticleUpdated.v1",
            "crm.commercial.OfferIssued.v1",
            "crm.opportunities.OpportunityOpened.v1",
            "crm.opportunities.StageChanged.v1",
            "crm.opportunities.FollowUpScheduled.v1",
            "crm.opportunities.OfferRequested.v1",
            "crm.tasks.TaskCreated.v1",
            "crm.tasks.TaskUpdated.v1",
            "DeadLetter",
        }

        async def every_kind_seen() -> list[Checked] | None:
            checked = [
                contract.check(r.topic, r.key, r.value, r.headers)
                for r in await read_everything(kafka_bootstrap, names)
            ]
            return checked if wanted <= {c.message for c in checked} else None

        checked = await eventually(every_kind_seen, timeout=90, interval=1.0)

    planted = [c for c in checked if (c.topic, c.key) == ("crm.tasks", "junk")]
    assert [c.problems for c in planted] == [["ce_type not on crm.tasks"]]  # the consumer does catch a bad record
    broken = [(c.topic, c.message, c.problems) for c in checked if c.problems and c not in planted]
    assert broken == []
    dead = [c for c in checked if c.message == "DeadLetter"]
    assert dead
    assert all(c.key == "junk" and c.topic == "crm.tasks.dlq" for c in dead)
