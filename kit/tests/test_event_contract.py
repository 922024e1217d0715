"""What the kit puts on the wire matches what contracts/asyncapi.yaml promises (headers, topics, the probe)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import sqlalchemy as sa
import yaml
from aiokafka.admin import AIOKafkaAdminClient

from crm_contracts import asyncapi, topics
from crm_contracts.partners import LeadConverted
from crm_kit import kafka
from crm_kit.cloudevents import from_headers, to_headers
from crm_kit.outbox import Outbox
from crm_kit.store import kit_tables


def outbox() -> Outbox:
    metadata = sa.MetaData()
    kit_tables(metadata)
    return Outbox(metadata, "/crm/partners", lambda name: name)


def test_an_event_nothing_caused_carries_its_own_id_as_correlation_and_causation() -> None:
    envelope, row = outbox().prepare(LeadConverted(partner_id=uuid4()))
    headers = dict(row["headers"])
    assert headers["ce_correlationid"] == headers["ce_causationid"] == headers["ce_id"] == envelope.id


def test_an_event_caused_by_another_names_its_cause() -> None:
    _, row = outbox().prepare(LeadConverted(partner_id=uuid4()), correlation_id="c1", causation_id="e1")
    headers = dict(row["headers"])
    assert (headers["ce_correlationid"], headers["ce_causationid"]) == ("c1", "e1")


def test_every_event_names_its_payload_schema_in_ce_dataschema_as_the_asyncapi_document_does() -> None:
    _, row = outbox().prepare(LeadConverted(partner_id=uuid4()))
    document = yaml.safe_load(asyncapi.OUTPUT.read_text())
    message = document["components"]["messages"][LeadConverted.ce_type().replace(".", "_")]
    assert (
        dict(row["headers"])["ce_dataschema"] == message["x-dataschema"] == "urn:crm:schema:" + LeadConverted.ce_type()
    )


def test_a_record_without_ce_dataschema_is_still_read() -> None:
    headers = [
        (k, v) for k, v in to_headers(outbox().prepare(LeadConverted(partner_id=uuid4()))[0]) if k != "ce_dataschema"
    ]
    envelope = from_headers(headers)
    assert envelope.dataschema is None
    assert envelope.type == LeadConverted.ce_type()


def test_ce_time_is_an_rfc3339_date_time_with_its_offset() -> None:
    envelope, _ = outbox().prepare(LeadConverted(partner_id=uuid4()), now=datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    assert dict(to_headers(envelope))["ce_time"] == b"2026-12-01T09:30:00+00:00"


def test_the_topic_settings_the_kit_creates_are_the_ones_the_document_publishes() -> None:
    channels = yaml.safe_load(asyncapi.OUTPUT.read_text())["channels"]
    for topic in topics.ALL:
        for name, config in ((topic, kafka.EVENT_TOPIC_CONFIG), (topics.dlq(topic), kafka.DLQ_TOPIC_CONFIG)):
            binding = channels[name.replace(".", "_")]["bindings"]["kafka"]
            assert str(binding["topicConfiguration"]["retention.ms"]) == config["retention.ms"]
            assert binding["topicConfiguration"]["cleanup.policy"] == [config["cleanup.policy"]]


async def test_the_readiness_probe_writes_to_an_internal_topic_of_its_own_and_deletes_it(kafka_bootstrap) -> None:
    name = kafka.probe_topic()
    assert name.startswith("__")
    assert name not in kafka.all_topic_names()
    await kafka.probe(kafka_bootstrap, timeout=60, topic=name)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        for _ in range(50):
            if name not in await admin.list_topics():
                break
            await asyncio.sleep(0.2)
        assert name not in await admin.list_topics()
    finally:
        await admin.close()
