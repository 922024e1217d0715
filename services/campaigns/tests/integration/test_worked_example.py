"""The worked example: known costs, orders, invoices and a subscription give exact results, today and
as of past dates, and delivering every event twice changes nothing (M3-M6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from crm_contracts.campaigns import CampaignResultsChanged, InvoiceAttachedToCampaign
from crm_contracts.commercial import ClientOrderPlaced, ContractSigned, CostDocumentPosted, InvoiceIssued
from crm_contracts.common import Source
from crm_contracts.opportunities import OpportunityOpened
from crm_kit.ids import new_id
from crm_kit.testing import read_events

D = Decimal


def cost(kind: str, day: str, net: str, vat: str, campaign_id: UUID | None) -> CostDocumentPosted:
    return CostDocumentPosted(
        document_id=new_id(),
        kind=kind,  # type: ignore[arg-type]
        number=f"C-{day}",
        date=dt.date.fromisoformat(day),
        net=D(net),
        vat=D(vat),
        partner_id=new_id(),
        campaign_id=campaign_id,
    )


def order(partner: UUID, day: str, net: str, source: Source) -> ClientOrderPlaced:
    return ClientOrderPlaced(
        document_id=new_id(),
        partner_id=partner,
        number=f"CMD-{day}",
        issued_on=dt.date.fromisoformat(day),
        net=D(net),
        vat=(D(net) * D("0.21")).quantize(D("0.01")),
        gross=(D(net) * D("1.21")).quantize(D("0.01")),
        source=source,
    )


def invoice(
    partner: UUID,
    day: str,
    net: str,
    *,
    order_id: UUID | None = None,
    contract_id: UUID | None = None,
    period: str | None = None,
) -> InvoiceIssued:
    invoice_id = new_id()
    return InvoiceIssued(
        document_id=invoice_id,
        invoice_id=invoice_id,
        partner_id=partner,
        number=f"F-{day}",
        issued_on=dt.date.fromisoformat(day),
        net=D(net),
        vat=(D(net) * D("0.21")).quantize(D("0.01")),
        gross=(D(net) * D("1.21")).quantize(D("0.01")),
        order_id=order_id,
        contract_id=contract_id,
        period=period,
    )


def figures(r: dict[str, Any]) -> tuple[Any, ...]:
    return (
        r["realized_cost"],
        r["accepted_revenue"],
        r["invoiced_revenue"],
        [(m["month"], m["value"]) for m in r["monthly_return"]],
        r["roi"],
    )


async def test_a_campaign_with_known_documents_has_exact_results_now_and_as_of_past_dates(world, database_url) -> None:
    created = await world.post(
        "/api/campaigns",
        {
            "name": "Primăvara 2026",
            "starts_on": "2026-01-01",
            "ends_on": "2026-03-31",
            "objective": "abonamente noi",
            "segment": "IMM Cluj",
            "estimated_cost": "5000.00",
            "estimated_revenue": "20000.00",
            "return_months": 6,
        },
        expect=201,
    )
    campaign_id = UUID(created.json()["id"])
    client_a, client_b, client_c = new_id(), new_id(), new_id()
    opportunity = OpportunityOpened(
        opportunity_id=new_id(),
        partner_id=client_b,
        title="Oferta B",
        potential=D("2500"),
        probability=D(50),
        campaign_id=campaign_id,
    )

    # Costs: three count (two name the campaign, one is attached later), one never does. Net of VAT.
    c1 = cost("purchase_invoice", "2026-01-10", "1200.00", "228.00", campaign_id)
    c2 = cost("expense_report", "2026-01-20", "350.50", "0.00", campaign_id)
    c3 = cost("treasury", "2026-02-15", "449.50", "85.41", None)
    c4 = cost("purchase_receipt", "2026-03-05", "1000.00", "190.00", None)
    # Orders: one names the campaign, one comes from the campaign's opportunity, one is unrelated.
    order_a = order(client_a, "2026-01-25", "3000.00", Source(campaign_id=campaign_id))
    order_b = order(client_b, "2026-02-10", "2000.00", Source(opportunity_id=opportunity.opportunity_id))
    order_c = order(client_c, "2026-02-11", "999.00", Source())
    # A subscription contract from the campaign, billed monthly.
    contract = ContractSigned(
        document_id=new_id(),
        partner_id=client_a,
        number="AB-1",
        issued_on=dt.date(2026, 1, 28),
        net=D("500.00"),
        vat=D("105.00"),
        gross=D("605.00"),
        kind="subscription",
        starts_on=dt.date(2026, 2, 1),
        monthly_value=D("500.00"),
        source=Source(campaign_id=campaign_id),
    )
    invoices = [
        invoice(client_a, "2026-01-31", "1500.00", order_id=order_a.document_id),
        invoice(client_a, "2026-02-28", "1500.00", order_id=order_a.document_id),
        invoice(client_b, "2026-03-15", "2000.00", order_id=order_b.document_id),
        invoice(client_c, "2026-03-16", "999.00", order_id=order_c.document_id),
        invoice(client_a, "2026-02-01", "500.00", contract_id=contract.document_id, period="2026-02"),
        invoice(client_a, "2026-03-01", "500.00", contract_id=contract.document_id, period="2026-03"),
        invoice(client_a, "2026-04-01", "500.00", contract_id=contract.document_id, period="2026-04"),
    ]
    # The invoices of order B go out before its opportunity is known: attribution must catch up.
    events = [c1, c2, c3, c4, order_a, order_b, order_c, contract, *invoices, opportunity]
    envelopes = await world.publish(*events)
    await world.handled(len(events))

    attached = await world.until(lambda: _attach(world, campaign_id, c3.document_id))
    assert attached["net"] == "449.50"
    assert attached["kind"] == "treasury"

    expected_now = (
        "2000.00",  # 1200.00 + 350.50 + 449.50; VAT and the unattached receipt left out
        "5000.00",  # order A 3000.00 + order B 2000.00 (through the opportunity)
        "6500.00",  # 1500 + 1500 + 2000 on the orders, 3 x 500 on the subscription
        [
            ("2026-01", "0.00"),
            ("2026-02", "500.00"),
            ("2026-03", "500.00"),
            ("2026-04", "500.00"),
            ("2026-05", "0.00"),
            ("2026-06", "0.00"),
        ],
        "2.2500",  # (6500 - 2000) / 2000
    )
    now = await world.get(f"/api/campaigns/{campaign_id}/results")
    assert figures(now) == expected_now
    assert (now["estimated_cost"], now["estimated_revenue"], now["as_of"]) == ("5000.00", "20000.00", None)

    end_of_february = await world.get(f"/api/campaigns/{campaign_id}/results", as_of="2026-02-28")
    assert figures(end_of_february) == (
        "2000.00",
        "5000.00",
        "3500.00",  # invoices of 31 Jan, 28 Feb and the February subscription month
        [
            ("2026-01", "0.00"),
            ("2026-02", "500.00"),
            ("2026-03", "0.00"),
            ("2026-04", "0.00"),
            ("2026-05", "0.00"),
            ("2026-06", "0.00"),
        ],
        "0.7500",
    )
    end_of_january = await world.get(f"/api/campaigns/{campaign_id}/results", as_of="2026-01-31")
    assert figures(end_of_january)[:3] == ("1550.50", "3000.00", "1500.00")
    assert end_of_january["roi"] == "-0.0326"  # (1500 - 1550.50) / 1550.50, to 4 decimals
    before_start = await world.get(f"/api/campaigns/{campaign_id}/results", as_of="2025-12-31")
    assert figures(before_start)[:3] == ("0.00", "0.00", "0.00")
    assert before_start["roi"] is None

    costs = await world.get(f"/api/campaigns/{campaign_id}/costs")
    assert {(c["kind"], c["net"], c["via"]) for c in costs["items"]} == {
        ("purchase_invoice", "1200.00", "document"),
        ("expense_report", "350.50", "document"),
        ("treasury", "449.50", "attached"),
    }
    revenues = await world.get(f"/api/campaigns/{campaign_id}/revenues")
    assert sorted((r["net"], r["via"]) for r in revenues["items"]) == [
        ("2000.00", "opportunity"),
        ("3000.00", "document"),
    ]

    # Everything again: the same records redelivered, and the ERP re-posting the same documents.
    for envelope, event in zip(envelopes, events, strict=True):
        await world.redeliver(envelope, event)
    await world.publish(*events)
    await world.handled(3 * len(events), distinct=2 * len(events))
    assert figures(await world.get(f"/api/campaigns/{campaign_id}/results")) == expected_now
    again = await world.post(f"/api/campaigns/{campaign_id}/costs", {"cost_document_id": str(c3.document_id)})
    assert again.status_code == 201
    assert figures(await world.get(f"/api/campaigns/{campaign_id}/results")) == expected_now

    published = await read_events(
        world.bootstrap_servers,
        world.prefix,
        "crm.campaigns",
        until=lambda found: any(isinstance(e, CampaignResultsChanged) and e.roi == D("2.25") for _, e in found),
    )
    attached_invoices = [e for _, e in published if isinstance(e, InvoiceAttachedToCampaign)]
    assert sorted((e.month, e.net) for e in attached_invoices) == [
        ("2026-01", D("1500.00")),
        ("2026-02", D("500.00")),
        ("2026-02", D("1500.00")),
        ("2026-03", D("500.00")),
        ("2026-03", D("2000.00")),
        ("2026-04", D("500.00")),
    ]
    changes = [e for _, e in published if isinstance(e, CampaignResultsChanged)]
    assert changes[-1].realized_cost == D("2000.00")
    assert changes[-1].invoiced_revenue == D("6500.00")
    assert len({(c.realized_cost, c.accepted_revenue, c.invoiced_revenue, c.roi) for c in changes}) == len(changes)


async def _attach(world, campaign_id: UUID, document_id: UUID) -> Any:
    response = await world.post(f"/api/campaigns/{campaign_id}/costs", {"cost_document_id": str(document_id)})
    if response.status_code == 404:
        return None
    assert response.status_code == 201, response.text
    return response.json()


async def test_documents_that_arrive_before_their_opportunity_count_once_it_is_known(world) -> None:
    created = await world.post(
        "/api/campaigns",
        {"name": "Recuperare", "starts_on": "2026-05-01", "ends_on": "2026-05-31", "return_months": 2},
        expect=201,
    )
    campaign_id = UUID(created.json()["id"])
    client = new_id()
    opportunity_id = new_id()
    late_order = order(client, "2026-05-10", "800.00", Source(opportunity_id=opportunity_id))
    contract = ContractSigned(
        document_id=new_id(),
        partner_id=client,
        number="AB-9",
        issued_on=dt.date(2026, 5, 12),
        net=D("100.00"),
        vat=D("21.00"),
        gross=D("121.00"),
        kind="subscription",
        starts_on=dt.date(2026, 6, 1),
        monthly_value=D("100.00"),
        source=Source(opportunity_id=opportunity_id),
    )
    early = [
        late_order,
        contract,
        invoice(client, "2026-05-20", "800.00", order_id=late_order.document_id),
        invoice(client, "2026-06-01", "100.00", contract_id=contract.document_id, period="2026-06"),
    ]
    await world.publish(*early)
    await world.handled(len(early))
    before = await world.get(f"/api/campaigns/{campaign_id}/results")
    assert (before["accepted_revenue"], before["invoiced_revenue"]) == ("0.00", "0.00")

    await world.publish(
        OpportunityOpened(
            opportunity_id=opportunity_id,
            partner_id=client,
            title="Din campanie",
            potential=D("900"),
            probability=D(60),
            campaign_id=campaign_id,
        )
    )
    await world.handled(len(early) + 1)
    after = await world.get(f"/api/campaigns/{campaign_id}/results")
    assert figures(after) == (
        "0.00",
        "800.00",
        "900.00",
        [("2026-05", "0.00"), ("2026-06", "100.00")],
        None,  # no cost yet: ROI is undefined, not infinite
    )
    invoiced = await world.get(f"/api/campaigns/{campaign_id}/invoices")
    assert sorted((i["net"], i["via"]) for i in invoiced["items"]) == [("100.00", "contract"), ("800.00", "order")]
