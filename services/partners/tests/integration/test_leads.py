"""L2: a partner shows its opportunities kept current from crm.opportunities; a won lead becomes a client."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

from crm_contracts import opportunities as opp
from crm_contracts import topics
from crm_contracts.partners import LeadConverted, PartnerUpdated
from crm_kit.testing import eventually, publish, read_events


async def test_a_leads_opportunities_stay_current_and_winning_one_makes_it_a_client(partners, kafka_bootstrap) -> None:
    lead = (await partners.post("/api/partners", {"name": "Acme", "kind": "lead", "competitors": ["Beta"]})).json()
    pid, oid = UUID(lead["id"]), uuid4()
    prefix = partners.settings.topic_prefix
    await publish(
        kafka_bootstrap,
        prefix,
        opp.OpportunityOpened(
            opportunity_id=oid, partner_id=pid, title="Licențe", potential=Decimal("10000"), probability=Decimal(10)
        ),
        opp.StageChanged(
            opportunity_id=oid,
            partner_id=pid,
            title="Licențe",
            from_stage="new",
            to_stage="negotiation",
            potential=Decimal("12000"),
            weight=Decimal(70),
            weighted_potential=Decimal("8400"),
            probability=Decimal(70),
            changed_at="2026-03-02T10:00:00+00:00",
        ),
    )

    async def in_negotiation() -> dict | None:  # type: ignore[type-arg]
        body = (await partners.get(f"/api/partners/{pid}")).json()
        return body if body["opportunities"] and body["opportunities"][0]["stage"] == "negotiation" else None

    shown = await eventually(in_negotiation)
    assert shown["kind"] == "lead"
    assert shown["opportunities"][0]["potential"] == "12000.00"
    assert shown["opportunities"][0]["title"] == "Licențe"

    await publish(
        kafka_bootstrap, prefix, opp.OpportunityWon(opportunity_id=oid, partner_id=pid, potential=Decimal("12000"))
    )

    async def converted() -> dict | None:  # type: ignore[type-arg]
        body = (await partners.get(f"/api/partners/{pid}")).json()
        return body if body["kind"] == "client" else None

    client = await eventually(converted)
    assert client["opportunities"][0]["stage"] == "sale"
    assert client["competitors"] == ["Beta"]
    found = await read_events(
        kafka_bootstrap,
        prefix,
        topics.PARTNERS,
        until=lambda evs: (
            any(isinstance(e, LeadConverted) for _, e in evs)
            and any(isinstance(e, PartnerUpdated) and e.kind == "client" for _, e in evs)
        ),
    )
    lead_converted = next(e for _, e in found if isinstance(e, LeadConverted))
    assert lead_converted.partner_id == pid and lead_converted.opportunity_id == oid
