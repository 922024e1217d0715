"""What the tasks service consumes: each handler turns an event into one command for one use case."""

from __future__ import annotations

from crm_contracts import commercial, opportunities, partners, tasks
from crm_kit.inbox import Context, Subscriptions, batch_scope
from crm_tasks.domain.model import Alert, AttachmentRef, ContractLineRef, ContractRef, PartnerRef, StaffMember, Task
from crm_tasks.service_layer import (
    EndContract,
    MarkInvoiced,
    RecordBalance,
    RecordPartner,
    RecordSignedContract,
    RecordStaffMember,
    ScheduleFollowUp,
    TakeIncomingTask,
    UseCases,
)


def _task_from_event(event: tasks.TaskCreated) -> Task:
    """Another service's TaskCreated in our terms (an over-long or empty title is cut or named)."""
    alert = None
    if event.alert is not None:
        alert = Alert(channel=event.alert.channel, days_before=event.alert.days_before)
    origin = event.origin.model_dump(mode="json", exclude_none=True, exclude={"broadcast_id"})
    return Task(
        id=event.task_id,
        title=event.title[:200] or "(fără titlu)",
        description=event.description,
        source=event.source,
        responsible_staff_id=event.responsible_staff_id,
        registered_at=event.registered_at,
        creator_staff_id=event.creator_staff_id,
        creator_user=event.creator_user,
        partner_id=event.partner_id,
        contract_id=event.contract_id,
        contract_line_id=event.contract_line_id,
        service_code=event.service_code,
        deadline=event.deadline,
        planned_start=event.planned_start,
        planned_hours=event.planned_hours,
        billable=event.billable,
        alert=alert,
        attachments=[AttachmentRef(a.sha256, a.file_name, a.size, a.content_type) for a in event.attachments],
        origin=origin,
        broadcast_id=event.origin.broadcast_id,
        updated_at=event.registered_at,
    )


def build_subscriptions(uses: UseCases) -> Subscriptions:
    """The service's handlers, each calling one use case."""
    subs = Subscriptions()

    @subs.on(partners.StaffMemberRegistered)
    @subs.on(partners.StaffMemberUpdated)
    async def staff(ctx: Context, e: partners.StaffMemberRegistered) -> None:
        member = StaffMember(
            e.staff_id, e.name, e.email, e.user_login, e.hours_per_day, tuple(e.categories), e.team, e.active
        )
        await uses.staff_changed(RecordStaffMember(member))

    def partner_ref(e: partners.PartnerRegistered | partners.PartnerUpdated) -> PartnerRef:
        return PartnerRef(e.partner_id, e.name, e.kind, e.sales_rep_staff_id, e.service_rep_staff_id)

    @subs.on_batch(partners.PartnerRegistered)
    async def partners_registered(items: list[tuple[Context, partners.PartnerRegistered]]) -> None:
        """A fetched batch of registrations at once.

        One at a time, an import's 100,000 kept this consumer (and the tasks waiting for them) busy for minutes.
        """
        async with batch_scope(items):
            await uses.partners_registered([RecordPartner(partner_ref(e)) for _, e in items])

    @subs.on(partners.PartnerUpdated)
    async def partner(ctx: Context, e: partners.PartnerUpdated) -> None:
        await uses.partner_changed(RecordPartner(partner_ref(e)))

    @subs.on(commercial.ContractSigned)
    async def contract_signed(ctx: Context, e: commercial.ContractSigned) -> None:
        lines = tuple(ContractLineRef(ln.line_id, ln.article_code, ln.description) for ln in e.lines)
        contract = ContractRef(e.document_id, e.partner_id, e.number, e.kind, e.starts_on, e.ends_on, lines)
        await uses.contract_signed(RecordSignedContract(contract, e.source.task_id))

    @subs.on(commercial.ContractEnded)
    async def contract_ended(ctx: Context, e: commercial.ContractEnded) -> None:
        await uses.contract_ended(EndContract(e.document_id, e.ended_on))

    @subs.on(commercial.BalanceChanged)
    async def balance(ctx: Context, e: commercial.BalanceChanged) -> None:
        await uses.balance_changed(RecordBalance(e.partner_id, e.balance, e.currency))

    @subs.on(commercial.InvoiceIssued)
    async def invoiced(ctx: Context, e: commercial.InvoiceIssued) -> None:
        if e.task_id is not None:  # invoices of other things are not ours
            await uses.mark_invoiced(MarkInvoiced(e.task_id, e.invoice_id))

    @subs.on(opportunities.FollowUpScheduled)
    async def follow_up(ctx: Context, e: opportunities.FollowUpScheduled) -> None:
        await uses.schedule_follow_up(
            ScheduleFollowUp(
                opportunity_id=e.opportunity_id,
                stage=e.stage,
                delegate_staff_id=e.delegate_staff_id,
                follow_up_at=e.follow_up_at,
                title=e.title,
                note=e.note,
                partner_id=e.partner_id,
                created_by_staff_id=e.created_by_staff_id,
                created_by_user=e.created_by,
            )
        )

    @subs.on_batch(tasks.TaskCreated)
    async def tasks_created(items: list[tuple[Context, tasks.TaskCreated]]) -> None:
        # Mail-ingest's are new to us; our own describe tasks we have, which the use case leaves alone. A batch
        # at once: a broadcast's 1,000 TaskCreated come back to us. A TaskAssigned answers its task's event.
        causes = {str(e.task_id): ctx.envelope.id for ctx, e in items}
        async with batch_scope(items, cause_of=lambda event: causes.get(str(getattr(event, "task_id", "")))):
            await uses.take_incoming_tasks([TakeIncomingTask(_task_from_event(e)) for _, e in items])

    return subs
