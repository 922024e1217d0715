"""What the tasks service consumes: read models, follow-ups, mail-ingest's tasks, invoices for tasks."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from crm_contracts import commercial, opportunities, partners, tasks
from crm_kit.inbox import Context, Subscriptions
from crm_tasks.domain.model import Alert, AttachmentRef, ContractLineRef, ContractRef, PartnerRef, StaffMember, Task
from crm_tasks.store import repository as repo
from crm_tasks.usecases import Deps, follow_up_task, incoming_task

FOLLOW_UP_NAMESPACE = uuid.UUID("6f0b7a52-54a8-4d0e-9c55-2b7d43a0f1c1")


def follow_up_task_id(event: opportunities.FollowUpScheduled) -> uuid.UUID:
    """The same follow-up always makes the same task id, so a redelivery cannot make a second task."""
    key = f"{event.opportunity_id}:{event.stage}:{event.delegate_staff_id}:{event.follow_up_at.isoformat()}"
    return uuid.uuid5(FOLLOW_UP_NAMESPACE, key)


def _task_from_event(event: tasks.TaskCreated) -> Task:
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


def make_subscriptions(deps: Deps, clock: Callable[[], datetime], own_source: str) -> Subscriptions:
    """The service's handlers, bound to its publisher and clock."""
    subs = Subscriptions()

    @subs.on(partners.StaffMemberRegistered)
    @subs.on(partners.StaffMemberUpdated)
    async def staff(ctx: Context, e: partners.StaffMemberRegistered) -> None:
        member = StaffMember(
            e.staff_id, e.name, e.email, e.user_login, e.hours_per_day, tuple(e.categories), e.team, e.active
        )
        await repo.upsert_staff(ctx.conn, member)

    @subs.on(partners.PartnerRegistered)
    @subs.on(partners.PartnerUpdated)
    async def partner(ctx: Context, e: partners.PartnerRegistered) -> None:
        ref = PartnerRef(e.partner_id, e.name, e.kind, e.sales_rep_staff_id, e.service_rep_staff_id)
        await repo.upsert_partner(ctx.conn, ref)

    @subs.on(commercial.ContractSigned)
    async def contract_signed(ctx: Context, e: commercial.ContractSigned) -> None:
        lines = tuple(ContractLineRef(ln.line_id, ln.article_code) for ln in e.lines)
        await repo.upsert_contract(
            ctx.conn, ContractRef(e.document_id, e.partner_id, e.number, e.kind, e.starts_on, e.ends_on, lines)
        )
        if e.source.task_id is not None:
            task = await repo.get_task(ctx.conn, e.source.task_id)
            if task is not None and task.contract_id is None:
                task.contract_id = e.document_id
                service = await repo.get_service(ctx.conn, task.service_code) if task.service_code else None
                line = next((ln for ln in lines if service and ln.article_code == service.article_code), None)
                task.contract_line_id = line.line_id if line else None
                await repo.update_task(ctx.conn, task)

    @subs.on(commercial.ContractEnded)
    async def contract_ended(ctx: Context, e: commercial.ContractEnded) -> None:
        await repo.end_contract(ctx.conn, e.document_id, e.ended_on)

    @subs.on(commercial.BalanceChanged)
    async def balance(ctx: Context, e: commercial.BalanceChanged) -> None:
        await repo.set_balance(ctx.conn, e.partner_id, e.balance, e.currency)

    @subs.on(commercial.InvoiceIssued)
    async def invoiced(ctx: Context, e: commercial.InvoiceIssued) -> None:
        if e.task_id is None:
            return
        task = await repo.get_task(ctx.conn, e.task_id)
        if task is None or task.invoiced:
            return
        task.invoiced, task.invoice_id, task.updated_at = True, e.invoice_id, clock()
        await repo.update_task(ctx.conn, task)
        await deps.publisher.task_invoiced(ctx.conn, task, e.invoice_id, clock(), ctx.envelope)

    @subs.on(opportunities.FollowUpScheduled)
    async def follow_up(ctx: Context, e: opportunities.FollowUpScheduled) -> None:
        title = f"Follow-up: {e.title}" if e.title else f"Follow-up ({e.stage})"
        task = Task(
            id=follow_up_task_id(e),
            title=title[:200],
            description=e.note or "",
            source="follow_up",
            responsible_staff_id=e.delegate_staff_id,
            registered_at=ctx.envelope.time,
            creator_staff_id=e.created_by_staff_id,
            partner_id=e.partner_id,
            deadline=e.follow_up_at,
            origin={"opportunity_id": str(e.opportunity_id)},
            updated_at=ctx.envelope.time,
        )
        await follow_up_task(ctx.conn, deps, task, clock(), ctx.envelope)

    @subs.on(tasks.TaskCreated)
    async def task_created(ctx: Context, e: tasks.TaskCreated) -> None:
        # Our own TaskCreated events describe rows we already have; mail-ingest's are new to us.
        if ctx.envelope.source == own_source:
            return
        await incoming_task(ctx.conn, deps, _task_from_event(e), clock(), ctx.envelope)

    return subs
