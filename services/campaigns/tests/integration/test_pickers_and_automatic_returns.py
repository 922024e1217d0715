"""The campaign picker's search route, and M5's return updated by itself once a subscription counts for a campaign."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from crm_contracts.commercial import ContractSigned, InvoiceIssued
from crm_kit.ids import new_id

D = Decimal


async def test_the_campaign_search_ignores_accents_and_case_and_answers_at_most_the_limit(world, database_url) -> None:
    dates = {"starts_on": "2026-01-01", "ends_on": "2026-02-28"}
    brasov = (await world.post("/api/campaigns", {"name": "Toamnă la Brașov", **dates}, expect=201)).json()["id"]
    for n in range(22):
        await world.post("/api/campaigns", {"name": f"Târg {n:02d}", **dates}, expect=201)
    found = await world.client.get("/api/campaigns/search", params={"q": "BRASOV toa"}, headers=world.headers("agent"))
    assert found.json() == {
        "items": [{"id": brasov, "name": "Toamnă la Brașov", "starts_on": "2026-01-01", "ends_on": "2026-02-28"}]
    }
    assert len((await world.get("/api/campaigns/search", q="targ"))["items"]) == 20
    assert (await world.get("/api/campaigns/search", q="rasov")) == {"items": []}
    too_many = await world.client.get("/api/campaigns/search", params={"q": "t", "limit": 51}, headers=world.headers())
    assert too_many.status_code == 400


def _invoice(contract_id, partner_id, number: str, day: str, period: str) -> InvoiceIssued:
    invoice_id = new_id()
    return InvoiceIssued(
        document_id=invoice_id,
        invoice_id=invoice_id,
        partner_id=partner_id,
        number=number,
        issued_on=dt.date.fromisoformat(day),
        net=D("500.00"),
        vat=D("105.00"),
        gross=D("605.00"),
        contract_id=contract_id,
        period=period,
    )


async def test_once_a_subscriptions_invoice_counts_by_hand_its_next_invoices_update_the_return_by_themselves(
    world,
) -> None:
    campaign = (
        await world.post(
            "/api/campaigns",
            {"name": "Abonamente", "starts_on": "2026-02-01", "ends_on": "2026-04-30", "return_months": 3},
            expect=201,
        )
    ).json()["id"]
    client = new_id()
    contract = ContractSigned(
        document_id=new_id(),
        partner_id=client,
        number="CTR-2026-000001",
        issued_on=dt.date(2026, 1, 28),
        net=D("500.00"),
        vat=D("105.00"),
        gross=D("605.00"),
        kind="subscription",
        starts_on=dt.date(2026, 2, 1),
        monthly_value=D("500.00"),
    )  # named no campaign and came from no opportunity: its invoices counted nowhere on their own
    february = _invoice(contract.document_id, client, "FCT-2026-000001", "2026-02-01", "2026-02")
    await world.publish(contract, february)
    await world.handled(2)
    await world.post(
        f"/api/campaigns/{campaign}/returns", {"invoice_id": str(february.invoice_id), "month": "2026-02"}, expect=201
    )

    march = _invoice(contract.document_id, client, "FCT-2026-000002", "2026-03-01", "2026-03")
    [posted] = await world.publish(march)
    await world.publish(march)  # the ERP posts the same invoice again (a new record): it counts once
    await world.redeliver(posted, march)  # and the broker delivers the first record twice: skipped
    await world.handled(5, distinct=4)

    results = await world.get(f"/api/campaigns/{campaign}/results")
    assert results["monthly_return"] == [
        {"month": "2026-02", "value": "500.00"},
        {"month": "2026-03", "value": "500.00"},
        {"month": "2026-04", "value": "0.00"},
    ]
    assert results["invoiced_revenue"] == "1000.00"
    returns = await world.get(f"/api/campaigns/{campaign}/returns")
    assert [(r["number"], r["month"], r["via"]) for r in returns["items"]] == [
        ("FCT-2026-000001", "2026-02", "attached"),
        ("FCT-2026-000002", "2026-03", "contract"),
    ]
