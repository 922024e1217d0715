"""What the partners service does with events: thin translators from contract events to use-case commands.

Every fact of the history (H1) becomes a ``RecordHistory``; opportunity events keep the opportunities
shown on partners (L2, a won lead becomes a client); task events keep who a task is for and from.
"""

from __future__ import annotations

from crm_contracts import campaigns as cmp
from crm_contracts import commercial as com
from crm_contracts import mail as ml
from crm_contracts import notifications as ntf
from crm_contracts import opportunities as opp
from crm_contracts import partners as prt
from crm_contracts import tasks as tsk
from crm_contracts.base import Envelope, Event
from crm_kit.inbox import Context, Subscriptions, batch_scope
from crm_partners.domain.timeline import Fact
from crm_partners.service_layer import (
    ChangeOpportunityStage,
    KeepOpportunity,
    KeepTaskOwners,
    LoseOpportunity,
    RecordHistory,
    UseCases,
    WinOpportunity,
)

HISTORY_EVENTS: tuple[type[Event], ...] = (
    prt.PartnerRegistered,
    prt.PartnerUpdated,
    prt.LeadConverted,
    prt.DocumentFiled,
    opp.OpportunityOpened,
    opp.OpportunityUpdated,
    opp.StageChanged,
    opp.FollowUpScheduled,
    opp.OpportunityWon,
    opp.OpportunityLost,
    com.OfferIssued,
    com.OfferAccepted,
    com.OfferRejected,
    com.ClientOrderPlaced,
    com.ContractSigned,
    com.ContractEnded,
    com.InvoiceIssued,
    com.CostDocumentPosted,
    com.PaymentReceived,
    cmp.CampaignMembersAdded,
    cmp.CampaignMemberRemoved,
    tsk.TaskCreated,
    tsk.TaskAssigned,
    tsk.TaskUpdated,
    tsk.TaskReplied,
    tsk.TaskResolved,
    tsk.TaskReopened,
    tsk.EstimateIssued,
    tsk.TaskInvoiced,
    ntf.EmailSent,
    ntf.EmailFailed,
    ml.EmailImported,
)
"""The contract events whose facts the history reads (``domain.timeline.RULES`` says what each entry says)."""


def fact_of(envelope: Envelope, event: Event) -> Fact:
    """An event as the history reads it: its name, id, time and fields as plain data."""
    # A shallow view of the fields (no deep copy: the hot path of every topic); the rules read scalars only.
    return Fact(type=type(event).event_name, event_id=envelope.id, occurred_at=envelope.time, data=dict(event))


def _s(value: object) -> str | None:
    return None if value is None else str(value)


def owners_of(event: Event) -> KeepTaskOwners | None:
    """The task owners a TaskCreated or TaskAssigned names (the history replay keeps them too)."""
    if isinstance(event, tsk.TaskCreated):
        return KeepTaskOwners(
            task_id=str(event.task_id),
            responsible_staff_id=_s(event.responsible_staff_id),
            creator_staff_id=_s(event.creator_staff_id),
            creator_user=event.creator_user,
        )
    if isinstance(event, tsk.TaskAssigned):
        return KeepTaskOwners(
            task_id=str(event.task_id), responsible_staff_id=str(event.responsible_staff_id), reassigned=True
        )
    return None


def _kept_opportunity(event: opp.OpportunityOpened | opp.OpportunityUpdated) -> KeepOpportunity:
    return KeepOpportunity(
        opportunity_id=str(event.opportunity_id),
        partner_id=str(event.partner_id),
        title=event.title,
        potential=event.potential,
        probability=event.probability,
        stage=event.stage,
        expected_signing_on=event.expected_signing_on,
        owner_staff_id=_s(event.owner_staff_id),
        campaign_id=_s(event.campaign_id),
    )


def build_subscriptions(uses: UseCases) -> Subscriptions:
    """The partners service's event handlers, each calling one use case."""
    subs = Subscriptions()

    async def record_history(items: list[tuple[Context, Event]]) -> None:
        """Put a fetched batch of events on the history of every partner each names, in a few statements.

        Each (partner, event) once. An import's 100,000 registrations or M7's 10,000 opportunities one at
        a time kept this consumer busy for minutes.
        """
        async with batch_scope(items):
            await uses.record_histories([RecordHistory(fact_of(ctx.envelope, event)) for ctx, event in items])

    for event_cls in HISTORY_EVENTS:
        subs.on_batch(event_cls)(record_history)

    @subs.on_batch(tsk.TaskCreated)
    async def tasks_created(items: list[tuple[Context, tsk.TaskCreated]]) -> None:
        """Who new tasks are for and from, a fetched batch at once (T1: who may see their history entries)."""
        async with batch_scope(items):
            await uses.tasks_created([cmd for _, e in items if (cmd := owners_of(e)) is not None])

    @subs.on(tsk.TaskAssigned)
    async def keep_task_owners(ctx: Context, event: tsk.TaskAssigned) -> None:
        """A task's new responsible, so its history entries are shown only to those who may see it (T1)."""
        cmd = owners_of(event)
        if cmd is not None:
            await uses.keep_task_owners(cmd)

    @subs.on_batch(opp.OpportunityOpened)
    async def opportunities_opened(items: list[tuple[Context, opp.OpportunityOpened]]) -> None:
        """The partners show newly opened opportunities, a fetched batch at once (M7 opens 10,000)."""
        async with batch_scope(items):
            await uses.opportunities_opened([_kept_opportunity(e) for _, e in items])

    @subs.on(opp.OpportunityUpdated)
    async def keep_opportunity(ctx: Context, event: opp.OpportunityUpdated) -> None:
        """The partner shows the opportunity as it is now (L2)."""
        await uses.keep_opportunity(_kept_opportunity(event))

    @subs.on(opp.StageChanged)
    async def change_stage(ctx: Context, event: opp.StageChanged) -> None:
        """The opportunity's current stage, potential and probability on its partner (L2)."""
        await uses.change_opportunity_stage(
            ChangeOpportunityStage(
                opportunity_id=str(event.opportunity_id),
                partner_id=str(event.partner_id),
                title=event.title,
                potential=event.potential,
                probability=event.probability,
                stage=event.to_stage,
            )
        )

    @subs.on(opp.OpportunityLost)
    async def lose(ctx: Context, event: opp.OpportunityLost) -> None:
        """A lost opportunity shows as lost."""
        await uses.lose_opportunity(LoseOpportunity(str(event.opportunity_id), str(event.partner_id)))

    @subs.on(opp.OpportunityWon)
    async def win(ctx: Context, event: opp.OpportunityWon) -> None:
        """A won opportunity shows as a sale; a lead that wins one becomes a client (L2, LeadConverted)."""
        await uses.win_opportunity(WinOpportunity(str(event.opportunity_id), str(event.partner_id), event.potential))

    return subs
