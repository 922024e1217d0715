"""contracts/asyncapi.yaml is a contract another team can build on: unique names, strict headers, examples, DLQs."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from crm_contracts import asyncapi, registry, topics

DOC: dict[str, Any] = yaml.safe_load(asyncapi.OUTPUT.read_text())
MESSAGES: dict[str, Any] = DOC["components"]["messages"]
SCHEMAS: dict[str, Any] = DOC["components"]["schemas"]


FORMATS = jsonschema.FormatChecker()
"""jsonschema's formats, with date-time and uri checked without its optional extra packages."""
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


@FORMATS.checks("date-time", raises=ValueError)
def is_date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(RFC3339.fullmatch(value) and datetime.fromisoformat(value))


@FORMATS.checks("uri")
def is_uri(value: object) -> bool:
    return not isinstance(value, str) or (bool(urlsplit(value).scheme) and not any(c.isspace() for c in value))


def validate(instance: Any, schema: dict[str, Any]) -> None:
    """Validate against a schema of the document (its ``#/components/...`` references resolved in it)."""
    jsonschema.Draft7Validator({**DOC, **schema}, format_checker=FORMATS).validate(instance)


def walk(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        found = [(path, node)]
        for key, value in node.items():
            found += walk(value, f"{path}/{key}")
        return found
    if isinstance(node, list):
        return [hit for i, item in enumerate(node) for hit in walk(item, f"{path}/{i}")]
    return []


def test_every_message_and_every_schema_has_a_title_of_its_own() -> None:
    message_titles = Counter(m["title"] for m in MESSAGES.values())
    schema_titles = Counter(s["title"] for s in SCHEMAS.values())
    assert [t for t, n in message_titles.items() if n > 1] == []
    assert [t for t, n in schema_titles.items() if n > 1] == []
    assert MESSAGES["crm_tasks_ContractRequested_v1"]["title"] == "TasksContractRequested"
    assert MESSAGES["crm_opportunities_ContractRequested_v1"]["title"] == "OpportunitiesContractRequested"


def test_every_enum_is_a_named_schema_never_an_inline_one() -> None:
    inline = [path for path, node in walk(SCHEMAS) if "enum" in node and path.count("/") > 1]
    assert inline == []
    from_stage = SCHEMAS["crm_opportunities_StageChanged_v1"]["properties"]["from_stage"]
    assert {"$ref": "#/components/schemas/OpportunityStage"} in from_stage["anyOf"]
    assert SCHEMAS["OpportunityStage"]["title"] == "OpportunityStage"


def test_the_cloudevents_headers_are_as_strict_as_the_spec() -> None:
    headers = SCHEMAS["CloudEventsHeaders"]
    props = headers["properties"]
    assert props["ce_time"]["format"] == "date-time"
    assert props["ce_source"]["format"] == "uri-reference"
    assert props["ce_specversion"]["const"] == "1.0"
    assert props["content-type"]["const"] == "application/json"
    assert {"content-type", "ce_correlationid", "ce_causationid", "ce_subject"} <= set(headers["required"])
    assert "ce_dataschema" not in headers["required"]  # older records in the log lack it


@pytest.mark.parametrize("event", registry.all_events(), ids=lambda e: e.ce_type())
def test_every_message_has_an_example_valid_against_its_own_schemas(event: Any) -> None:
    message = MESSAGES[event.ce_type().replace(".", "_")]
    (example,) = message["examples"]
    validate(example["payload"], message["payload"])
    validate(example["headers"], message["headers"])
    assert registry.parse(event.ce_type(), json.dumps(example["payload"])) is not None


def test_a_payload_or_header_that_breaks_the_contract_is_refused_by_the_schemas() -> None:
    message = MESSAGES["crm_tasks_TaskCreated_v1"]
    example = message["examples"][0]
    with pytest.raises(jsonschema.ValidationError):
        validate({**example["payload"], "task_id": "not-a-uuid"}, message["payload"])
    for bad in ({"ce_specversion": "0.3"}, {"ce_source": "/crm/partners"}, {"ce_time": "yesterday"}):
        with pytest.raises(jsonschema.ValidationError):
            validate({**example["headers"], **bad}, message["headers"])


def test_the_key_binding_is_a_uuid_where_the_key_is_one() -> None:
    assert MESSAGES["crm_tasks_TaskCreated_v1"]["bindings"]["kafka"]["key"]["format"] == "uuid"
    assert "format" not in MESSAGES["crm_commercial_ArticleUpdated_v1"]["bindings"]["kafka"]["key"]


def test_a_task_created_may_come_from_tasks_or_mail_ingest_and_the_tasks_channel_says_so() -> None:
    allowed = MESSAGES["crm_tasks_TaskCreated_v1"]["headers"]["allOf"][1]["properties"]["ce_source"]["enum"]
    assert allowed == ["/crm/tasks", "/crm/mail-ingest"]
    assert DOC["channels"]["crm_tasks"]["x-ce-sources"] == ["/crm/mail-ingest", "/crm/tasks"]


def test_every_command_names_who_sends_it_and_who_handles_it() -> None:
    commands = {k: m for k, m in MESSAGES.items() if m.get("x-command")}
    assert len(commands) == 7
    for message in commands.values():
        assert message["x-handled-by"] in {"/crm/commercial", "/crm/opportunities"}
        assert "only the" in message["description"]
        assert "must not send it" in message["description"]


def test_every_topic_has_a_dead_letter_channel_with_the_headers_the_inbox_writes() -> None:
    for topic in topics.ALL:
        channel = DOC["channels"][topics.dlq(topic).replace(".", "_")]
        assert channel["address"] == topics.dlq(topic)
        assert channel["bindings"]["kafka"]["topicConfiguration"]["retention.ms"] == topics.DLQ_RETENTION_MS
    required = SCHEMAS["DeadLetterHeaders"]["required"]
    assert required == ["dlq_error", "dlq_attempts", "dlq_consumer", "dlq_topic", "dlq_partition", "dlq_offset"]


def test_there_are_servers_and_kafka_bindings_that_keep_events_forever() -> None:
    assert set(DOC["servers"]) == {"local", "production"}
    for topic in topics.ALL:
        binding = DOC["channels"][topic.replace(".", "_")]["bindings"]["kafka"]
        assert binding["topicConfiguration"] == {"cleanup.policy": ["delete"], "retention.ms": -1}
        assert binding["partitions"] == topics.PARTITIONS


def test_the_description_says_how_versions_change() -> None:
    assert "## Versioning" in DOC["info"]["description"]
    assert "upcaster" in DOC["info"]["description"]


def test_the_probe_topic_is_not_part_of_the_stream() -> None:
    assert not [address for address in (c["address"] for c in DOC["channels"].values()) if "probe" in address]


def test_a_task_updated_carries_the_whole_task_state() -> None:
    payload = SCHEMAS["crm_tasks_TaskUpdated_v1"]["properties"]
    assert {"$ref": "#/components/schemas/TaskState"} in payload["state"]["anyOf"]
    assert {"title", "status", "responsible_staff_id", "deadline"} <= set(SCHEMAS["TaskState"]["properties"])


def test_every_message_payload_is_a_named_schema_so_generators_invent_no_names() -> None:
    for message in MESSAGES.values():
        payload = message["payload"]
        assert payload["$ref"].startswith("#/components/schemas/")
        assert SCHEMAS[payload["$ref"].rsplit("/", 1)[1]]["title"]
        assert "title" in message["headers"] or "$ref" in message["headers"]
