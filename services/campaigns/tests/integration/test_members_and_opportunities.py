"""Members chosen by id or by a filter over the partner directory (M2), and opportunities generated for
them exactly once per (campaign, partner) with their progress (M7)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from crm_contracts.campaigns import CampaignMembersAdded, OpportunitiesRequested
from crm_contracts.opportunities import OpportunityOpened
from crm_contracts.partners import PartnerRegistered, PartnerUpdated
from crm_kit.ids import new_id
from crm_kit.testing import read_events


def partner(name: str, **fields: Any) -> PartnerRegistered:
    values: dict[str, Any] = {"kind": "client", "county": "Cluj", "locality": "Cluj-Napoca"} | fields
    return PartnerRegistered(partner_id=new_id(), name=name, **values)


async def new_campaign(world, name: str = "Toamna") -> str:
    body = {"name": name, "starts_on": "2026-09-01", "ends_on": "2026-11-30", "return_months": 3}
    return (await world.post("/api/campaigns", body, expect=201)).json()["id"]


async def test_a_filter_counts_before_adding_and_adds_only_the_partners_that_match(world, database_url) -> None:
    directory = [
        partner(
            "Agro Sud SRL",
            county="Iași",
            locality="Iași",
            turnover=Decimal("2500000"),
            employees=40,
            activity_domain="Agricultură",
            fiscal_code="RO12345678",
        ),
        partner(
            "Agroind Nord SA",
            county="IASI",
            locality="Pașcani",
            turnover=Decimal("900000"),
            employees=12,
            activity_domain="agricultura",
        ),
        partner("Mobila Iași", county="Iasi", turnover=Decimal("5000000"), employees=120, activity_domain="Mobilă"),
        partner("Fără cifră SRL", county="Iași", activity_domain="Agricultură"),
        partner(
            "Furnizor Agro",
            kind="supplier",
            county="Iași",
            turnover=Decimal("3000000"),
            employees=50,
            activity_domain="Agricultură",
        ),
        partner("Agro Cluj", turnover=Decimal("1000000"), employees=20, activity_domain="Agricultură", kind="lead"),
    ]
    await world.publish(*directory)
    await world.handled(len(directory))
    campaign = await new_campaign(world)

    agri_in_iasi = {"county": "iasi", "activity_domain": "AGRICULTURA", "turnover_min": "500000", "employees_max": 100}
    preview = await world.post(f"/api/campaigns/{campaign}/members/preview", {"filter": agri_in_iasi}, expect=200)
    assert preview.json() == {"matching": 2, "already_members": 0, "would_add": 2}

    added = await world.post(f"/api/campaigns/{campaign}/members", {"filter": agri_in_iasi}, expect=201)
    assert added.json()["added"] == 2
    assert set(added.json()["partner_ids"]) == {str(directory[0].partner_id), str(directory[1].partner_id)}

    by_fiscal_code = {"filter": {"fiscal_code": "12345678"}}
    again = await world.post(f"/api/campaigns/{campaign}/members/preview", by_fiscal_code, expect=200)
    assert again.json() == {"matching": 1, "already_members": 1, "would_add": 0}
    by_name = {"filter": {"name": "agro", "kinds": ["client", "lead"]}}
    names = await world.post(f"/api/campaigns/{campaign}/members/preview", by_name, expect=200)
    assert names.json() == {"matching": 3, "already_members": 2, "would_add": 1}

    by_id = await world.post(
        f"/api/campaigns/{campaign}/members", {"partner_ids": [str(directory[2].partner_id)]}, expect=201
    )
    assert by_id.json() == {"added": 1, "partner_ids": [str(directory[2].partner_id)], "member_count": 3}

    # A renamed partner is found under its new name.
    await world.publish(PartnerUpdated(**{**directory[3].model_dump(), "name": "Livada Verde SRL"}))
    await world.handled(len(directory) + 1)
    livada = await world.post(f"/api/campaigns/{campaign}/members/preview", {"filter": {"name": "livada"}}, expect=200)
    assert livada.json()["matching"] == 1

    removed = await world.client.delete(
        f"/api/campaigns/{campaign}/members/{directory[2].partner_id}", headers=world.headers()
    )
    assert removed.status_code == 204
    members = await world.get(f"/api/campaigns/{campaign}/members")
    assert members["total"] == 2
    assert sorted(m["name"] for m in members["items"]) == ["Agro Sud SRL", "Agroind Nord SA"]

    published = await read_events(
        world.bootstrap_servers,
        world.prefix,
        "crm.campaigns",
        until=lambda found: sum(isinstance(e, CampaignMembersAdded) for _, e in found) == 2,
    )
    added_ids = [p for _, e in published if isinstance(e, CampaignMembersAdded) for p in e.partner_ids]
    assert sorted(added_ids) == sorted(p.partner_id for p in directory[:3])
    assert {e.campaign_name for _, e in published if isinstance(e, CampaignMembersAdded)} == {"Toamna"}

    # The partner page lists the campaigns a partner is in: a member's, and none for the one removed.
    other = await new_campaign(world, "Iarna")
    of_member = await world.get("/api/campaigns", partner_id=str(directory[0].partner_id))
    assert [c["name"] for c in of_member["items"]] == ["Toamna"] and of_member["total"] == 1
    assert (await world.get("/api/campaigns", partner_id=str(directory[2].partner_id)))["total"] == 0
    assert (await world.get("/api/campaigns"))["total"] == 2 and other


async def test_opportunities_are_requested_once_per_member_however_often_asked(world) -> None:
    directory = [partner(f"Client {n}") for n in range(4)]
    await world.publish(*directory)
    await world.handled(len(directory))
    campaign = await new_campaign(world, "Abonamente")
    ids = [str(p.partner_id) for p in directory]
    await world.post(f"/api/campaigns/{campaign}/members", {"partner_ids": ids[:3]}, expect=201)

    outsider = await world.post(f"/api/campaigns/{campaign}/opportunities", {"partner_ids": [ids[3]]})
    assert outsider.status_code == 422
    assert "not members" in outsider.json()["detail"]

    first = await world.post(f"/api/campaigns/{campaign}/opportunities", {"partner_ids": ids[:2]}, expect=202)
    assert (first.json()["requested"], first.json()["already_requested"]) == (2, 0)
    everyone = await world.post(f"/api/campaigns/{campaign}/opportunities", {"all_members": True}, expect=202)
    assert (everyone.json()["requested"], everyone.json()["already_requested"]) == (1, 2)
    repeat = await world.post(f"/api/campaigns/{campaign}/opportunities", {"all_members": True}, expect=409)
    assert repeat.json()["detail"].startswith("opportunities were already requested for all 3 chosen members (last at ")
    progress = await world.get(f"/api/campaigns/{campaign}/opportunities")
    assert progress == {"members": 3, "requested": 3, "opened": 0, "pending": 3}

    published = await read_events(
        world.bootstrap_servers,
        world.prefix,
        "crm.campaigns",
        until=lambda found: sum(len(e.partner_ids) for _, e in found if isinstance(e, OpportunitiesRequested)) >= 3,
    )
    requested = [p for _, e in published if isinstance(e, OpportunitiesRequested) for p in e.partner_ids]
    assert sorted(requested) == sorted(p.partner_id for p in directory[:3])
    assert {e.title for _, e in published if isinstance(e, OpportunitiesRequested)} == {"Abonamente"}

    # Opportunities answers: each opened opportunity moves the progress, a redelivery does not.
    opened = [
        OpportunityOpened(
            opportunity_id=new_id(),
            partner_id=p.partner_id,
            title="Abonamente",
            potential=Decimal("100"),
            probability=Decimal(10),
            campaign_id=UUID(campaign),
        )
        for p in directory[:2]
    ]
    envelopes = await world.publish(*opened)
    await world.redeliver(envelopes[0], opened[0])
    await world.handled(len(directory) + 3, distinct=len(directory) + 2)
    progress = await world.get(f"/api/campaigns/{campaign}/opportunities")
    assert progress == {"members": 3, "requested": 3, "opened": 2, "pending": 1}
    members = await world.get(f"/api/campaigns/{campaign}/members")
    assert sum(m["opportunity_id"] is not None for m in members["items"]) == 2
