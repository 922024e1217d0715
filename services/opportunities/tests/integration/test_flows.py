"""The service on the real broker: follow-ups (O7), the offer flow through commercial (O4-O6), M7 exactly once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from crm_contracts import topics
from crm_contracts.base import Envelope, Event
from crm_contracts.campaigns import CampaignCreated, OpportunitiesRequested
from crm_contracts.commercial import (
    ArticleUpdated,
    ContractSigned,
    DocumentRequestRejected,
    OfferIssued,
    OfferRejected,
)
from crm_contracts.common import DocumentLine, Source
from crm_contracts.opportunities import (
    ClientOrderRequested,
    ContractRequested,
    FollowUpScheduled,
    OfferRequested,
    OpportunityLost,
    OpportunityOpened,
    OpportunityWon,
    StageChanged,
)
from crm_contracts.partners import PartnerRegistered
from crm_kit.testing import eventually, publish, read_events

from .conftest import AGENT_STAFF, Opps

Seen = list[tuple[Envelope, Event]]


def of(seen: Seen, cls: type[Event]) -> list[Any]:
    return [e for _, e in seen if isinstance(e, cls)]


async def opportunity_events(opps: Opps, until: Any) -> Seen:
    s = opps.settings
    return await read_events(s.kafka_bootstrap, s.topic_prefix, topics.OPPORTUNITIES, until=until)


async def send(opps: Opps, *events: Event, event_id: str | None = None) -> None:
    await publish(opps.settings.kafka_bootstrap, opps.settings.topic_prefix, *events, event_id=event_id)


async def test_a_stage_change_with_a_delegate_and_follow_up_date_publishes_follow_up_scheduled(live_opps: Opps) -> None:
    delegate = uuid4()
    follow_up_at = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    opp = await live_opps.open(potential="8000")
    moved = await live_opps.stage(
        opp["id"],
        stage="presentation",
        delegate_staff_id=str(delegate),
        follow_up_at=follow_up_at.isoformat(),
        note="call after the demo",
    )
    assert moved.status_code == 200, moved.text

    seen = await opportunity_events(live_opps, lambda found: of(found, FollowUpScheduled))
    (follow_up,) = of(seen, FollowUpScheduled)
    assert (follow_up.opportunity_id, follow_up.delegate_staff_id) == (UUID(opp["id"]), delegate)
    assert follow_up.follow_up_at == follow_up_at
    assert (follow_up.partner_id, follow_up.stage, follow_up.note) == (
        UUID(opp["partner_id"]),
        "presentation",
        "call after the demo",
    )
    assert follow_up.created_by_staff_id == AGENT_STAFF
    changed = [e for e in of(seen, StageChanged) if e.to_stage == "presentation"]
    assert len(changed) == 1
    assert (changed[0].from_stage, changed[0].weighted_potential, changed[0].delegate_staff_id) == (
        "new",
        Decimal("2000.00"),
        delegate,
    )
    assert changed[0].changed_by == "ana"
    assert changed[0].seconds_in_previous_stage is not None
    assert (changed[0].changed_by_staff_id, changed[0].owner_staff_id, changed[0].currency) == (
        AGENT_STAFF,
        AGENT_STAFF,
        "RON",
    )


def issued_offer(request: OfferRequested, number: str = "OF-2026-000001") -> OfferIssued:
    lines = [
        DocumentLine(
            article_code=x.article_code,
            description=x.description,
            qty=x.qty,
            price=x.price,
            vat_rate=x.vat_rate,
            net=x.net,
        )
        for x in request.lines
    ]
    net = sum((x.net or Decimal(0) for x in lines), Decimal(0))
    return OfferIssued(
        document_id=uuid4(),
        partner_id=request.partner_id,
        number=number,
        issued_on=date(2026, 11, 27),
        lines=lines,
        net=net,
        vat=net * Decimal("0.21"),
        gross=net * Decimal("1.21"),
        source=request.source,
        request_id=request.request_id,
        valid_until=request.valid_until,
    )


async def offer_on_the_opportunity(opps: Opps) -> tuple[dict[str, Any], OfferIssued]:
    """An opportunity at presentation, an offer asked of commercial, and commercial's OfferIssued consumed."""
    partner_id = uuid4()
    await send(
        opps,
        PartnerRegistered(partner_id=partner_id, kind="lead", name="Alfa Construct SRL"),
        ArticleUpdated(code="LIC-ERP", name="ERP licence", unit="buc", price=Decimal("2500"), vat_rate=Decimal(21)),
    )

    async def picker_has_the_article() -> Any:
        found = (await opps.call("GET", "/api/opportunities/articles", params={"q": "erp"})).json()
        return found["items"]

    assert (await eventually(picker_has_the_article))[0]["price"] == "2500.00"
    opp = await opps.open(partner_id=partner_id, potential="10000")
    await opps.stage(opp["id"], stage="presentation")
    asked = await opps.call(
        "POST", f"/api/opportunities/{opp['id']}/offer", json={"lines": [{"article_code": "LIC-ERP", "qty": "4"}]}
    )
    assert asked.status_code == 202, asked.text
    request_id = asked.json()["request_id"]

    seen = await opportunity_events(opps, lambda found: of(found, OfferRequested))
    (request,) = of(seen, OfferRequested)
    assert str(request.request_id) == request_id
    assert request.source.opportunity_id == UUID(opp["id"])
    assert [(x.article_code, x.qty, x.price) for x in request.lines] == [("LIC-ERP", Decimal(4), Decimal("2500.00"))]

    offer = issued_offer(request)
    await send(opps, offer)

    async def offer_shown() -> Any:
        view = (await opps.call("GET", f"/api/opportunities/{opp['id']}")).json()
        return view if view["documents"] and view["documents"][0]["status"] == "issued" else None

    view = await eventually(offer_shown)
    return view, offer


async def test_an_offer_commercial_issues_appears_on_the_opportunity_and_acceptance_asks_for_order_and_contract(
    live_opps: Opps,
) -> None:
    view, offer = await offer_on_the_opportunity(live_opps)
    (document,) = view["documents"]
    assert (document["type"], document["number"], document["net"]) == ("offer", "OF-2026-000001", "10000.00")
    assert document["decision"] == "open"
    assert view["stage"] == "offer"
    assert view["partner_name"] == "Alfa Construct SRL"

    accepted = await live_opps.call(
        "POST",
        f"/api/opportunities/{view['id']}/offers/{offer.document_id}/accept",
        json={"then": "both", "contract": {"kind": "subscription", "starts_on": "2027-01-01", "months": 12}},
    )
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["opportunity"]["stage"] == "negotiation"
    twice = await live_opps.call(
        "POST", f"/api/opportunities/{view['id']}/offers/{offer.document_id}/accept", json={"then": "order"}
    )
    assert twice.status_code == 409
    assert "already accepted" in twice.json()["detail"]

    seen = await opportunity_events(
        live_opps, lambda found: of(found, ClientOrderRequested) and of(found, ContractRequested)
    )
    (order,) = of(seen, ClientOrderRequested)
    (contract,) = of(seen, ContractRequested)
    for command in (order, contract):
        assert command.source.offer_id == offer.document_id
        assert command.source.opportunity_id == UUID(view["id"])
        assert [(x.article_code, x.qty) for x in command.lines] == [("LIC-ERP", Decimal(4))]
    assert (contract.kind, contract.starts_on, contract.months) == ("subscription", date(2027, 1, 1), 12)

    await send(
        live_opps,
        ContractSigned(
            document_id=uuid4(),
            partner_id=offer.partner_id,
            number="CTR-2026-000007",
            issued_on=date(2026, 11, 28),
            net=Decimal("10000"),
            vat=Decimal("2100"),
            gross=Decimal("12100"),
            source=Source(opportunity_id=UUID(view["id"]), offer_id=offer.document_id),
            request_id=contract.request_id,
            kind="subscription",
            starts_on=date(2027, 1, 1),
        ),
    )
    seen = await opportunity_events(live_opps, lambda found: of(found, OpportunityWon))
    assert of(seen, OpportunityWon)[0].potential == Decimal("10000.00")
    final = (await live_opps.call("GET", f"/api/opportunities/{view['id']}")).json()
    assert final["stage"] == "sale"
    assert {d["type"]: d["status"] for d in final["documents"]} == {
        "offer": "issued",
        "order": "requested",
        "contract": "issued",
    }
    assert [h["stage"] for h in final["stage_history"]["items"]] == [
        "new",
        "presentation",
        "offer",
        "negotiation",
        "sale",
    ]
    assert final["stage_history"]["items"][-1]["changed_by"] == "commercial"


async def test_rejecting_an_offer_needs_a_catalogued_reason_and_loses_the_opportunity(live_opps: Opps) -> None:
    view, offer = await offer_on_the_opportunity(live_opps)
    path = f"/api/opportunities/{view['id']}/offers/{offer.document_id}/reject"
    no_reason = await live_opps.call("POST", path, json={"note": "they went elsewhere"})
    assert no_reason.status_code == 422
    assert "needs a reason from the lost-reasons catalogue" in no_reason.json()["detail"]
    rejected = await live_opps.call("POST", path, json={"reason_code": "competitor", "note": "they went elsewhere"})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["offer"]["decision"] == "rejected"
    assert rejected.json()["opportunity"]["stage"] == "lost"

    seen = await opportunity_events(live_opps, lambda found: of(found, OpportunityLost))
    (lost,) = of(seen, OpportunityLost)
    assert (lost.reason_code, lost.reason_text) == ("competitor", "Concurent prezent")
    assert "they went elsewhere" in (lost.note or "")
    (to_lost,) = [e for e in of(seen, StageChanged) if e.to_stage == "lost"]
    assert (to_lost.reason_code, to_lost.reason_text, to_lost.potential) == (
        "competitor",
        "Concurent prezent",
        Decimal("10000.00"),
    )


async def test_an_offer_the_client_rejected_in_the_erp_loses_the_opportunity_with_that_reason(live_opps: Opps) -> None:
    view, offer = await offer_on_the_opportunity(live_opps)
    rejection = OfferRejected(
        document_id=offer.document_id,
        partner_id=offer.partner_id,
        number=offer.number,
        reason_code="price_too_high",
        note="discount refused",
        source=offer.source,
    )
    await send(live_opps, rejection)
    await send(live_opps, rejection)

    async def lost() -> Any:
        found = (await live_opps.call("GET", f"/api/opportunities/{view['id']}")).json()
        return found if found["stage"] == "lost" else None

    found = await eventually(lost)
    assert (found["lost_reason_code"], found["documents"][0]["decision"]) == ("price_too_high", "rejected")
    await eventually(lambda: _consumed_everything(live_opps, 2 + 1 + 2))
    assert live_opps.service.consumer.stats.dead_lettered == 0
    after = (await live_opps.call("GET", f"/api/opportunities/{view['id']}/stages")).json()
    assert [h["stage"] for h in after["items"]] == ["new", "presentation", "offer", "lost"]


async def test_a_request_commercial_refuses_shows_why_on_the_opportunity(live_opps: Opps) -> None:
    await send(
        live_opps, ArticleUpdated(code="HW-1", name="Server", unit="buc", price=Decimal(9000), vat_rate=Decimal(21))
    )

    async def article_known() -> Any:
        return (await live_opps.call("GET", "/api/opportunities/articles", params={"q": "HW-1"})).json()["total"]

    await eventually(article_known)
    opp = await live_opps.open()
    asked = await live_opps.call(
        "POST", f"/api/opportunities/{opp['id']}/offer", json={"lines": [{"article_code": "HW-1", "qty": "1"}]}
    )
    refusal = DocumentRequestRejected(
        request_id=UUID(asked.json()["request_id"]),
        requested="offer",
        partner_id=UUID(opp["partner_id"]),
        reason="the article HW-1 is outside the picker list (C5)",
    )
    await send(live_opps, refusal)

    async def refused() -> Any:
        docs = (await live_opps.call("GET", f"/api/opportunities/{opp['id']}/documents")).json()["items"]
        return docs if docs[0]["status"] == "refused" else None

    (doc,) = await eventually(refused)
    assert doc["refusal"] == "the article HW-1 is outside the picker list (C5)"


async def test_a_campaign_command_delivered_twice_opens_one_opportunity_per_partner(live_opps: Opps) -> None:
    campaign_id, partners = uuid4(), [uuid4(), uuid4(), uuid4()]
    command = OpportunitiesRequested(
        campaign_id=campaign_id, request_id=uuid4(), partner_ids=[*partners, partners[0]], owner_staff_id=AGENT_STAFF
    )
    await send(
        live_opps,
        CampaignCreated(
            campaign_id=campaign_id,
            name="Primăvara 2027",
            starts_on=date(2027, 3, 1),
            ends_on=date(2027, 5, 31),
            estimated_cost=Decimal(1000),
            estimated_revenue=Decimal(5000),
            return_months=12,
        ),
    )
    same_id = str(uuid4())
    await send(live_opps, command, event_id=same_id)
    await send(live_opps, command, event_id=same_id)
    await send(live_opps, command)

    async def opened() -> Any:
        found = (await live_opps.call("GET", "/api/opportunities", params={"campaign_id": str(campaign_id)})).json()
        return found if found["total"] >= 3 else None

    await eventually(opened)
    seen = await opportunity_events(live_opps, lambda found: len(of(found, StageChanged)) >= 3)
    # the campaign, the command, its redelivery (same id) and the command sent again (new id)
    await eventually(lambda: _consumed_everything(live_opps, 4))
    found = (await live_opps.call("GET", "/api/opportunities", params={"campaign_id": str(campaign_id)})).json()
    assert found["total"] == 3
    assert sorted(o["partner_id"] for o in found["items"]) == sorted(str(p) for p in partners)
    assert {o["title"] for o in found["items"]} == {"Primăvara 2027"}
    assert {o["owner_staff_id"] for o in found["items"]} == {str(AGENT_STAFF)}
    assert len(of(seen, StageChanged)) == 3
    # Written in one outbox statement, each is still caused by (and correlated with) the command.
    opened_by = {(env.causationid, env.correlationid) for env, e in seen if isinstance(e, OpportunityOpened)}
    assert opened_by == {(same_id, same_id)}


async def _consumed_everything(opps: Opps, expected: int) -> bool:
    """The consumer has handled or skipped every record sent (so a late duplicate would have shown)."""
    stats = opps.service.consumer.stats
    return stats.handled + stats.skipped_duplicates >= expected


async def test_the_probable_signing_date_and_details_change_with_an_update_event(live_opps: Opps) -> None:
    opp = await live_opps.open()
    changed = await live_opps.call(
        "PATCH",
        f"/api/opportunities/{opp['id']}",
        json={"potential": "15000", "expected_signing_on": (date.today() + timedelta(days=30)).isoformat()},
    )
    assert changed.status_code == 200
    assert changed.json()["potential"] == "15000.00"
    seen = await opportunity_events(
        live_opps, lambda found: any(type(e).__name__ == "OpportunityUpdated" for _, e in found)
    )
    updated = next(e for _, e in seen if type(e).__name__ == "OpportunityUpdated")
    assert updated.potential == Decimal("15000.00")
