"""Generate ``contracts/asyncapi.yaml`` (AsyncAPI 3.0) from the contract models; ``--check`` fails on drift."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from crm_contracts import topics
from crm_contracts.base import ENVELOPE_DOCS, Envelope, json_schema
from crm_contracts.registry import all_events

OUTPUT = Path(__file__).resolve().parents[2] / "asyncapi.yaml"


def _headers_schema() -> dict[str, Any]:
    props: dict[str, Any] = {}
    for name in Envelope._fields:
        props[f"ce_{name}"] = {"type": "string", "description": ENVELOPE_DOCS[name]}
    props["content-type"] = {"type": "string", "const": "application/json"}
    return {
        "type": "object",
        "required": ["ce_id", "ce_source", "ce_type", "ce_time", "ce_specversion"],
        "properties": props,
    }


def _inline_defs(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    for name, sub in schema.pop("$defs", {}).items():
        defs[name] = sub
    return schema


def document() -> dict[str, Any]:
    """The AsyncAPI document as a dict."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic in topics.ALL:
        channels[topic.replace(".", "_")] = {
            "address": topic,
            "description": f"Events of the {topic.split('.')[1]} context; key = aggregate id.",
            "messages": {},
        }
    for event in all_events():
        message_id = event.ce_type().replace(".", "_")
        schema = _inline_defs(json_schema(event), schemas)
        schemas[message_id] = schema
        messages[message_id] = {
            "name": event.ce_type(),
            "title": event.event_name,
            "summary": (event.__doc__ or "").strip().splitlines()[0] if event.__doc__ else event.event_name,
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/CloudEventsHeaders"},
            "payload": {"$ref": f"#/components/schemas/{message_id}"},
            "bindings": {"kafka": {"key": {"type": "string", "description": f"the {event.key_field}"}}},
            "x-command": event.is_command,
        }
        channel = event.topic.replace(".", "_")
        channels[channel]["messages"][message_id] = {"$ref": f"#/components/messages/{message_id}"}
    for topic in topics.ALL:
        channel = topic.replace(".", "_")
        operations[f"publish_{channel}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": f"The {topic.split('.')[1]} service publishes on {topic}.",
        }
    schemas["CloudEventsHeaders"] = _headers_schema()
    text = yaml.safe_dump({"x": schemas}, sort_keys=True)
    text = text.replace("#/$defs/", "#/components/schemas/")
    schemas = yaml.safe_load(text)["x"]
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "CRM events",
            "version": "1.0.0",
            "description": "Every state change of the CRM as a CloudEvents 1.0 message (Kafka binary binding).",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render() -> str:
    return yaml.safe_dump(document(), sort_keys=False, allow_unicode=True, width=120)


def main() -> None:
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
