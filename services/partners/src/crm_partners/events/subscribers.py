"""What the partners service does with events: the history of every topic (H1), opportunities on partners (L2)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncConnection

from crm_contracts import opportunities as opp
from crm_contracts import tasks as tsk
from crm_contracts.base import Event
from crm_contracts.partners import PartnerUpdated
from crm_kit.inbox import Context, Subscriptions
from crm_partners.domain.partners import convert_lead
from crm_partners.events.history import RULES, entries_for
from crm_partners.events.publisher import lead_converted, partner_event
from crm_partners.store import repository as repo

subscriptions = Subscriptions()


async def record_history(ctx: Context, event: Event) -> None:
    """Put the event on the history of every partner it names (once per partner and event)."""
    for entry in entries_for(ctx.envelope, event):
        await repo.add_entry(ctx.conn, repo.LIVE, entry)


for _event_cls in RULES:
    subscriptions.on(_event_cls)(record_history)


@subscriptions.on(tsk.TaskCreated)
@subscriptions.on(tsk.TaskAssigned)
async def keep_task_owner(ctx: Context, event: tsk.TaskCreated | tsk.TaskAssigned) -> None:
    """Who a task is for and from, so its history entries are shown only to those who may see it (T1)."""
    await task_owner(ctx.conn, event)


async def task_owner(conn: AsyncConnection, event: Event) -> None:
    """Record the owners a TaskCreated or TaskAssigned names (also used by the history replay)."""
    if isinstance(event, tsk.TaskCreated):
        await repo.keep_task_owner(
            conn,
            str(event.task_id),
            responsible_staff_id=_s(event.responsible_staff_id),
            creator_staff_id=_s(event.creator_staff_id),
            creator_user=event.creator_user,
        )
    elif isinstance(event, tsk.TaskAssigned):
        await repo.keep_task_owner(conn, str(event.task_id), responsible_staff_id=str(event.responsible_staff_id))


def _s(value: object) -> str | None:
    return None if value is None else str(value)


@subscriptions.on(opp.OpportunityOpened)
@subscriptions.on(opp.OpportunityUpdated)
async def keep_opportunity(ctx: Context, event: opp.OpportunityOpened | opp.OpportunityUpdated) -> None:
    """The partner shows the opportunity as it is now (L2)."""
    await repo.upsert_opportunity(
        ctx.conn,
        {
            "opportunity_id": str(event.opportunity_id),
            "partner_id": str(event.partner_id),
            "title": event.title,
            "potential": event.potential,
            "probability": event.probability,
            "stage": event.stage,
            "expected_signing_on": event.expected_signing_on,
            "owner_staff_id": str(event.owner_staff_id) if event.owner_staff_id else None,
            "campaign_id": str(event.campaign_id) if event.campaign_id else None,
            "updated_at": ctx.envelope.time,
        },
    )


@subscriptions.on(opp.StageChanged)
async def keep_stage(ctx: Context, event: opp.StageChanged) -> None:
    """The opportunity's current stage, potential and probability on its partner (L2)."""
    await repo.upsert_opportunity(
        ctx.conn,
        {
            "opportunity_id": str(event.opportunity_id),
            "partner_id": str(event.partner_id),
            "title": event.title,
            "potential": event.potential,
            "probability": event.probability,
            "stage": event.to_stage,
            "updated_at": ctx.envelope.time,
        },
    )


@subscriptions.on(opp.OpportunityLost)
async def keep_lost(ctx: Context, event: opp.OpportunityLost) -> None:
    if not await repo.set_opportunity_stage(ctx.conn, str(event.opportunity_id), "lost", ctx.envelope.time):
        await repo.upsert_opportunity(
            ctx.conn,
            {
                "opportunity_id": str(event.opportunity_id),
                "partner_id": str(event.partner_id),
                "title": "",
                "potential": Decimal(0),
                "probability": Decimal(0),
                "stage": "lost",
                "updated_at": ctx.envelope.time,
            },
        )


@subscriptions.on(opp.OpportunityWon)
async def convert_won_lead(ctx: Context, event: opp.OpportunityWon) -> None:
    """A won opportunity shows as a sale; a lead that wins one becomes a client (L2, LeadConverted)."""
    if not await repo.set_opportunity_stage(ctx.conn, str(event.opportunity_id), "sale", ctx.envelope.time):
        await repo.upsert_opportunity(
            ctx.conn,
            {
                "opportunity_id": str(event.opportunity_id),
                "partner_id": str(event.partner_id),
                "title": "",
                "potential": event.potential,
                "probability": Decimal(100),
                "stage": "sale",
                "updated_at": ctx.envelope.time,
            },
        )
    partner = await repo.get_partner(ctx.conn, str(event.partner_id), for_update=True)
    if partner is None or partner.kind != "lead":
        return
    client = convert_lead(partner, now=ctx.envelope.time)
    await repo.convert_to_client(ctx.conn, client)
    await ctx.publish(lead_converted(client.id, str(event.opportunity_id)), now=ctx.envelope.time)
    await ctx.publish(partner_event(PartnerUpdated, client), now=ctx.envelope.time)
