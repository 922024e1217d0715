"""Generate ``contracts/asyncapi.yaml`` (AsyncAPI 3.0) from the contract models; ``--check`` fails on drift."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import typing
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from crm_contracts import topics
from crm_contracts.base import ENVELOPE_DOCS, Event, json_schema
from crm_contracts.examples import example_event, example_headers
from crm_contracts.registry import all_events

OUTPUT = Path(__file__).resolve().parents[2] / "asyncapi.yaml"
KAFKA_BINDING = "0.5.0"
SCHEMAS = "#/components/schemas/"

DESCRIPTION = """\
Every state change of the CRM as a CloudEvents 1.0 message on Kafka (binary content mode): the payload is the event's
JSON, the CloudEvents attributes travel in `ce_*` headers. `docs/integrating.md` walks another team through it.

## Topics, keys and order
One topic per bounded context (`crm.<context>`), written only by the service that owns it (its `ce_source` is
`/crm/<service>`; the channels list every source that writes there). A deployment may put a prefix before every
name (`CRM_TOPIC_PREFIX`, e.g. `staging.crm.tasks`). The Kafka key is the aggregate id (`ce_subject` repeats it), so
one aggregate's events are in one partition, in the order they happened; there is no order across aggregates.
Delivery is at least once: a retried publish repeats a record with the same `ce_id`; deduplicate on it.

## Replay
Event topics keep every event forever (`retention.ms=-1`): a new consumer group that starts from offset 0 rebuilds
its state from the log alone. Events named `...Updated` carry the aggregate's whole state (`TaskUpdated` in `state`).

## Commands
Messages marked `x-command: true` ask another context to act. They travel on the sender's topic, in order with the
sender's events; only the sending service named in the message may publish one, and only the handler named there
acts on it, replying with a fact whose `ce_causationid` is the command's `ce_id`. Other systems must not send them:
they use the HTTP API.

## Dead letters
A record a consuming service can never handle (bad headers, a payload that fails its schema, a handler that fails
after its retries) is copied to `<topic>.dlq`: the original key, value and headers, plus `dlq_*` headers saying
where it came from and why. Dead-letter topics keep 30 days.

## Versioning
`ce_type` ends in the version (`.v1`). Within a version, changes are additive only:
- additive (same version): a new optional field (nullable or with a default), a new event type, a new header, a new
  `ce_source` on a channel. Consumers must ignore fields they do not know (the contracts do).
- breaking (a new version): removing or renaming a field, changing its type, meaning or unit, making an optional
  field required, a new value in an enum, changing the key.

A `.v2` is introduced as a new contract class beside `.v1` (its own message and schema here) with an upcaster in
`crm_contracts` that turns a `.v1` payload into `.v2`, so a consumer replaying old `.v1` records reads them as `.v2`.
From the release that adds `.v2`, the owner publishes both versions of each event (same key, same `ce_correlationid`)
for at least six months and until every consumer group it knows of has moved; the `.v1` message is then marked
`deprecated` here, with the date its publishing stops. Records already in the log stay `.v1` forever.
"""


def _named_enums() -> dict[tuple[Any, ...], str]:
    """Every module-level ``Literal`` alias of the contracts, by its values: the enums' schema names."""
    found: dict[tuple[Any, ...], str] = {}
    for module_name in ("common", *topics.TOPIC_MODULES.values()):
        module = importlib.import_module(f"crm_contracts.{module_name}")
        for name, value in vars(module).items():
            if not name.startswith("_") and typing.get_origin(value) is typing.Literal:
                found[typing.get_args(value)] = name
    return found


def _tidy(node: Any, enums: dict[tuple[Any, ...], str], used: set[str], top: bool = False) -> Any:
    """Name every enum (a ``$ref`` to its named schema), drop pydantic's generated property titles."""
    if isinstance(node, list):
        return [_tidy(item, enums, used) for item in node]
    if not isinstance(node, dict):
        return node
    if "enum" in node:
        values = tuple(node["enum"])
        if values not in enums:
            raise ValueError(f"an inline enum {values} has no name: give its Literal a module-level alias")
        used.add(enums[values])
        named: dict[str, Any] = {"$ref": SCHEMAS + enums[values]}
        named.update({k: node[k] for k in ("description", "default") if k in node})
        return named
    return {
        key: _tidy(value, enums, used)
        for key, value in node.items()
        if not (key == "title" and not top and isinstance(value, str))
    }


def _headers_schema() -> dict[str, Any]:
    """The CloudEvents headers every event carries, as strict as the binary binding allows."""
    text = {"type": "string", "minLength": 1}
    props: dict[str, Any] = {
        "ce_id": {**text, "format": "uuid", "description": ENVELOPE_DOCS["id"]},
        "ce_source": {**text, "format": "uri-reference", "description": ENVELOPE_DOCS["source"]},
        "ce_type": {**text, "pattern": r"^crm\.[a-z]+\.[A-Za-z]+\.v[0-9]+$", "description": ENVELOPE_DOCS["type"]},
        "ce_time": {**text, "format": "date-time", "description": ENVELOPE_DOCS["time"] + " RFC 3339."},
        "ce_specversion": {"type": "string", "const": "1.0", "description": ENVELOPE_DOCS["specversion"]},
        "ce_correlationid": {**text, "description": ENVELOPE_DOCS["correlationid"]},
        "ce_causationid": {**text, "description": ENVELOPE_DOCS["causationid"]},
        "ce_subject": {**text, "description": ENVELOPE_DOCS["subject"]},
        "ce_dataschema": {**text, "format": "uri", "description": ENVELOPE_DOCS["dataschema"]},
        "content-type": {"type": "string", "const": "application/json", "description": "The payload's media type."},
    }
    required = [name for name in props if name != "ce_dataschema"]
    return {"title": "CloudEventsHeaders", "type": "object", "required": required, "properties": props}


def _dead_letter_headers() -> dict[str, Any]:
    """The headers of a dead letter: the original record's, plus the ``dlq_*`` ones ``crm_kit.inbox`` adds."""
    text = {"type": "string", "minLength": 1}
    number = {"type": "string", "pattern": "^[0-9]+$"}
    return {
        "title": "DeadLetterHeaders",
        "type": "object",
        "description": (
            "The original record's headers exactly as they were (the ce_* headers when it had them: a record can"
            " be dead-lettered because they are missing or malformed), plus these dlq_* headers."
        ),
        "required": ["dlq_error", "dlq_attempts", "dlq_consumer", "dlq_topic", "dlq_partition", "dlq_offset"],
        "properties": {
            "dlq_error": {**text, "maxLength": 2000, "description": "Why it failed: the error, cut at 2000 chars."},
            "dlq_attempts": {**number, "description": "How many times the handler ran (1 for a bad record)."},
            "dlq_consumer": {**text, "description": "The consumer group that gave up on it (crm-<service>...)."},
            "dlq_topic": {**text, "description": "The topic the record was read from (with the deployment prefix)."},
            "dlq_partition": {**number, "description": "Its partition there."},
            "dlq_offset": {**number, "description": "Its offset there."},
            "ce_id": {"type": "string", "description": "The original ce_id, when it had one."},
            "ce_type": {"type": "string", "description": "The original ce_type, when it had one."},
            "ce_source": {"type": "string", "description": "The original ce_source, when it had one."},
        },
    }


def _key_binding(event: type[Event]) -> dict[str, Any]:
    field = event.model_fields[event.key_field]
    key: dict[str, Any] = {"type": "string", "description": f"The {event.key_field}: {field.description}"}
    if field.annotation is not None and "UUID" in str(field.annotation):
        key["format"] = "uuid"
    return {"kafka": {"key": key, "bindingVersion": KAFKA_BINDING}}


def _sources(event: type[Event]) -> list[str]:
    return [topics.source(topics.PUBLISHERS[event.topic]), *event.also_from]


def _titles(events: list[type[Event]]) -> dict[str, str]:
    """A unique, readable title per ce_type: the event name, with its context and version only when needed."""
    titles: dict[str, str] = {}
    for e in events:
        other_topic = any(o.event_name == e.event_name and o.topic != e.topic for o in events)
        other_version = any(
            o.event_name == e.event_name and o.topic == e.topic and o.version != e.version for o in events
        )
        context = e.topic.split(".")[1].capitalize() if other_topic else ""
        titles[e.ce_type()] = context + e.event_name + (f"V{e.version}" if other_version else "")
    return titles


def _message(event: type[Event], message_id: str, title: str) -> dict[str, Any]:
    doc = (event.__doc__ or event.event_name).strip()
    summary = doc.splitlines()[0]
    sources = _sources(event)
    description = doc
    if event.is_command:
        owner = topics.PUBLISHERS[event.topic]
        description += (
            f"\n\nCommand: only the {owner} service sends it (ce_source {sources[0]}); the {event.handled_by} service"
            f" handles it and answers with a fact caused by it. Other systems must not send it (use the HTTP API)."
        )
    instance = example_event(event)
    return {
        "name": event.ce_type(),
        "title": title,
        "summary": summary,
        "description": description,
        "contentType": "application/json",
        "headers": {
            "title": f"{title}Headers",
            "allOf": [
                {"$ref": SCHEMAS + "CloudEventsHeaders"},
                {
                    "type": "object",
                    "properties": {
                        "ce_type": {"const": event.ce_type()},
                        "ce_source": {"enum": sources},
                        "ce_dataschema": {"const": event.dataschema()},
                    },
                },
            ],
        },
        "payload": {"$ref": SCHEMAS + message_id},
        "bindings": _key_binding(event),
        "examples": [
            {
                "name": f"{title}Example",
                "summary": f"A {event.event_name}, as the contract model serialises it.",
                "headers": example_headers(event, instance, sources[0]),
                "payload": json.loads(instance.payload()),
            }
        ],
        "x-command": event.is_command,
        "x-dataschema": event.dataschema(),
        **({"x-handled-by": topics.source(event.handled_by)} if event.is_command else {}),
    }


def _channel_binding(topic: str, retention_ms: int) -> dict[str, Any]:
    return {
        "kafka": {
            "topic": topic,
            "partitions": topics.PARTITIONS,
            "replicas": 3,
            "topicConfiguration": {"cleanup.policy": ["delete"], "retention.ms": retention_ms},
            "bindingVersion": KAFKA_BINDING,
        }
    }


def document() -> dict[str, Any]:
    """The AsyncAPI document as a dict."""
    events = list(all_events())
    titles = _titles(events)
    enums = _named_enums()
    used: set[str] = set()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    defs: dict[str, Any] = {}
    for topic in topics.ALL:
        context = topic.split(".")[1]
        owner = topics.PUBLISHERS[topic]
        sources = sorted({s for e in events if e.topic == topic for s in _sources(e)})
        channels[topic.replace(".", "_")] = {
            "address": topic,
            "title": f"{context.capitalize()} events",
            "description": (
                f"Events of the {context} context, owned by the {owner} service; key = aggregate id."
                f" Written by: {', '.join(sources)}."
            ),
            "messages": {},
            "bindings": _channel_binding(topic, topics.EVENT_RETENTION_MS),
            "x-ce-sources": sources,
        }
    for event in events:
        message_id = event.ce_type().replace(".", "_")
        schema = json_schema(event)
        for name, sub in schema.pop("$defs", {}).items():
            if name in defs and defs[name] != sub:
                raise ValueError(f"two different contract parts are both named {name}")
            defs[name] = sub
        schema["title"] = titles[event.ce_type()]
        schemas[message_id] = schema
        messages[message_id] = _message(event, message_id, titles[event.ce_type()])
        channels[event.topic.replace(".", "_")]["messages"][message_id] = {
            "$ref": f"#/components/messages/{message_id}"
        }
    for name, sub in defs.items():
        schemas[name] = {**sub, "title": name}
    schemas = {name: _tidy(sub, enums, used, top=True) for name, sub in schemas.items()}
    text = json.dumps(schemas).replace('"#/$defs/', f'"{SCHEMAS}')
    schemas = json.loads(text)
    for values, name in enums.items():
        if name in used:
            schemas[name] = {"title": name, "type": "string", "enum": list(values)}
    schemas["CloudEventsHeaders"] = _headers_schema()
    schemas["DeadLetterHeaders"] = _dead_letter_headers()
    schemas["DeadLetterPayload"] = {
        "title": "DeadLetterPayload",
        "description": "The original record's value, unchanged (any bytes; usually the original event's JSON).",
    }
    messages["DeadLetter"] = {
        "name": "DeadLetter",
        "title": "DeadLetter",
        "summary": "A record a consuming service could not handle, copied with why and from where.",
        "description": (
            "Key and value are the original record's, byte for byte (usually an event of the topic's contract, but"
            " possibly malformed: that can be why it is here). Read dlq_topic/dlq_partition/dlq_offset to find the"
            " original; fix the cause, then replay it to the original topic."
        ),
        "contentType": "application/octet-stream",
        "headers": {"$ref": SCHEMAS + "DeadLetterHeaders"},
        "payload": {"$ref": SCHEMAS + "DeadLetterPayload"},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The original record's key."},
                "bindingVersion": KAFKA_BINDING,
            }
        },
        "x-command": False,
    }
    all_titles = Counter([m["title"] for m in messages.values()] + [s["title"] for s in schemas.values()])
    repeated = [t for t, n in all_titles.items() if n > 1 and not _same_message_and_payload(t, messages, schemas)]
    if repeated:
        raise ValueError(f"titles used twice: {repeated}")
    for topic in topics.ALL:
        channel_id = topic.replace(".", "_")
        owner = topics.PUBLISHERS[topic]
        own = [e for e in events if e.topic == topic]
        facts = [e for e in own if not e.is_command]
        operations[f"publish_{channel_id}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "title": f"{owner} publishes {topic}",
            "summary": f"The {owner} service publishes its facts on {topic}.",
            "messages": [
                {"$ref": f"#/channels/{channel_id}/messages/{e.ce_type().replace('.', '_')}"}
                for e in facts
                if not e.also_from
            ],
        }
        for e in own:
            message_ref = {"$ref": f"#/channels/{channel_id}/messages/{e.ce_type().replace('.', '_')}"}
            if e.also_from:
                operations[f"publish_{e.ce_type().replace('.', '_')}"] = {
                    "action": "send",
                    "channel": {"$ref": f"#/channels/{channel_id}"},
                    "summary": f"{e.event_name} is published by {', '.join(_sources(e))}.",
                    "messages": [message_ref],
                }
            if e.is_command:
                operations[f"handle_{e.ce_type().replace('.', '_')}"] = {
                    "action": "receive",
                    "channel": {"$ref": f"#/channels/{channel_id}"},
                    "summary": f"Only the {e.handled_by} service acts on {e.event_name}, sent by {owner}.",
                    "messages": [message_ref],
                }
        dlq = topics.dlq(topic)
        dlq_id = dlq.replace(".", "_")
        channels[dlq_id] = {
            "address": dlq,
            "title": f"{topic.split('.')[1].capitalize()} dead letters",
            "description": f"Records of {topic} that a consuming service could not handle; kept 30 days.",
            "messages": {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}},
            "bindings": _channel_binding(dlq, topics.DLQ_RETENTION_MS),
        }
        operations[f"dead_letter_{channel_id}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{dlq_id}"},
            "summary": f"A service consuming {topic} dead-letters a record it cannot handle (crm_kit.inbox).",
            "messages": [{"$ref": f"#/channels/{dlq_id}/messages/DeadLetter"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "CRM events", "version": "1.1.0", "description": DESCRIPTION},
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "`make start`: one broker (three with CRM_KAFKA_BROKERS=3), plaintext, no auth.",
            },
            "production": {
                "host": "kafka-1.crm.example:9092",
                "protocol": "kafka",
                "description": (
                    "Placeholder: ops hand out the real bootstrap list and credentials. Three brokers; topics"
                    " replicated three times, min.insync.replicas=2."
                ),
            },
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def _same_message_and_payload(title: str, messages: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """A message and its own payload schema share their title: that is one name, not a clash."""
    in_messages = [k for k, m in messages.items() if m["title"] == title]
    in_schemas = [k for k, s in schemas.items() if s["title"] == title]
    return len(in_messages) == 1 and in_schemas == in_messages


class _Dumper(yaml.SafeDumper):
    """Writes multi-line texts (the descriptions) as literal blocks, so the file reads like the docs it is."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def render() -> str:
    """The document as YAML text."""
    return yaml.dump(document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


def main() -> None:
    """Print, write or drift-check ``contracts/asyncapi.yaml``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="write contracts/asyncapi.yaml")
    parser.add_argument("--check", action="store_true", help="fail when the committed file differs")
    args = parser.parse_args()
    text = render()
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            sys.stderr.write("contracts/asyncapi.yaml is out of date: run `make asyncapi` and commit it\n")
            sys.exit(1)
        return
    if args.write:
        OUTPUT.write_text(text)
        return
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
