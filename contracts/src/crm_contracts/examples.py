"""Example events built from the contract models alone: every field filled with a plausible, valid value.

The AsyncAPI document shows one per message; the values are fixed (ids derive from the field name), so the
generated file does not change between runs, and each example goes through the model, so it is valid by construction.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel

from crm_contracts.base import Event

MOMENT = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
"""When every example happens."""

_TEXT = {
    "email": "office@alfa.example",
    "recipient": "ana",
    "sender": "office@alfa.example",
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "printout_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "month": "2026-12",
    "period": "2026-12",
    "currency": "RON",
    "code": "SRV-ERP-H",
    "article_code": "SRV-ERP-H",
    "number": "OF-2026-000123",
    "message_id": "<20261201093000.1234@alfa.example>",
    "fiscal_code": "RO12345678",
    "unit": "h",
    "link": "/tasks",
    "server": "smtp.example:587",
    "file_name": "cerere.pdf",
    "content_type": "application/pdf",
    "user_login": "ana",
    "county": "Cluj",
    "locality": "Cluj-Napoca",
}
_DECIMALS = {
    "probability": "30",
    "weight": "25",
    "vat_rate": "21",
    "hours": "2.50",
    "planned_hours": "8",
    "hours_per_day": "8",
    "qty": "2",
    "roi": "0.35",
}


def _uuid(name: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"urn:crm:example:{name}")


def _value(name: str, annotation: Any) -> Any:
    """A plausible value of ``annotation`` for a field called ``name``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _value(name, args[0])
    if origin in (typing.Union, types.UnionType):
        return _value(name, next(a for a in args if a is not type(None)))
    if origin is typing.Literal:
        return args[0]
    if origin is list:
        return [_value(name.removesuffix("s"), args[0])]
    if origin is dict:
        return {"title": "Verificare server"}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _fields(annotation)
    if annotation is UUID:
        return _uuid(name)
    if annotation is dt.datetime:
        return MOMENT
    if annotation is dt.date:
        return MOMENT.date()
    if annotation is Decimal:
        return Decimal(_DECIMALS.get(name, "1250.00"))
    if annotation is bool:
        return False
    if annotation is int:
        return 1
    if annotation is str:
        if name.endswith("_event_id"):
            return str(_uuid(name))
        if name.endswith("email") or name.endswith("emails") or name == "recipients":
            return _TEXT["email"]
        return _TEXT.get(name, f"Example {name.replace('_', ' ')}")
    raise TypeError(f"no example for {name}: {annotation!r}")


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    return {name: _value(name, field.annotation) for name, field in model.model_fields.items()}


def example_event(event: type[Event]) -> Event:
    """An instance of ``event`` with every field filled."""
    return event.model_validate(_fields(event))


def example_headers(event: type[Event], instance: Event, source: str) -> dict[str, str]:
    """The Kafka headers the outbox writes for ``instance``, published by ``source``."""
    event_id = str(_uuid(f"event:{event.ce_type()}"))
    return {
        "ce_id": event_id,
        "ce_source": source,
        "ce_type": event.ce_type(),
        "ce_time": MOMENT.isoformat(),
        "ce_specversion": "1.0",
        "ce_correlationid": event_id,
        "ce_causationid": event_id,
        "ce_subject": instance.key(),
        "ce_dataschema": event.dataschema(),
        "content-type": "application/json",
    }
