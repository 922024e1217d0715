"""CloudEvents 1.0 Kafka binary binding: envelope attributes to and from Kafka headers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from crm_contracts.base import Envelope

Headers = list[tuple[str, bytes]]

_ATTRIBUTES = ("id", "source", "type", "time", "specversion", "correlationid", "causationid", "subject")


def to_headers(envelope: Envelope) -> Headers:
    """Kafka headers for an envelope (``ce_*`` plus ``content-type``)."""
    headers: Headers = []
    for attr in _ATTRIBUTES:
        value = getattr(envelope, attr)
        if value is None:
            continue
        text = value.isoformat() if isinstance(value, datetime) else str(value)
        headers.append((f"ce_{attr}", text.encode()))
    headers.append(("content-type", b"application/json"))
    return headers


def header_map(headers: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    """Kafka headers as a dict of strings (the last value of a repeated header wins)."""
    return {k: v.decode("utf-8", "replace") for k, v in (headers or ())}


class MissingHeaders(ValueError):
    """A Kafka record that lacks the required CloudEvents headers."""


def from_headers(headers: Sequence[tuple[str, bytes]] | None) -> Envelope:
    """The envelope carried by a record's headers.

    Raises:
        MissingHeaders: when ce_id, ce_type, ce_source or ce_time is missing or malformed.
    """
    values = header_map(headers)
    missing = [h for h in ("ce_id", "ce_type", "ce_source") if not values.get(h)]
    if missing:
        raise MissingHeaders(f"missing CloudEvents headers: {', '.join(missing)}")
    try:
        time = datetime.fromisoformat(values["ce_time"]) if values.get("ce_time") else datetime.now(UTC)
    except ValueError as exc:
        raise MissingHeaders(f"bad ce_time: {exc}") from None
    # Every attribute is checked above or is an optional string, so the envelope is built
    # without pydantic's validation: this runs once per consumed record.
    return Envelope.model_construct(
        id=values["ce_id"],
        source=values["ce_source"],
        type=values["ce_type"],
        time=time,
        specversion=values.get("ce_specversion", "1.0"),
        correlationid=values.get("ce_correlationid"),
        causationid=values.get("ce_causationid"),
        subject=values.get("ce_subject"),
    )
