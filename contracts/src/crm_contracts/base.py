"""The base of every event contract: a frozen pydantic model with a versioned CloudEvents type."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

Money = Annotated[
    Decimal,
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json"),
    Field(description="Money as a decimal string with two decimals, net of VAT unless named gross."),
]
"""A money amount: Decimal in Python, a decimal string on the wire."""


DATASCHEMA_PREFIX = "urn:crm:schema:"
"""Prefix of every payload schema's id; ``asyncapi.yaml`` gives each message's as ``x-dataschema``."""


class Event(BaseModel):
    """An immutable fact (or command) that one context publishes on its topic.

    Subclasses set ``topic`` (e.g. ``crm.tasks``), ``event_name`` (e.g. ``TaskCreated``),
    ``version`` and ``key_field`` (the payload field holding the aggregate id, used
    as the Kafka key so one aggregate's events stay in order).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    topic: ClassVar[str]
    event_name: ClassVar[str]
    version: ClassVar[int] = 1
    key_field: ClassVar[str]
    is_command: ClassVar[bool] = False
    handled_by: ClassVar[str] = ""
    """A command's handler: the service that acts on it (the only one that may)."""
    also_from: ClassVar[tuple[str, ...]] = ()
    """ce_source values besides the topic's own service that publish this event, e.g. ``/crm/mail-ingest``."""

    @classmethod
    def ce_type(cls) -> str:
        """The CloudEvents type, e.g. ``crm.tasks.TaskCreated.v1``."""
        return f"{cls.topic}.{cls.event_name}.v{cls.version}"

    @classmethod
    def dataschema(cls) -> str:
        """The CloudEvents ``dataschema``: the id of this type's payload schema in ``asyncapi.yaml``."""
        return f"{DATASCHEMA_PREFIX}{cls.ce_type()}"

    def key(self) -> str:
        """The Kafka key: the aggregate id named by ``key_field``."""
        return str(getattr(self, self.key_field))

    def payload(self) -> bytes:
        """The JSON value written to Kafka."""
        return self.model_dump_json().encode()


class Envelope(NamedTuple):
    """The CloudEvents attributes that travel in Kafka headers beside the payload.

    An immutable record, not a pydantic model: one is built for every event published and every
    record consumed, and the headers are checked where they are read (``crm_kit.cloudevents``).
    """

    id: str
    source: str
    type: str
    time: datetime
    specversion: str = "1.0"
    correlationid: str | None = None
    causationid: str | None = None
    subject: str | None = None
    dataschema: str | None = None


ENVELOPE_DOCS: dict[str, str] = {
    "id": "ce_id: unique event id (uuid7); consumers dedupe on it.",
    "source": "ce_source: the publishing service, e.g. /crm/tasks.",
    "type": "ce_type: crm.<topic suffix>.<Name>.v<version>.",
    "time": "ce_time: when the fact happened, UTC.",
    "specversion": "ce_specversion: always 1.0.",
    "correlationid": (
        "ce_correlationid: the conversation this event belongs to: the ce_correlationid of its cause, or its own"
        " ce_id when nothing caused it (a user's request, a timer). Always present."
    ),
    "causationid": (
        "ce_causationid: the ce_id of the event or command that caused this one, or its own ce_id when nothing"
        " did. Always present."
    ),
    "subject": "ce_subject: the Kafka key (the aggregate id), as text. Always present.",
    "dataschema": (
        "ce_dataschema: the id of the payload's schema (urn:crm:schema:<ce_type>), the x-dataschema of its"
        " message in this document. Absent on events published before it was introduced: consumers go by ce_type."
    ),
}
"""What each envelope attribute means, as the AsyncAPI document describes its ``ce_*`` header."""


class ContractError(ValueError):
    """A raw message that is not a valid contract event (unknown type or bad payload)."""

    def __init__(self, ce_type: str, reason: str) -> None:
        super().__init__(f"{ce_type}: {reason}")
        self.ce_type = ce_type
        self.reason = reason


def json_schema(event: type[Event]) -> dict[str, Any]:
    """The payload's JSON schema, as published in AsyncAPI."""
    return event.model_json_schema(mode="serialization")
