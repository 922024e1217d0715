"""The tasks domain's objects: tasks, replies, broadcasts, the catalogue, and read models of other contexts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

Channel = Literal["email", "message"]
Status = Literal["open", "resolved"]
CHANNELS: tuple[Channel, ...] = ("email", "message")
SOURCES = ("manual", "follow_up", "email", "broadcast", "client_request")


@dataclass(frozen=True)
class Alert:
    """How and when the responsible is reminded (T10)."""

    channel: Channel
    days_before: int


@dataclass(frozen=True)
class AttachmentRef:
    """A file attached to a task, by its blob address."""

    sha256: str
    file_name: str
    size: int = 0
    content_type: str | None = None


@dataclass
class Task:
    """A task (T1-T9): who does what for whom, by when, and how it was billed."""

    id: UUID
    title: str
    description: str
    source: str
    responsible_staff_id: UUID | None
    registered_at: datetime
    creator_staff_id: UUID | None = None
    creator_user: str | None = None
    partner_id: UUID | None = None
    contract_id: UUID | None = None
    contract_line_id: UUID | None = None
    service_code: str | None = None
    deadline: datetime | None = None
    planned_start: datetime | None = None
    planned_hours: Decimal | None = None
    billable: bool = False
    alert: Alert | None = None
    attachments: list[AttachmentRef] = field(default_factory=list)
    origin: dict[str, Any] = field(default_factory=dict)
    broadcast_id: UUID | None = None
    status: Status = "open"
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    hours: Decimal | None = None
    invoiced: bool = False
    invoice_id: UUID | None = None
    estimate: Estimate | None = None
    contract_request_id: UUID | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Reply:
    """One message on a task's thread."""

    id: UUID
    task_id: UUID
    text: str
    at: datetime
    by_staff_id: UUID | None
    by_user: str | None


@dataclass(frozen=True)
class Broadcast:
    """A task launched to several people at once (T2, Lansare Task)."""

    id: UUID
    title: str
    description: str
    deadline: datetime | None
    staff_ids: list[UUID]
    categories: list[str]
    created_at: datetime
    creator_staff_id: UUID | None
    creator_user: str | None


@dataclass(frozen=True)
class CatalogueService:
    """A post-sale service (Servicii post-vanzare): an hourly rate and the ERP article it is billed as (T7)."""

    code: str
    name: str
    hourly_rate: Decimal
    article_code: str


@dataclass(frozen=True)
class EstimateLine:
    """One line of an estimate: a service article, hours and hourly rate."""

    article_code: str
    description: str
    hours: Decimal
    rate: Decimal
    net: Decimal


@dataclass(frozen=True)
class Estimate:
    """The estimate (deviz) of a resolved task (T9)."""

    id: UUID
    lines: list[EstimateLine]
    total: Decimal
    printout_sha256: str | None = None


@dataclass(frozen=True)
class StaffMember:
    """Read model of a staff member (from crm.partners)."""

    id: UUID
    name: str
    email: str | None = None
    user_login: str | None = None
    hours_per_day: Decimal = Decimal(8)
    categories: tuple[str, ...] = ()
    team: str | None = None
    active: bool = True


@dataclass(frozen=True)
class PartnerRef:
    """Read model of a partner (from crm.partners): its name and representatives (T4)."""

    id: UUID
    name: str
    kind: str
    sales_rep_staff_id: UUID | None = None
    service_rep_staff_id: UUID | None = None


@dataclass(frozen=True)
class ContractLineRef:
    """A contract line: the article (service) it covers, and its text on the contract."""

    line_id: UUID | None
    article_code: str
    description: str | None = None

    def name(self, services: dict[str, str] | None = None) -> str:
        """What people call the line: its text, else the catalogue service billed as its article, else the code."""
        if self.description:
            return self.description
        return (services or {}).get(self.article_code) or self.article_code


@dataclass(frozen=True)
class ContractRef:
    """Read model of a contract (from crm.commercial ContractSigned / ContractEnded)."""

    id: UUID
    partner_id: UUID
    number: str
    kind: str
    starts_on: date
    ends_on: date | None
    lines: tuple[ContractLineRef, ...] = ()

    def active_on(self, day: date) -> bool:
        """Whether the contract is in force on a day."""
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)

    def line(self, line_id: UUID | None) -> ContractLineRef | None:
        """One of the contract's lines by id."""
        return next((ln for ln in self.lines if line_id is not None and ln.line_id == line_id), None)

    def line_for(self, article_code: str) -> ContractLineRef | None:
        """The line that covers an article, if any."""
        return next((line for line in self.lines if line.article_code == article_code), None)


@dataclass(frozen=True)
class ReminderSettings:
    """C2 and C3: reminder defaults and how often operators are told of new tasks."""

    send_message: bool = True
    send_email: bool = True
    days_before: int = 1
    new_task_refresh_minutes: int = 5


@dataclass(frozen=True)
class Viewer:
    """Who is looking: role, linked staff member, login and (for managers) their team's staff ids."""

    role: str
    staff_id: UUID | None
    username: str
    team_staff_ids: frozenset[UUID] = frozenset()


@dataclass(frozen=True)
class Caller:
    """Who asks, as the identity token says: role, linked staff member and login (the team is looked up)."""

    role: str
    staff_id: UUID | None
    username: str
