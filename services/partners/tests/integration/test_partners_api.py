"""The partner directory over HTTP, on SQLite and PostgreSQL, with its events on the real broker."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from crm_contracts import topics
from crm_contracts.partners import PartnerRegistered, PartnerUpdated
from crm_kit.testing import read_events


def acme(**overrides: Any) -> dict[str, Any]:
    body = {
        "kind": "lead",
        "name": "Acme Distribuție SRL",
        "fiscal_code": "ro 14399840",
        "trade_register": "J40/372/2002",
        "locality": "București",
        "county": "bucuresti",
        "turnover": "1250000.50",
        "employees": 42,
        "activity_domain": "Distribuție IT",
        "sites": [{"name": "Sediu central", "emails": ["Office@Acme.RO", "vanzari@acme.ro"]}],
        "contacts": [{"name": "Ion Pop", "role": "Director", "email": "ion.pop@acme.ro", "phone": "0722000000"}],
        "campaign_id": "0190a000-0000-7000-8000-000000000001",
        "competitors": ["Beta SRL"],
        "interests": ["mentenanță"],
        "service_responsible": "Maria Ionescu",
    }
    body.update(overrides)
    return body


async def count(partners, table: str) -> int:  # type: ignore[no-untyped-def]
    async with partners.service.db.read() as conn:
        return int((await conn.execute(sa.text(f"select count(*) from {table}"))).scalar_one())


async def test_a_lead_registered_with_l1_fields_is_returned_whole_and_published(partners, kafka_bootstrap) -> None:
    response = await partners.post("/api/partners", acme())
    assert response.status_code == 201, response.text
    lead = response.json()
    assert lead["kind"] == "lead"
    assert lead["fiscal_code"] == "RO14399840"
    assert lead["county"] == "București"
    assert lead["turnover"] == "1250000.50"
    assert lead["sites"][0]["emails"] == ["office@acme.ro", "vanzari@acme.ro"]
    assert lead["competitors"] == ["Beta SRL"] and lead["service_responsible"] == "Maria Ionescu"

    events = await read_events(
        kafka_bootstrap,
        partners.settings.topic_prefix,
        topics.PARTNERS,
        until=lambda found: any(isinstance(e, PartnerRegistered) for _, e in found),
    )
    registered = next(e for _, e in events if isinstance(e, PartnerRegistered))
    assert str(registered.partner_id) == lead["id"]
    assert registered.sites[0].emails == ["office@acme.ro", "vanzari@acme.ro"]
    assert str(registered.campaign_id) == "0190a000-0000-7000-8000-000000000001"

    read = (await partners.get(f"/api/partners/{lead['id']}")).json()
    assert read["contacts"][0]["name"] == "Ion Pop"
    assert read["opportunities"] == []


async def test_partners_are_found_by_every_filter_of_the_list(partners) -> None:
    await partners.post("/api/partners", acme())
    await partners.post(
        "/api/partners",
        {
            "kind": "client",
            "name": "Beta Construct SA",
            "county": "CJ",
            "locality": "Cluj-Napoca",
            "turnover": "90000",
            "employees": 7,
            "activity_domain": "Construcții",
        },
    )
    await partners.post("/api/partners", {"kind": "supplier", "name": "Gamma Iași", "county": "Iasi", "employees": 300})

    async def names(**params: Any) -> list[str]:
        body = (await partners.get("/api/partners", **params)).json()
        return [p["name"] for p in body["items"]]

    assert await names() == ["Acme Distribuție SRL", "Beta Construct SA", "Gamma Iași"]
    assert await names(kind="client") == ["Beta Construct SA"]
    assert await names(name="distributie") == ["Acme Distribuție SRL"]
    assert await names(fiscal_code="RO14399840") == ["Acme Distribuție SRL"]
    assert await names(county="Cluj") == ["Beta Construct SA"]
    assert await names(county="iași") == ["Gamma Iași"]
    assert await names(locality="cluj-napoca") == ["Beta Construct SA"]
    assert await names(activity_domain="construc") == ["Beta Construct SA"]
    assert await names(turnover_min="100000") == ["Acme Distribuție SRL"]
    assert await names(turnover_max="100000") == ["Beta Construct SA"]
    assert await names(employees_min=10, employees_max=100) == ["Acme Distribuție SRL"]
    assert await names(email="OFFICE@acme.ro") == ["Acme Distribuție SRL"]
    page = (await partners.get("/api/partners", limit=1, offset=1)).json()
    assert page["total"] == 3 and [p["name"] for p in page["items"]] == ["Beta Construct SA"]


async def test_a_patch_changes_only_the_given_fields_keeps_site_ids_and_publishes_the_new_state(
    partners, kafka_bootstrap
) -> None:
    lead = (await partners.post("/api/partners", acme())).json()
    site = lead["sites"][0]
    response = await partners.patch(
        f"/api/partners/{lead['id']}",
        {
            "employees": 50,
            "sites": [
                {"site_id": site["site_id"], "name": "Sediu central", "emails": ["office@acme.ro"]},
                {"name": "Punct de lucru Cluj", "emails": ["cluj@acme.ro"]},
            ],
        },
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["employees"] == 50 and changed["name"] == "Acme Distribuție SRL"
    assert changed["sites"][0]["site_id"] == site["site_id"]
    assert [s["emails"] for s in changed["sites"]] == [["office@acme.ro"], ["cluj@acme.ro"]]
    # the address dropped from the first site is free again
    other = await partners.post(
        "/api/partners", {"name": "Delta", "sites": [{"name": "S", "emails": ["vanzari@acme.ro"]}]}
    )
    assert other.status_code == 201, other.text

    events = await read_events(
        kafka_bootstrap,
        partners.settings.topic_prefix,
        topics.PARTNERS,
        until=lambda found: any(isinstance(e, PartnerUpdated) for _, e in found),
    )
    updated = next(e for _, e in events if isinstance(e, PartnerUpdated))
    assert updated.employees == 50 and len(updated.sites) == 2


async def test_bad_input_gets_a_clear_4xx_and_changes_nothing(partners) -> None:
    lead = (await partners.post("/api/partners", acme())).json()
    before = {t: await count(partners, t) for t in ("partners", "site_emails", "partner_contacts", "outbox")}

    bad_cui = await partners.post("/api/partners", acme(name="X", fiscal_code="RO14399841", sites=[]))
    assert bad_cui.status_code == 422
    assert "check digit" in bad_cui.json()["detail"]

    bad_county = await partners.post("/api/partners", acme(name="X", fiscal_code=None, county="Atlantida", sites=[]))
    assert bad_county.status_code == 422
    assert "unknown county" in bad_county.json()["detail"]

    taken = await partners.post(
        "/api/partners", acme(name="X", fiscal_code=None, sites=[{"name": "S", "emails": ["OFFICE@ACME.RO"]}])
    )
    assert taken.status_code == 409, taken.text
    assert "office@acme.ro already belongs to another partner" in taken.json()["detail"]

    same_cui = await partners.post("/api/partners", acme(name="X", fiscal_code="14399840", sites=[]))
    assert same_cui.status_code == 409

    unknown_rep = await partners.post(
        "/api/partners",
        acme(name="X", fiscal_code=None, sites=[], sales_rep_staff_id="0190a000-0000-7000-8000-00000000dead"),
    )
    assert unknown_rep.status_code == 422

    unknown = await partners.get("/api/partners/0190a000-0000-7000-8000-00000000beef")
    assert unknown.status_code == 404
    unknown_patch = await partners.patch("/api/partners/0190a000-0000-7000-8000-00000000beef", {"employees": 1})
    assert unknown_patch.status_code == 404
    bad_patch = await partners.patch(f"/api/partners/{lead['id']}", {"county": "Narnia", "employees": 3})
    assert bad_patch.status_code == 422
    not_a_field = await partners.post("/api/partners", {"name": "X", "colour": "blue"})
    assert 400 <= not_a_field.status_code < 500
    bad_filter = await partners.get("/api/partners", county="Narnia")
    assert bad_filter.status_code == 422

    after = {t: await count(partners, t) for t in ("partners", "site_emails", "partner_contacts", "outbox")}
    assert after == before
    assert (await partners.get(f"/api/partners/{lead['id']}")).json()["employees"] == 42


async def test_the_api_refuses_calls_without_an_identity(partners) -> None:
    response = await partners.client.get("/api/partners")
    assert response.status_code == 401
