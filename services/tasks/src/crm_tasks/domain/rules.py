"""Task rules: validation of input, the default responsible (T4), contract coverage (T7), who sees what (T1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from uuid import UUID, uuid5

from crm_kit.errors import Conflict, Forbidden, Invalid
from crm_kit.scoping import TaskOwners, may_see_task
from crm_tasks.domain.model import (
    Alert,
    Broadcast,
    CatalogueService,
    ContractLineRef,
    ContractRef,
    PartnerRef,
    ReminderSettings,
    StaffMember,
    Task,
    Viewer,
)

MAX_TITLE = 200
MAX_TEXT = 20_000


def check_title(title: str) -> str:
    """A trimmed, non-empty title of reasonable length."""
    title = title.strip()
    if not title:
        raise Invalid("a task needs a title", code="task.title_missing")
    if len(title) > MAX_TITLE:
        raise Invalid(
            f"the title is too long ({len(title)} characters, at most {MAX_TITLE})",
            code="task.title_too_long",
            params={"length": len(title), "limit": MAX_TITLE},
        )
    return title


def check_text(text: str, what: str = "the description") -> str:
    """Free text within the size limit."""
    if len(text) > MAX_TEXT:
        raise Invalid(
            f"{what} is too long ({len(text)} characters, at most {MAX_TEXT})",
            code="task.text_too_long",
            params={"length": len(text), "limit": MAX_TEXT},
        )
    return text


def check_planned_hours(hours: Decimal | None, maximum: int) -> Decimal | None:
    """Planned hours are positive and not absurd.

    Raises:
        Invalid: zero, negative, not a number, or more than ``maximum``.
    """
    if hours is None:
        return None
    if not hours.is_finite():
        raise Invalid("planned_hours must be a number of hours", code="task.planned_hours_not_a_number")
    if hours <= 0:
        raise Invalid(
            f"planned_hours must be more than 0 (got {hours})",
            code="task.planned_hours_not_positive",
            params={"hours": str(hours)},
        )
    if hours > maximum:
        raise Invalid(
            f"planned_hours of {hours} is not plausible for one task (at most {maximum})",
            code="task.planned_hours_too_many",
            params={"hours": str(hours), "limit": maximum},
        )
    return hours.quantize(Decimal("0.01"))


def check_days_before(days: int) -> int:
    """A reminder is at the deadline (0) or 1, 2 or 3 days before."""
    if days not in (0, 1, 2, 3):
        raise Invalid(
            f"a reminder can be at the deadline (0) or 1, 2 or 3 days before it, not {days}",
            code="task.reminder_days_range",
            params={"days": days},
        )
    return days


def check_alert(channel: str, days_before: int) -> Alert:
    """A valid alert (T10)."""
    if channel not in ("email", "message"):
        raise Invalid(
            f"the alert channel is email or message, not {channel!r}",
            code="task.alert_channel_unknown",
            params={"channel": channel},
        )
    return Alert(channel="email" if channel == "email" else "message", days_before=check_days_before(days_before))


def default_responsible(partner: PartnerRef) -> UUID | None:
    """T4 (written only here): a client request goes to the service rep, else the sales rep, else triage (None).

    A request nobody is found for waits, unassigned, for someone to take it.
    """
    return partner.service_rep_staff_id or partner.sales_rep_staff_id


def responsible_for(chosen: UUID | None, partner: PartnerRef | None) -> UUID:
    """The responsible of a task created by hand: the one chosen, else the client's by T4.

    Raises:
        Invalid: nobody was chosen and the task has no client, or the client has no representative.
    """
    if chosen is not None:
        return chosen
    if partner is None:
        raise Invalid(
            "a task needs a responsible (responsible_staff_id) or a client to take it from",
            code="task.responsible_missing",
        )
    found = default_responsible(partner)
    if found is None:
        raise Invalid(
            f"choose a responsible: {partner.name} has no service or sales representative",
            partner_id=str(partner.id),
            code="task.client_has_no_representative",
            params={"partner": partner.name},
        )
    return found


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


def check_status(status: str | None) -> None:
    """A task list asks for open or resolved tasks, or both (None)."""
    if status not in (None, "open", "resolved"):
        raise Invalid(
            f"status is open or resolved, not {status!r}",
            field="status",
            code="record.choose_from_list",
            params={"value": status},
        )


def check_billable(billable: bool, partner_id: UUID | None, service_code: str | None) -> None:
    """A billable task names the client and the service it bills (T9 needs both)."""
    if billable and (partner_id is None or not service_code):
        raise Invalid(
            "a billable task needs a client (partner_id) and a service (service_code)",
            code="task.billable_needs_client_and_service",
        )


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
        raise Forbidden("this task is neither for nor from you, nor your team's", code="task.not_yours")


def naive_as(moment: datetime, tz: tzinfo) -> datetime:
    """A time without an offset is read in the local zone ``tz``; every time is returned in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def check_plan(planned_start: datetime | None, planned_hours: Decimal | None) -> None:
    """T6: a plan has both a start and hours, or neither."""
    if (planned_start is None) != (planned_hours is None):
        raise Invalid("planned_start and planned_hours go together: give both or neither", code="task.plan_incomplete")


def check_can_take_tasks(member: StaffMember | None, staff_id: UUID, what: str = "responsible_staff_id") -> None:
    """Only a known, active staff member takes tasks.

    Raises:
        Invalid: no such staff member, or one who has left.
    """
    if member is None:
        raise Invalid(
            f"{what}: no staff member {staff_id} in the staff directory",
            field=what,
            code="staff.not_found",
            params={"staff_id": str(staff_id)},
        )
    if not member.active:
        raise Invalid(
            f"{what}: {member.name} has left and cannot take tasks",
            field=what,
            code="staff.has_left",
            params={"name": member.name},
        )


def check_service_code(code: str, service: CatalogueService | None) -> CatalogueService:
    """A requested service exists in the catalogue (T7).

    Raises:
        Invalid: the code names no post-sale service.
    """
    if service is None:
        raise Invalid(
            f"service_code: no post-sale service {code!r} in the catalogue",
            field="service_code",
            code="task.service_unknown",
            params={"code": code},
        )
    return service


def check_contract_choice(
    contract: ContractRef | None, contract_id: UUID | None, line_id: UUID | None, partner_id: UUID | None
) -> None:
    """T5: a contract named on a task is the client's, and a named line is one of its lines.

    Raises:
        Invalid: another client's (or no) contract, a line of another contract, or a line without its contract.
    """
    if contract_id is None:
        if line_id is not None:
            raise Invalid("contract_line_id needs its contract_id", code="task.contract_line_without_contract")
        return
    if contract is None or contract.partner_id != partner_id:
        raise Invalid(
            f"contract_id: {contract_id} is not a contract of this client",
            field="contract_id",
            code="task.contract_not_of_client",
            params={"contract_id": str(contract_id)},
        )
    if line_id is not None and all(ln.line_id != line_id for ln in contract.lines):
        raise Invalid(
            f"contract_line_id: {line_id} is not a line of contract {contract.number}",
            code="task.contract_line_not_of_contract",
            params={"line_id": str(line_id), "number": contract.number},
        )


def source_of(partner: PartnerRef | None, service: CatalogueService | None) -> str:
    """A task for a client that names a service is a client request (T7); any other task is manual."""
    return "client_request" if partner is not None and service is not None else "manual"


def check_reply(text: str) -> str:
    """A reply has some text within the size limit (T1)."""
    text = text.strip()
    if not text:
        raise Invalid("a reply needs some text", code="task.reply_empty")
    return check_text(text, "the reply")


def check_resolvable(task: Task, tz: tzinfo) -> None:
    """Raises Conflict when the task is resolved already (T9 runs once)."""
    if task.status == "resolved":
        raise already_resolved(task, tz)


def already_resolved(task: Task, tz: tzinfo) -> Conflict:
    """What a request that lost the race to resolve a task is told: when and by whom it was resolved."""
    text = "the task was already resolved"
    at = ""
    if task.resolved_at is not None:
        at = f"{task.resolved_at.astimezone(tz):%Y-%m-%d %H:%M}"
        text += f" at {at}"
    if task.resolved_by:
        text += f" by {task.resolved_by}"
    params = {"at": at, "by": task.resolved_by or ""}
    return Conflict(text, code="task.not_open", params=params, status="resolved")


def check_reopenable(task: Task) -> None:
    """Only a resolved task that is not invoiced goes back to open.

    Raises:
        Conflict: the task is open, or invoiced already.
    """
    if task.status != "resolved":
        raise Conflict("only a resolved task can be reopened", code="task.not_resolved")
    if task.invoiced:
        raise Conflict("the task is invoiced already; it cannot be reopened", code="task.already_invoiced")


def not_reopenable(task: Task) -> Conflict:
    """What a reopen that lost the race is told."""
    if task.status != "resolved":
        return Conflict("the task was already reopened", code="task.already_reopened")
    return Conflict("the task is invoiced already; it cannot be reopened", code="task.already_invoiced")


def needs_invoice(task: Task, covered: bool) -> bool:
    """T9: a billable task for a client is invoiced unless an active contract covers its service."""
    return task.billable and not covered and task.partner_id is not None


@dataclass(frozen=True)
class InvoiceOutcome:
    """T9: what resolving a task did about its invoice, and why none was asked for.

    ``code`` is one of ``INVOICE_OUTCOMES``; ``contract`` is the contract that covers the service (``covered``).
    """

    code: str
    contract: ContractRef | None = None


INVOICE_OUTCOMES = ("invoiced", "requested", "covered", "not_billable", "no_client", "no_estimate")
"""invoiced: commercial issued it; requested: asked for, not issued yet; covered: an active contract covers the
service; not_billable: the task is not billable; no_client: no client to bill; no_estimate: no catalogue service,
so no estimate and nothing to bill."""


def invoice_outcome(task: Task, has_estimate: bool, cover: Coverage | None) -> InvoiceOutcome | None:
    """T9: the invoice a resolved task got, or the reason it got none (None while the task is open).

    The same decision ``resolve`` takes (``needs_invoice``), read back from the task and the coverage on the day
    it was resolved.
    """
    if task.status != "resolved":
        return None
    if task.invoiced:
        return InvoiceOutcome("invoiced")
    if not task.billable:
        return InvoiceOutcome("not_billable")
    if task.partner_id is None:
        return InvoiceOutcome("no_client")
    if not has_estimate:
        return InvoiceOutcome("no_estimate")
    if cover is not None and cover.covers_service:
        return InvoiceOutcome("covered", cover.contract)
    return InvoiceOutcome("requested")


def check_contract_request(task: Task, kind: str, months: int | None) -> None:
    """T7: a contract is drafted for a client request, of a known kind, for 1 to 120 months.

    Raises:
        Conflict: the task has no client or no service.
        Invalid: an unknown kind or a duration out of range.
    """
    if task.partner_id is None or task.service_code is None:
        raise Conflict(
            "a contract is drafted for a client request: the task needs a client and a service",
            code="task.contract_needs_client_request",
        )
    if kind not in ("commercial", "subscription"):
        raise Invalid(
            f"kind is commercial or subscription, not {kind!r}", code="contract.kind_unknown", params={"kind": kind}
        )
    if months is not None and not 1 <= months <= 120:
        raise Invalid("months is between 1 and 120", code="contract.months_range", params={"limit": 120})


def check_no_contract_yet(task: Task, cover: Coverage) -> None:
    """T7: no second contract when one covers the service, nor a second request for the same task.

    Raises:
        Conflict: a contract covers the service, or one was requested already.
    """
    if cover.covers_service:
        number = cover.contract.number if cover.contract else ""
        raise Conflict(
            f"contract {number} already covers this service",
            code="task.contract_covers_service",
            params={"number": number},
        )
    if task.contract_request_id is not None:
        raise contract_requested(task)


def contract_requested(task: Task) -> Conflict:
    """What a second contract request for a task is told."""
    return Conflict(
        f"a contract was already requested for this task (request {task.contract_request_id})",
        code="task.contract_already_requested",
        params={"request_id": str(task.contract_request_id)},
        request_id=str(task.contract_request_id),
    )


def broadcast_recipients(
    staff_ids: list[UUID], categories: list[str], known: dict[UUID, StaffMember], everyone: list[StaffMember]
) -> set[UUID]:
    """T2: the active people named and the active people of the named categories.

    Raises:
        Invalid: an unknown person or category, or nobody at all.
    """
    missing = [str(s) for s in staff_ids if s not in known]
    if missing:
        raise Invalid(
            f"no staff member {', '.join(missing)} in the staff directory",
            staff_ids=missing,
            code="staff.not_found",
            params={"staff_id": ", ".join(missing)},
        )
    recipients = {s.id for s in known.values() if s.active}
    if categories:
        wanted = set(categories)
        unknown = wanted - {c for s in everyone for c in s.categories}
        if unknown:
            raise Invalid(
                f"no staff member is in the categories {', '.join(sorted(unknown))}",
                code="staff.category_unknown",
                params={"categories": ", ".join(sorted(unknown))},
            )
        recipients |= {s.id for s in everyone if s.active and wanted & set(s.categories)}
    if not recipients:
        raise Invalid(
            "a broadcast needs at least one recipient: staff_ids or categories", code="task.broadcast_no_recipients"
        )
    return recipients


def already_launched(first: Broadcast, tz: tzinfo) -> Conflict:
    """What the second launch of the same broadcast is told (it names the first one)."""
    by = f" by {first.creator_user}" if first.creator_user else ""
    at = f"{first.created_at.astimezone(tz):%Y-%m-%d %H:%M}"
    return Conflict(
        f"the broadcast '{first.title}' was already launched at {at}{by}",
        code="task.broadcast_already_launched",
        params={"title": first.title, "at": at, "by": first.creator_user or ""},
    )


def check_service(service: CatalogueService) -> CatalogueService:
    """T7: a catalogue service, trimmed: a code of 1-50 characters, a name, a sane rate, its ERP article."""
    code = service.code.strip()
    if not code or len(code) > 50:
        raise Invalid("a service code has 1 to 50 characters", code="task.service_code_length")
    if not service.name.strip():
        raise Invalid("a service needs a name", code="task.service_name_missing")
    if not service.hourly_rate.is_finite() or service.hourly_rate < 0 or service.hourly_rate > Decimal(1_000_000):
        raise Invalid("the hourly rate is an amount between 0 and 1000000", code="task.service_rate_range")
    if not service.article_code.strip():
        raise Invalid("a service maps to an ERP article (article_code)", code="task.service_article_missing")
    return CatalogueService(
        code, service.name.strip(), service.hourly_rate.quantize(Decimal("0.01")), service.article_code.strip()
    )


def check_reminder_settings(settings: ReminderSettings) -> ReminderSettings:
    """C2/C3: reminders at most 3 days before; the new-task refresh between 0 (off) and a day."""
    check_days_before(settings.days_before)
    if not 0 <= settings.new_task_refresh_minutes <= 1440:
        raise Invalid("new_task_refresh_minutes is between 0 (off) and 1440", code="task.refresh_minutes_range")
    return settings


FOLLOW_UP_NAMESPACE = UUID("6f0b7a52-54a8-4d0e-9c55-2b7d43a0f1c1")


def follow_up_task_id(opportunity_id: UUID, stage: str, delegate_staff_id: UUID, follow_up_at: datetime) -> UUID:
    """O7: the same follow-up always makes the same task id, so a redelivery cannot make a second task."""
    return uuid5(FOLLOW_UP_NAMESPACE, f"{opportunity_id}:{stage}:{delegate_staff_id}:{follow_up_at.isoformat()}")


def link_signed_contract(task: Task, contract: ContractRef, service: CatalogueService | None) -> bool:
    """T7: a contract signed for a task's request becomes the task's contract (and line), unless it has one.

    Returns:
        Whether the task changed.
    """
    if task.contract_id is not None:
        return False
    task.contract_id = contract.id
    line = contract.line_for(service.article_code) if service is not None else None
    task.contract_line_id = line.line_id if line else None
    return True
