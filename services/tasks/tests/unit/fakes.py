"""In-memory twins of the tasks ports (repository, publisher, blobs, printer) for unit tests of the use cases."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from crm_kit.errors import Conflict, NotFound
from crm_tasks.domain import rules
from crm_tasks.domain.availability import Planned
from crm_tasks.domain.model import (
    Broadcast,
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
from crm_tasks.domain.reminders import DueReminder, PlannedReminder, Reminder
from crm_tasks.ports import TaskFilter


def _matches(task: Task, name: str, wanted: object) -> bool:
    value = getattr(task, name)
    if isinstance(wanted, tuple | list | set | frozenset):
        return value in wanted
    return bool(value == wanted)


@dataclass
class InMemoryRepository:
    """The ``Repository`` port on dicts; T1 visibility through the domain's own rule."""

    tasks: dict[UUID, Task] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)
    broadcasts: dict[UUID, Broadcast] = field(default_factory=dict)
    catalogue: dict[str, CatalogueService] = field(default_factory=dict)
    settings: ReminderSettings = field(default_factory=ReminderSettings)
    reminders: dict[tuple[UUID, str], Reminder] = field(default_factory=dict)
    reminder_deadlines: dict[tuple[UUID, str], datetime] = field(default_factory=dict)
    staff: dict[UUID, StaffMember] = field(default_factory=dict)
    partners: dict[UUID, PartnerRef] = field(default_factory=dict)
    contracts: dict[UUID, ContractRef] = field(default_factory=dict)
    balances: dict[UUID, tuple[Decimal, str]] = field(default_factory=dict)
    task_writes: list[int] = field(default_factory=list)
    """How many tasks each write stored (a statement on the real store): bulk paths write one for many."""

    # --- tasks
    async def insert_task(self, task: Task) -> bool:
        if task.id in self.tasks:
            return False
        self.tasks[task.id] = replace(task)
        self.task_writes.append(1)
        return True

    async def update_task(self, task: Task) -> None:
        self.tasks[task.id] = replace(task)

    async def transition_task(
        self, task: Task, *, expected: Mapping[str, object], lost: Callable[[Task], Conflict]
    ) -> None:
        current = self.tasks.get(task.id)
        if current is None:
            raise NotFound(f"no tasks row {task.id}")
        if not all(_matches(current, name, value) for name, value in expected.items()):
            raise lost(current)
        self.tasks[task.id] = replace(task)

    async def get_task(self, task_id: UUID, *, for_update: bool = False) -> Task | None:
        found = self.tasks.get(task_id)
        return replace(found) if found else None

    async def task_exists(self, task_id: UUID) -> bool:
        return task_id in self.tasks

    async def existing_task_ids(self, task_ids: Sequence[UUID]) -> set[UUID]:
        return {i for i in task_ids if i in self.tasks}

    def _visible(self, viewer: Viewer, view: str = "all") -> list[Task]:
        found = [t for t in self.tasks.values() if rules.can_see(t, viewer)]
        if view == "for-me":
            found = [t for t in found if viewer.staff_id is not None and t.responsible_staff_id == viewer.staff_id]
        elif view == "from-me":
            found = [
                t
                for t in found
                if t.creator_user == viewer.username
                or (viewer.staff_id is not None and t.creator_staff_id == viewer.staff_id)
            ]
        return found

    async def list_tasks(
        self, viewer: Viewer, flt: TaskFilter, limit: int | None, offset: int
    ) -> tuple[list[Task], int]:
        found = [
            t
            for t in self._visible(viewer, flt.view)
            if (flt.status is None or t.status == flt.status)
            and (flt.registered_from is None or t.registered_at >= flt.registered_from)
            and (flt.registered_to is None or t.registered_at < flt.registered_to)
            and (flt.partner_id is None or t.partner_id == flt.partner_id)
            and (flt.responsible_staff_id is None or t.responsible_staff_id == flt.responsible_staff_id)
            and (flt.broadcast_id is None or t.broadcast_id == flt.broadcast_id)
            and (flt.since is None or t.registered_at > flt.since)
        ]
        if flt.by_deadline:
            found.sort(key=lambda t: (t.deadline is None, t.deadline or t.registered_at, str(t.id)))
        else:
            found.sort(key=lambda t: (t.registered_at, str(t.id)), reverse=not flt.oldest_first)
        page = found[offset:] if limit is None else found[offset : offset + limit]
        return [replace(t) for t in page], len(found)

    async def tracking_tasks(self, viewer: Viewer, start: datetime, end: datetime) -> list[Task]:
        return [
            replace(t)
            for t in self._visible(viewer)
            if t.registered_at < end and (t.resolved_at is None or t.resolved_at >= start)
        ]

    async def visible_task_ids(self, viewer: Viewer, ids: Sequence[UUID]) -> set[UUID]:
        return {t.id for t in self._visible(viewer) if t.id in set(ids)}

    async def references_blob(self, viewer: Viewer, sha256: str) -> bool:
        for task in self._visible(viewer):
            shas = {a.sha256 for a in task.attachments}
            if task.estimate is not None and task.estimate.printout_sha256:
                shas.add(task.estimate.printout_sha256)
            if sha256 in shas:
                return True
        return False

    async def planned_for(self, staff_id: UUID, exclude: UUID | None = None) -> list[Planned]:
        return [
            Planned(t.id, t.title, t.planned_start, t.planned_hours)
            for t in self.tasks.values()
            if t.responsible_staff_id == staff_id
            and t.status == "open"
            and t.planned_start is not None
            and t.planned_hours is not None
            and t.id != exclude
        ]

    async def broadcast_tasks(self, broadcast_id: UUID) -> list[Task]:
        return [replace(t) for t in self.tasks.values() if t.broadcast_id == broadcast_id]

    async def broadcast_progress(self, broadcast_ids: Sequence[UUID]) -> dict[UUID, tuple[int, int]]:
        progress: dict[UUID, tuple[int, int]] = {}
        for t in self.tasks.values():
            if t.broadcast_id is not None and t.broadcast_id in broadcast_ids:
                total, resolved = progress.get(t.broadcast_id, (0, 0))
                progress[t.broadcast_id] = (total + 1, resolved + (t.status == "resolved"))
        return progress

    # --- replies and broadcasts
    async def add_reply(self, reply: Reply) -> None:
        self.replies.append(reply)

    async def replies_of(self, task_id: UUID) -> list[Reply]:
        return sorted((r for r in self.replies if r.task_id == task_id), key=lambda r: r.at)

    async def insert_broadcast(self, broadcast: Broadcast, lost: Callable[[Broadcast], Conflict]) -> None:
        if broadcast.id in self.broadcasts:
            raise lost(self.broadcasts[broadcast.id])
        self.broadcasts[broadcast.id] = broadcast

    async def get_broadcast(self, broadcast_id: UUID) -> Broadcast | None:
        return self.broadcasts.get(broadcast_id)

    async def list_broadcasts(self, viewer: Viewer, limit: int, offset: int) -> tuple[list[Broadcast], int]:
        def mine(b: Broadcast) -> bool:
            if viewer.role == "admin" or b.creator_user == viewer.username:
                return True
            if viewer.staff_id is not None and b.creator_staff_id == viewer.staff_id:
                return True
            return viewer.role == "manager" and b.creator_staff_id in viewer.team_staff_ids

        found = sorted((b for b in self.broadcasts.values() if mine(b)), key=lambda b: b.created_at, reverse=True)
        return found[offset : offset + limit], len(found)

    # --- catalogue and settings
    async def get_service(self, code: str) -> CatalogueService | None:
        return self.catalogue.get(code)

    async def list_services(self) -> list[CatalogueService]:
        return [self.catalogue[code] for code in sorted(self.catalogue)]

    async def insert_service(self, service: CatalogueService) -> bool:
        if service.code in self.catalogue:
            return False
        self.catalogue[service.code] = service
        return True

    async def get_settings(self) -> ReminderSettings:
        return self.settings

    async def put_settings(self, settings: ReminderSettings) -> None:
        self.settings = settings

    # --- reminders
    async def insert_new_tasks(self, tasks: Sequence[Task], planned: Sequence[tuple[UUID, PlannedReminder]]) -> None:
        if tasks:
            self.task_writes.append(len(tasks))
        for task in tasks:
            self.tasks[task.id] = replace(task)
        for task_id, p in planned:
            self.reminders[(task_id, p.channel)] = Reminder(p.channel, p.days_before, p.remind_at, None)
            self.reminder_deadlines[(task_id, p.channel)] = p.deadline

    async def replace_reminders(self, task_id: UUID, planned: Iterable[PlannedReminder]) -> None:
        wanted: dict[str, PlannedReminder] = {p.channel: p for p in planned}
        for key in [k for k in self.reminders if k[0] == task_id]:
            kept = wanted.get(key[1])
            if kept is None or kept.remind_at != self.reminders[key].remind_at:
                del self.reminders[key]
        for channel, p in wanted.items():
            if (task_id, channel) not in self.reminders:
                self.reminders[(task_id, channel)] = Reminder(channel, p.days_before, p.remind_at, None)
                self.reminder_deadlines[(task_id, channel)] = p.deadline

    async def drop_pending_reminders(self, task_id: UUID) -> None:
        for key in [k for k, r in self.reminders.items() if k[0] == task_id and r.fired_at is None]:
            del self.reminders[key]

    async def claim_due(self, now: datetime, limit: int) -> list[DueReminder]:
        due = sorted(
            (k for k, r in self.reminders.items() if r.fired_at is None and r.remind_at <= now),
            key=lambda k: (self.reminders[k].remind_at, str(k[0]), k[1]),
        )[:limit]
        claimed = []
        for key in due:
            reminder = self.reminders[key] = replace(self.reminders[key], fired_at=now)
            task = self.tasks[key[0]]
            assert task.responsible_staff_id is not None
            claimed.append(
                DueReminder(
                    task.id,
                    reminder.channel,
                    reminder.days_before,
                    self.reminder_deadlines[key],
                    reminder.remind_at,
                    task.title,
                    task.partner_id,
                    task.responsible_staff_id,
                )
            )
        return claimed

    async def reminders_of(self, task_id: UUID) -> list[Reminder]:
        return [r for k, r in self.reminders.items() if k[0] == task_id]

    # --- read models
    async def upsert_staff(self, member: StaffMember) -> None:
        self.staff[member.id] = member

    async def get_staff(self, staff_id: UUID) -> StaffMember | None:
        return self.staff.get(staff_id)

    async def staff_by_ids(self, ids: Iterable[UUID]) -> dict[UUID, StaffMember]:
        return {i: self.staff[i] for i in set(ids) if i in self.staff}

    async def all_staff(self) -> list[StaffMember]:
        return sorted(self.staff.values(), key=lambda s: s.name)

    async def team_of(self, staff_id: UUID) -> frozenset[UUID]:
        me = self.staff.get(staff_id)
        if me is None or not me.team:
            return frozenset({staff_id})
        return frozenset({staff_id, *(s.id for s in self.staff.values() if s.team == me.team)})

    async def upsert_partner(self, partner: PartnerRef) -> None:
        self.partners[partner.id] = partner

    async def add_new_partners(self, partners: Sequence[PartnerRef]) -> None:
        for partner in partners:
            self.partners.setdefault(partner.id, partner)

    async def get_partner(self, partner_id: UUID) -> PartnerRef | None:
        return self.partners.get(partner_id)

    async def partners_by_ids(self, ids: Iterable[UUID]) -> dict[UUID, PartnerRef]:
        return {i: self.partners[i] for i in set(ids) if i in self.partners}

    async def partner_names(self, ids: Iterable[UUID]) -> dict[UUID, str]:
        return {i: self.partners[i].name for i in set(ids) if i in self.partners}

    async def list_partners(self, name: str | None, limit: int, offset: int) -> tuple[list[PartnerRef], int]:
        found = sorted(
            (p for p in self.partners.values() if not name or name.lower() in p.name.lower()), key=lambda p: p.name
        )
        return found[offset : offset + limit], len(found)

    async def upsert_contract(self, contract: ContractRef) -> None:
        self.contracts[contract.id] = contract

    async def end_contract(self, contract_id: UUID, ended_on: date) -> None:
        if contract_id in self.contracts:
            self.contracts[contract_id] = replace(self.contracts[contract_id], ends_on=ended_on)

    async def contracts_of(self, partner_id: UUID) -> list[ContractRef]:
        return sorted((c for c in self.contracts.values() if c.partner_id == partner_id), key=lambda c: c.starts_on)

    async def get_contract(self, contract_id: UUID) -> ContractRef | None:
        return self.contracts.get(contract_id)

    async def set_balance(self, partner_id: UUID, balance: Decimal, currency: str) -> None:
        self.balances[partner_id] = (balance, currency)

    async def get_balance(self, partner_id: UUID) -> tuple[Decimal, str] | None:
        return self.balances.get(partner_id)


@dataclass
class FakePublisher:
    """The ``Publisher`` port that records what was announced: ``("task_due", reminder)`` and the like."""

    calls: list[tuple[str, Any]] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    """The size of each ``tasks_created`` call (their events are written together)."""

    def of(self, name: str) -> list[Any]:
        """The first argument of every call of one method, in order."""
        return [arg for called, arg in self.calls if called == name]

    def names(self) -> list[str]:
        """The methods called, in order."""
        return [called for called, _ in self.calls]

    async def task_created(self, task: Task) -> None:
        self.calls.append(("task_created", replace(task)))

    async def tasks_created(self, tasks: Sequence[Task]) -> None:
        self.batches.append(len(tasks))
        for task in tasks:
            await self.task_created(task)

    async def task_assigned(self, task: Task, previous: UUID | None, by: str | None) -> None:
        self.calls.append(("task_assigned", (replace(task), previous, by)))

    async def task_updated(self, task: Task, changes: dict[str, str | None]) -> None:
        self.calls.append(("task_updated", (replace(task), dict(changes))))

    async def task_replied(self, task: Task, reply: Reply) -> None:
        self.calls.append(("task_replied", (replace(task), reply)))

    async def task_resolved(self, task: Task) -> None:
        self.calls.append(("task_resolved", replace(task)))

    async def task_reopened(self, task: Task) -> None:
        self.calls.append(("task_reopened", replace(task)))

    async def task_due(self, reminder: DueReminder) -> None:
        self.calls.append(("task_due", reminder))

    async def estimate_issued(self, task: Task, estimate: Estimate) -> None:
        self.calls.append(("estimate_issued", estimate))

    async def invoice_requested(self, request_id: UUID, task: Task, estimate: Estimate) -> None:
        self.calls.append(("invoice_requested", (request_id, replace(task), estimate)))

    async def task_invoiced(self, task: Task) -> None:
        self.calls.append(("task_invoiced", replace(task)))

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
        self.calls.append(("contract_requested", (request_id, kind, starts_on, months, qty)))


@dataclass
class FakeBlobs:
    """The ``Blobs`` port in a dict."""

    stored: dict[str, bytes] = field(default_factory=dict)

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self.stored[digest] = data
        return digest

    def get(self, sha256: str) -> bytes:
        return self.stored[sha256]


@dataclass
class FakePrinter:
    """The ``Printer`` port: a recognisable stand-in for the PDF."""

    printed: list[tuple[UUID, str | None]] = field(default_factory=list)

    def estimate(self, task: Task, estimate: Estimate, client: str | None) -> bytes:
        self.printed.append((task.id, client))
        return f"deviz {estimate.id} {client} {estimate.total}".encode()
