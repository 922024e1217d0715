"""The attribution rules alone (they sat in the event handlers before): which campaign a document counts for."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import uuid4

from crm_campaigns.domain.attribution import (
    counted_month,
    invoice_campaigns,
    invoice_facts,
    opportunity_takes,
    posted_cost_campaign,
)
from crm_campaigns.domain.documents import Contract, CostDocument, Invoice, Order
from crm_campaigns.domain.results import Measure, Via

DAY = dt.date(2026, 4, 10)


def test_a_posted_cost_counts_for_the_known_campaign_it_names_when_its_kind_is_a_marketing_cost() -> None:
    known = uuid4()
    doc = CostDocument(uuid4(), "expense_report", "DD-1", DAY, Decimal(10), Decimal(0), campaign_id=known)
    assert posted_cost_campaign(doc, {known}) == known
    assert posted_cost_campaign(doc, set()) is None
    assert (
        posted_cost_campaign(
            CostDocument(uuid4(), "sales_invoice", "F", DAY, Decimal(1), Decimal(0), None, known), {known}
        )
        is None
    )


def test_a_document_from_a_campaign_opportunity_counts_for_it_unless_it_names_a_known_campaign_itself() -> None:
    named = uuid4()
    assert opportunity_takes(None, {named})
    assert opportunity_takes(uuid4(), {named})
    assert not opportunity_takes(named, {named})


def test_an_invoice_counts_for_its_orders_campaign_and_for_its_subscriptions_campaign_in_the_return_too() -> None:
    a, b = uuid4(), uuid4()
    order = Order(uuid4(), uuid4(), "CMD", DAY, Decimal(1), campaign_id=a)
    contract = Contract(uuid4(), uuid4(), "CTR", "subscription", DAY, DAY, Decimal(1), campaign_id=b)
    assert invoice_campaigns(order, contract) == [(a, Via.ORDER, False), (b, Via.CONTRACT, True)]
    assert invoice_campaigns(Order(uuid4(), uuid4(), "CMD", DAY, Decimal(1)), None) == []


def test_an_invoice_counts_in_the_contract_month_it_bills_and_in_the_return_only_for_a_subscription() -> None:
    invoice = Invoice(uuid4(), uuid4(), "F-1", DAY, Decimal(50), period="2026-03")
    month = counted_month(invoice)
    invoiced, returned = invoice_facts(invoice, uuid4(), Via.CONTRACT, subscription=True, month=month)
    assert (month, invoiced.measure, invoiced.month) == ("2026-03", Measure.INVOICED, "2026-03")
    assert returned is not None and returned.measure == Measure.RETURN
    assert invoice_facts(invoice, uuid4(), Via.ORDER, subscription=False, month=month)[1] is None
    assert counted_month(Invoice(uuid4(), uuid4(), "F-2", DAY, Decimal(1))) == "2026-04"
