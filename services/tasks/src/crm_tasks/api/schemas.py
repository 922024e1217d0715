"""HTTP request bodies and the JSON shapes of responses (not the event contracts)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from crm_tasks.domain.availability import Conflict
from crm_tasks.domain.model import (
    Broadcast,
    CatalogueService,
    ContractLineRef,
    ContractRef,
    PartnerRef,
    ReminderSettings,
    Reply,
    StaffMember,
    Task,
)
from crm_tasks.domain.reminders import Reminder
from crm_tasks.domain.rules import InvoiceOutcome
from crm_tasks.service_layer import BroadcastList, Checks, ClientContracts, DayLoad, Tasks


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AlertBody(_Body):
    channel: Literal["email", "message"] = Field(description="email or in-app message.")
    days_before: int = Field(description="0 = at the deadline, else 1, 2 or 3 days before.")


class TaskBody(_Body):
    title: str = Field(max_length=1000, description="Title.")
    description: str = Field(default="", description="Description.")
    responsible_staff_id: UUID | None = Field(
        default=None, description="Who does it; empty = the client's service rep, else its sales rep (T4)."
    )
    deadline: datetime | None = Field(default=None, description="Deadline (a time without offset is local time).")
    planned_start: datetime | None = Field(default=None, description="Planned start (T6).")
    planned_hours: Decimal | None = Field(default=None, description="Planned hours (T6).")
    partner_id: UUID | None = Field(default=None, description="Beneficiary client.")
    contract_id: UUID | None = Field(default=None, description="Contract (T5).")
    contract_line_id: UUID | None = Field(default=None, description="Contract line: the requested service (T5).")
    service_code: str | None = Field(default=None, description="Requested post-sale service (T7).")
    billable: bool = Field(default=False, description="Billable (T8, T9).")
    alert: AlertBody | None = Field(default=None, description="Reminder; empty = the reminder settings (C2).")


class TaskPatchBody(_Body):
    title: str | None = None
    description: str | None = None
    responsible_staff_id: UUID | None = None
    deadline: datetime | None = None
    planned_start: datetime | None = None
    planned_hours: Decimal | None = None
    billable: bool | None = None
    alert: AlertBody | None = None
    service_code: str | None = None
    contract_id: UUID | None = Field(default=None, description="Contract (T5); null detaches it and its line.")
    contract_line_id: UUID | None = Field(default=None, description="A line of the task's contract (T5).")


class ReplyBody(_Body):
    text: str = Field(max_length=20000, description="The reply.")


class ContractBody(_Body):
    kind: Literal["commercial", "subscription"] = Field(default="commercial", description="Contract kind.")
    starts_on: date | None = Field(default=None, description="First day; empty = today.")
    months: int | None = Field(default=None, description="Duration in months.")


class BroadcastBody(_Body):
    staff_ids: list[UUID] = Field(default_factory=list, description="Recipients by staff id.")
    categories: list[str] = Field(default_factory=list, description="Recipients by staff category.")
    title: str = Field(max_length=1000, description="Title.")
    description: str = Field(default="", description="Description.")
    deadline: datetime | None = Field(default=None, description="Deadline.")
    alert: AlertBody | None = Field(default=None, description="Reminder of every task.")
    request_id: UUID | None = Field(
        default=None,
        description="The launch's key, chosen by the client (it becomes the broadcast's id): the same key twice "
        "launches once, and the other request gets 409.",
    )


class ServiceBody(_Body):
    code: str = Field(description="Service code.")
    name: str = Field(description="Service name.")
    hourly_rate: Decimal = Field(description="Hourly rate net of VAT.")
    article_code: str = Field(description="The ERP article it is invoiced as.")


class ReminderSettingsBody(_Body):
    send_message: bool = Field(description="Send an in-app reminder (C2).")
    send_email: bool = Field(description="Send an email reminder (C2).")
    days_before: int = Field(description="Days before the deadline, 0-3 (C2).")
    new_task_refresh_minutes: int = Field(description="How often operators are told of new tasks, 0 = off (C3).")


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def _id(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def task_json(
    task: Task,
    staff: dict[UUID, StaffMember] | None = None,
    partners: dict[UUID, str] | None = None,
    contracts: dict[UUID, ContractRef] | None = None,
    services: dict[str, str] | None = None,
) -> dict[str, Any]:
    staff = staff or {}
    partners = partners or {}
    contract = (contracts or {}).get(task.contract_id) if task.contract_id else None
    line = contract.line(task.contract_line_id) if contract else None
    responsible = staff.get(task.responsible_staff_id) if task.responsible_staff_id else None
    creator = staff.get(task.creator_staff_id) if task.creator_staff_id else None
    estimate = None
    if task.estimate is not None:
        e = task.estimate
        estimate = {
            "id": str(e.id),
            "total": f"{e.total:.2f}",
            "printout_sha256": e.printout_sha256,
            "lines": [
                {
                    "article_code": ln.article_code,
                    "description": ln.description,
                    "hours": str(ln.hours),
                    "rate": f"{ln.rate:.2f}",
                    "net": f"{ln.net:.2f}",
                }
                for ln in e.lines
            ],
        }
    return {
        "id": str(task.id),
        "title": task.title,
        "description": task.description,
        "source": task.source,
        "status": task.status,
        "creator_staff_id": _id(task.creator_staff_id),
        "creator_name": creator.name if creator else task.creator_user,
        "creator_user": task.creator_user,
        "responsible_staff_id": _id(task.responsible_staff_id),
        "responsible_name": responsible.name if responsible else None,
        "partner_id": _id(task.partner_id),
        "partner_name": partners.get(task.partner_id) if task.partner_id else None,
        "contract_id": _id(task.contract_id),
        "contract_line_id": _id(task.contract_line_id),
        "contract_number": contract.number if contract else None,
        "contract_line_name": line.name(services) if line else None,
        "service_code": task.service_code,
        "deadline": _iso(task.deadline),
        "planned_start": _iso(task.planned_start),
        "planned_hours": None if task.planned_hours is None else str(task.planned_hours),
        "billable": task.billable,
        "alert": {"channel": task.alert.channel, "days_before": task.alert.days_before} if task.alert else None,
        "attachments": [
            {"sha256": a.sha256, "file_name": a.file_name, "size": a.size, "content_type": a.content_type}
            for a in task.attachments
        ],
        "origin": task.origin,
        "broadcast_id": _id(task.broadcast_id),
        "registered_at": _iso(task.registered_at),
        "resolved_at": _iso(task.resolved_at),
        "completed_at": _iso(task.resolved_at),
        "hours": None if task.hours is None else str(task.hours),
        "invoiced": task.invoiced,
        "invoice_id": _id(task.invoice_id),
        "estimate": estimate,
        "contract_request_id": _id(task.contract_request_id),
        "updated_at": _iso(task.updated_at),
    }


def tasks_json(tasks: Tasks) -> list[dict[str, Any]]:
    """Tasks with the names of their people and clients."""
    return [task_json(t, tasks.staff, tasks.partners, tasks.contracts, tasks.services) for t in tasks.items]


def reminder_json(r: Reminder) -> dict[str, Any]:
    return {
        "channel": r.channel,
        "days_before": r.days_before,
        "remind_at": r.remind_at.isoformat(),
        "fired_at": _iso(r.fired_at),
    }


def day_load_json(load: DayLoad) -> dict[str, Any]:
    """T6: one person's day, titles hidden for the tasks the caller may not see."""
    member, used = load.member, load.planned_hours
    return {
        "staff_id": str(member.id),
        "name": member.name,
        "date": load.day.isoformat(),
        "hours_per_day": str(member.hours_per_day),
        "planned_hours": str(used),
        "free_hours": str(max(member.hours_per_day - used, Decimal(0))),
        "available": used < member.hours_per_day,
        "tasks": [
            {
                "task_id": str(p.task_id),
                "title": p.title if p.task_id in load.visible else HIDDEN_TITLE,
                "hours": str(h),
            }
            for p, h in load.load
        ],
    }


def broadcasts_json(found: BroadcastList) -> dict[str, Any]:
    return {
        "items": [broadcast_json(b, found.progress.get(b.id, (0, 0))) for b in found.items],
        "total": found.total,
    }


def staff_json(p: StaffMember) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "name": p.name,
        "email": p.email,
        "hours_per_day": str(p.hours_per_day),
        "categories": list(p.categories),
        "team": p.team,
    }


def partner_json(p: PartnerRef) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "name": p.name,
        "kind": p.kind,
        "service_rep_staff_id": _id(p.service_rep_staff_id),
        "sales_rep_staff_id": _id(p.sales_rep_staff_id),
    }


def line_json(ln: ContractLineRef, services: dict[str, str] | None = None) -> dict[str, Any]:
    """A contract line with the name people know it by (T5)."""
    return {
        "line_id": _id(ln.line_id),
        "article_code": ln.article_code,
        "description": ln.description,
        "name": ln.name(services),
    }


def contract_json(c: ContractRef | None, services: dict[str, str] | None = None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "id": str(c.id),
        "number": c.number,
        "kind": c.kind,
        "starts_on": c.starts_on.isoformat(),
        "ends_on": _iso(c.ends_on),
        "lines": [line_json(ln, services) for ln in c.lines],
    }


def client_contracts_json(found: ClientContracts) -> dict[str, Any]:
    """T5: a client's contracts in force, each line named, for the line picker."""
    items = [contract_json(c, found.services) for c in found.contracts]
    return {"items": items, "total": len(items)}


def invoice_json(outcome: InvoiceOutcome | None) -> dict[str, Any] | None:
    """T9: what became of a resolved task's invoice (``reason`` is a code the UI names)."""
    if outcome is None:
        return None
    contract = outcome.contract
    return {
        "reason": outcome.code,
        "contract_id": str(contract.id) if contract else None,
        "contract_number": contract.number if contract else None,
    }


def conflict_json(c: Conflict) -> dict[str, Any]:
    return {"task_id": str(c.task_id), "title": c.title, "day": c.day.isoformat(), "hours": str(c.hours)}


HIDDEN_TITLE = "Task al altui coleg / another person's task"
"""What a view shows instead of the title of a task the caller may not see (availability, conflicts)."""


def checks_json(checks: Checks) -> dict[str, Any]:
    """The checks, with the titles of conflicting tasks the caller may not see hidden (T1)."""
    conflicts = [conflict_json(c) for c in checks.conflicts]
    for item, conflict in zip(conflicts, checks.conflicts, strict=True):
        if conflict.task_id in checks.hidden:
            item["title"] = HIDDEN_TITLE
    return {
        "available": checks.available,
        "conflicts": conflicts,
        "active_contract": contract_json(checks.active_contract),
        "covers_service": checks.covers_service,
        "balance": None if checks.balance is None else f"{checks.balance[0]:.2f}",
        "balance_currency": None if checks.balance is None else checks.balance[1],
        "over_hours_per_day": checks.over_day,
        "hours_per_day": None if checks.hours_per_day is None else str(checks.hours_per_day),
    }


def reply_json(r: Reply) -> dict[str, Any]:
    return {
        "id": str(r.id),
        "task_id": str(r.task_id),
        "text": r.text,
        "at": r.at.isoformat(),
        "by_staff_id": _id(r.by_staff_id),
        "by_user": r.by_user,
    }


def broadcast_json(b: Broadcast, progress: tuple[int, int]) -> dict[str, Any]:
    total, resolved = progress
    return {
        "id": str(b.id),
        "title": b.title,
        "description": b.description,
        "deadline": _iso(b.deadline),
        "staff_ids": [str(s) for s in b.staff_ids],
        "categories": b.categories,
        "created_at": b.created_at.isoformat(),
        "creator_staff_id": _id(b.creator_staff_id),
        "creator_user": b.creator_user,
        "progress": {"total": total, "resolved": resolved, "open": total - resolved},
    }


def service_json(s: CatalogueService) -> dict[str, Any]:
    return {"code": s.code, "name": s.name, "hourly_rate": f"{s.hourly_rate:.2f}", "article_code": s.article_code}


def settings_json(s: ReminderSettings) -> dict[str, Any]:
    return {
        "send_message": s.send_message,
        "send_email": s.send_email,
        "days_before": s.days_before,
        "new_task_refresh_minutes": s.new_task_refresh_minutes,
    }
