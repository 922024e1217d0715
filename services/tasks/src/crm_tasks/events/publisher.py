"""The tasks publisher: domain facts -> crm.tasks contract events -> the outbox, in the caller's transaction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from crm_contracts import tasks as ev
from crm_contracts.base import Envelope, Event
from crm_contracts.common import Attachment, DocumentLine, Source
from crm_kit.outbox import Outbox
from crm_tasks.domain.model import CatalogueService, Estimate, Task
from crm_tasks.store.repository import DueReminder


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


class Publisher:
    """Speaks the domain (``task_due(conn, reminder)``); only this class knows the contract models."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def _emit(self, conn: AsyncConnection, event: Event, now: datetime, cause: Envelope | None) -> Envelope:
        return await self.outbox.add(
            conn,
            event,
            now=now,
            correlation_id=(cause.correlationid or cause.id) if cause else None,
            causation_id=cause.id if cause else None,
        )

    async def task_created(
        self, conn: AsyncConnection, task: Task, now: datetime, cause: Envelope | None = None
    ) -> None:
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
        await self._emit(conn, event, now, cause)

    async def task_assigned(
        self,
        conn: AsyncConnection,
        task: Task,
        previous: UUID | None,
        by: str | None,
        now: datetime,
        cause: Envelope | None = None,
    ) -> None:
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
        await self._emit(conn, event, now, cause)

    async def task_updated(
        self, conn: AsyncConnection, task: Task, changes: dict[str, str | None], now: datetime
    ) -> None:
        event = ev.TaskUpdated(task_id=task.id, partner_id=task.partner_id, changes=changes, state=_state(task))
        await self._emit(conn, event, now, None)

    async def task_replied(
        self,
        conn: AsyncConnection,
        task: Task,
        reply_id: UUID,
        by_staff: UUID | None,
        by_user: str | None,
        text: str,
        now: datetime,
    ) -> None:
        event = ev.TaskReplied(
            task_id=task.id,
            reply_id=reply_id,
            partner_id=task.partner_id,
            title=task.title,
            by_staff_id=by_staff,
            by_user=by_user,
            creator_staff_id=task.creator_staff_id,
            text=text,
        )
        await self._emit(conn, event, now, None)

    async def task_resolved(self, conn: AsyncConnection, task: Task, now: datetime) -> None:
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
        await self._emit(conn, event, now, None)

    async def task_reopened(self, conn: AsyncConnection, task: Task, now: datetime) -> None:
        await self._emit(conn, ev.TaskReopened(task_id=task.id, partner_id=task.partner_id), now, None)

    async def task_due(self, conn: AsyncConnection, due: DueReminder, now: datetime) -> None:
        event = ev.TaskDue(
            task_id=due.task_id,
            title=due.title,
            partner_id=due.partner_id,
            responsible_staff_id=due.responsible_staff_id,
            deadline=due.deadline,
            channel="email" if due.channel == "email" else "message",
            days_before=due.days_before,
            remind_at=due.remind_at,
        )
        await self._emit(conn, event, now, None)

    async def estimate_issued(self, conn: AsyncConnection, task: Task, estimate: Estimate, now: datetime) -> None:
        event = ev.EstimateIssued(
            task_id=task.id,
            estimate_id=estimate.id,
            partner_id=task.partner_id,
            lines=_lines(estimate),
            total=estimate.total,
            printout_sha256=estimate.printout_sha256,
        )
        await self._emit(conn, event, now, None)

    async def invoice_requested(
        self, conn: AsyncConnection, request_id: UUID, task: Task, estimate: Estimate, now: datetime
    ) -> None:
        assert task.partner_id is not None
        event = ev.InvoiceRequested(
            request_id=request_id, task_id=task.id, partner_id=task.partner_id, lines=_lines(estimate)
        )
        await self._emit(conn, event, now, None)

    async def task_invoiced(
        self, conn: AsyncConnection, task: Task, invoice_id: UUID, now: datetime, cause: Envelope
    ) -> None:
        event = ev.TaskInvoiced(task_id=task.id, invoice_id=invoice_id, partner_id=task.partner_id)
        await self._emit(conn, event, now, cause)

    async def contract_requested(
        self,
        conn: AsyncConnection,
        request_id: UUID,
        task: Task,
        service: CatalogueService,
        kind: str,
        starts_on: date,
        months: int | None,
        qty: Decimal,
        now: datetime,
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
        await self._emit(conn, event, now, None)
