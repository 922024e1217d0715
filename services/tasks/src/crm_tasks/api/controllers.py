"""Litestar controllers of the tasks API: thin, each builds a use-case call in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Response, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_kit.csvsafe import csv_text
from crm_kit.errors import Invalid, NotFound
from crm_kit.http import BlobRefCheck
from crm_kit.identity import Identity, requires_role
from crm_kit.pagination import Limit, Offset
from crm_kit.store import Database
from crm_tasks import usecases
from crm_tasks.api import schemas as s
from crm_tasks.domain import availability, rules, tracking
from crm_tasks.domain.model import Alert, CatalogueService, ReminderSettings, Task, Viewer
from crm_tasks.store import repository as repo
from crm_tasks.usecases import Deps

Clock = Callable[[], datetime]

# Dependencies the app provides by name (crm_kit provides "identity"; bootstrap the rest).
IdentityDep = NamedDependency[Identity]
DatabaseDep = NamedDependency[Database]
DepsDep = NamedDependency[Deps]
ClockDep = NamedDependency[Clock]


async def viewer_for(conn: AsyncConnection, identity: Identity) -> Viewer:
    """The caller as the domain sees them; a manager's team comes from the staff read model."""
    staff_id = UUID(identity.staff_id) if identity.staff_id else None
    team: frozenset[UUID] = frozenset()
    if identity.role == "manager" and staff_id is not None:
        team = await repo.team_of(conn, staff_id)
    return Viewer(identity.role, staff_id, identity.username, team)


HIDDEN_TITLE = "Task al altui coleg / another person's task"
"""What a view shows instead of the title of a task the caller may not see (availability, conflicts)."""


async def _scoped_checks(conn: AsyncConnection, viewer: Viewer, checks: usecases.Checks) -> dict[str, Any]:
    """The checks as JSON, with the titles of conflicting tasks the viewer may not see hidden (T1)."""
    body = s.checks_json(checks)
    visible = await repo.visible_task_ids(conn, viewer, [c.task_id for c in checks.conflicts])
    for item, conflict in zip(body["conflicts"], checks.conflicts, strict=True):
        if conflict.task_id not in visible:
            item["title"] = HIDDEN_TITLE
    return body


def blob_check(db: Database) -> BlobRefCheck:
    """The gateway's blob check: a blob is readable through a task the caller may see (attachments, estimate)."""

    async def check(identity: Identity, sha256: str) -> bool:
        async with db.read() as conn:
            return await repo.references_blob(conn, await viewer_for(conn, identity), sha256)

    return check


def _alert(body: s.AlertBody | None) -> Alert | None:
    return None if body is None else rules.check_alert(body.channel, body.days_before)


def _local(deps: Deps, moment: datetime | None) -> datetime | None:
    return None if moment is None else rules.naive_as(moment, deps.tz)


async def _present(conn: AsyncConnection, tasks: list[Task]) -> list[dict[str, Any]]:
    people = {p for t in tasks for p in (t.responsible_staff_id, t.creator_staff_id) if p is not None}
    staff = await repo.staff_by_ids(conn, people)
    partners = await repo.partner_names(conn, [t.partner_id for t in tasks if t.partner_id is not None])
    return [s.task_json(t, staff, partners) for t in tasks]


def _day(value: str | None, what: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise Invalid(f"{what} is a date like 2026-03-31, not {value!r}") from None


def _moment(value: str | None, what: str, deps: Deps) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return rules.naive_as(datetime.fromisoformat(value), deps.tz)
    except ValueError:
        raise Invalid(f"{what} is an ISO-8601 time like 2026-03-31T10:00:00+03:00, not {value!r}") from None


def _period(deps: Deps, start: str | None, end: str | None, now: datetime) -> tuple[date, date, datetime, datetime]:
    today = now.astimezone(deps.tz).date()
    first = _day(start, "from") or today.replace(day=1)
    last = _day(end, "to") or today
    tracking.check_period(first, last)
    lo = datetime.combine(first, time(), deps.tz).astimezone(UTC)
    hi = datetime.combine(last + timedelta(days=1), time(), deps.tz).astimezone(UTC)
    return first, last, lo, hi


class TasksController(Controller):
    """Tasks: create, list, view, change, reply, resolve, draft a contract, report, tracking (T1-T12)."""

    path = "/api/tasks"
    tags = ["tasks"]

    @post("/", status_code=HTTP_201_CREATED)
    async def create(
        self, data: JSONBody[s.TaskBody], identity: IdentityDep, db: DatabaseDep, deps: DepsDep, clock: ClockDep
    ) -> dict[str, Any]:
        """Create a task; the answer carries the availability and contract checks (T6, T7)."""
        inp = usecases.TaskInput(
            title=data.title,
            description=data.description,
            responsible_staff_id=data.responsible_staff_id,
            deadline=_local(deps, data.deadline),
            planned_start=_local(deps, data.planned_start),
            planned_hours=data.planned_hours,
            partner_id=data.partner_id,
            contract_id=data.contract_id,
            contract_line_id=data.contract_line_id,
            service_code=data.service_code,
            billable=data.billable,
            alert=_alert(data.alert),
        )
        async with db.transaction() as conn:
            viewer = await viewer_for(conn, identity)
            task, checks = await usecases.create_task(conn, deps, viewer, inp, clock())
            body = (await _present(conn, [task]))[0]
            scoped = await _scoped_checks(conn, viewer, checks)
        return {**body, "checks": scoped}

    @get("/")
    async def list_tasks(
        self,
        identity: IdentityDep,
        db: DatabaseDep,
        deps: DepsDep,
        view: Annotated[str, Parameter(description="all, for-me or from-me")] = "all",
        status: Annotated[str | None, Parameter(description="open or resolved")] = None,
        from_: Annotated[str | None, QueryParameter(name="from", description="Registered on or after.")] = None,
        to: Annotated[str | None, Parameter(description="Registered before the end of this day.")] = None,
        partner_id: FromQuery[UUID | None] = None,
        broadcast_id: FromQuery[UUID | None] = None,
        since: Annotated[str | None, Parameter(description="Registered after this time (C3 polling).")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Tasks the caller may see: all, for me, from me (T1)."""
        if view not in ("all", "for-me", "from-me"):
            raise Invalid(f"view is all, for-me or from-me, not {view!r}")
        if status not in (None, "open", "resolved"):
            raise Invalid(f"status is open or resolved, not {status!r}")
        lo = _day(from_, "from")
        hi = _day(to, "to")
        flt = repo.TaskFilter(
            view=view,
            status=status,
            registered_from=datetime.combine(lo, time(), deps.tz) if lo else None,
            registered_to=datetime.combine(hi + timedelta(days=1), time(), deps.tz) if hi else None,
            partner_id=partner_id,
            broadcast_id=broadcast_id,
            since=_moment(since, "since", deps),
        )
        async with db.read() as conn:
            viewer = await viewer_for(conn, identity)
            tasks, total = await repo.list_tasks(conn, viewer, flt, limit, offset)
            return {"items": await _present(conn, tasks), "total": total}

    @get("/checks")
    async def checks(
        self,
        identity: IdentityDep,
        db: DatabaseDep,
        deps: DepsDep,
        clock: ClockDep,
        responsible_staff_id: FromQuery[UUID | None] = None,
        planned_start: FromQuery[str | None] = None,
        planned_hours: FromQuery[Decimal | None] = None,
        partner_id: FromQuery[UUID | None] = None,
        service_code: FromQuery[str | None] = None,
        task_id: FromQuery[UUID | None] = None,
    ) -> dict[str, Any]:
        """The live checks of a task being filled in (T6 availability, T7 contract and balance; T4 default)."""
        hours = rules.check_planned_hours(planned_hours, deps.settings.max_planned_hours)
        async with db.read() as conn:
            partner = await repo.get_partner(conn, partner_id) if partner_id else None
            if partner_id is not None and partner is None:
                raise Invalid(f"partner_id: no partner {partner_id} in the directory")
            responsible = responsible_staff_id
            if responsible is None and partner is not None:
                responsible = partner.service_rep_staff_id or partner.sales_rep_staff_id
            service = await repo.get_service(conn, service_code) if service_code else None
            result = await usecases.checks_for(
                conn,
                deps,
                task_id=task_id,
                responsible=responsible,
                planned_start=_moment(planned_start, "planned_start", deps),
                planned_hours=hours,
                partner_id=partner_id,
                service=service,
                now=clock(),
            )
            scoped = await _scoped_checks(conn, await viewer_for(conn, identity), result)
        return {**scoped, "responsible_staff_id": str(responsible) if responsible else None}

    @get("/report")
    async def report(
        self,
        identity: IdentityDep,
        db: DatabaseDep,
        deps: DepsDep,
        clock: ClockDep,
        from_: Annotated[str | None, QueryParameter(name="from")] = None,
        to: FromQuery[str | None] = None,
        format: Annotated[str, Parameter(description="json or csv")] = "json",  # noqa: A002
    ) -> Response[Any]:
        """T11: the tasks registered in a period, as JSON or CSV."""
        if format not in ("json", "csv"):
            raise Invalid(f"format is json or csv, not {format!r}")
        first, last, lo, hi = _period(deps, from_, to, clock())
        async with db.read() as conn:
            viewer = await viewer_for(conn, identity)
            flt = repo.TaskFilter(registered_from=lo, registered_to=hi)
            tasks, total = await repo.list_tasks(conn, viewer, flt, None, 0)
            items = await _present(conn, list(reversed(tasks)))
        if format == "json":
            return Response({"from": first.isoformat(), "to": last.isoformat(), "items": items, "total": total})
        columns = [
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
        return Response(
            csv_text(columns, ([item[c] for c in columns] for item in items)),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="tasks-{first}-{last}.csv"'},
        )

    @get("/tracking")
    async def tracking(
        self,
        identity: IdentityDep,
        db: DatabaseDep,
        deps: DepsDep,
        clock: ClockDep,
        from_: Annotated[str | None, QueryParameter(name="from")] = None,
        to: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        """T12: resolved and unresolved tasks per person per day."""
        first, last, lo, hi = _period(deps, from_, to, clock())
        async with db.read() as conn:
            viewer = await viewer_for(conn, identity)
            tasks = await repo.tracking_tasks(conn, viewer, lo, hi)
            rows = tracking.per_user_per_day(tasks, first, last, deps.tz)
            staff = await repo.staff_by_ids(conn, [r.staff_id for r in rows if r.staff_id])
        items = [
            {
                "staff_id": str(r.staff_id) if r.staff_id else None,
                "name": staff[r.staff_id].name if r.staff_id in staff else None,
                "day": r.day.isoformat(),
                "resolved": r.resolved,
                "unresolved": r.unresolved,
            }
            for r in rows
        ]
        return {"from": first.isoformat(), "to": last.isoformat(), "items": items, "total": len(items)}

    @get("/staff")
    async def staff(self, db: DatabaseDep) -> dict[str, Any]:
        """The staff read model (who can take tasks), for pickers."""
        async with db.read() as conn:
            people = [p for p in await repo.all_staff(conn) if p.active]
        items = [
            {
                "id": str(p.id),
                "name": p.name,
                "email": p.email,
                "hours_per_day": str(p.hours_per_day),
                "categories": list(p.categories),
                "team": p.team,
            }
            for p in people
        ]
        return {"items": items, "total": len(items)}

    @get("/partners")
    async def partners(
        self, db: DatabaseDep, name: FromQuery[str | None] = None, limit: Limit = 200, offset: Offset = 0
    ) -> dict[str, Any]:
        """The partners read model (beneficiary clients and their representatives), for pickers."""
        async with db.read() as conn:
            found, total = await repo.list_partners(conn, name, limit, offset)
        items = [
            {
                "id": str(p.id),
                "name": p.name,
                "kind": p.kind,
                "service_rep_staff_id": str(p.service_rep_staff_id) if p.service_rep_staff_id else None,
                "sales_rep_staff_id": str(p.sales_rep_staff_id) if p.sales_rep_staff_id else None,
            }
            for p in found
        ]
        return {"items": items, "total": total}

    @get("/{task_id:uuid}")
    async def show(self, task_id: FromPath[UUID], identity: IdentityDep, db: DatabaseDep) -> dict[str, Any]:
        """A task with its replies and reminders."""
        async with db.read() as conn:
            viewer = await viewer_for(conn, identity)
            task = await usecases.visible_task(conn, viewer, task_id)
            body = (await _present(conn, [task]))[0]
            replies = await repo.replies_of(conn, task_id)
            reminders = await repo.reminders_of(conn, task_id)
        return {
            **body,
            "replies": [s.reply_json(r) for r in replies],
            "reminders": [
                {**r, "remind_at": r["remind_at"].isoformat(), "fired_at": r["fired_at"] and r["fired_at"].isoformat()}
                for r in reminders
            ],
        }

    @patch("/{task_id:uuid}")
    async def change(
        self,
        task_id: FromPath[UUID],
        data: JSONBody[s.TaskPatchBody],
        identity: IdentityDep,
        db: DatabaseDep,
        deps: DepsDep,
        clock: ClockDep,
    ) -> dict[str, Any]:
        """Change a task; a new deadline reschedules its reminders; a new responsible is told (TaskAssigned)."""
        fields: dict[str, Any] = {}
        for name in data.model_fields_set:
            value = getattr(data, name)
            if name in ("deadline", "planned_start"):
                value = _local(deps, value)
            elif name == "alert":
                value = _alert(value)
            elif name in ("title", "billable") and value is None:
                raise Invalid(f"{name} cannot be emptied")
            fields[name] = value
        async with db.transaction() as conn:
            viewer = await viewer_for(conn, identity)
            task, checks = await usecases.update_task(
                conn, deps, viewer, task_id, usecases.TaskPatch(**fields), clock()
            )
            body = (await _present(conn, [task]))[0]
            scoped = await _scoped_checks(conn, viewer, checks)
        return {**body, "checks": scoped}

    @post("/{task_id:uuid}/replies", status_code=HTTP_201_CREATED)
    async def add_reply(
        self,
        task_id: FromPath[UUID],
        data: JSONBody[s.ReplyBody],
        identity: IdentityDep,
        db: DatabaseDep,
        deps: DepsDep,
        clock: ClockDep,
    ) -> dict[str, Any]:
        """Reply on the task's thread; the issuer is told."""
        async with db.transaction() as conn:
            viewer = await viewer_for(conn, identity)
            answer = await usecases.reply(conn, deps, viewer, task_id, data.text, clock())
        return s.reply_json(answer)

    @post("/{task_id:uuid}/resolve", status_code=HTTP_200_OK)
    async def resolve(
        self, task_id: FromPath[UUID], identity: IdentityDep, db: DatabaseDep, deps: DepsDep, clock: ClockDep
    ) -> dict[str, Any]:
        """Mark resolved: hours, estimate with printout, invoice request when billable and not covered (T9)."""
        async with db.transaction() as conn:
            viewer = await viewer_for(conn, identity)
            task = await usecases.resolve(conn, deps, viewer, task_id, clock())
            return (await _present(conn, [task]))[0]

    @post("/{task_id:uuid}/reopen", status_code=HTTP_200_OK)
    async def reopen(
        self, task_id: FromPath[UUID], identity: IdentityDep, db: DatabaseDep, deps: DepsDep, clock: ClockDep
    ) -> dict[str, Any]:
        """Reopen a resolved task that is not invoiced yet."""
        async with db.transaction() as conn:
            viewer = await viewer_for(conn, identity)
            task = await usecases.reopen(conn, deps, viewer, task_id, clock())
            return (await _present(conn, [task]))[0]

    @post("/{task_id:uuid}/contract", status_code=HTTP_202_ACCEPTED)
    async def draft_contract(
        self,
        task_id: FromPath[UUID],
        identity: IdentityDep,
        db: DatabaseDep,
        deps: DepsDep,
        clock: ClockDep,
        data: JSONBody[s.ContractBody | None] = None,
    ) -> dict[str, Any]:
        """T7: ask commercial to draft a contract for the requested service (ContractRequested)."""
        body = data or s.ContractBody()
        async with db.transaction() as conn:
            viewer = await viewer_for(conn, identity)
            request_id = await usecases.draft_contract(
                conn, deps, viewer, task_id, body.kind, body.starts_on, body.months, clock()
            )
        return {"request_id": str(request_id), "task_id": str(task_id)}

    @get("/{task_id:uuid}/estimate/printout", media_type="application/pdf")
    async def printout(
        self, task_id: FromPath[UUID], identity: IdentityDep, db: DatabaseDep, deps: DepsDep
    ) -> Response[bytes]:
        """The estimate's PDF (T9)."""
        async with db.read() as conn:
            viewer = await viewer_for(conn, identity)
            task = await usecases.visible_task(conn, viewer, task_id)
        if task.estimate is None or task.estimate.printout_sha256 is None:
            raise NotFound("this task has no estimate yet: it is issued when the task is resolved")
        try:
            pdf = deps.blobs.get(task.estimate.printout_sha256)
        except KeyError:
            raise NotFound("the estimate's printout is missing from the blob store") from None
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"content-disposition": f'inline; filename="deviz-{task.estimate.id}.pdf"'},
        )


class BroadcastsController(Controller):
    """T2 (Lansare Task): one task to several people or categories, with progress."""

    path = "/api/task-broadcasts"
    tags = ["task-broadcasts"]

    @post("/", status_code=HTTP_201_CREATED)
    async def create(
        self, data: JSONBody[s.BroadcastBody], identity: IdentityDep, db: DatabaseDep, deps: DepsDep, clock: ClockDep
    ) -> dict[str, Any]:
        async with db.transaction() as conn:
            viewer = await viewer_for(conn, identity)
            cast, tasks = await usecases.broadcast(
                conn,
                deps,
                viewer,
                staff_ids=data.staff_ids,
                categories=data.categories,
                title=data.title,
                description=data.description,
                deadline=_local(deps, data.deadline),
                alert=_alert(data.alert),
                now=clock(),
                broadcast_id=data.request_id,
            )
            items = await _present(conn, tasks)
        return {**s.broadcast_json(cast, (len(tasks), 0)), "tasks": items}

    @get("/")
    async def list_broadcasts(
        self, identity: IdentityDep, db: DatabaseDep, limit: Limit = 50, offset: Offset = 0
    ) -> dict[str, Any]:
        async with db.read() as conn:
            viewer = await viewer_for(conn, identity)
            casts, total = await repo.list_broadcasts(conn, viewer, limit, offset)
            progress = await repo.broadcast_progress(conn, [b.id for b in casts])
        return {"items": [s.broadcast_json(b, progress.get(b.id, (0, 0))) for b in casts], "total": total}

    @get("/{broadcast_id:uuid}")
    async def show(self, broadcast_id: FromPath[UUID], identity: IdentityDep, db: DatabaseDep) -> dict[str, Any]:
        async with db.read() as conn:
            viewer = await viewer_for(conn, identity)
            cast = await repo.get_broadcast(conn, broadcast_id)
            if cast is None:
                raise NotFound(f"no broadcast {broadcast_id}")
            tasks = await repo.broadcast_tasks(conn, broadcast_id)
            visible = [t for t in tasks if rules.can_see(t, viewer)]
            if not visible and viewer.role != "admin" and cast.creator_user != viewer.username:
                raise NotFound(f"no broadcast {broadcast_id}")
            resolved = sum(1 for t in tasks if t.status == "resolved")
            items = await _present(conn, visible)
        return {**s.broadcast_json(cast, (len(tasks), resolved)), "tasks": items}


class ServicesController(Controller):
    """T7: the post-sale services catalogue."""

    path = "/api/services"
    tags = ["services"]

    @get("/")
    async def list_services(self, db: DatabaseDep) -> dict[str, Any]:
        async with db.read() as conn:
            items = await repo.list_services(conn)
        return {"items": [s.service_json(x) for x in items], "total": len(items)}

    @post("/", status_code=HTTP_201_CREATED, guards=[requires_role("admin", "manager")])
    async def create(self, data: JSONBody[s.ServiceBody], db: DatabaseDep) -> dict[str, Any]:
        async with db.transaction() as conn:
            created = await usecases.add_service(
                conn, CatalogueService(data.code, data.name, data.hourly_rate, data.article_code)
            )
        return s.service_json(created)


class AvailabilityController(Controller):
    """T6: one person's planned load on one day."""

    path = "/api/availability"
    tags = ["availability"]

    @get("/")
    async def show(
        self,
        staff_id: FromQuery[UUID],
        identity: IdentityDep,
        db: DatabaseDep,
        deps: DepsDep,
        clock: ClockDep,
        date_: Annotated[str | None, QueryParameter(name="date")] = None,
    ) -> dict[str, Any]:
        day = _day(date_, "date") or clock().astimezone(deps.tz).date()
        async with db.read() as conn:
            member = await repo.get_staff(conn, staff_id)
            if member is None:
                raise NotFound(f"no staff member {staff_id} in the staff directory")
            planned = await repo.planned_for(conn, staff_id)
            visible = await repo.visible_task_ids(conn, await viewer_for(conn, identity), [p.task_id for p in planned])
        load = availability.day_load(planned, day, member.hours_per_day, deps.tz)
        used = sum((h for _, h in load), Decimal(0))
        return {
            "staff_id": str(staff_id),
            "name": member.name,
            "date": day.isoformat(),
            "hours_per_day": str(member.hours_per_day),
            "planned_hours": str(used),
            "free_hours": str(max(member.hours_per_day - used, Decimal(0))),
            "available": used < member.hours_per_day,
            "tasks": [
                {"task_id": str(p.task_id), "title": p.title if p.task_id in visible else HIDDEN_TITLE, "hours": str(h)}
                for p, h in load
            ],
        }


class ReminderSettingsController(Controller):
    """C2 / C3: reminder defaults and the new-task refresh interval."""

    path = "/api/reminder-settings"
    tags = ["reminder-settings"]

    @get("/")
    async def show(self, db: DatabaseDep) -> dict[str, Any]:
        async with db.read() as conn:
            return s.settings_json(await repo.get_settings(conn))

    @put("/", guards=[requires_role("admin", "manager")])
    async def change(self, data: JSONBody[s.ReminderSettingsBody], db: DatabaseDep) -> dict[str, Any]:
        settings = ReminderSettings(data.send_message, data.send_email, data.days_before, data.new_task_refresh_minutes)
        async with db.transaction() as conn:
            return s.settings_json(await usecases.put_settings(conn, settings))


CONTROLLERS = [
    TasksController,
    BroadcastsController,
    ServicesController,
    AvailabilityController,
    ReminderSettingsController,
]
