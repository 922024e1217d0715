"""Task rules: validation of input, the default responsible (T4), contract coverage (T7), who sees what (T1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from uuid import UUID

from crm_kit.errors import Forbidden, Invalid
from crm_kit.scoping import TaskOwners, may_see_task
from crm_tasks.domain.model import (
    Alert,
    CatalogueService,
    ContractLineRef,
    ContractRef,
    PartnerRef,
    Task,
    Viewer,
)

MAX_TITLE = 200
MAX_TEXT = 20_000


def check_title(title: str) -> str:
    """A trimmed, non-empty title of reasonable length."""
    title = title.strip()
    if not title:
        raise Invalid("a task needs a title")
    if len(title) > MAX_TITLE:
        raise Invalid(f"the title is too long ({len(title)} characters, at most {MAX_TITLE})")
    return title


def check_text(text: str, what: str = "the description") -> str:
    """Free text within the size limit."""
    if len(text) > MAX_TEXT:
        raise Invalid(f"{what} is too long ({len(text)} characters, at most {MAX_TEXT})")
    return text


def check_planned_hours(hours: Decimal | None, maximum: int) -> Decimal | None:
    """Planned hours are positive and not absurd.

    Raises:
        Invalid: zero, negative, not a number, or more than ``maximum``.
    """
    if hours is None:
        return None
    if not hours.is_finite():
        raise Invalid("planned_hours must be a number of hours")
    if hours <= 0:
        raise Invalid(f"planned_hours must be more than 0 (got {hours})")
    if hours > maximum:
        raise Invalid(f"planned_hours of {hours} is not plausible for one task (at most {maximum})")
    return hours.quantize(Decimal("0.01"))


def check_days_before(days: int) -> int:
    """A reminder is at the deadline (0) or 1, 2 or 3 days before."""
    if days not in (0, 1, 2, 3):
        raise Invalid(f"a reminder can be at the deadline (0) or 1, 2 or 3 days before it, not {days}")
    return days


def check_alert(channel: str, days_before: int) -> Alert:
    """A valid alert (T10)."""
    if channel not in ("email", "message"):
        raise Invalid(f"the alert channel is email or message, not {channel!r}")
    return Alert(channel="email" if channel == "email" else "message", days_before=check_days_before(days_before))


def default_responsible(partner: PartnerRef) -> UUID:
    """T4: a client request goes to the client's service representative, else its sales representative.

    Raises:
        Invalid: the client has neither.
    """
    chosen = partner.service_rep_staff_id or partner.sales_rep_staff_id
    if chosen is None:
        raise Invalid(
            f"choose a responsible: {partner.name} has no service or sales representative",
            partner_id=str(partner.id),
        )
    return chosen


@dataclass(frozen=True)
class Coverage:
    """T7: the client's active contract and whether it covers the requested service."""

    contract: ContractRef | None
    line: ContractLineRef | None
    covers_service: bool | None


def coverage(contracts: list[ContractRef], service: CatalogueService | None, day: date) -> Coverage:
    """The active contract that covers the service (or any active contract), and whether it covers it.

    ``covers_service`` is None when no service was named.
    """
    active = [c for c in contracts if c.active_on(day)]
    if service is None:
        return Coverage(active[0] if active else None, None, None)
    for contract in active:
        line = contract.line_for(service.article_code)
        if line is not None:
            return Coverage(contract, line, True)
    return Coverage(active[0] if active else None, None, False)


def check_billable(billable: bool, partner_id: UUID | None, service_code: str | None) -> None:
    """A billable task names the client and the service it bills (T9 needs both)."""
    if billable and (partner_id is None or not service_code):
        raise Invalid("a billable task needs a client (partner_id) and a service (service_code)")


def can_see(task: Task, viewer: Viewer) -> bool:
    """T1: admins see all; managers their team's tasks; agents the tasks for and from them (``crm_kit.scoping``)."""
    owners = TaskOwners(
        responsible_staff_id=_text(task.responsible_staff_id),
        creator_staff_id=_text(task.creator_staff_id),
        creator_user=task.creator_user,
    )
    return may_see_task(
        owners,
        role=viewer.role,
        staff_id=_text(viewer.staff_id),
        username=viewer.username,
        team={str(member) for member in viewer.team_staff_ids},
    )


def _text(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def ensure_can_see(task: Task, viewer: Viewer) -> None:
    """Raises Forbidden when the viewer may not see the task."""
    if not can_see(task, viewer):
        raise Forbidden("this task is neither for nor from you, nor your team's")


def naive_as(moment: datetime, tz: tzinfo) -> datetime:
    """A time without an offset is read in the local zone ``tz``; every time is returned in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)
