"""The tasks publisher adapter: domain facts -> crm.tasks contract events -> the unit of work's outbox."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from crm_contracts import tasks as ev
from crm_contracts.common import Attachment, DocumentLine, Source
from crm_kit.transactions import Emit
from crm_tasks.domain.model import CatalogueService, Estimate, Reply, Task
from crm_tasks.domain.reminders import DueReminder


def _lines(estimate: Estimate) -> list[DocumentLine]:
    return [
        DocumentLine(
            article_code=ln.article_code, description=ln.description, qty=ln.hours, unit="h", price=ln.rate, net=ln.net
        )
        for ln in estimate.lines
    ]


def _state(task: Task) -> ev.TaskState:
    """The task's whole state as the contract carries it (TaskUpdated), so the log alone rebuilds a task."""
    return ev.TaskState(
        title=task.title,
        description=task.description,
        source=task.source,  # type: ignore[arg-type]
        status=task.status,
        creator_staff_id=task.creator_staff_id,
        creator_user=task.creator_user,
        responsible_staff_id=task.responsible_staff_id,
        partner_id=task.partner_id,
        contract_id=task.contract_id,
        contract_line_id=task.contract_line_id,
        service_code=task.service_code,
        deadline=task.deadline,
        planned_start=task.planned_start,
        planned_hours=task.planned_hours,
        billable=task.billable,
        alert=ev.Alert(channel=task.alert.channel, days_before=task.alert.days_before) if task.alert else None,
        attachments=[
            Attachment(file_name=a.file_name, sha256=a.sha256, size=a.size, content_type=a.content_type)
            for a in task.attachments
        ],
        broadcast_id=task.broadcast_id,
        registered_at=task.registered_at,
        resolved_at=task.resolved_at,
        hours=task.hours,
        invoice_id=task.invoice_id,
    )


class KafkaPublisher:
    """Implements ``crm_tasks.ports.Publisher``: speaks the domain; only this class knows the contract models.

    Inside an event handler, ``emit`` is the handler's (the events are caused by the handled one).
    """

    def __init__(self, emit: Emit) -> None:
        self.emit = emit

    async def task_created(self, task: Task) -> None:
        origin = ev.Origin.model_validate({**task.origin, "broadcast_id": task.broadcast_id})
        event = ev.TaskCreated(
            task_id=task.id,
            title=task.title,
            description=task.description,
            source=task.source,  # type: ignore[arg-type]
            creator_staff_id=task.creator_staff_id,
            creator_user=task.creator_user,
            responsible_staff_id=task.responsible_staff_id,
            partner_id=task.partner_id,
            contract_id=task.contract_id,
            contract_line_id=task.contract_line_id,
            service_code=task.service_code,
            deadline=task.deadline,
            planned_start=task.planned_start,
            planned_hours=task.planned_hours,
            billable=task.billable,
            alert=ev.Alert(channel=task.alert.channel, days_before=task.alert.days_before) if task.alert else None,
            attachments=[
                Attachment(file_name=a.file_name, sha256=a.sha256, size=a.size, content_type=a.content_type)
                for a in task.attachments
            ],
            origin=origin,
            registered_at=task.registered_at,
        )
        await self.emit(event)

    async def task_assigned(self, task: Task, previous: UUID | None, by: str | None) -> None:
        if task.responsible_staff_id is None:
            return
        event = ev.TaskAssigned(
            task_id=task.id,
            title=task.title,
            partner_id=task.partner_id,
            responsible_staff_id=task.responsible_staff_id,
            previous_staff_id=previous,
            assigned_by=by,
        )
        await self.emit(event)

    async def task_updated(self, task: Task, changes: dict[str, str | None]) -> None:
        await self.emit(
            ev.TaskUpdated(task_id=task.id, partner_id=task.partner_id, changes=changes, state=_state(task))
        )

    async def task_replied(self, task: Task, reply: Reply) -> None:
        event = ev.TaskReplied(
            task_id=task.id,
            reply_id=reply.id,
            partner_id=task.partner_id,
            title=task.title,
            by_staff_id=reply.by_staff_id,
            by_user=reply.by_user,
            creator_staff_id=task.creator_staff_id,
            text=reply.text,
        )
        await self.emit(event)

    async def task_resolved(self, task: Task) -> None:
        assert task.resolved_at is not None
        assert task.hours is not None
        event = ev.TaskResolved(
            task_id=task.id,
            partner_id=task.partner_id,
            responsible_staff_id=task.responsible_staff_id,
            resolved_at=task.resolved_at,
            hours=task.hours,
            broadcast_id=task.broadcast_id,
        )
        await self.emit(event)

    async def task_reopened(self, task: Task) -> None:
        await self.emit(ev.TaskReopened(task_id=task.id, partner_id=task.partner_id))

    async def task_due(self, reminder: DueReminder) -> None:
        event = ev.TaskDue(
            task_id=reminder.task_id,
            title=reminder.title,
            partner_id=reminder.partner_id,
            responsible_staff_id=reminder.responsible_staff_id,
            deadline=reminder.deadline,
            channel="email" if reminder.channel == "email" else "message",
            days_before=reminder.days_before,
            remind_at=reminder.remind_at,
        )
        await self.emit(event)

    async def estimate_issued(self, task: Task, estimate: Estimate) -> None:
        event = ev.EstimateIssued(
            task_id=task.id,
            estimate_id=estimate.id,
            partner_id=task.partner_id,
            lines=_lines(estimate),
            total=estimate.total,
            printout_sha256=estimate.printout_sha256,
        )
        await self.emit(event)

    async def invoice_requested(self, request_id: UUID, task: Task, estimate: Estimate) -> None:
        assert task.partner_id is not None
        event = ev.InvoiceRequested(
            request_id=request_id, task_id=task.id, partner_id=task.partner_id, lines=_lines(estimate)
        )
        await self.emit(event)

    async def task_invoiced(self, task: Task) -> None:
        assert task.invoice_id is not None
        await self.emit(ev.TaskInvoiced(task_id=task.id, invoice_id=task.invoice_id, partner_id=task.partner_id))

    async def contract_requested(
        self,
        request_id: UUID,
        task: Task,
        service: CatalogueService,
        kind: str,
        starts_on: date,
        months: int | None,
        qty: Decimal,
    ) -> None:
        assert task.partner_id is not None
        event = ev.ContractRequested(
            request_id=request_id,
            task_id=task.id,
            partner_id=task.partner_id,
            kind="subscription" if kind == "subscription" else "commercial",
            starts_on=starts_on,
            months=months,
            lines=[
                DocumentLine(
                    article_code=service.article_code,
                    description=service.name,
                    qty=qty,
                    unit="h",
                    price=service.hourly_rate,
                )
            ],
            source=Source(task_id=task.id),
        )
        await self.emit(event)
