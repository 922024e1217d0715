"""The `crm events tail` line format: readable for a person, honest about what it could not decode."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from crm_contracts.base import Envelope
from crm_contracts.partners import LeadConverted
from crm_kit.cloudevents import to_headers
from crm_kit.tools import format_record

PARTNER = UUID("01900000-0000-7000-8000-000000000001")


def test_a_known_event_is_printed_with_its_type_key_and_payload() -> None:
    event = LeadConverted(partner_id=PARTNER)
    envelope = Envelope(id="e1", source="/crm/partners", type=event.ce_type(), time=datetime(2026, 1, 2, tzinfo=UTC))
    line = format_record("crm.partners", event.key().encode(), to_headers(envelope), event.payload())
    assert "crm.partners.LeadConverted.v1" in line
    assert f"key={PARTNER}" in line
    assert f'"partner_id":"{PARTNER}"' in line


def test_a_record_without_cloudevents_headers_says_so() -> None:
    line = format_record("crm.partners", b"k", [], b"{}")
    assert "no CloudEvents headers" in line


def test_a_payload_that_breaks_its_schema_is_shown_with_the_reason() -> None:
    envelope = Envelope(id="e2", source="/x", type=LeadConverted.ce_type(), time=datetime(2026, 1, 2, tzinfo=UTC))
    line = format_record("crm.partners", b"k", to_headers(envelope), b'{"partner_id": 5}')
    assert "!! invalid payload" in line
