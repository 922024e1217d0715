"""The contracts: every field described, versioned types, clear parse errors, AsyncAPI in step with the code."""

from __future__ import annotations

from uuid import uuid4

import pytest

from crm_contracts import asyncapi, registry
from crm_contracts.base import ContractError
from crm_contracts.partners import LeadConverted


def test_every_event_field_has_a_description() -> None:
    missing = [
        f"{event.ce_type()}.{name}"
        for event in registry.all_events()
        for name, field in event.model_fields.items()
        if not field.description
    ]
    assert missing == []


def test_every_event_type_is_versioned_and_named_after_its_topic() -> None:
    for event in registry.all_events():
        _, _, rest = event.ce_type().rpartition(".v")
        assert rest.isdigit()
        assert event.ce_type().startswith(event.topic + ".")
        assert event.key_field in event.model_fields


def test_a_payload_round_trips_through_the_registry() -> None:
    event = LeadConverted(partner_id=uuid4(), opportunity_id=uuid4())
    assert registry.parse(event.ce_type(), event.payload()) == event


def test_an_unknown_type_is_refused_with_the_type_named() -> None:
    with pytest.raises(ContractError, match=r"crm\.partners\.Nope\.v1: unknown event type"):
        registry.parse("crm.partners.Nope.v1", b"{}")


def test_a_bad_payload_is_refused_with_the_field_named() -> None:
    with pytest.raises(ContractError, match="partner_id"):
        registry.parse(LeadConverted.ce_type(), b'{"partner_id": "not-a-uuid"}')


def test_unknown_fields_are_ignored_so_producers_can_add_fields() -> None:
    pid = uuid4()
    event = registry.parse(LeadConverted.ce_type(), f'{{"partner_id": "{pid}", "new_field": 1}}'.encode())
    assert event == LeadConverted(partner_id=pid)


def test_the_committed_asyncapi_document_matches_the_code() -> None:
    assert asyncapi.OUTPUT.read_text() == asyncapi.render(), "run `make asyncapi`"
