"""Concurrent requests for one transition: exactly one wins, the others get 409, one effect and one event."""

from __future__ import annotations

import asyncio
import random
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import sqlalchemy as sa

from crm_contracts.opportunities import ContractRequested, OpportunityLost, OpportunityOpened, StageChanged
from crm_opportunities.domain.documents import Article
from crm_opportunities.service_layer import KeepArticle, OpenForCampaign, RecordIssuedDocument
from crm_opportunities.store.tables import documents, metadata, opportunities, stage_history

from .conftest import AGENT_STAFF, Opps

RACERS = 12


async def outbox_types(opps: Opps) -> list[str]:
    outbox = metadata.tables["outbox"]
    async with opps.service.db.read() as conn:
        return [r.ce_type for r in await conn.execute(sa.select(outbox.c.ce_type).order_by(outbox.c.id))]


async def count(opps: Opps, table: sa.Table, *cond: Any) -> int:
    async with opps.service.db.read() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table).where(*cond))).scalar_one())


async def issued_offer(opps: Opps) -> tuple[str, str]:
    """An opportunity at 'offer' with an offer commercial issued (as OfferIssued would show it)."""
    uses = opps.uses()
    await uses.article_changed(KeepArticle(Article("LIC", "Licence", "buc", Decimal("100"), Decimal(21))))
    opp = await opps.open()
    assert (await opps.stage(opp["id"], stage="presentation")).status_code == 200
    asked = await opps.call(
        "POST", f"/api/opportunities/{opp['id']}/offer", json={"lines": [{"article_code": "LIC", "qty": "2"}]}
    )
    assert asked.status_code == 202, asked.text
    offer_id = uuid4()
    issued = RecordIssuedDocument(
        kind="offer",
        document_id=offer_id,
        partner_id=UUID(opp["partner_id"]),
        number="OF-2026-000005",
        issued_on=date(2026, 11, 27),
        net=Decimal("200"),
        vat=Decimal("42"),
        gross=Decimal("242"),
        currency="RON",
        lines=(),
        request_id=UUID(asked.json()["request_id"]),
        opportunity_id=UUID(opp["id"]),
        offer_id=None,
        printout_sha256=None,
    )
    await uses.document_issued(issued)
    return opp["id"], str(offer_id)


async def test_concurrent_accepts_of_one_offer_request_one_contract_and_the_others_get_409(store_opps: Opps) -> None:
    opp_id, offer_id = await issued_offer(store_opps)
    before = (await outbox_types(store_opps)).count(ContractRequested.ce_type())
    url = f"/api/opportunities/{opp_id}/offers/{offer_id}/accept"

    responses = await asyncio.gather(*(store_opps.call("POST", url, json={"then": "contract"}) for _ in range(RACERS)))

    assert sorted(r.status_code for r in responses) == [202] + [409] * (RACERS - 1)
    losers = [r.json()["detail"] for r in responses if r.status_code == 409]
    assert all(d.startswith("the offer OF-2026-000005 was already accepted at ") for d in losers), losers
    assert all(d.endswith(" UTC by ana") for d in losers), losers
    assert await count(store_opps, documents, documents.c.kind == "contract") == 1
    assert (await outbox_types(store_opps)).count(ContractRequested.ce_type()) == before + 1


async def test_concurrent_accepts_and_rejects_of_one_offer_decide_it_once(store_opps: Opps) -> None:
    opp_id, offer_id = await issued_offer(store_opps)
    url = f"/api/opportunities/{opp_id}/offers/{offer_id}"

    responses = await asyncio.gather(
        *(store_opps.call("POST", f"{url}/accept", json={"then": "order"}) for _ in range(RACERS // 2)),
        *(store_opps.call("POST", f"{url}/reject", json={"reason_code": "price_too_high"}) for _ in range(RACERS // 2)),
    )

    assert sorted(r.status_code for r in responses if r.status_code != 409) in ([200], [202])
    assert [r.status_code for r in responses].count(409) == RACERS - 1
    types = await outbox_types(store_opps)
    orders = await count(store_opps, documents, documents.c.kind == "order")
    assert (orders, types.count(OpportunityLost.ce_type())) in ((1, 0), (0, 1))


async def test_concurrent_moves_to_one_stage_move_the_opportunity_once(store_opps: Opps) -> None:
    opp = await store_opps.open()
    before = (await outbox_types(store_opps)).count(StageChanged.ce_type())

    responses = await asyncio.gather(*(store_opps.stage(opp["id"], stage="presentation") for _ in range(RACERS)))

    assert sorted(r.status_code for r in responses) == [200] + [409] * (RACERS - 1)
    losers = [r.json()["detail"] for r in responses if r.status_code == 409]
    told = (
        "the opportunity is already at the stage 'presentation' (since ",
        "the opportunity moved to 'presentation' at ",
    )
    assert all(d.startswith(told) for d in losers), losers
    assert await count(store_opps, stage_history, stage_history.c.opportunity_id == UUID(opp["id"])) == 2
    assert (await outbox_types(store_opps)).count(StageChanged.ce_type()) == before + 1


async def test_campaign_commands_racing_over_the_same_partners_open_one_opportunity_per_partner(
    store_opps: Opps,
) -> None:
    campaign, partners = uuid4(), [uuid4() for _ in range(60)]
    # Every racer asks for every partner, each in its own order (a claim in the asked order would deadlock).
    commands = [
        OpenForCampaign(campaign, tuple(random.Random(i).sample(partners, len(partners))), uuid4(), AGENT_STAFF)
        for i in range(RACERS)
    ]

    results = await asyncio.gather(*(store_opps.uses().open_for_campaign(c) for c in commands))

    opened = sorted(o.partner_id for found in results for o in found)
    assert opened == sorted(partners)
    assert await count(store_opps, opportunities, opportunities.c.campaign_id == campaign) == len(partners)
    types = await outbox_types(store_opps)
    assert (types.count(OpportunityOpened.ce_type()), types.count(StageChanged.ce_type())) == (60, 60)
