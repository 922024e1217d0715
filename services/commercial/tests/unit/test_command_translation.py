"""Commands from other contexts become issue requests that keep their request id and source."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from crm_commercial.events.subscribers import issue_request
from crm_contracts import opportunities as opp
from crm_contracts import tasks as tsk
from crm_contracts.common import DocumentLine, Source


def test_an_offer_request_keeps_its_request_id_opportunity_campaign_and_lines() -> None:
    opportunity, campaign = uuid.uuid4(), uuid.uuid4()
    command = opp.OfferRequested(
        request_id=uuid.uuid4(),
        opportunity_id=opportunity,
        partner_id=uuid.uuid4(),
        lines=[DocumentLine(article_code="LIC", qty=Decimal(2), price=Decimal("9.99"))],
        source=Source(campaign_id=campaign),
        valid_until=date(2026, 5, 1),
    )
    req = issue_request(command)
    assert (req.doc_type, req.request_id, req.valid_until) == ("offer", str(command.request_id), date(2026, 5, 1))
    assert (req.source.opportunity_id, req.source.campaign_id) == (str(opportunity), str(campaign))
    assert [(line.article_code, line.qty, line.price) for line in req.lines] == [("LIC", Decimal(2), Decimal("9.99"))]
    assert req.apply_scope


def test_a_task_invoice_request_bills_the_task_and_ignores_the_picker_scope() -> None:
    task = uuid.uuid4()
    command = tsk.InvoiceRequested(
        request_id=uuid.uuid4(),
        task_id=task,
        partner_id=uuid.uuid4(),
        lines=[DocumentLine(article_code="ORA", qty=Decimal("1.75"), price=Decimal(150))],
    )
    req = issue_request(command)
    assert (req.doc_type, req.task_id, req.source.task_id) == ("invoice", str(task), str(task))
    assert not req.apply_scope
