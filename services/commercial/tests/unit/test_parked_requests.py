"""Parked commands are kept as document requests: written and read back whole, and old rows converted alike."""

from __future__ import annotations

import importlib.util
import json
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

import crm_commercial
from crm_commercial.events.subscribers import Command, issue_request
from crm_commercial.store.repository import request_from_json, request_json
from crm_contracts import opportunities as opp
from crm_contracts import tasks as tsk
from crm_contracts.common import DocumentLine, Source

LINES = [
    DocumentLine(article_code="ORA", qty=Decimal("2.25"), price=Decimal("150.50"), description="Intervenție"),
    DocumentLine(article_code="LIC", qty=Decimal(1)),
]
COMMANDS: list[Command] = [
    opp.OfferRequested(
        request_id=uuid.uuid4(),
        opportunity_id=uuid.uuid4(),
        partner_id=uuid.uuid4(),
        lines=LINES,
        source=Source(campaign_id=uuid.uuid4()),
        valid_until=date(2026, 5, 1),
    ),
    opp.ClientOrderRequested(
        request_id=uuid.uuid4(),
        opportunity_id=uuid.uuid4(),
        partner_id=uuid.uuid4(),
        lines=LINES,
        source=Source(offer_id=uuid.uuid4()),
    ),
    opp.ContractRequested(
        request_id=uuid.uuid4(),
        opportunity_id=uuid.uuid4(),
        partner_id=uuid.uuid4(),
        lines=LINES,
        kind="subscription",
        starts_on=date(2026, 4, 1),
        months=12,
        monthly_value=Decimal("1400.00"),
    ),
    tsk.ContractRequested(
        request_id=uuid.uuid4(), task_id=uuid.uuid4(), partner_id=uuid.uuid4(), starts_on=date(2026, 3, 10), lines=LINES
    ),
    tsk.InvoiceRequested(request_id=uuid.uuid4(), task_id=uuid.uuid4(), partner_id=uuid.uuid4(), lines=LINES),
]


def migration() -> ModuleType:
    path = Path(crm_commercial.__file__).parent / "store" / "migrations" / "versions" / "0006_parked_requests.py"
    spec = importlib.util.spec_from_file_location("commercial_0006", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.ce_type())
def test_a_parked_request_is_read_back_as_it_was_written(command: Command) -> None:
    request = issue_request(command)
    assert request_from_json(request_json(request)) == request


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.ce_type())
def test_a_command_parked_before_0006_is_converted_to_the_request_its_subscriber_makes(command: Command) -> None:
    old_payload = json.loads(command.model_dump_json())
    converted = migration().request_of(command.ce_type(), old_payload)
    assert request_from_json(json.dumps(converted)) == issue_request(command)
