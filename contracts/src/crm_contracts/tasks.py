"""Events on crm.tasks: tasks, replies, reminders, estimates, and commands to commercial (see EVENTS.md)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from crm_contracts import topics
from crm_contracts.base import Event, Money
from crm_contracts.common import Attachment, ContractKind, DocumentLine, Part, Source

TaskSource = Literal["manual", "follow_up", "email", "broadcast", "client_request"]
"""What a task came from."""
ReminderChannel = Literal["email", "message"]
"""How a reminder reaches the responsible: an email or an in-app message."""
TaskStatus = Literal["open", "resolved"]
"""Where a task stands."""


class _TasksEvent(Event):
    topic: ClassVar[str] = topics.TASKS
    key_field: ClassVar[str] = "task_id"


class Alert(Part):
    channel: ReminderChannel = Field(description="email or in-app message.")
    days_before: int = Field(ge=0, le=3, description="0 = at the deadline, else 1-3 days before.")


class Origin(Part):
    opportunity_id: UUID | None = Field(default=None, description="The opportunity (follow-up tasks).")
    message_id: str | None = Field(default=None, description="The imported email's message id.")
    broadcast_id: UUID | None = Field(default=None, description="The broadcast (Lansare Task).")
    email_from: str | None = Field(default=None, description="Imported email: the sender.")
    email_subject: str | None = Field(default=None, description="Imported email: the subject.")
    email_body: str | None = Field(default=None, description="Imported email: the body (text).")
    unknown_sender: bool = Field(default=False, description="Imported email: no partner site has the sender.")


class TaskCreated(_TasksEvent):
    """A task was created (also published by mail-ingest, source = email)."""

    event_name: ClassVar[str] = "TaskCreated"
    also_from: ClassVar[tuple[str, ...]] = ("/crm/mail-ingest",)
    task_id: UUID = Field(description="The task.")
    title: str = Field(description="Title.")
    description: str = Field(default="", description="Description.")
    source: TaskSource = Field(description="manual, follow_up, email, broadcast or client_request.")
    creator_staff_id: UUID | None = Field(default=None, description="Who issued it (null for automatic tasks).")
    creator_user: str | None = Field(default=None, description="Login of the user who issued it.")
    responsible_staff_id: UUID | None = Field(description="Who does it; null while waiting for triage.")
    partner_id: UUID | None = Field(default=None, description="Beneficiary client.")
    contract_id: UUID | None = Field(default=None, description="Active contract (T5).")
    contract_line_id: UUID | None = Field(default=None, description="Contract line: the requested service (T5).")
    service_code: str | None = Field(default=None, description="Requested post-sale service.")
    deadline: datetime | None = Field(default=None, description="Deadline.")
    planned_start: datetime | None = Field(default=None, description="Planned start (availability, T6).")
    planned_hours: Decimal | None = Field(default=None, description="Planned hours.")
    billable: bool = Field(default=False, description="Billable.")
    alert: Alert | None = Field(default=None, description="How and when to remind the responsible (T10).")
    attachments: list[Attachment] = Field(default_factory=list, description="Attached files.")
    origin: Origin = Field(default_factory=Origin, description="What it came from.")
    registered_at: datetime = Field(description="When it was registered.")


class TaskAssigned(_TasksEvent):
    """A task got a (new) responsible."""

    event_name: ClassVar[str] = "TaskAssigned"
    task_id: UUID = Field(description="The task.")
    title: str = Field(default="", description="Title.")
    partner_id: UUID | None = Field(default=None, description="Beneficiary client.")
    responsible_staff_id: UUID = Field(description="The new responsible.")
    previous_staff_id: UUID | None = Field(default=None, description="The previous responsible.")
    assigned_by: str | None = Field(default=None, description="User who assigned it.")


class TaskState(Part):
    """A task's whole state, as the tasks service holds it after a change."""

    title: str = Field(description="Title.")
    description: str = Field(default="", description="Description.")
    source: TaskSource = Field(description="manual, follow_up, email, broadcast or client_request.")
    status: TaskStatus = Field(description="open or resolved.")
    creator_staff_id: UUID | None = Field(default=None, description="Who issued it (null for automatic tasks).")
    creator_user: str | None = Field(default=None, description="Login of the user who issued it.")
    responsible_staff_id: UUID | None = Field(default=None, description="Who does it; null while waiting for triage.")
    partner_id: UUID | None = Field(default=None, description="Beneficiary client.")
    contract_id: UUID | None = Field(default=None, description="Active contract (T5).")
    contract_line_id: UUID | None = Field(default=None, description="Contract line: the requested service (T5).")
    service_code: str | None = Field(default=None, description="Requested post-sale service.")
    deadline: datetime | None = Field(default=None, description="Deadline.")
    planned_start: datetime | None = Field(default=None, description="Planned start (availability, T6).")
    planned_hours: Decimal | None = Field(default=None, description="Planned hours.")
    billable: bool = Field(default=False, description="Billable.")
    alert: Alert | None = Field(default=None, description="How and when to remind the responsible (T10).")
    attachments: list[Attachment] = Field(default_factory=list, description="Attached files.")
    broadcast_id: UUID | None = Field(default=None, description="The broadcast it belongs to.")
    registered_at: datetime = Field(description="When it was registered.")
    resolved_at: datetime | None = Field(default=None, description="When it was resolved; null while open.")
    hours: Decimal | None = Field(default=None, description="Billed hours once resolved.")
    invoice_id: UUID | None = Field(default=None, description="The invoice that billed it, once invoiced.")


class TaskUpdated(_TasksEvent):
    """A task's fields changed: what changed, and the task's whole state after the change."""

    event_name: ClassVar[str] = "TaskUpdated"
    task_id: UUID = Field(description="The task.")
    partner_id: UUID | None = Field(default=None, description="Beneficiary client.")
    changes: dict[str, str | None] = Field(description="Changed field -> new value, as text.")
    state: TaskState | None = Field(
        default=None,
        description=(
            "The whole task after the change, so a consumer can rebuild it from the log alone. Always set by the"
            " tasks service; null only in events published before the field was added (additive, still v1)."
        ),
    )


class TaskReplied(_TasksEvent):
    """Someone replied on a task's thread."""

    event_name: ClassVar[str] = "TaskReplied"
    task_id: UUID = Field(description="The task.")
    reply_id: UUID = Field(description="The reply.")
    partner_id: UUID | None = Field(default=None, description="Beneficiary client.")
    title: str = Field(default="", description="The task's title.")
    by_staff_id: UUID | None = Field(default=None, description="Who replied.")
    by_user: str | None = Field(default=None, description="Login of who replied.")
    creator_staff_id: UUID | None = Field(default=None, description="The task's issuer (to tell them).")
    text: str = Field(description="The reply.")


class TaskResolved(_TasksEvent):
    """A task was marked resolved."""

    event_name: ClassVar[str] = "TaskResolved"
    task_id: UUID = Field(description="The task.")
    partner_id: UUID | None = Field(default=None, description="Beneficiary client.")
    responsible_staff_id: UUID | None = Field(default=None, description="Who resolved it.")
    resolved_at: datetime = Field(description="When.")
    hours: Decimal = Field(description="Billed hours: resolved minus registered time, rounded.")
    broadcast_id: UUID | None = Field(default=None, description="The broadcast it belongs to.")


class TaskReopened(_TasksEvent):
    """A resolved task was reopened."""

    event_name: ClassVar[str] = "TaskReopened"
    task_id: UUID = Field(description="The task.")
    partner_id: UUID | None = Field(default=None, description="Beneficiary client.")


class TaskDue(_TasksEvent):
    """A task's reminder fired (C2, T10), once per (task, reminder time)."""

    event_name: ClassVar[str] = "TaskDue"
    task_id: UUID = Field(description="The task.")
    title: str = Field(default="", description="Title.")
    partner_id: UUID | None = Field(default=None, description="Beneficiary client.")
    responsible_staff_id: UUID = Field(description="Who to remind.")
    deadline: datetime = Field(description="The task's deadline.")
    channel: ReminderChannel = Field(description="email or in-app message.")
    days_before: int = Field(description="0-3 days before the deadline.")
    remind_at: datetime = Field(description="The reminder time this fires for.")


class EstimateIssued(_TasksEvent):
    """A resolved task's estimate (deviz) was issued (T9)."""

    event_name: ClassVar[str] = "EstimateIssued"
    task_id: UUID = Field(description="The task.")
    estimate_id: UUID = Field(description="The estimate.")
    partner_id: UUID | None = Field(default=None, description="Beneficiary client.")
    lines: list[DocumentLine] = Field(description="Service article, hours, rate.")
    total: Money = Field(description="Total net of VAT.")
    printout_sha256: str | None = Field(default=None, description="The PDF printout's blob.")


class TaskInvoiced(_TasksEvent):
    """A task's invoice was issued by commercial."""

    event_name: ClassVar[str] = "TaskInvoiced"
    task_id: UUID = Field(description="The task.")
    invoice_id: UUID = Field(description="The invoice.")
    partner_id: UUID | None = Field(default=None, description="Beneficiary client.")


class InvoiceRequested(_TasksEvent):
    """Command to commercial: invoice a resolved billable task (T9)."""

    event_name: ClassVar[str] = "InvoiceRequested"
    is_command: ClassVar[bool] = True
    handled_by: ClassVar[str] = "commercial"
    request_id: UUID = Field(description="The command's id.")
    task_id: UUID = Field(description="The task billed.")
    partner_id: UUID = Field(description="The client.")
    lines: list[DocumentLine] = Field(description="Service article, hours (qty), hourly rate (price).")


class ContractRequested(_TasksEvent):
    """Command to commercial: draft a contract for a client request (T7)."""

    event_name: ClassVar[str] = "ContractRequested"
    is_command: ClassVar[bool] = True
    handled_by: ClassVar[str] = "commercial"
    request_id: UUID = Field(description="The command's id.")
    task_id: UUID = Field(description="The task asking.")
    partner_id: UUID = Field(description="The client.")
    kind: ContractKind = Field(default="commercial", description="Contract kind.")
    starts_on: date = Field(description="First day.")
    months: int | None = Field(default=None, description="Duration in months.")
    monthly_value: Money | None = Field(default=None, description="Subscription monthly value.")
    lines: list[DocumentLine] = Field(description="Requested service lines.")
    source: Source = Field(default_factory=Source, description="Where the document comes from.")
