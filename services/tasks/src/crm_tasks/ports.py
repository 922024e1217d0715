"""The ports of the tasks use cases: what they ask of the store, the event log, the blob store and the printer."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from crm_kit.errors import Conflict
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


@dataclass(frozen=True)
class TaskFilter:
    """What a task list asks for, besides who is asking (times in UTC)."""

    view: str = "all"
    status: str | None = None
    registered_from: datetime | None = None
    registered_to: datetime | None = None
    partner_id: UUID | None = None
    broadcast_id: UUID | None = None
    since: datetime | None = None
    responsible_staff_id: UUID | None = None
    oldest_first: bool = False
    by_deadline: bool = False
    """Soonest deadline first (no deadline last), then by id: the open tasks in the order they are due."""


class Repository(Protocol):
    """The tasks store, bound to one unit of work."""

    # --- tasks
    async def insert_task(self, task: Task) -> bool:
        """Store a new task; False (and nothing written) when a task with its id exists already."""
        ...

    async def update_task(self, task: Task) -> None:
        """Save a task's fields."""
        ...

    async def transition_task(
        self, task: Task, *, expected: Mapping[str, object], lost: Callable[[Task], Conflict]
    ) -> None:
        """Save a task only if the stored one is still in the ``expected`` state (one winner).

        Raises:
            Conflict: another request moved it first; the message is ``lost``'s, from the task as it is now.
        """
        ...

    async def get_task(self, task_id: UUID, *, for_update: bool = False) -> Task | None:
        """One task."""
        ...

    async def task_exists(self, task_id: UUID) -> bool:
        """Whether a task with this id is stored."""
        ...

    async def existing_task_ids(self, task_ids: Sequence[UUID]) -> set[UUID]:
        """Which of these task ids are stored (one query for a batch of events)."""
        ...

    async def list_tasks(
        self, viewer: Viewer, flt: TaskFilter, limit: int | None, offset: int
    ) -> tuple[list[Task], int]:
        """The tasks the viewer may see (T1) that match, newest first (or oldest first), and how many there are."""
        ...

    async def tracking_tasks(self, viewer: Viewer, start: datetime, end: datetime) -> list[Task]:
        """Tasks registered before ``end`` and not resolved before ``start`` that the viewer may see."""
        ...

    async def visible_task_ids(self, viewer: Viewer, ids: Sequence[UUID]) -> set[UUID]:
        """Which of these tasks the viewer may see (T1)."""
        ...

    async def references_blob(self, viewer: Viewer, sha256: str) -> bool:
        """Whether a task the viewer may see has this blob as attachment or estimate printout."""
        ...

    async def planned_for(self, staff_id: UUID, exclude: UUID | None = None) -> list[Planned]:
        """The open, planned tasks of one person (T6)."""
        ...

    async def broadcast_tasks(self, broadcast_id: UUID) -> list[Task]:
        """The tasks of one broadcast."""
        ...

    async def broadcast_progress(self, broadcast_ids: Sequence[UUID]) -> dict[UUID, tuple[int, int]]:
        """Per broadcast: (tasks, resolved tasks)."""
        ...

    # --- replies and broadcasts
    async def add_reply(self, reply: Reply) -> None:
        """Store a reply."""
        ...

    async def replies_of(self, task_id: UUID) -> list[Reply]:
        """A task's thread, oldest first."""
        ...

    async def insert_broadcast(self, broadcast: Broadcast, lost: Callable[[Broadcast], Conflict]) -> None:
        """Store a broadcast once (its id is the launch's key).

        Raises:
            Conflict: it exists; ``lost`` says which launch won.
        """
        ...

    async def get_broadcast(self, broadcast_id: UUID) -> Broadcast | None:
        """One broadcast."""
        ...

    async def list_broadcasts(self, viewer: Viewer, limit: int, offset: int) -> tuple[list[Broadcast], int]:
        """The broadcasts the viewer launched (a manager: their team's; an admin: all), newest first."""
        ...

    # --- catalogue and settings
    async def get_service(self, code: str) -> CatalogueService | None:
        """One post-sale service."""
        ...

    async def list_services(self) -> list[CatalogueService]:
        """The catalogue, by code."""
        ...

    async def insert_service(self, service: CatalogueService) -> bool:
        """Add a service; False when its code exists."""
        ...

    async def get_settings(self) -> ReminderSettings:
        """The reminder settings (defaults until set)."""
        ...

    async def put_settings(self, settings: ReminderSettings) -> None:
        """Store the reminder settings."""
        ...

    # --- reminders
    async def insert_new_tasks(self, tasks: Sequence[Task], planned: Sequence[tuple[UUID, PlannedReminder]]) -> None:
        """Store tasks with fresh ids (never stored before) and their planned reminders, a statement for each kind."""
        ...

    async def replace_reminders(self, task_id: UUID, planned: Iterable[PlannedReminder]) -> None:
        """Make the task's pending reminders ``planned`` (an unchanged one keeps its state)."""
        ...

    async def drop_pending_reminders(self, task_id: UUID) -> None:
        """Forget the task's reminders that have not fired."""
        ...

    async def claim_due(self, now: datetime, limit: int) -> list[DueReminder]:
        """Mark due reminders fired and return them; one claimed by another scheduler is not returned."""
        ...

    async def reminders_of(self, task_id: UUID) -> list[Reminder]:
        """A task's reminders."""
        ...

    # --- read models of other services
    async def upsert_staff(self, member: StaffMember) -> None:
        """Record a staff member."""
        ...

    async def get_staff(self, staff_id: UUID) -> StaffMember | None:
        """One staff member."""
        ...

    async def staff_by_ids(self, ids: Iterable[UUID]) -> dict[UUID, StaffMember]:
        """Staff members by id (the unknown ones are left out)."""
        ...

    async def all_staff(self) -> list[StaffMember]:
        """Every staff member, by name."""
        ...

    async def team_of(self, staff_id: UUID) -> frozenset[UUID]:
        """The staff ids of a person's team (the person included)."""
        ...

    async def upsert_partner(self, partner: PartnerRef) -> None:
        """Record a partner."""
        ...

    async def add_new_partners(self, partners: Sequence[PartnerRef]) -> None:
        """Record the partners not known yet, in one statement; a known partner keeps its row."""
        ...

    async def get_partner(self, partner_id: UUID) -> PartnerRef | None:
        """One partner."""
        ...

    async def partners_by_ids(self, ids: Iterable[UUID]) -> dict[UUID, PartnerRef]:
        """The partners among ``ids`` that the read model holds."""
        ...

    async def partner_names(self, ids: Iterable[UUID]) -> dict[UUID, str]:
        """Partner names by id."""
        ...

    async def list_partners(self, name: str | None, limit: int, offset: int) -> tuple[list[PartnerRef], int]:
        """Partners whose name contains ``name``, by name."""
        ...

    async def upsert_contract(self, contract: ContractRef) -> None:
        """Record a signed contract."""
        ...

    async def end_contract(self, contract_id: UUID, ended_on: date) -> None:
        """Record a contract's end."""
        ...

    async def contracts_of(self, partner_id: UUID) -> list[ContractRef]:
        """A client's contracts, oldest first."""
        ...

    async def get_contract(self, contract_id: UUID) -> ContractRef | None:
        """One contract."""
        ...

    async def set_balance(self, partner_id: UUID, balance: Decimal, currency: str) -> None:
        """Record a client's balance."""
        ...

    async def get_balance(self, partner_id: UUID) -> tuple[Decimal, str] | None:
        """A client's balance and its currency."""
        ...


class Publisher(Protocol):
    """What the tasks service tells the others, in domain terms (the adapter knows contracts and topics)."""

    async def task_created(self, task: Task) -> None:
        """A task was created."""
        ...

    async def tasks_created(self, tasks: Sequence[Task]) -> None:
        """Many tasks were created (a bulk load): TaskCreated for each, written together."""
        ...

    async def task_assigned(self, task: Task, previous: UUID | None, by: str | None) -> None:
        """A task got a (new) responsible."""
        ...

    async def task_updated(self, task: Task, changes: dict[str, str | None]) -> None:
        """A task's fields changed."""
        ...

    async def task_replied(self, task: Task, reply: Reply) -> None:
        """Someone replied on a task's thread."""
        ...

    async def task_resolved(self, task: Task) -> None:
        """A task was resolved (T9)."""
        ...

    async def task_reopened(self, task: Task) -> None:
        """A resolved task was reopened."""
        ...

    async def task_due(self, reminder: DueReminder) -> None:
        """A task's reminder is due (T10)."""
        ...

    async def estimate_issued(self, task: Task, estimate: Estimate) -> None:
        """A resolved task's estimate was issued (T9)."""
        ...

    async def invoice_requested(self, request_id: UUID, task: Task, estimate: Estimate) -> None:
        """Commercial is asked to invoice a task (T9)."""
        ...

    async def task_invoiced(self, task: Task) -> None:
        """Commercial invoiced a task."""
        ...

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
        """Commercial is asked to draft a contract for a client request (T7)."""
        ...


class Blobs(Protocol):
    """The content-addressed blob store (attachments, printouts)."""

    def put(self, data: bytes) -> str:
        """Store bytes; their sha256."""
        ...

    def get(self, sha256: str) -> bytes:
        """The bytes of a blob.

        Raises:
            KeyError: no such blob.
        """
        ...


class Printer(Protocol):
    """Renders the estimate's printout (T9)."""

    def estimate(self, task: Task, estimate: Estimate, client: str | None) -> bytes:
        """The estimate of a resolved task as PDF bytes."""
        ...
