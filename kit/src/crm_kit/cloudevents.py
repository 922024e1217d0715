"""CloudEvents 1.0 Kafka binary binding: envelope attributes to and from Kafka headers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from crm_contracts.base import Envelope

Headers = list[tuple[str, bytes]]


def header_text(envelope: Envelope) -> list[tuple[str, str]]:
    """The envelope's headers as text (``ce_*`` plus ``content-type``), as the outbox stores them."""
    pairs = [
        ("ce_id", envelope.id),
        ("ce_source", envelope.source),
        ("ce_type", envelope.type),
        ("ce_time", envelope.time.isoformat()),
        ("ce_specversion", envelope.specversion),
    ]
    if envelope.correlationid is not None:
        pairs.append(("ce_correlationid", envelope.correlationid))
    if envelope.causationid is not None:
        pairs.append(("ce_causationid", envelope.causationid))
    if envelope.subject is not None:
        pairs.append(("ce_subject", envelope.subject))
    if envelope.dataschema is not None:
        pairs.append(("ce_dataschema", envelope.dataschema))
    pairs.append(("content-type", "application/json"))
    return pairs


def to_headers(envelope: Envelope) -> Headers:
    """Kafka headers for an envelope (``ce_*`` plus ``content-type``)."""
    return [(key, value.encode()) for key, value in header_text(envelope)]


def header_map(headers: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    """Kafka headers as a dict of strings (the last value of a repeated header wins)."""
    return {k: v.decode("utf-8", "replace") for k, v in (headers or ())}


class MissingHeaders(ValueError):
    """A Kafka record that lacks the required CloudEvents headers."""


_ENVELOPE_HEADERS = frozenset(
    (
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_time",
        "ce_specversion",
        "ce_correlationid",
        "ce_causationid",
        "ce_subject",
        "ce_dataschema",
    )
)


def from_headers(headers: Sequence[tuple[str, bytes]] | None) -> Envelope:
    """The envelope carried by a record's headers.

    Raises:
        MissingHeaders: when ce_id, ce_type, ce_source or ce_time is missing or malformed.
    """
    # Only the envelope's own headers are decoded (a dead letter carries several more).
    values = {k: v.decode("utf-8", "replace") for k, v in (headers or ()) if k in _ENVELOPE_HEADERS}
    missing = [h for h in ("ce_id", "ce_type", "ce_source") if not values.get(h)]
    if missing:
        raise MissingHeaders(f"missing CloudEvents headers: {', '.join(missing)}")
    try:
        time = datetime.fromisoformat(values["ce_time"]) if values.get("ce_time") else datetime.now(UTC)
    except ValueError as exc:
        raise MissingHeaders(f"bad ce_time: {exc}") from None
    return Envelope(
        id=values["ce_id"],
        source=values["ce_source"],
        type=values["ce_type"],
        time=time,
        specversion=values.get("ce_specversion", "1.0"),
        correlationid=values.get("ce_correlationid"),
        causationid=values.get("ce_causationid"),
        subject=values.get("ce_subject"),
        dataschema=values.get("ce_dataschema"),  # absent on events published before it existed
    )
