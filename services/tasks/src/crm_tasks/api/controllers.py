"""Litestar controllers of the tasks API: each parses, calls one use case (the ``uses`` dependency), renders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Response, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED

from crm_kit.csvsafe import csv_text
from crm_kit.errors import Invalid
from crm_kit.http import BlobRefCheck
from crm_kit.identity import Identity, requires_role
from crm_kit.pagination import Limit, Offset
from crm_tasks.api import schemas as s
from crm_tasks.api.schemas import HIDDEN_TITLE
from crm_tasks.domain.model import Alert, Caller
from crm_tasks.service_layer import (
    AddService,
    ChangeReminderSettings,
    ChangeTask,
    CreateTask,
    DraftContract,
    LaunchBroadcast,
    ReopenTask,
    ReplyToTask,
    ReportFilter,
    ResolveTask,
    UseCases,
)

__all__ = ["CONTROLLERS", "HIDDEN_TITLE", "blob_check", "caller_of"]

# Dependencies the app provides by name (crm_kit provides "identity"; bootstrap provides "uses").
IdentityDep = NamedDependency[Identity]
UsesDep = NamedDependency[UseCases]

REPORT_COLUMNS = [
    "id",
    "title",
    "status",
    "source",
    "responsible_name",
    "creator_name",
    "partner_name",
    "service_code",
    "registered_at",
    "deadline",
    "resolved_at",
    "hours",
    "billable",
    "invoiced",
]


def caller_of(identity: Identity) -> Caller:
    """The caller as the use cases name them (a staff id that is not a UUID links to no staff member)."""
    try:
        staff_id = UUID(identity.staff_id) if identity.staff_id else None
    except ValueError:
        staff_id = None
    return Caller(identity.role, staff_id, identity.username)


def blob_check(uses: UseCases) -> BlobRefCheck:
    """The gateway's blob check: a blob is readable through a task the caller may see (attachments, estimate)."""

    async def check(identity: Identity, sha256: str) -> bool:
        return await uses.may_read_blob(caller_of(identity), sha256)

    return check


def _alert(body: s.AlertBody | None) -> Alert | None:
    return None if body is None else Alert(channel=body.channel, days_before=body.days_before)


def _day(value: str | None, what: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise Invalid(
            f"{what} is a date like 2026-03-31, not {value!r}", code="record.not_a_date", params={"value": value}
        ) from None


def _moment(value: str | None, what: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(
            f"{what} is an ISO-8601 time like 2026-03-31T10:00:00+03:00, not {value!r}",
            code="record.not_a_time",
            params={"value": value},
        ) from None


class TasksController(Controller):
    """Tasks: create, list, view, change, reply, resolve, draft a contract, report, tracking (T1-T12)."""

    path = "/api/tasks"
    tags = ["tasks"]

    @post("/", status_code=HTTP_201_CREATED)
    async def create(self, data: JSONBody[s.TaskBody], identity: IdentityDep, uses: UsesDep) -> dict[str, Any]:
        """Create a task; the answer carries the availability and contract checks (T6, T7)."""
        done = await uses.create(
            CreateTask(
                caller=caller_of(identity),
                title=data.title,
                description=data.description,
                responsible_staff_id=data.responsible_staff_id,
                deadline=data.deadline,
                planned_start=data.planned_start,
                planned_hours=data.planned_hours,
                partner_id=data.partner_id,
                contract_id=data.contract_id,
                contract_line_id=data.contract_line_id,
                service_code=data.service_code,
                billable=data.billable,
                alert=_alert(data.alert),
            )
        )
        return {**s.tasks_json(done.tasks)[0], "checks": s.checks_json(done.checks)}

    @get("/")
    async def list_tasks(
        self,
        identity: IdentityDep,
        uses: UsesDep,
        view: Annotated[str, Parameter(description="all, for-me or from-me")] = "all",
        status: Annotated[str | None, Parameter(description="open or resolved")] = None,
        from_: Annotated[str | None, QueryParameter(name="from", description="Registered on or after.")] = None,
        to: Annotated[str | None, Parameter(description="Registered before the end of this day.")] = None,
        partner_id: FromQuery[UUID | None] = None,
        broadcast_id: FromQuery[UUID | None] = None,
        since: Annotated[str | None, Parameter(description="Registered after this time (C3 polling).")] = None,
        order: Annotated[
            str, Parameter(description="registered (newest first) or deadline (soonest due first)")
        ] = "registered",
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Tasks the caller may see: all, for me, from me (T1)."""
        found = await uses.list_tasks(
            caller_of(identity),
            view=view,
            status=status,
            registered_from=_day(from_, "from"),
            registered_to=_day(to, "to"),
            partner_id=partner_id,
            broadcast_id=broadcast_id,
            since=_moment(since, "since"),
            order=order,
            limit=limit,
            offset=offset,
        )
        return {"items": s.tasks_json(found), "total": found.total}

    @get("/checks")
    async def checks(
        self,
        identity: IdentityDep,
        uses: UsesDep,
        responsible_staff_id: FromQuery[UUID | None] = None,
        planned_start: FromQuery[str | None] = None,
        planned_hours: FromQuery[Decimal | None] = None,
        partner_id: FromQuery[UUID | None] = None,
        service_code: FromQuery[str | None] = None,
        task_id: FromQuery[UUID | None] = None,
    ) -> dict[str, Any]:
        """The live checks of a task being filled in (T6 availability, T7 contract and balance; T4 default)."""
        live = await uses.live_checks(
            caller_of(identity),
            responsible_staff_id=responsible_staff_id,
            planned_start=_moment(planned_start, "planned_start"),
            planned_hours=planned_hours,
            partner_id=partner_id,
            service_code=service_code,
            task_id=task_id,
        )
        responsible = live.responsible_staff_id
        return {**s.checks_json(live.checks), "responsible_staff_id": str(responsible) if responsible else None}

    @get("/report")
    async def report(
        self,
        identity: IdentityDep,
        uses: UsesDep,
        from_: Annotated[str | None, QueryParameter(name="from")] = None,
        to: FromQuery[str | None] = None,
        format: Annotated[str, Parameter(description="json or csv")] = "json",  # noqa: A002
        responsible_staff_id: Annotated[UUID | None, Parameter(description="Only this person's tasks.")] = None,
        partner_id: Annotated[UUID | None, Parameter(description="Only this client's tasks.")] = None,
        status: Annotated[str | None, Parameter(description="open or resolved")] = None,
        limit: Annotated[int | None, Parameter(ge=1, le=1000, description="A page of this many; all if empty.")] = None,
        offset: Offset = 0,
    ) -> Response[Any]:
        """T11: the tasks registered in a period (filtered by person, client, status; paged), as JSON or CSV."""
        if format not in ("json", "csv"):
            raise Invalid(
                f"format is json or csv, not {format!r}", code="report.format_unknown", params={"format": format}
            )
        which = ReportFilter(responsible_staff_id, partner_id, status or None, limit, offset)
        found = await uses.report(caller_of(identity), _day(from_, "from"), _day(to, "to"), which)
        first, last = found.period.first, found.period.last
        items = s.tasks_json(found.tasks)
        if format == "json":
            return Response(
                {"from": first.isoformat(), "to": last.isoformat(), "items": items, "total": found.tasks.total}
            )
        return Response(
            csv_text(REPORT_COLUMNS, ([item[c] for c in REPORT_COLUMNS] for item in items)),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="tasks-{first}-{last}.csv"'},
        )

    @get("/tracking")
    async def tracking(
        self,
        identity: IdentityDep,
        uses: UsesDep,
        from_: Annotated[str | None, QueryParameter(name="from")] = None,
        to: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        """T12: resolved and unresolved tasks per person per day."""
        found = await uses.tracking(caller_of(identity), _day(from_, "from"), _day(to, "to"))
        items = [
            {
                "staff_id": str(r.staff_id) if r.staff_id else None,
                "name": found.staff[r.staff_id].name if r.staff_id in found.staff else None,
                "day": r.day.isoformat(),
                "resolved": r.resolved,
                "unresolved": r.unresolved,
            }
            for r in found.rows
        ]
        period = found.period
        return {"from": period.first.isoformat(), "to": period.last.isoformat(), "items": items, "total": len(items)}

    @get("/contracts")
    async def contracts(self, uses: UsesDep, partner_id: FromQuery[UUID]) -> dict[str, Any]:
        """T5: a client's contracts in force today with their lines by name, for the contract line picker."""
        return s.client_contracts_json(await uses.client_contracts(partner_id))

    @get("/staff")
    async def staff(self, uses: UsesDep) -> dict[str, Any]:
        """The staff read model (who can take tasks), for pickers."""
        items = [s.staff_json(p) for p in await uses.active_staff()]
        return {"items": items, "total": len(items)}

    @get("/partners")
    async def partners(
        self, uses: UsesDep, name: FromQuery[str | None] = None, limit: Limit = 200, offset: Offset = 0
    ) -> dict[str, Any]:
        """The partners read model (beneficiary clients and their representatives), for pickers."""
        found, total = await uses.partners(name, limit, offset)
        return {"items": [s.partner_json(p) for p in found], "total": total}

    @get("/{task_id:uuid}")
    async def show(self, task_id: FromPath[UUID], identity: IdentityDep, uses: UsesDep) -> dict[str, Any]:
        """A task with its replies and reminders."""
        detail = await uses.show(caller_of(identity), task_id)
        return {
            **s.tasks_json(detail.tasks)[0],
            "replies": [s.reply_json(r) for r in detail.replies],
            "reminders": [s.reminder_json(r) for r in detail.reminders],
            "invoice": s.invoice_json(detail.invoice),
        }

    @patch("/{task_id:uuid}")
    async def change(
        self, task_id: FromPath[UUID], data: JSONBody[s.TaskPatchBody], identity: IdentityDep, uses: UsesDep
    ) -> dict[str, Any]:
        """Change a task; a new deadline reschedules its reminders; a new responsible is told (TaskAssigned)."""
        changes: dict[str, Any] = {}
        for name in data.model_fields_set:
            value = getattr(data, name)
            changes[name] = _alert(value) if name == "alert" else value
        done = await uses.change(ChangeTask(caller_of(identity), task_id, changes))
        return {**s.tasks_json(done.tasks)[0], "checks": s.checks_json(done.checks)}

    @post("/{task_id:uuid}/replies", status_code=HTTP_201_CREATED)
    async def add_reply(
        self, task_id: FromPath[UUID], data: JSONBody[s.ReplyBody], identity: IdentityDep, uses: UsesDep
    ) -> dict[str, Any]:
        """Reply on the task's thread; the issuer is told."""
        return s.reply_json(await uses.reply(ReplyToTask(caller_of(identity), task_id, data.text)))

    @post("/{task_id:uuid}/resolve", status_code=HTTP_200_OK)
    async def resolve(self, task_id: FromPath[UUID], identity: IdentityDep, uses: UsesDep) -> dict[str, Any]:
        """Mark resolved: hours, estimate with printout, invoice request when billable and not covered (T9)."""
        return s.tasks_json(await uses.resolve(ResolveTask(caller_of(identity), task_id)))[0]

    @post("/{task_id:uuid}/reopen", status_code=HTTP_200_OK)
    async def reopen(self, task_id: FromPath[UUID], identity: IdentityDep, uses: UsesDep) -> dict[str, Any]:
        """Reopen a resolved task that is not invoiced yet."""
        return s.tasks_json(await uses.reopen(ReopenTask(caller_of(identity), task_id)))[0]

    @post("/{task_id:uuid}/contract", status_code=HTTP_202_ACCEPTED)
    async def draft_contract(
        self,
        task_id: FromPath[UUID],
        identity: IdentityDep,
        uses: UsesDep,
        data: JSONBody[s.ContractBody | None] = None,
    ) -> dict[str, Any]:
        """T7: ask commercial to draft a contract for the requested service (ContractRequested)."""
        body = data or s.ContractBody()
        request_id = await uses.draft_contract(
            DraftContract(caller_of(identity), task_id, body.kind, body.starts_on, body.months)
        )
        return {"request_id": str(request_id), "task_id": str(task_id)}

    @get("/{task_id:uuid}/estimate/printout", media_type="application/pdf")
    async def printout(self, task_id: FromPath[UUID], identity: IdentityDep, uses: UsesDep) -> Response[bytes]:
        """The estimate's PDF (T9)."""
        found = await uses.estimate_printout(caller_of(identity), task_id)
        return Response(
            found.pdf,
            media_type="application/pdf",
            headers={"content-disposition": f'inline; filename="deviz-{found.estimate.id}.pdf"'},
        )


class BroadcastsController(Controller):
    """T2 (Lansare Task): one task to several people or categories, with progress."""

    path = "/api/task-broadcasts"
    tags = ["task-broadcasts"]

    @post("/", status_code=HTTP_201_CREATED)
    async def create(self, data: JSONBody[s.BroadcastBody], identity: IdentityDep, uses: UsesDep) -> dict[str, Any]:
        launched = await uses.launch_broadcast(
            LaunchBroadcast(
                caller=caller_of(identity),
                title=data.title,
                staff_ids=data.staff_ids,
                categories=data.categories,
                description=data.description,
                deadline=data.deadline,
                alert=_alert(data.alert),
                broadcast_id=data.request_id,
            )
        )
        items = s.tasks_json(launched.tasks)
        return {**s.broadcast_json(launched.broadcast, (len(items), 0)), "tasks": items}

    @get("/")
    async def list_broadcasts(
        self, identity: IdentityDep, uses: UsesDep, limit: Limit = 50, offset: Offset = 0
    ) -> dict[str, Any]:
        return s.broadcasts_json(await uses.broadcasts(caller_of(identity), limit, offset))

    @get("/{broadcast_id:uuid}")
    async def show(self, broadcast_id: FromPath[UUID], identity: IdentityDep, uses: UsesDep) -> dict[str, Any]:
        found = await uses.show_broadcast(caller_of(identity), broadcast_id)
        return {**s.broadcast_json(found.broadcast, (found.total, found.resolved)), "tasks": s.tasks_json(found.tasks)}


class ServicesController(Controller):
    """T7: the post-sale services catalogue."""

    path = "/api/services"
    tags = ["services"]

    @get("/")
    async def list_services(self, uses: UsesDep) -> dict[str, Any]:
        items = await uses.services()
        return {"items": [s.service_json(x) for x in items], "total": len(items)}

    @post("/", status_code=HTTP_201_CREATED, guards=[requires_role("admin", "manager")])
    async def create(self, data: JSONBody[s.ServiceBody], uses: UsesDep) -> dict[str, Any]:
        cmd = AddService(data.code, data.name, data.hourly_rate, data.article_code)
        return s.service_json(await uses.add_service(cmd))


class AvailabilityController(Controller):
    """T6: one person's planned load on one day."""

    path = "/api/availability"
    tags = ["availability"]

    @get("/")
    async def show(
        self,
        staff_id: FromQuery[UUID],
        identity: IdentityDep,
        uses: UsesDep,
        date_: Annotated[str | None, QueryParameter(name="date")] = None,
    ) -> dict[str, Any]:
        return s.day_load_json(await uses.availability(caller_of(identity), staff_id, _day(date_, "date")))


class ReminderSettingsController(Controller):
    """C2 / C3: reminder defaults and the new-task refresh interval."""

    path = "/api/reminder-settings"
    tags = ["reminder-settings"]

    @get("/")
    async def show(self, uses: UsesDep) -> dict[str, Any]:
        return s.settings_json(await uses.reminder_settings())

    @put("/", guards=[requires_role("admin", "manager")])
    async def change(self, data: JSONBody[s.ReminderSettingsBody], uses: UsesDep) -> dict[str, Any]:
        cmd = ChangeReminderSettings(
            data.send_message, data.send_email, data.days_before, data.new_task_refresh_minutes
        )
        return s.settings_json(await uses.change_reminder_settings(cmd))


CONTROLLERS = [
    TasksController,
    BroadcastsController,
    ServicesController,
    AvailabilityController,
    ReminderSettingsController,
]
