"""Concurrent requests to generate a campaign's opportunities: one wins, the others get 409, one event."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from crm_campaigns.store.tables import opportunity_requests
from crm_contracts.campaigns import OpportunitiesRequested

from .test_members_and_opportunities import new_campaign, partner

RACERS = 12


async def test_concurrent_generations_request_one_opportunity_per_member_once(world, database_url) -> None:
    directory = [partner(f"Client {n}") for n in range(3)]
    await world.publish(*directory)
    await world.handled(len(directory))
    campaign = await new_campaign(world, "Abonamente")
    ids = [str(p.partner_id) for p in directory]
    await world.post(f"/api/campaigns/{campaign}/members", {"partner_ids": ids}, expect=201)

    responses = await asyncio.gather(
        *(world.post(f"/api/campaigns/{campaign}/opportunities", {"all_members": True}) for _ in range(RACERS))
    )

    assert sorted(r.status_code for r in responses) == [202] + [409] * (RACERS - 1)
    winner = next(r.json() for r in responses if r.status_code == 202)
    assert (winner["requested"], winner["already_requested"]) == (3, 0)
    losers = {r.json()["detail"].split(" (last at ")[0] for r in responses if r.status_code == 409}
    assert losers == {"opportunities were already requested for all 3 chosen members"}
    async with world.service.db.read() as conn:
        stored = (await conn.execute(sa.select(sa.func.count()).select_from(opportunity_requests))).scalar_one()
        events = (
            await conn.execute(
                sa.text("select count(*) from outbox where ce_type = :t"), {"t": OpportunitiesRequested.ce_type()}
            )
        ).scalar_one()
    assert (stored, events) == (3, 1)
