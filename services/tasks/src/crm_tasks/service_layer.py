"""The tasks use cases: each opens a unit of work, loads through the repository, asks the domain, saves, publishes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from crm_kit.errors import Conflict, Invalid, NotFound
from crm_kit.ids import new_id
from crm_kit.unit_of_work import UnitOfWork, Work, utcnow
from crm_tasks.domain import availability, billing, reminders, rules, tracking
from crm_tasks.domain.model import (
    Alert,
    Broadcast,
    Caller,
    CatalogueService,
    ContractRef,
    Estimate,
    PartnerRef,
    ReminderSettings,
    Reply,
    StaffMember,
    Task,
    Viewer,
)
from crm_tasks.ports import Blobs, Printer, Publisher, Repository, TaskFilter

# --- commands ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateTask:
    """T1/T3-T8: a new task as asked for (times without an offset are local time)."""

    caller: Caller
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


PATCHABLE = (
    "title",
    "description",
    "responsible_staff_id",
    "deadline",
    "planned_start",
    "planned_hours",
    "billable",
    "alert",
    "service_code",
    "contract_id",
    "contract_line_id",
)
"""The fields a ChangeTask may name."""


@dataclass(frozen=True)
class ChangeTask:
    """Change some of a task's fields (only those in ``changes``; ``None`` empties one)."""

    caller: Caller
    task_id: UUID
    changes: Mapping[str, Any]


@dataclass(frozen=True)
class ReplyToTask:
    """A reply on a task's thread (T1)."""

    caller: Caller
    task_id: UUID
    text: str


@dataclass(frozen=True)
class ResolveTask:
    """Mark a task resolved (T9)."""

    caller: Caller
    task_id: UUID


@dataclass(frozen=True)
class ReopenTask:
    """Put a resolved, not invoiced task back to open."""

    caller: Caller
    task_id: UUID


@dataclass(frozen=True)
class DraftContract:
    """T7: ask commercial to draft a contract for a client request."""

    caller: Caller
    task_id: UUID
    kind: str = "commercial"
    starts_on: date | None = None
    months: int | None = None


@dataclass(frozen=True)
class LaunchBroadcast:
    """T2 (Lansare Task): one task per recipient; ``broadcast_id`` is the launch's key, chosen by the client."""

    caller: Caller
    title: str
    staff_ids: list[UUID] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    description: str = ""
    deadline: datetime | None = None
    alert: Alert | None = None
    broadcast_id: UUID | None = None


@dataclass(frozen=True)
class AddService:
    """T7: a new post-sale service in the catalogue."""

    code: str
    name: str
    hourly_rate: Decimal
    article_code: str


@dataclass(frozen=True)
class ChangeReminderSettings:
    """C2/C3: the reminder defaults (they apply to tasks planned from now on)."""

    send_message: bool
    send_email: bool
    days_before: int
    new_task_refresh_minutes: int


@dataclass(frozen=True)
class FireDueReminders:
    """T10: claim up to ``limit`` due reminders and announce them (TaskDue), once each."""

    limit: int = 500
    pause_before_commit: float = 0.0
    """Seconds to wait inside the claim before it commits: fault-injection tests only."""


@dataclass(frozen=True)
class RecordStaffMember:
    """A staff member registered or changed (read model)."""

    member: StaffMember


@dataclass(frozen=True)
class RecordPartner:
    """A partner registered or changed (read model, T4)."""

    partner: PartnerRef


@dataclass(frozen=True)
class RecordSignedContract:
    """A contract signed (read model, T5/T7); ``task_id`` when it was drafted for a task's request."""

    contract: ContractRef
    task_id: UUID | None = None


@dataclass(frozen=True)
class EndContract:
    """A contract ended (read model)."""

    contract_id: UUID
    ended_on: date


@dataclass(frozen=True)
class RecordBalance:
    """A client's balance changed (read model, T7)."""

    partner_id: UUID
    balance: Decimal
    currency: str


@dataclass(frozen=True)
class MarkInvoiced:
    """Commercial invoiced a task (T9)."""

    task_id: UUID
    invoice_id: UUID


@dataclass(frozen=True)
class ScheduleFollowUp:
    """O7: a follow-up of an opportunity becomes a task for the stage's delegate."""

    opportunity_id: UUID
    stage: str
    delegate_staff_id: UUID
    follow_up_at: datetime
    title: str | None = None
    note: str | None = None
    partner_id: UUID | None = None
    created_by_staff_id: UUID | None = None
    created_by_user: str | None = None
    """The login of who scheduled it: the task's issuer when they have no staff record (an admin)."""


@dataclass(frozen=True)
class TakeIncomingTask:
    """A task created elsewhere (mail-ingest's TaskCreated), to store once."""

    task: Task


# --- results -----------------------------------------------------------------------------------------------


@dataclass
class Checks:
    """T6 and T7 on a task: availability, active contract, coverage of the service, the client's balance.

    ``hidden`` are the conflicting tasks the caller may not see (T1): a view names them without their title.
    ``over_day``: the plan alone is longer than the responsible's ``hours_per_day`` (T6).
    """

    available: bool | None = None
    conflicts: list[availability.Conflict] = field(default_factory=list)
    active_contract: ContractRef | None = None
    covers_service: bool | None = None
    balance: tuple[Decimal, str] | None = None
    hidden: frozenset[UUID] = frozenset()
    over_day: bool = False
    hours_per_day: Decimal | None = None


@dataclass(frozen=True)
class Tasks:
    """Tasks with the names of their people, clients and contracts (for views), and how many match in all.

    ``services`` names the catalogue's services by their ERP article (a contract line without text is named so).
    """

    items: list[Task]
    staff: dict[UUID, StaffMember]
    partners: dict[UUID, str]
    total: int = 0
    contracts: dict[UUID, ContractRef] = field(default_factory=dict)
    services: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Checked:
    """A task created or changed, with its names and its checks."""

    tasks: Tasks
    checks: Checks

    @property
    def task(self) -> Task:
        """The task created or changed."""
        return self.tasks.items[0]


@dataclass(frozen=True)
class TaskDetail:
    """A task with its names, thread and reminders, and (resolved) what became of its invoice (T9)."""

    tasks: Tasks
    replies: list[Reply]
    reminders: list[reminders.Reminder]
    invoice: rules.InvoiceOutcome | None = None


@dataclass(frozen=True)
class LiveChecks:
    """The checks of a task being filled in, and the responsible it would get (T4)."""

    checks: Checks
    responsible_staff_id: UUID | None


@dataclass(frozen=True)
class Period:
    """A report's period: local days and the UTC times around them."""

    first: date
    last: date
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ReportFilter:
    """T11: which tasks of a period a report lists (all when empty), and which page of them."""

    responsible_staff_id: UUID | None = None
    partner_id: UUID | None = None
    status: str | None = None
    limit: int | None = None
    offset: int = 0


@dataclass(frozen=True)
class ClientContracts:
    """T5: a client's contracts in force today, and the catalogue's service names by ERP article (line names)."""

    contracts: list[ContractRef]
    services: dict[str, str]


@dataclass(frozen=True)
class Report:
    """T11: the tasks registered in a period, oldest first."""

    period: Period
    tasks: Tasks


@dataclass(frozen=True)
class Tracking:
    """T12: resolved and unresolved per person per day."""

    period: Period
    rows: list[tracking.DayCount]
    staff: dict[UUID, StaffMember]


@dataclass(frozen=True)
class Launched:
    """A launched broadcast and its tasks."""

    broadcast: Broadcast
    tasks: Tasks


@dataclass(frozen=True)
class BroadcastList:
    """Broadcasts with their progress (tasks, resolved)."""

    items: list[Broadcast]
    progress: dict[UUID, tuple[int, int]]
    total: int


@dataclass(frozen=True)
class BroadcastDetail:
    """A broadcast, its progress, and the tasks of it the caller may see."""

    broadcast: Broadcast
    total: int
    resolved: int
    tasks: Tasks


@dataclass(frozen=True)
class DayLoad:
    """T6: one person's planned load on one day; ``visible`` are the tasks the caller may see."""

    member: StaffMember
    day: date
    load: list[tuple[availability.Planned, Decimal]]
    visible: set[UUID]

    @property
    def planned_hours(self) -> Decimal:
        """The hours planned that day."""
        return sum((hours for _, hours in self.load), Decimal(0))


@dataclass(frozen=True)
class Printout:
    """An estimate's PDF."""

    estimate: Estimate
    pdf: bytes


# --- use cases ---------------------------------------------------------------------------------------------


class UseCases:
    """The tasks use cases, shared by the HTTP API, the event subscribers and the reminder scheduler.

    Args:
        uow: units of work on the tasks store and event log.
        blobs: where printouts go.
        printer: renders estimates.
        timezone: local zone of working days, reports and times given without an offset.
        billing_quantum_minutes: billed hours are counted in steps of this many minutes (T9).
        billing_rounding: up, nearest or none (T9).
        max_planned_hours: the largest plausible planned_hours of one task.
        clock: "now" for queries (today's period); writes take their time from the unit of work.
        currency: the company's currency: a client with no balance yet owes 0 in it (T7).
    """

    def __init__(
        self,
        uow: UnitOfWork[Repository, Publisher],
        *,
        blobs: Blobs,
        printer: Printer,
        timezone: str = "Europe/Bucharest",
        billing_quantum_minutes: int = 15,
        billing_rounding: Literal["up", "nearest", "none"] = "up",
        max_planned_hours: int = 500,
        clock: Callable[[], datetime] = utcnow,
        currency: str = "RON",
    ) -> None:
        self.uow = uow
        self.currency = currency
        self.blobs = blobs
        self.printer = printer
        self.tz: tzinfo = ZoneInfo(timezone)
        self.billing_quantum_minutes = billing_quantum_minutes
        self.billing_rounding: Literal["up", "nearest", "none"] = billing_rounding
        self.max_planned_hours = max_planned_hours
        self.clock = clock

    # --- writes from the API

    async def create(self, cmd: CreateTask) -> Checked:
        """Validate, default the responsible (T4), attach the covering contract (T5), plan reminders; check T6/T7."""
        title = rules.check_title(cmd.title)
        description = rules.check_text(cmd.description)
        hours = rules.check_planned_hours(cmd.planned_hours, self.max_planned_hours)
        planned_start = self._local(cmd.planned_start)
        rules.check_plan(planned_start, hours)
        rules.check_billable(cmd.billable, cmd.partner_id, cmd.service_code)
        alert = self._alert(cmd.alert)
        async with self.uow() as work:
            repo = work.repo
            viewer = await self._viewer(repo, cmd.caller)
            partner = None
            if cmd.partner_id is not None:
                partner = await repo.get_partner(cmd.partner_id)
                if partner is None:
                    raise Invalid(
                        f"partner_id: no partner {cmd.partner_id} in the directory",
                        field="partner_id",
                        code="partner.unknown",
                        params={"partner_id": str(cmd.partner_id)},
                    )
            responsible = rules.responsible_for(cmd.responsible_staff_id, partner)
            rules.check_can_take_tasks(await repo.get_staff(responsible), responsible)
            service = await self._service(repo, cmd.service_code)
            contract_id, line_id = cmd.contract_id, cmd.contract_line_id
            contract = await repo.get_contract(contract_id) if contract_id is not None else None
            rules.check_contract_choice(contract, contract_id, line_id, cmd.partner_id)
            checks = await self._checks(
                repo, viewer, None, responsible, planned_start, hours, cmd.partner_id, service, work.now
            )
            if contract_id is None and checks.active_contract is not None and service is not None:
                covering = checks.active_contract.line_for(service.article_code)
                if covering is not None:
                    contract_id, line_id = checks.active_contract.id, covering.line_id
            task = Task(
                id=new_id(),
                title=title,
                description=description,
                source=rules.source_of(partner, service),
                responsible_staff_id=responsible,
                registered_at=work.now,
                creator_staff_id=viewer.staff_id,
                creator_user=viewer.username,
                partner_id=cmd.partner_id,
                contract_id=contract_id,
                contract_line_id=line_id,
                service_code=cmd.service_code,
                deadline=self._local(cmd.deadline),
                planned_start=planned_start,
                planned_hours=hours,
                billable=cmd.billable,
                alert=alert,
                updated_at=work.now,
            )
            await self._store_new(repo, work.publisher, task)
            return Checked(await self._named(repo, [task]), checks)

    async def import_tasks(self, cmds: Sequence[CreateTask]) -> int:
        """Many tasks in ONE unit of work (data migrations, the large demo set), each checked as ``create`` checks it.

        Each stored task is published (TaskCreated) through the outbox like one created by hand. The informative
        T6/T7 checks and the covering contract are left out: they only warn, and a bulk load has nobody to warn.

        Args:
            cmds: the tasks to create (about a thousand at a time keeps a transaction short).

        Returns:
            How many tasks were stored.

        Raises:
            Invalid: a command is refused as ``create`` would refuse it; nothing of the batch is stored.
        """
        async with self.uow() as work:
            repo = work.repo
            settings = await repo.get_settings()
            viewers: dict[Caller, Viewer] = {}
            partners = await repo.partners_by_ids([c.partner_id for c in cmds if c.partner_id is not None])
            staff: dict[UUID, StaffMember | None] = {}
            tasks: list[Task] = []
            for cmd in cmds:
                if cmd.caller not in viewers:
                    viewers[cmd.caller] = await self._viewer(repo, cmd.caller)
                viewer = viewers[cmd.caller]
                hours = rules.check_planned_hours(cmd.planned_hours, self.max_planned_hours)
                planned_start = self._local(cmd.planned_start)
                rules.check_plan(planned_start, hours)
                rules.check_billable(cmd.billable, cmd.partner_id, cmd.service_code)
                partner = None
                if cmd.partner_id is not None:
                    partner = partners.get(cmd.partner_id)
                    if partner is None:
                        raise Invalid(
                            f"partner_id: no partner {cmd.partner_id} in the directory",
                            field="partner_id",
                            code="partner.unknown",
                            params={"partner_id": str(cmd.partner_id)},
                        )
                responsible = rules.responsible_for(cmd.responsible_staff_id, partner)
                if responsible not in staff:
                    staff[responsible] = await repo.get_staff(responsible)
                rules.check_can_take_tasks(staff[responsible], responsible)
                service = await self._service(repo, cmd.service_code)
                tasks.append(
                    Task(
                        id=new_id(),
                        title=rules.check_title(cmd.title),
                        description=rules.check_text(cmd.description),
                        source=rules.source_of(partner, service),
                        responsible_staff_id=responsible,
                        registered_at=work.now,
                        creator_staff_id=viewer.staff_id,
                        creator_user=viewer.username,
                        partner_id=cmd.partner_id,
                        service_code=cmd.service_code,
                        deadline=self._local(cmd.deadline),
                        planned_start=planned_start,
                        planned_hours=hours,
                        billable=cmd.billable,
                        alert=self._alert(cmd.alert),
                        updated_at=work.now,
                    )
                )
            await repo.insert_new_tasks(tasks, [(t.id, p) for t in tasks for p in reminders.plan(t, settings)])
            await work.publisher.tasks_created(tasks)
            return len(tasks)

    async def change(self, cmd: ChangeTask) -> Checked:
        """Change a task's fields; a new deadline or alert reschedules its reminders; a new responsible is told."""
        changes = self._clean_changes(cmd.changes)
        async with self.uow() as work:
            repo = work.repo
            viewer = await self._viewer(repo, cmd.caller)
            task = await self._visible_task(repo, viewer, cmd.task_id, for_update=True)
            before = replace(task)
            if changes.get("responsible_staff_id") is not None:
                staff_id = changes["responsible_staff_id"]
                rules.check_can_take_tasks(await repo.get_staff(staff_id), staff_id)
            if changes.get("service_code") is not None:
                await self._service(repo, changes["service_code"])
            for name, value in changes.items():
                setattr(task, name, value)
            if "contract_id" in changes or "contract_line_id" in changes:
                if "contract_id" in changes and "contract_line_id" not in changes:
                    task.contract_line_id = None  # a line belongs to the contract it was chosen from
                contract = await repo.get_contract(task.contract_id) if task.contract_id else None
                rules.check_contract_choice(contract, task.contract_id, task.contract_line_id, task.partner_id)
            rules.check_plan(task.planned_start, task.planned_hours)
            rules.check_billable(task.billable, task.partner_id, task.service_code)
            changed = {k: _text(getattr(task, k)) for k in changes if getattr(before, k) != getattr(task, k)}
            if "contract_id" in changed and before.contract_line_id != task.contract_line_id:
                changed["contract_line_id"] = _text(task.contract_line_id)
            if changed:
                task.updated_at = work.now
                await repo.update_task(task)
                await repo.replace_reminders(task.id, reminders.plan(task, await repo.get_settings()))
                await work.publisher.task_updated(task, changed)
                if "responsible_staff_id" in changed:
                    await work.publisher.task_assigned(task, before.responsible_staff_id, viewer.username)
            service = await repo.get_service(task.service_code) if task.service_code else None
            checks = await self._checks(
                repo,
                viewer,
                task.id,
                task.responsible_staff_id,
                task.planned_start,
                task.planned_hours,
                task.partner_id,
                service,
                work.now,
            )
            return Checked(await self._named(repo, [task]), checks)

    async def reply(self, cmd: ReplyToTask) -> Reply:
        """A reply on a task's thread; the issuer is told through TaskReplied (T1)."""
        text = rules.check_reply(cmd.text)
        async with self.uow() as work:
            viewer = await self._viewer(work.repo, cmd.caller)
            task = await self._visible_task(work.repo, viewer, cmd.task_id)
            answer = Reply(new_id(), task.id, text, work.now, viewer.staff_id, viewer.username)
            await work.repo.add_reply(answer)
            await work.publisher.task_replied(task, answer)
            return answer

    async def resolve(self, cmd: ResolveTask) -> Tasks:
        """T9: hours from registered to resolved time, the estimate and its printout, and the invoice request."""
        async with self.uow() as work:
            repo = work.repo
            viewer = await self._viewer(repo, cmd.caller)
            task = await self._visible_task(repo, viewer, cmd.task_id, for_update=True)
            rules.check_resolvable(task, self.tz)
            now = work.now
            task.status, task.resolved_at, task.resolved_by, task.updated_at = "resolved", now, viewer.username, now
            task.hours = billing.billed_hours(
                task.registered_at, now, self.billing_quantum_minutes, self.billing_rounding
            )
            service = await repo.get_service(task.service_code) if task.service_code else None
            estimate: Estimate | None = None
            if service is not None:
                estimate = billing.estimate(new_id(), service, task.hours)
                partner = await repo.get_partner(task.partner_id) if task.partner_id else None
                pdf = self.printer.estimate(task, estimate, partner.name if partner else None)
                estimate = replace(estimate, printout_sha256=self.blobs.put(pdf))
                task.estimate = estimate
            # One resolve wins: the estimate, TaskResolved and the invoice request are written once.
            await repo.transition_task(
                task, expected={"status": "open"}, lost=lambda current: rules.already_resolved(current, self.tz)
            )
            await repo.drop_pending_reminders(task.id)
            await work.publisher.task_resolved(task)
            if estimate is not None and service is not None:
                await work.publisher.estimate_issued(task, estimate)
                covered = False
                if task.partner_id is not None:
                    cover = rules.coverage(await repo.contracts_of(task.partner_id), service, self._today(now))
                    covered = bool(cover.covers_service)
                if rules.needs_invoice(task, covered):
                    await work.publisher.invoice_requested(new_id(), task, estimate)
            return await self._named(repo, [task])

    async def reopen(self, cmd: ReopenTask) -> Tasks:
        """A resolved task goes back to open (an invoiced one cannot)."""
        async with self.uow() as work:
            repo = work.repo
            viewer = await self._viewer(repo, cmd.caller)
            task = await self._visible_task(repo, viewer, cmd.task_id, for_update=True)
            rules.check_reopenable(task)
            task.status, task.resolved_at, task.hours, task.estimate = "open", None, None, None
            task.resolved_by, task.updated_at = None, work.now
            await repo.transition_task(
                task, expected={"status": "resolved", "invoiced": False}, lost=rules.not_reopenable
            )
            await repo.replace_reminders(task.id, reminders.plan(task, await repo.get_settings()))
            await work.publisher.task_reopened(task)
            return await self._named(repo, [task])

    async def draft_contract(self, cmd: DraftContract) -> UUID:
        """T7: with no active contract covering the requested service, ask commercial to draft one; the request id."""
        async with self.uow() as work:
            repo = work.repo
            viewer = await self._viewer(repo, cmd.caller)
            task = await self._visible_task(repo, viewer, cmd.task_id, for_update=True)
            rules.check_contract_request(task, cmd.kind, cmd.months)
            assert task.partner_id is not None  # checked just above
            assert task.service_code is not None
            service = rules.check_service_code(task.service_code, await repo.get_service(task.service_code))
            today = self._today(work.now)
            rules.check_no_contract_yet(task, rules.coverage(await repo.contracts_of(task.partner_id), service, today))
            request_id = new_id()
            task.contract_request_id, task.updated_at = request_id, work.now
            # One contract request per task: only the request that finds none in the UPDATE asks commercial.
            await repo.transition_task(task, expected={"contract_request_id": None}, lost=rules.contract_requested)
            qty = task.planned_hours or Decimal(1)
            await work.publisher.contract_requested(
                request_id, task, service, cmd.kind, cmd.starts_on or today, cmd.months, qty
            )
            return request_id

    async def launch_broadcast(self, cmd: LaunchBroadcast) -> Launched:
        """T2 (Lansare Task): one task per recipient (named people and whole categories), linked to the broadcast.

        The same ``broadcast_id`` twice launches once; the other request gets ``Conflict`` naming the launch.
        """
        title = rules.check_title(cmd.title)
        description = rules.check_text(cmd.description)
        deadline = self._local(cmd.deadline)
        alert = self._alert(cmd.alert)
        async with self.uow() as work:
            repo = work.repo
            viewer = await self._viewer(repo, cmd.caller)
            known = await repo.staff_by_ids(cmd.staff_ids)
            everyone = await repo.all_staff() if cmd.categories else []
            recipients = rules.broadcast_recipients(cmd.staff_ids, cmd.categories, known, everyone)
            cast = Broadcast(
                cmd.broadcast_id or new_id(),
                title,
                description,
                deadline,
                sorted(cmd.staff_ids, key=str),
                sorted(set(cmd.categories)),
                work.now,
                viewer.staff_id,
                viewer.username,
            )
            # The broadcast's id is the launch's key: a twin of this launch stops here, before any task.
            await repo.insert_broadcast(cast, lambda first: rules.already_launched(first, self.tz))
            created = [
                Task(
                    id=new_id(),
                    title=title,
                    description=description,
                    source="broadcast",
                    responsible_staff_id=staff_id,
                    registered_at=work.now,
                    creator_staff_id=viewer.staff_id,
                    creator_user=viewer.username,
                    deadline=deadline,
                    alert=alert,
                    broadcast_id=cast.id,
                    updated_at=work.now,
                )
                for staff_id in sorted(recipients, key=str)
            ]
            # A broadcast reaches whole categories (1,000 people): the tasks, their reminders and their
            # TaskCreated go in a statement each, not five per task (30 s for 1,000 on PostgreSQL, #19).
            settings = await repo.get_settings()
            await repo.insert_new_tasks(created, [(t.id, p) for t in created for p in reminders.plan(t, settings)])
            await work.publisher.tasks_created(created)
            return Launched(cast, await self._named(repo, created))

    async def add_service(self, cmd: AddService) -> CatalogueService:
        """T7: a new post-sale service in the catalogue."""
        clean = rules.check_service(CatalogueService(cmd.code, cmd.name, cmd.hourly_rate, cmd.article_code))
        async with self.uow() as work:
            if not await work.repo.insert_service(clean):
                raise Conflict(
                    f"a service with code {clean.code!r} exists already",
                    code="task.service_code_taken",
                    params={"code": clean.code},
                )
            return clean

    async def change_reminder_settings(self, cmd: ChangeReminderSettings) -> ReminderSettings:
        """C2/C3: store the reminder defaults (they apply to tasks planned from now on)."""
        settings = rules.check_reminder_settings(
            ReminderSettings(cmd.send_message, cmd.send_email, cmd.days_before, cmd.new_task_refresh_minutes)
        )
        async with self.uow() as work:
            await work.repo.put_settings(settings)
            return settings

    # --- the reminder scheduler

    async def fire_due_reminders(self, cmd: FireDueReminders) -> int:
        """T10: claim due reminders and write TaskDue for each in the same unit of work; how many fired.

        Exactly once per reminder: the claim re-checks ``fired_at IS NULL`` under the store's lock.
        """
        async with self.uow() as work:
            due = await work.repo.claim_due(work.now, cmd.limit)
            for reminder in due:
                await work.publisher.task_due(reminder)
            if due and cmd.pause_before_commit:
                await asyncio.sleep(cmd.pause_before_commit)
            return len(due)

    # --- what other services tell us

    async def staff_changed(self, cmd: RecordStaffMember) -> None:
        """Keep the staff read model."""
        async with self.uow() as work:
            await work.repo.upsert_staff(cmd.member)

    async def partners_registered(self, cmds: Sequence[RecordPartner]) -> None:
        """Keep newly registered partners, a batch in one statement (a CSV import brings 100,000).

        A partner already known keeps its row: a later change of it may have been handled first, and a
        replayed registration must not undo it.
        """
        async with self.uow() as work:
            await work.repo.add_new_partners(list({c.partner.id: c.partner for c in cmds}.values()))

    async def partner_changed(self, cmd: RecordPartner) -> None:
        """Keep the partners read model (names and representatives for T4)."""
        async with self.uow() as work:
            await work.repo.upsert_partner(cmd.partner)

    async def contract_signed(self, cmd: RecordSignedContract) -> None:
        """Keep the contracts read model; a contract drafted for a task's request becomes the task's (T7)."""
        async with self.uow() as work:
            repo = work.repo
            await repo.upsert_contract(cmd.contract)
            if cmd.task_id is None:
                return
            task = await repo.get_task(cmd.task_id)
            if task is None or task.contract_id is not None:
                return
            service = await repo.get_service(task.service_code) if task.service_code else None
            if rules.link_signed_contract(task, cmd.contract, service):
                await repo.update_task(task)

    async def contract_ended(self, cmd: EndContract) -> None:
        """Keep the contracts read model."""
        async with self.uow() as work:
            await work.repo.end_contract(cmd.contract_id, cmd.ended_on)

    async def balance_changed(self, cmd: RecordBalance) -> None:
        """Keep the clients' balances (T7 shows them)."""
        async with self.uow() as work:
            await work.repo.set_balance(cmd.partner_id, cmd.balance, cmd.currency)

    async def mark_invoiced(self, cmd: MarkInvoiced) -> bool:
        """Commercial invoiced a task: mark it, once, and announce it; whether anything changed."""
        async with self.uow() as work:
            task = await work.repo.get_task(cmd.task_id)
            if task is None or task.invoiced:
                return False
            task.invoiced, task.invoice_id, task.updated_at = True, cmd.invoice_id, work.now
            await work.repo.update_task(task)
            await work.publisher.task_invoiced(task)
            return True

    async def schedule_follow_up(self, cmd: ScheduleFollowUp) -> bool:
        """O7: a follow-up becomes a task for the stage's delegate, once (its id is derived from the follow-up)."""
        title = f"Follow-up: {cmd.title}" if cmd.title else f"Follow-up ({cmd.stage})"
        async with self.uow() as work:
            task = Task(
                id=rules.follow_up_task_id(cmd.opportunity_id, cmd.stage, cmd.delegate_staff_id, cmd.follow_up_at),
                title=title[: rules.MAX_TITLE],
                description=cmd.note or "",
                source="follow_up",
                responsible_staff_id=cmd.delegate_staff_id,
                registered_at=work.now,
                creator_staff_id=cmd.created_by_staff_id,
                creator_user=cmd.created_by_user,
                partner_id=cmd.partner_id,
                deadline=cmd.follow_up_at,
                origin={"opportunity_id": str(cmd.opportunity_id)},
                updated_at=work.now,
            )
            return await self._store_new(work.repo, work.publisher, task)

    async def take_incoming_task(self, cmd: TakeIncomingTask) -> bool:
        """Store a task created elsewhere, once; T4 gives it a responsible when it has none (else: triage).

        A task we have already (our own TaskCreated coming back, a redelivery) is left alone.
        """
        async with self.uow() as work:
            if await work.repo.task_exists(cmd.task.id):
                return False
            return await self._take(work, cmd.task)

    async def take_incoming_tasks(self, cmds: Sequence[TakeIncomingTask]) -> int:
        """A fetched batch of TaskCreated, each taken as ``take_incoming_task`` takes one; how many were new.

        The tasks we have already are found in one query: a broadcast's 1,000 TaskCreated come back to us
        and are all ours, so they cost one SELECT instead of one each.
        """
        async with self.uow() as work:
            known = await work.repo.existing_task_ids([c.task.id for c in cmds])
            taken = 0
            for cmd in cmds:
                if cmd.task.id in known:
                    continue
                known.add(cmd.task.id)  # the same event twice in one batch is taken once
                if await self._take(work, cmd.task):
                    taken += 1
            return taken

    async def _take(self, work: Work[Repository, Publisher], incoming: Task) -> bool:
        """Store one task we did not have; T4 names its responsible when it has none."""
        task = replace(incoming)
        repo = work.repo
        assigned = False
        if task.responsible_staff_id is None and task.partner_id is not None:
            partner = await repo.get_partner(task.partner_id)
            chosen = rules.default_responsible(partner) if partner else None
            if chosen is not None:
                task.responsible_staff_id, assigned = chosen, True
        if not await repo.insert_task(task):
            return False
        await repo.replace_reminders(task.id, reminders.plan(task, await repo.get_settings()))
        if assigned:
            await work.publisher.task_assigned(task, None, None)
        return True

    # --- queries

    async def list_tasks(
        self,
        caller: Caller,
        *,
        view: str = "all",
        status: str | None = None,
        registered_from: date | None = None,
        registered_to: date | None = None,
        partner_id: UUID | None = None,
        broadcast_id: UUID | None = None,
        since: datetime | None = None,
        order: str = "registered",
        limit: int = 50,
        offset: int = 0,
    ) -> Tasks:
        """Tasks the caller may see (T1): all, for me, from me; registered between two local days.

        ``order`` is ``registered`` (newest first) or ``deadline`` (soonest due first, no deadline last).
        """
        if order not in ("registered", "deadline"):
            raise Invalid(
                f"order is registered or deadline, not {order!r}",
                code="record.choose_from_list",
                params={"value": order},
            )
        if view not in ("all", "for-me", "from-me"):
            raise Invalid(
                f"view is all, for-me or from-me, not {view!r}", code="record.choose_from_list", params={"value": view}
            )
        rules.check_status(status)
        flt = TaskFilter(
            view=view,
            status=status,
            registered_from=datetime.combine(registered_from, time(), self.tz) if registered_from else None,
            registered_to=datetime.combine(registered_to + timedelta(days=1), time(), self.tz)
            if registered_to
            else None,
            partner_id=partner_id,
            broadcast_id=broadcast_id,
            since=self._local(since),
            by_deadline=order == "deadline",
        )
        async with self.uow.reading() as repo:
            tasks, total = await repo.list_tasks(await self._viewer(repo, caller), flt, limit, offset)
            return replace(await self._named(repo, tasks), total=total)

    async def live_checks(
        self,
        caller: Caller,
        *,
        responsible_staff_id: UUID | None = None,
        planned_start: datetime | None = None,
        planned_hours: Decimal | None = None,
        partner_id: UUID | None = None,
        service_code: str | None = None,
        task_id: UUID | None = None,
    ) -> LiveChecks:
        """The checks of a task being filled in (T6 availability, T7 contract and balance; T4 default)."""
        hours = rules.check_planned_hours(planned_hours, self.max_planned_hours)
        async with self.uow.reading() as repo:
            partner = await repo.get_partner(partner_id) if partner_id else None
            if partner_id is not None and partner is None:
                raise Invalid(
                    f"partner_id: no partner {partner_id} in the directory",
                    code="partner.unknown",
                    params={"partner_id": str(partner_id)},
                )
            responsible = responsible_staff_id
            if responsible is None and partner is not None:
                responsible = rules.default_responsible(partner)
            service = await repo.get_service(service_code) if service_code else None
            viewer = await self._viewer(repo, caller)
            start = self._local(planned_start)
            checks = await self._checks(
                repo, viewer, task_id, responsible, start, hours, partner_id, service, self.clock()
            )
            return LiveChecks(checks, responsible)

    async def report(
        self,
        caller: Caller,
        first: date | None = None,
        last: date | None = None,
        which: ReportFilter | None = None,
    ) -> Report:
        """T11: the tasks registered in a period (default: this month so far), oldest first.

        ``which`` filters by person, client and status and picks a page; ``total`` counts them all.
        """
        period = self._period(first, last)
        which = which or ReportFilter()
        rules.check_status(which.status)
        async with self.uow.reading() as repo:
            viewer = await self._viewer(repo, caller)
            flt = TaskFilter(
                status=which.status,
                registered_from=period.start,
                registered_to=period.end,
                partner_id=which.partner_id,
                responsible_staff_id=which.responsible_staff_id,
                oldest_first=True,
            )
            tasks, total = await repo.list_tasks(viewer, flt, which.limit, which.offset)
            return Report(period, replace(await self._named(repo, tasks), total=total))

    async def tracking(self, caller: Caller, first: date | None = None, last: date | None = None) -> Tracking:
        """T12: resolved and unresolved tasks per person per day of a period."""
        period = self._period(first, last)
        async with self.uow.reading() as repo:
            viewer = await self._viewer(repo, caller)
            tasks = await repo.tracking_tasks(viewer, period.start, period.end)
            rows = tracking.per_user_per_day(tasks, period.first, period.last, self.tz)
            staff = await repo.staff_by_ids([r.staff_id for r in rows if r.staff_id])
            return Tracking(period, rows, staff)

    async def client_contracts(self, partner_id: UUID) -> ClientContracts:
        """T5: the contracts of a client in force today, for the contract line picker."""
        today = self._today(self.clock())
        async with self.uow.reading() as repo:
            contracts = [c for c in await repo.contracts_of(partner_id) if c.active_on(today)]
            return ClientContracts(contracts, await self._service_names(repo))

    async def active_staff(self) -> list[StaffMember]:
        """The people who can take tasks, for pickers."""
        async with self.uow.reading() as repo:
            return [p for p in await repo.all_staff() if p.active]

    async def partners(self, name: str | None, limit: int, offset: int) -> tuple[list[PartnerRef], int]:
        """The partners read model by name, for pickers."""
        async with self.uow.reading() as repo:
            return await repo.list_partners(name, limit, offset)

    async def show(self, caller: Caller, task_id: UUID) -> TaskDetail:
        """A task the caller may see, with its replies and reminders."""
        async with self.uow.reading() as repo:
            task = await self._visible_task(repo, await self._viewer(repo, caller), task_id)
            invoice = None
            if task.status == "resolved":
                cover = None
                service = await repo.get_service(task.service_code) if task.service_code else None
                if task.partner_id is not None and task.resolved_at is not None and service is not None:
                    day = self._today(task.resolved_at)
                    cover = rules.coverage(await repo.contracts_of(task.partner_id), service, day)
                invoice = rules.invoice_outcome(task, task.estimate is not None, cover)
            return TaskDetail(
                await self._named(repo, [task]),
                await repo.replies_of(task_id),
                await repo.reminders_of(task_id),
                invoice,
            )

    async def estimate_printout(self, caller: Caller, task_id: UUID) -> Printout:
        """The estimate's PDF of a task the caller may see (T9)."""
        async with self.uow.reading() as repo:
            task = await self._visible_task(repo, await self._viewer(repo, caller), task_id)
        if task.estimate is None or task.estimate.printout_sha256 is None:
            raise NotFound(
                "this task has no estimate yet: it is issued when the task is resolved", code="record.not_found"
            )
        try:
            return Printout(task.estimate, self.blobs.get(task.estimate.printout_sha256))
        except KeyError:
            raise NotFound("the estimate's printout is missing from the blob store", code="record.not_found") from None

    async def broadcasts(self, caller: Caller, limit: int = 50, offset: int = 0) -> BroadcastList:
        """The broadcasts the caller may see, with their progress."""
        async with self.uow.reading() as repo:
            casts, total = await repo.list_broadcasts(await self._viewer(repo, caller), limit, offset)
            return BroadcastList(casts, await repo.broadcast_progress([b.id for b in casts]), total)

    async def show_broadcast(self, caller: Caller, broadcast_id: UUID) -> BroadcastDetail:
        """A broadcast and its progress, with the tasks of it the caller may see (T1).

        Raises:
            NotFound: no such broadcast, or none of it is the caller's to see.
        """
        async with self.uow.reading() as repo:
            viewer = await self._viewer(repo, caller)
            cast = await repo.get_broadcast(broadcast_id)
            if cast is None:
                raise NotFound(f"no broadcast {broadcast_id}", code="record.not_found")
            tasks = await repo.broadcast_tasks(broadcast_id)
            visible = [t for t in tasks if rules.can_see(t, viewer)]
            if not visible and viewer.role != "admin" and cast.creator_user != viewer.username:
                raise NotFound(f"no broadcast {broadcast_id}", code="record.not_found")
            resolved = sum(1 for t in tasks if t.status == "resolved")
            return BroadcastDetail(cast, len(tasks), resolved, await self._named(repo, visible))

    async def services(self) -> list[CatalogueService]:
        """The post-sale services catalogue (T7)."""
        async with self.uow.reading() as repo:
            return await repo.list_services()

    async def availability(self, caller: Caller, staff_id: UUID, day: date | None = None) -> DayLoad:
        """T6: one person's planned load on one day (default today); titles only of tasks the caller may see."""
        day = day or self._today(self.clock())
        async with self.uow.reading() as repo:
            member = await repo.get_staff(staff_id)
            if member is None:
                raise NotFound(f"no staff member {staff_id} in the staff directory", code="record.not_found")
            planned = await repo.planned_for(staff_id)
            visible = await repo.visible_task_ids(await self._viewer(repo, caller), [p.task_id for p in planned])
        return DayLoad(member, day, availability.day_load(planned, day, member.hours_per_day, self.tz), visible)

    async def reminder_settings(self) -> ReminderSettings:
        """C2/C3: the reminder defaults."""
        async with self.uow.reading() as repo:
            return await repo.get_settings()

    async def may_read_blob(self, caller: Caller, sha256: str) -> bool:
        """The blob check: a blob is readable through a task the caller may see (attachment or estimate)."""
        async with self.uow.reading() as repo:
            return await repo.references_blob(await self._viewer(repo, caller), sha256)

    # --- helpers

    async def _viewer(self, repo: Repository, caller: Caller) -> Viewer:
        """The caller as the domain sees them; a manager's team comes from the staff read model."""
        team: frozenset[UUID] = frozenset()
        if caller.role == "manager" and caller.staff_id is not None:
            team = await repo.team_of(caller.staff_id)
        return Viewer(caller.role, caller.staff_id, caller.username, team)

    async def _visible_task(self, repo: Repository, viewer: Viewer, task_id: UUID, *, for_update: bool = False) -> Task:
        task = await repo.get_task(task_id, for_update=for_update)
        if task is None:
            raise NotFound(f"no task {task_id}", code="record.not_found")
        rules.ensure_can_see(task, viewer)
        return task

    async def _service(self, repo: Repository, code: str | None) -> CatalogueService | None:
        if code is None:
            return None
        return rules.check_service_code(code, await repo.get_service(code))

    async def _store_new(self, repo: Repository, publisher: Publisher, task: Task) -> bool:
        if not await repo.insert_task(task):
            return False
        await repo.replace_reminders(task.id, reminders.plan(task, await repo.get_settings()))
        await publisher.task_created(task)
        return True

    async def _named(self, repo: Repository, tasks: list[Task]) -> Tasks:
        people = {p for t in tasks for p in (t.responsible_staff_id, t.creator_staff_id) if p is not None}
        partners = await repo.partner_names([t.partner_id for t in tasks if t.partner_id is not None])
        contracts: dict[UUID, ContractRef] = {}
        for contract_id in {t.contract_id for t in tasks if t.contract_id is not None}:
            found = await repo.get_contract(contract_id)
            if found is not None:
                contracts[contract_id] = found
        services = await self._service_names(repo) if contracts else {}
        return Tasks(tasks, await repo.staff_by_ids(people), partners, len(tasks), contracts, services)

    async def _service_names(self, repo: Repository) -> dict[str, str]:
        return {s.article_code: s.name for s in await repo.list_services()}

    async def _checks(
        self,
        repo: Repository,
        viewer: Viewer,
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
            member = await repo.get_staff(responsible)
            hours_per_day = member.hours_per_day if member else Decimal(0)
            others = await repo.planned_for(responsible, exclude=task_id)
            plan = availability.Planned(task_id or UUID(int=0), "", planned_start, planned_hours)
            result = availability.check(plan, others, hours_per_day, self.tz)
            checks.available, checks.conflicts = result.available, result.conflicts
            checks.over_day, checks.hours_per_day = result.over_day, hours_per_day
            ids = [c.task_id for c in result.conflicts]
            checks.hidden = frozenset(set(ids) - await repo.visible_task_ids(viewer, ids))
        if partner_id is not None:
            cover = rules.coverage(await repo.contracts_of(partner_id), service, self._today(now))
            checks.active_contract, checks.covers_service = cover.contract, cover.covers_service
            # a client nothing was invoiced to or paid by has no balance row: it owes nothing (0, not unknown)
            checks.balance = await repo.get_balance(partner_id) or (Decimal(0), self.currency)
        return checks

    def _clean_changes(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(changes) - set(PATCHABLE)
        if unknown:
            raise Invalid(
                f"these fields cannot be changed: {', '.join(sorted(unknown))}",
                code="record.unknown_fields",
                params={"fields": ", ".join(sorted(unknown))},
            )
        clean = dict(changes)
        for name in ("title", "billable"):
            if name in clean and clean[name] is None:
                raise Invalid(f"{name} cannot be emptied", code="record.cannot_be_emptied", params={"fields": name})
        if "responsible_staff_id" in clean and clean["responsible_staff_id"] is None:
            raise Invalid("a task cannot be left without a responsible", code="task.responsible_required")
        if "title" in clean:
            clean["title"] = rules.check_title(clean["title"])
        if "description" in clean:
            clean["description"] = rules.check_text(clean["description"] or "")
        if "planned_hours" in clean:
            clean["planned_hours"] = rules.check_planned_hours(clean["planned_hours"], self.max_planned_hours)
        for name in ("deadline", "planned_start"):
            if name in clean:
                clean[name] = self._local(clean[name])
        if "alert" in clean:
            clean["alert"] = self._alert(clean["alert"])
        return clean

    def _alert(self, alert: Alert | None) -> Alert | None:
        return None if alert is None else rules.check_alert(alert.channel, alert.days_before)

    def _local(self, moment: datetime | None) -> datetime | None:
        return None if moment is None else rules.naive_as(moment, self.tz)

    def _today(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()

    def _period(self, first: date | None, last: date | None) -> Period:
        today = self._today(self.clock())
        first = first or today.replace(day=1)
        last = last or today
        tracking.check_period(first, last)
        start = datetime.combine(first, time(), self.tz).astimezone(UTC)
        end = datetime.combine(last + timedelta(days=1), time(), self.tz).astimezone(UTC)
        return Period(first, last, start, end)


def _text(value: Any) -> str | None:
    """A changed field as TaskUpdated carries it."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Alert):
        return f"{value.channel}:{value.days_before}"
    return str(value)
