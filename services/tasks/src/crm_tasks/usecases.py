"""The tasks use cases: each takes the open transaction, calls the domain, stores, and publishes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from crm_kit.blobs import BlobStore
from crm_kit.errors import Conflict, Invalid, NotFound
from crm_kit.ids import new_id
from crm_tasks.domain import availability, billing, reminders, rules
from crm_tasks.domain.model import (
    Alert,
    Broadcast,
    CatalogueService,
    ContractRef,
    Estimate,
    ReminderSettings,
    Reply,
    Task,
    Viewer,
)
from crm_tasks.events.publisher import Publisher
from crm_tasks.printout import render_estimate
from crm_tasks.settings import TasksSettings
from crm_tasks.store import repository as repo

Clock = Callable[[], datetime]


@dataclass
class Deps:
    """What the use cases need besides the transaction: settings, publisher, blobs."""

    settings: TasksSettings
    publisher: Publisher
    blobs: BlobStore

    @property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.settings.timezone)


@dataclass(frozen=True)
class TaskInput:
    """A new task as asked for (already parsed from HTTP)."""

    title: str
    description: str = ""
    responsible_staff_id: UUID | None = None
    deadline: datetime | None = None
    planned_start: datetime | None = None
    planned_hours: Decimal | None = None
    partner_id: UUID | None = None
    contract_id: UUID | None = None
    contract_line_id: UUID | None = None
    service_code: str | None = None
    billable: bool = False
    alert: Alert | None = None


@dataclass
class Checks:
    """T6 and T7 on a task: availability, active contract, coverage of the service, the client's balance."""

    available: bool | None = None
    conflicts: list[availability.Conflict] = field(default_factory=list)
    active_contract: ContractRef | None = None
    covers_service: bool | None = None
    balance: tuple[Decimal, str] | None = None


async def _require_staff(conn: AsyncConnection, staff_id: UUID, what: str = "responsible_staff_id") -> None:
    member = await repo.get_staff(conn, staff_id)
    if member is None:
        raise Invalid(f"{what}: no staff member {staff_id} in the staff directory", field=what)
    if not member.active:
        raise Invalid(f"{what}: {member.name} has left and cannot take tasks", field=what)


async def _require_service(conn: AsyncConnection, code: str | None) -> CatalogueService | None:
    if code is None:
        return None
    service = await repo.get_service(conn, code)
    if service is None:
        raise Invalid(f"service_code: no post-sale service {code!r} in the catalogue", field="service_code")
    return service


async def checks_for(
    conn: AsyncConnection,
    deps: Deps,
    *,
    task_id: UUID | None,
    responsible: UUID | None,
    planned_start: datetime | None,
    planned_hours: Decimal | None,
    partner_id: UUID | None,
    service: CatalogueService | None,
    now: datetime,
) -> Checks:
    """The informative checks of a (planned) task; they warn, they never block."""
    checks = Checks()
    if responsible is not None and planned_start is not None and planned_hours is not None:
        member = await repo.get_staff(conn, responsible)
        hours_per_day = member.hours_per_day if member else Decimal(0)
        others = await repo.planned_for(conn, responsible, exclude=task_id)
        plan = availability.Planned(task_id or UUID(int=0), "", planned_start, planned_hours)
        result = availability.check(plan, others, hours_per_day, deps.tz)
        checks.available, checks.conflicts = result.available, result.conflicts
    if partner_id is not None:
        cover = rules.coverage(await repo.contracts_of(conn, partner_id), service, now.astimezone(deps.tz).date())
        checks.active_contract, checks.covers_service = cover.contract, cover.covers_service
        checks.balance = await repo.get_balance(conn, partner_id)
    return checks


async def create_task(
    conn: AsyncConnection, deps: Deps, viewer: Viewer, inp: TaskInput, now: datetime
) -> tuple[Task, Checks]:
    """T1/T3-T8: validate, default the responsible (T4), attach the covering contract (T5), plan reminders."""
    title = rules.check_title(inp.title)
    description = rules.check_text(inp.description)
    hours = rules.check_planned_hours(inp.planned_hours, deps.settings.max_planned_hours)
    if (inp.planned_start is None) != (hours is None):
        raise Invalid("planned_start and planned_hours go together: give both or neither")
    rules.check_billable(inp.billable, inp.partner_id, inp.service_code)
    partner = None
    if inp.partner_id is not None:
        partner = await repo.get_partner(conn, inp.partner_id)
        if partner is None:
            raise Invalid(f"partner_id: no partner {inp.partner_id} in the directory", field="partner_id")
    responsible = inp.responsible_staff_id
    if responsible is None:
        if partner is None:
            raise Invalid("a task needs a responsible (responsible_staff_id) or a client to take it from")
        responsible = rules.default_responsible(partner)
    await _require_staff(conn, responsible)
    service = await _require_service(conn, inp.service_code)
    contract_id, line_id = inp.contract_id, inp.contract_line_id
    if contract_id is not None:
        contract = await repo.get_contract(conn, contract_id)
        if contract is None or contract.partner_id != inp.partner_id:
            raise Invalid(f"contract_id: {contract_id} is not a contract of this client", field="contract_id")
        if line_id is not None and all(ln.line_id != line_id for ln in contract.lines):
            raise Invalid(f"contract_line_id: {line_id} is not a line of contract {contract.number}")
    elif line_id is not None:
        raise Invalid("contract_line_id needs its contract_id")
    checks = await checks_for(
        conn,
        deps,
        task_id=None,
        responsible=responsible,
        planned_start=inp.planned_start,
        planned_hours=hours,
        partner_id=inp.partner_id,
        service=service,
        now=now,
    )
    if contract_id is None and partner is not None and checks.active_contract is not None and service is not None:
        covering = checks.active_contract.line_for(service.article_code)
        if covering is not None:
            contract_id, line_id = checks.active_contract.id, covering.line_id
    task = Task(
        id=new_id(),
        title=title,
        description=description,
        source="client_request" if partner is not None and service is not None else "manual",
        responsible_staff_id=responsible,
        registered_at=now,
        creator_staff_id=viewer.staff_id,
        creator_user=viewer.username,
        partner_id=inp.partner_id,
        contract_id=contract_id,
        contract_line_id=line_id,
        service_code=inp.service_code,
        deadline=inp.deadline,
        planned_start=inp.planned_start,
        planned_hours=hours,
        billable=inp.billable,
        alert=inp.alert,
        updated_at=now,
    )
    await _store_new(conn, deps, task, now)
    return task, checks


async def _store_new(conn: AsyncConnection, deps: Deps, task: Task, now: datetime, cause: Any = None) -> bool:
    if not await repo.insert_task(conn, task):
        return False
    settings = await repo.get_settings(conn)
    await repo.replace_reminders(conn, task.id, reminders.plan(task, settings))
    await deps.publisher.task_created(conn, task, now, cause)
    return True


async def visible_task(conn: AsyncConnection, viewer: Viewer, task_id: UUID, *, for_update: bool = False) -> Task:
    """A task the viewer may see, or 404 / 403."""
    task = await repo.get_task(conn, task_id, for_update=for_update)
    if task is None:
        raise NotFound(f"no task {task_id}")
    rules.ensure_can_see(task, viewer)
    return task


_UNSET: Any = object()


@dataclass(frozen=True)
class TaskPatch:
    """Fields to change; a field left at UNSET is kept."""

    title: Any = _UNSET
    description: Any = _UNSET
    responsible_staff_id: Any = _UNSET
    deadline: Any = _UNSET
    planned_start: Any = _UNSET
    planned_hours: Any = _UNSET
    billable: Any = _UNSET
    alert: Any = _UNSET
    service_code: Any = _UNSET


UNSET = _UNSET


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Alert):
        return f"{value.channel}:{value.days_before}"
    return str(value)


async def update_task(
    conn: AsyncConnection, deps: Deps, viewer: Viewer, task_id: UUID, patch: TaskPatch, now: datetime
) -> tuple[Task, Checks]:
    """Change a task's fields; a new deadline or alert reschedules its reminders; a new responsible is assigned."""
    task = await visible_task(conn, viewer, task_id, for_update=True)
    before = replace(task)
    changes: dict[str, Any] = {}
    for name in TaskPatch.__dataclass_fields__:
        value = getattr(patch, name)
        if value is not _UNSET:
            changes[name] = value
    if "title" in changes:
        changes["title"] = rules.check_title(changes["title"])
    if "description" in changes:
        changes["description"] = rules.check_text(changes["description"] or "")
    if "planned_hours" in changes:
        changes["planned_hours"] = rules.check_planned_hours(changes["planned_hours"], deps.settings.max_planned_hours)
    if changes.get("responsible_staff_id") is not None:
        await _require_staff(conn, changes["responsible_staff_id"])
    elif "responsible_staff_id" in changes:
        raise Invalid("a task cannot be left without a responsible")
    if "service_code" in changes:
        await _require_service(conn, changes["service_code"])
    for name, value in changes.items():
        setattr(task, name, value)
    if (task.planned_start is None) != (task.planned_hours is None):
        raise Invalid("planned_start and planned_hours go together: give both or neither")
    rules.check_billable(task.billable, task.partner_id, task.service_code)
    changed = {k: _text(v) for k, v in changes.items() if getattr(before, k) != v}
    if changed:
        task.updated_at = now
        await repo.update_task(conn, task)
        settings = await repo.get_settings(conn)
        await repo.replace_reminders(conn, task.id, reminders.plan(task, settings))
        await deps.publisher.task_updated(conn, task, changed, now)
        if "responsible_staff_id" in changed:
            await deps.publisher.task_assigned(conn, task, before.responsible_staff_id, viewer.username, now)
    service = await repo.get_service(conn, task.service_code) if task.service_code else None
    checks = await checks_for(
        conn,
        deps,
        task_id=task.id,
        responsible=task.responsible_staff_id,
        planned_start=task.planned_start,
        planned_hours=task.planned_hours,
        partner_id=task.partner_id,
        service=service,
        now=now,
    )
    return task, checks


async def reply(conn: AsyncConnection, deps: Deps, viewer: Viewer, task_id: UUID, text: str, now: datetime) -> Reply:
    """A reply on a task's thread; the issuer is told through TaskReplied (T1)."""
    text = text.strip()
    if not text:
        raise Invalid("a reply needs some text")
    rules.check_text(text, "the reply")
    task = await visible_task(conn, viewer, task_id)
    answer = Reply(new_id(), task.id, text, now, viewer.staff_id, viewer.username)
    await repo.add_reply(conn, answer)
    await deps.publisher.task_replied(conn, task, answer.id, viewer.staff_id, viewer.username, text, now)
    return answer


async def resolve(conn: AsyncConnection, deps: Deps, viewer: Viewer, task_id: UUID, now: datetime) -> Task:
    """T9: hours from registered to resolved time, the estimate and its printout, and the invoice request."""
    task = await visible_task(conn, viewer, task_id, for_update=True)
    if task.status == "resolved":
        raise Conflict(_already_resolved(task.resolved_at, task.resolved_by, deps), status="resolved")
    task.status = "resolved"
    task.resolved_at = now
    task.resolved_by = viewer.username
    task.updated_at = now
    task.hours = billing.billed_hours(
        task.registered_at, now, deps.settings.billing_quantum_minutes, deps.settings.billing_rounding
    )
    service = await repo.get_service(conn, task.service_code) if task.service_code else None
    estimate: Estimate | None = None
    if service is not None:
        estimate = billing.estimate(new_id(), service, task.hours)
        partner = await repo.get_partner(conn, task.partner_id) if task.partner_id else None
        pdf = render_estimate(task, estimate, partner.name if partner else None, deps.settings.currency, deps.tz)
        estimate = replace(estimate, printout_sha256=deps.blobs.put(pdf))
        task.estimate = estimate
    # One resolve wins: the estimate, TaskResolved and the invoice request are written once.
    await repo.transition_task(
        conn,
        task,
        expected={"status": "open"},
        lost=lambda row: _already_resolved(row.resolved_at, row.resolved_by, deps),
    )
    await repo.drop_pending_reminders(conn, task.id)
    await deps.publisher.task_resolved(conn, task, now)
    if estimate is not None and service is not None:
        await deps.publisher.estimate_issued(conn, task, estimate, now)
        covered = False
        if task.partner_id is not None:
            cover = rules.coverage(
                await repo.contracts_of(conn, task.partner_id), service, now.astimezone(deps.tz).date()
            )
            covered = bool(cover.covers_service)
        if task.billable and not covered and task.partner_id is not None:
            await deps.publisher.invoice_requested(conn, new_id(), task, estimate, now)
    return task


async def reopen(conn: AsyncConnection, deps: Deps, viewer: Viewer, task_id: UUID, now: datetime) -> Task:
    """A resolved task goes back to open (an invoiced one cannot)."""
    task = await visible_task(conn, viewer, task_id, for_update=True)
    if task.status != "resolved":
        raise Conflict("only a resolved task can be reopened")
    if task.invoiced:
        raise Conflict("the task is invoiced already; it cannot be reopened")
    task.status, task.resolved_at, task.hours, task.estimate, task.updated_at = "open", None, None, None, now
    task.resolved_by = None
    await repo.transition_task(conn, task, expected={"status": "resolved", "invoiced": False}, lost=_not_reopenable)
    await repo.replace_reminders(conn, task.id, reminders.plan(task, await repo.get_settings(conn)))
    await deps.publisher.task_reopened(conn, task, now)
    return task


def _already_resolved(at: datetime | None, by: str | None, deps: Deps) -> str:
    """What a request that lost the race to resolve a task is told: when and by whom it was resolved."""
    text = "the task was already resolved"
    if at is not None:
        text += f" at {at.astimezone(deps.tz):%Y-%m-%d %H:%M}"
    if by:
        text += f" by {by}"
    return text


def _already_launched(first: Broadcast, deps: Deps) -> str:
    by = f" by {first.creator_user}" if first.creator_user else ""
    at = first.created_at.astimezone(deps.tz)
    return f"the broadcast '{first.title}' was already launched at {at:%Y-%m-%d %H:%M}{by}"


def _not_reopenable(row: Any) -> str:
    if row.status != "resolved":
        return "the task was already reopened"
    return "the task is invoiced already; it cannot be reopened"


def _contract_requested(request_id: object) -> str:
    return f"a contract was already requested for this task (request {request_id})"


async def draft_contract(
    conn: AsyncConnection,
    deps: Deps,
    viewer: Viewer,
    task_id: UUID,
    kind: str,
    starts_on: date | None,
    months: int | None,
    now: datetime,
) -> UUID:
    """T7: with no active contract covering the requested service, ask commercial to draft one."""
    task = await visible_task(conn, viewer, task_id, for_update=True)
    if task.partner_id is None or task.service_code is None:
        raise Conflict("a contract is drafted for a client request: the task needs a client and a service")
    if kind not in ("commercial", "subscription"):
        raise Invalid(f"kind is commercial or subscription, not {kind!r}")
    if months is not None and not 1 <= months <= 120:
        raise Invalid("months is between 1 and 120")
    service = await _require_service(conn, task.service_code)
    assert service is not None
    cover = rules.coverage(await repo.contracts_of(conn, task.partner_id), service, now.astimezone(deps.tz).date())
    if cover.covers_service:
        number = cover.contract.number if cover.contract else ""
        raise Conflict(f"contract {number} already covers this service")
    if task.contract_request_id is not None:
        raise Conflict(_contract_requested(task.contract_request_id), request_id=str(task.contract_request_id))
    request_id = new_id()
    task.contract_request_id = request_id
    task.updated_at = now
    # One contract request per task: only the request that finds none in the UPDATE asks commercial.
    await repo.transition_task(
        conn,
        task,
        expected={"contract_request_id": None},
        lost=lambda row: _contract_requested(row.contract_request_id),
    )
    qty = task.planned_hours or Decimal(1)
    await deps.publisher.contract_requested(
        conn, request_id, task, service, kind, starts_on or now.astimezone(deps.tz).date(), months, qty, now
    )
    return request_id


async def broadcast(
    conn: AsyncConnection,
    deps: Deps,
    viewer: Viewer,
    *,
    staff_ids: list[UUID],
    categories: list[str],
    title: str,
    description: str,
    deadline: datetime | None,
    alert: Alert | None,
    now: datetime,
    broadcast_id: UUID | None = None,
) -> tuple[Broadcast, list[Task]]:
    """T2 (Lansare Task): one task per recipient (named people and whole categories), linked to the broadcast.

    ``broadcast_id`` is the launch's key, chosen by the client: the same key twice launches once, and the
    other request gets ``Conflict`` naming the launch.
    """
    title = rules.check_title(title)
    description = rules.check_text(description)
    known = await repo.staff_by_ids(conn, staff_ids)
    missing = [str(s) for s in staff_ids if s not in known]
    if missing:
        raise Invalid(f"no staff member {', '.join(missing)} in the staff directory", staff_ids=missing)
    recipients = {s.id for s in known.values() if s.active}
    if categories:
        wanted = set(categories)
        everyone = await repo.all_staff(conn)
        in_categories = [s for s in everyone if s.active and wanted & set(s.categories)]
        unknown = wanted - {c for s in everyone for c in s.categories}
        if unknown:
            raise Invalid(f"no staff member is in the categories {', '.join(sorted(unknown))}")
        recipients |= {s.id for s in in_categories}
    if not recipients:
        raise Invalid("a broadcast needs at least one recipient: staff_ids or categories")
    cast = Broadcast(
        broadcast_id or new_id(),
        title,
        description,
        deadline,
        sorted(staff_ids, key=str),
        sorted(set(categories)),
        now,
        viewer.staff_id,
        viewer.username,
    )
    await repo.insert_broadcast(conn, cast, lambda first: _already_launched(first, deps))
    created = []
    for staff_id in sorted(recipients, key=str):
        task = Task(
            id=new_id(),
            title=title,
            description=description,
            source="broadcast",
            responsible_staff_id=staff_id,
            registered_at=now,
            creator_staff_id=viewer.staff_id,
            creator_user=viewer.username,
            deadline=deadline,
            alert=alert,
            broadcast_id=cast.id,
            updated_at=now,
        )
        await _store_new(conn, deps, task, now)
        created.append(task)
    return cast, created


async def incoming_task(conn: AsyncConnection, deps: Deps, task: Task, now: datetime, cause: Any) -> bool:
    """Store a task created elsewhere (mail-ingest's TaskCreated), once; T4 gives it a responsible when it has none."""
    if await repo.task_exists(conn, task.id):
        return False
    assigned = False
    if task.responsible_staff_id is None and task.partner_id is not None:
        partner = await repo.get_partner(conn, task.partner_id)
        chosen = (partner.service_rep_staff_id or partner.sales_rep_staff_id) if partner else None
        if chosen is not None:
            task.responsible_staff_id, assigned = chosen, True
    if not await repo.insert_task(conn, task):
        return False
    settings = await repo.get_settings(conn)
    await repo.replace_reminders(conn, task.id, reminders.plan(task, settings))
    if assigned:
        await deps.publisher.task_assigned(conn, task, None, None, now, cause)
    return True


async def follow_up_task(conn: AsyncConnection, deps: Deps, task: Task, now: datetime, cause: Any) -> bool:
    """O7: a follow-up becomes a task for the stage's delegate, once (its id is derived from the follow-up)."""
    return await _store_new(conn, deps, task, now, cause)


async def put_settings(conn: AsyncConnection, settings: ReminderSettings) -> ReminderSettings:
    """C2/C3: store the reminder defaults (they apply to tasks planned from now on)."""
    rules.check_days_before(settings.days_before)
    if not 0 <= settings.new_task_refresh_minutes <= 1440:
        raise Invalid("new_task_refresh_minutes is between 0 (off) and 1440")
    await repo.put_settings(conn, settings)
    return settings


async def add_service(conn: AsyncConnection, service: CatalogueService) -> CatalogueService:
    """T7: a new post-sale service in the catalogue."""
    code = service.code.strip()
    if not code or len(code) > 50:
        raise Invalid("a service code has 1 to 50 characters")
    if not service.name.strip():
        raise Invalid("a service needs a name")
    if not service.hourly_rate.is_finite() or service.hourly_rate < 0 or service.hourly_rate > Decimal(1_000_000):
        raise Invalid("the hourly rate is an amount between 0 and 1000000")
    if not service.article_code.strip():
        raise Invalid("a service maps to an ERP article (article_code)")
    clean = CatalogueService(
        code, service.name.strip(), service.hourly_rate.quantize(Decimal("0.01")), service.article_code.strip()
    )
    if not await repo.insert_service(conn, clean):
        raise Conflict(f"a service with code {code!r} exists already")
    return clean
