"""Bad requests get a clear 4xx and change nothing; roles and identities are enforced."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from crm_contracts.commercial import CostDocumentPosted, InvoiceIssued
from crm_kit.ids import new_id

GOOD = {"name": "Iarna", "starts_on": "2026-01-01", "ends_on": "2026-02-28", "return_months": 2}


async def test_bad_requests_get_a_clear_4xx_and_change_nothing(world) -> None:
    campaign = (await world.post("/api/campaigns", GOOD, expect=201)).json()["id"]
    base = f"/api/campaigns/{campaign}"
    cases = [
        ("/api/campaigns", {**GOOD, "ends_on": "2025-12-31"}, 422, "cannot end before it starts"),
        ("/api/campaigns", {**GOOD, "return_months": 0}, 400, "return_months"),
        ("/api/campaigns", {**GOOD, "estimated_cost": "-1"}, 400, "estimated_cost"),
        ("/api/campaigns", {**GOOD, "colour": "red"}, 400, "colour"),
        (f"{base}/members", {"partner_ids": [], "filter": {}}, 400, "either partner_ids or filter"),
        (f"{base}/members", {"partner_ids": [str(new_id())]}, 422, "not in the partner directory"),
        (f"{base}/members", {"filter": {"turnover_min": "10", "turnover_max": "5"}}, 422, "turnover_min is above"),
        (f"{base}/members", {"filter": {"kinds": ["martian"]}}, 422, "unknown partner kind"),
        (f"{base}/costs", {"cost_document_id": str(new_id())}, 404, "not known yet"),
        (f"{base}/costs", {"cost_document_id": "not-a-uuid"}, 400, "cost_document_id"),
        (f"{base}/revenues", {"order_id": str(new_id())}, 404, "not known yet"),
        (f"{base}/returns", {"invoice_id": str(new_id()), "month": "2026-05"}, 422, "outside the campaign's return"),
        (f"{base}/returns", {"invoice_id": str(new_id()), "month": "2026-13"}, 422, "not a month"),
        (f"{base}/opportunities", {"all_members": True, "partner_ids": [str(new_id())]}, 400, "either"),
        (f"/api/campaigns/{new_id()}/costs", {"cost_document_id": str(new_id())}, 404, "no campaign"),
    ]
    for path, body, status, words in cases:
        response = await world.post(path, body)
        assert response.status_code == status, (path, body, response.text)
        assert words in response.text, (path, response.text)

    patched = await world.client.patch(base, json={"name": None}, headers=world.headers())
    assert patched.status_code == 422
    assert "cannot be emptied" in patched.json()["detail"]
    bad_date = await world.client.get(f"{base}/results", params={"as_of": "yesterday"}, headers=world.headers())
    assert bad_date.status_code == 400
    assert (await world.client.get(f"/api/campaigns/{new_id()}", headers=world.headers())).status_code == 404

    assert (await world.get("/api/campaigns"))["total"] == 1
    assert (await world.get(f"{base}/members"))["total"] == 0
    unchanged = await world.get(base)
    assert (unchanged["name"], unchanged["ends_on"]) == ("Iarna", "2026-02-28")


async def test_agents_read_but_only_managers_change_campaigns_and_every_call_needs_an_identity(world) -> None:
    as_agent = await world.client.post("/api/campaigns", json=GOOD, headers=world.headers("agent"))
    assert as_agent.status_code == 403
    anonymous = await world.client.get("/api/campaigns")
    assert anonymous.status_code == 401
    listed = await world.client.get("/api/campaigns", headers=world.headers("agent"))
    assert listed.status_code == 200
    assert listed.json() == {"items": [], "total": 0}


async def test_a_document_counts_for_one_campaign_only(world) -> None:
    first = (await world.post("/api/campaigns", GOOD, expect=201)).json()["id"]
    second = (await world.post("/api/campaigns", {**GOOD, "name": "Alta"}, expect=201)).json()["id"]
    doc = CostDocumentPosted(
        document_id=new_id(),
        kind="purchase_invoice",
        number="FZ-1",
        date=dt.date(2026, 1, 5),
        net=Decimal("100.00"),
        vat=Decimal("21.00"),
    )
    bill = InvoiceIssued(
        document_id=(invoice_id := new_id()),
        invoice_id=invoice_id,
        partner_id=new_id(),
        number="F-9",
        issued_on=dt.date(2026, 1, 20),
        net=Decimal("80.00"),
        vat=Decimal("16.80"),
        gross=Decimal("96.80"),
    )
    await world.publish(doc, bill)
    await world.handled(2)
    await world.post(f"/api/campaigns/{first}/costs", {"cost_document_id": str(doc.document_id)}, expect=201)
    taken = await world.post(f"/api/campaigns/{second}/costs", {"cost_document_id": str(doc.document_id)})
    assert taken.status_code == 409
    assert taken.json()["extra"]["campaign_id"] == first

    returned = await world.post(
        f"/api/campaigns/{first}/returns", {"invoice_id": str(invoice_id), "month": "2026-02"}, expect=201
    )
    assert returned.json()["month"] == "2026-02"
    moved = await world.post(f"/api/campaigns/{first}/returns", {"invoice_id": str(invoice_id), "month": "2026-01"})
    assert moved.status_code == 409
    results = await world.get(f"/api/campaigns/{first}/results")
    assert (results["realized_cost"], results["invoiced_revenue"], results["roi"]) == ("100.00", "80.00", "-0.2000")
    assert results["monthly_return"] == [{"month": "2026-01", "value": "0.00"}, {"month": "2026-02", "value": "80.00"}]
    assert (await world.get(f"/api/campaigns/{second}/results"))["realized_cost"] == "0.00"
