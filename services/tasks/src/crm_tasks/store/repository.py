"""The tasks store adapter: ``SqlRepository`` implements the ``Repository`` port on one connection (SQLAlchemy Core)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_kit import blobrefs
from crm_kit.errors import Conflict
from crm_kit.store import dialect_insert, insert_once, transition
from crm_tasks.domain.availability import Planned
from crm_tasks.domain.model import (
    Alert,
    AttachmentRef,
    Broadcast,
    CatalogueService,
    ContractLineRef,
    ContractRef,
    Estimate,
    EstimateLine,
    PartnerRef,
    ReminderSettings,
    Reply,
    StaffMember,
    Task,
    Viewer,
)
from crm_tasks.domain.reminders import DueReminder, PlannedReminder, Reminder
from crm_tasks.ports import TaskFilter
from crm_tasks.store import tables as t


def _uuid(value: Any) -> UUID | None:
    """An id as a plain ``uuid.UUID``: asyncpg hands back its own UUID subclass, and ids inside JSON are text."""
    return None if value is None else UUID(str(value))


def _estimate_to_json(e: Estimate | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {
        "id": str(e.id),
        "total": str(e.total),
        "printout_sha256": e.printout_sha256,
        "lines": [
            {
                "article_code": ln.article_code,
                "description": ln.description,
                "hours": str(ln.hours),
                "rate": str(ln.rate),
                "net": str(ln.net),
            }
            for ln in e.lines
        ],
    }


def _estimate_from_json(data: dict[str, Any] | None) -> Estimate | None:
    if not data:
        return None
    lines = [
        EstimateLine(
            ln["article_code"], ln["description"], Decimal(ln["hours"]), Decimal(ln["rate"]), Decimal(ln["net"])
        )
        for ln in data["lines"]
    ]
    return Estimate(UUID(data["id"]), lines, Decimal(data["total"]), data.get("printout_sha256"))


def _task_values(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "title": task.title,
        "description": task.description,
        "source": task.source,
        "creator_staff_id": task.creator_staff_id,
        "creator_user": task.creator_user,
        "responsible_staff_id": task.responsible_staff_id,
        "partner_id": task.partner_id,
        "contract_id": task.contract_id,
        "contract_line_id": task.contract_line_id,
        "service_code": task.service_code,
        "deadline": task.deadline,
        "planned_start": task.planned_start,
        "planned_hours": task.planned_hours,
        "billable": task.billable,
        "alert_channel": task.alert.channel if task.alert else None,
        "alert_days_before": task.alert.days_before if task.alert else None,
        "attachments": [
            {"sha256": a.sha256, "file_name": a.file_name, "size": a.size, "content_type": a.content_type}
            for a in task.attachments
        ],
        "origin": task.origin,
        "broadcast_id": task.broadcast_id,
        "status": task.status,
        "registered_at": task.registered_at,
        "resolved_at": task.resolved_at,
        "resolved_by": task.resolved_by,
        "hours": task.hours,
        "invoiced": task.invoiced,
        "invoice_id": task.invoice_id,
        "estimate": _estimate_to_json(task.estimate),
        "contract_request_id": task.contract_request_id,
        "updated_at": task.updated_at,
    }


def _task(row: Any) -> Task:
    alert = (
        Alert(channel=row.alert_channel, days_before=row.alert_days_before) if row.alert_channel is not None else None
    )
    return Task(
        id=_uuid(row.id) or UUID(int=0),
        title=row.title,
        description=row.description,
        source=row.source,
        responsible_staff_id=_uuid(row.responsible_staff_id),
        registered_at=row.registered_at,
        creator_staff_id=_uuid(row.creator_staff_id),
        creator_user=row.creator_user,
        partner_id=_uuid(row.partner_id),
        contract_id=_uuid(row.contract_id),
        contract_line_id=_uuid(row.contract_line_id),
        service_code=row.service_code,
        deadline=row.deadline,
        planned_start=row.planned_start,
        planned_hours=row.planned_hours,
        billable=row.billable,
        alert=alert,
        attachments=[AttachmentRef(**a) for a in row.attachments or []],
        origin=dict(row.origin or {}),
        broadcast_id=_uuid(row.broadcast_id),
        status=row.status,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        hours=row.hours,
        invoiced=row.invoiced,
        invoice_id=_uuid(row.invoice_id),
        estimate=_estimate_from_json(row.estimate),
        contract_request_id=_uuid(row.contract_request_id),
        updated_at=row.updated_at,
    )


def _blobs_of(task: Task) -> list[tuple[str, str]]:
    """(task id, sha256) of the task's attachments and its estimate's printout."""
    shas = [a.sha256 for a in task.attachments]
    if task.estimate is not None and task.estimate.printout_sha256:
        shas.append(task.estimate.printout_sha256)
    return [(str(task.id), sha) for sha in shas]


def _visible(viewer: Viewer, flt: TaskFilter) -> list[sa.ColumnElement[bool]]:
    c = t.tasks.c
    mine: list[sa.ColumnElement[bool]] = []
    if viewer.staff_id is not None:
        mine.append(c.creator_staff_id == viewer.staff_id)
    mine.append(c.creator_user == viewer.username)
    for_me = c.responsible_staff_id == viewer.staff_id if viewer.staff_id is not None else sa.false()
    from_me = sa.or_(*mine)
    where: list[sa.ColumnElement[bool]] = []
    if flt.view == "for-me":
        where.append(for_me)
    elif flt.view == "from-me":
        where.append(from_me)
    if viewer.role == "admin":
        return where
    scope = [for_me, from_me]
    if viewer.role == "manager" and viewer.team_staff_ids:
        team = list(viewer.team_staff_ids)
        scope += [c.responsible_staff_id.in_(team), c.creator_staff_id.in_(team)]
    where.append(sa.or_(*scope))
    return where


def _filters(viewer: Viewer, flt: TaskFilter) -> list[sa.ColumnElement[bool]]:
    c = t.tasks.c
    where = _visible(viewer, flt)
    if flt.status:
        where.append(c.status == flt.status)
    if flt.registered_from:
        where.append(c.registered_at >= flt.registered_from)
    if flt.registered_to:
        where.append(c.registered_at < flt.registered_to)
    if flt.partner_id:
        where.append(c.partner_id == flt.partner_id)
    if flt.responsible_staff_id:
        where.append(c.responsible_staff_id == flt.responsible_staff_id)
    if flt.broadcast_id:
        where.append(c.broadcast_id == flt.broadcast_id)
    if flt.since:
        where.append(c.registered_at > flt.since)
    return where


def _broadcast(r: Any) -> Broadcast:
    return Broadcast(
        id=_uuid(r.id) or UUID(int=0),
        title=r.title,
        description=r.description,
        deadline=r.deadline,
        staff_ids=[UUID(s) for s in r.staff_ids],
        categories=list(r.categories),
        created_at=r.created_at,
        creator_staff_id=_uuid(r.creator_staff_id),
        creator_user=r.creator_user,
    )


def _service(r: Any) -> CatalogueService:
    return CatalogueService(r.code, r.name, r.hourly_rate, r.article_code)


def due_query(now: datetime, limit: int) -> sa.Select[Any]:
    """The scan: unfired reminders whose time has come, oldest first (uses ix_reminders_pending)."""
    r = t.reminders.c
    return (
        sa.select(r.task_id, r.channel)
        .where(r.fired_at.is_(None), r.remind_at <= now)
        .order_by(r.remind_at)
        .limit(limit)
    )


def _staff(r: Any) -> StaffMember:
    return StaffMember(
        _uuid(r.id) or UUID(int=0),
        r.name,
        r.email,
        r.user_login,
        r.hours_per_day,
        tuple(r.categories),
        r.team,
        r.active,
    )


def _contract(r: Any) -> ContractRef:
    return ContractRef(
        _uuid(r.id) or UUID(int=0),
        _uuid(r.partner_id) or UUID(int=0),
        r.number,
        r.kind,
        r.starts_on,
        r.ends_on,
        tuple(ContractLineRef(_uuid(ln.get("line_id")), ln["article_code"], ln.get("description")) for ln in r.lines),
    )


class SqlRepository:
    """The tasks store on one connection (its transaction): implements ``crm_tasks.ports.Repository``."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    # --- tasks
    async def insert_task(self, task: Task) -> bool:
        """Store a new task; False (and nothing written) when a task with its id exists already."""
        stmt = (
            dialect_insert(self.conn)(t.tasks)
            .values(**_task_values(task))
            .on_conflict_do_nothing(index_elements=["id"])
        )
        result = await self.conn.execute(stmt)
        if result.rowcount:
            await blobrefs.add_refs(self.conn, t.blob_refs, _blobs_of(task))
        return bool(result.rowcount)

    async def update_task(self, task: Task) -> None:
        values = _task_values(task)
        del values["id"]
        await self.conn.execute(t.tasks.update().where(t.tasks.c.id == task.id).values(**values))
        await blobrefs.add_refs(self.conn, t.blob_refs, _blobs_of(task))

    async def transition_task(
        self, task: Task, *, expected: Mapping[str, object], lost: Callable[[Task], Conflict]
    ) -> None:
        """Save a task's transition only if the stored task is still in the ``expected`` state.

        Raises:
            Conflict: another request moved the task first; the message is ``lost``'s, from the task as it is now.
        """
        values = _task_values(task)
        del values["id"]
        await transition(
            self.conn, t.tasks, {"id": task.id}, expected=expected, values=values, lost=lambda row: lost(_task(row))
        )
        await blobrefs.add_refs(self.conn, t.blob_refs, _blobs_of(task))  # resolving issues the estimate's printout

    async def get_task(self, task_id: UUID, *, for_update: bool = False) -> Task | None:
        stmt = sa.select(t.tasks).where(t.tasks.c.id == task_id)
        if for_update and self.conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        row = (await self.conn.execute(stmt)).first()
        return _task(row) if row else None

    async def task_exists(self, task_id: UUID) -> bool:
        row = (await self.conn.execute(sa.select(t.tasks.c.id).where(t.tasks.c.id == task_id))).first()
        return row is not None

    async def existing_task_ids(self, task_ids: Sequence[UUID]) -> set[UUID]:
        if not task_ids:
            return set()
        rows = await self.conn.execute(sa.select(t.tasks.c.id).where(t.tasks.c.id.in_(list(set(task_ids)))))
        return {_uuid(r.id) or UUID(int=0) for r in rows}

    async def list_tasks(
        self, viewer: Viewer, flt: TaskFilter, limit: int | None, offset: int
    ) -> tuple[list[Task], int]:
        """The tasks the viewer may see that match the filter, newest (oldest, soonest due) first, and how many."""
        where = _filters(viewer, flt)
        total = (await self.conn.execute(sa.select(sa.func.count()).select_from(t.tasks).where(*where))).scalar_one()
        c = t.tasks.c
        if flt.by_deadline:  # the (status, deadline, id) indexes give the page in order
            order: tuple[Any, ...] = (c.deadline.asc().nulls_last(), c.id)
        elif flt.oldest_first:
            order = (c.registered_at, c.id)
        else:
            order = (c.registered_at.desc(), c.id.desc())
        stmt = sa.select(t.tasks).where(*where).order_by(*order)
        if limit is not None:
            stmt = stmt.limit(limit).offset(offset)
        rows = (await self.conn.execute(stmt)).all()
        return [_task(r) for r in rows], int(total)

    async def tracking_tasks(self, viewer: Viewer, start: datetime, end: datetime) -> list[Task]:
        """Tasks registered before ``end`` and not resolved before ``start`` that the viewer may see."""
        c = t.tasks.c
        where = _visible(viewer, TaskFilter())
        where += [c.registered_at < end, sa.or_(c.resolved_at.is_(None), c.resolved_at >= start)]
        rows = (await self.conn.execute(sa.select(t.tasks).where(*where))).all()
        return [_task(r) for r in rows]

    async def visible_task_ids(self, viewer: Viewer, ids: Sequence[UUID]) -> set[UUID]:
        """Which of these tasks the viewer may see (the T1 rule of ``list_tasks``, for views that name other tasks)."""
        if not ids:
            return set()
        where = [*_visible(viewer, TaskFilter()), t.tasks.c.id.in_(list(ids))]
        rows = (await self.conn.execute(sa.select(t.tasks.c.id).where(*where))).all()
        return {found for r in rows if (found := _uuid(r.id)) is not None}

    async def references_blob(self, viewer: Viewer, sha256: str) -> bool:
        """Whether a task the viewer may see has this blob as an attachment or as its estimate's printout."""
        ids = [UUID(record) for record in await blobrefs.records_referencing(self.conn, t.blob_refs, sha256)]
        if not ids:
            return False
        stmt = sa.select(t.tasks.c.id).where(*_visible(viewer, TaskFilter()), t.tasks.c.id.in_(ids)).limit(1)
        return (await self.conn.execute(stmt)).first() is not None

    async def planned_for(self, staff_id: UUID, exclude: UUID | None = None) -> list[Planned]:
        """The open, planned tasks of one person (T6)."""
        c = t.tasks.c
        stmt = sa.select(c.id, c.title, c.planned_start, c.planned_hours).where(
            c.responsible_staff_id == staff_id,
            c.status == "open",
            c.planned_start.is_not(None),
            c.planned_hours.is_not(None),
        )
        if exclude is not None:
            stmt = stmt.where(c.id != exclude)
        rows = (await self.conn.execute(stmt)).all()
        return [Planned(_uuid(r.id) or UUID(int=0), r.title, r.planned_start, r.planned_hours) for r in rows]

    async def broadcast_progress(self, broadcast_ids: Sequence[UUID]) -> dict[UUID, tuple[int, int]]:
        """Per broadcast: (tasks, resolved tasks)."""
        if not broadcast_ids:
            return {}
        c = t.tasks.c
        stmt = (
            sa.select(
                c.broadcast_id,
                sa.func.count(),
                sa.func.sum(sa.case((c.status == "resolved", 1), else_=0)),
            )
            .where(c.broadcast_id.in_(list(broadcast_ids)))
            .group_by(c.broadcast_id)
        )
        rows = (await self.conn.execute(stmt)).all()
        return {_uuid(r[0]) or UUID(int=0): (int(r[1]), int(r[2] or 0)) for r in rows}

    async def broadcast_tasks(self, broadcast_id: UUID) -> list[Task]:
        rows = (await self.conn.execute(sa.select(t.tasks).where(t.tasks.c.broadcast_id == broadcast_id))).all()
        return [_task(r) for r in rows]

    # --- replies

    async def add_reply(self, reply: Reply) -> None:
        await self.conn.execute(
            t.replies.insert().values(
                id=reply.id,
                task_id=reply.task_id,
                text=reply.text,
                at=reply.at,
                by_staff_id=reply.by_staff_id,
                by_user=reply.by_user,
            )
        )

    async def replies_of(self, task_id: UUID) -> list[Reply]:
        rows = (
            await self.conn.execute(sa.select(t.replies).where(t.replies.c.task_id == task_id).order_by(t.replies.c.at))
        ).all()
        return [Reply(_uuid(r.id) or UUID(int=0), task_id, r.text, r.at, _uuid(r.by_staff_id), r.by_user) for r in rows]

    # --- broadcasts

    async def insert_broadcast(self, b: Broadcast, lost: Callable[[Broadcast], Conflict]) -> None:
        """Store a broadcast once: its id is the launch's key, so a concurrent twin of the launch gets ``Conflict``.

        Raises:
            Conflict: a broadcast with this id exists (``lost`` tells the loser which one).
        """
        values = {
            "id": b.id,
            "title": b.title,
            "description": b.description,
            "deadline": b.deadline,
            "staff_ids": [str(s) for s in b.staff_ids],
            "categories": list(b.categories),
            "created_at": b.created_at,
            "creator_staff_id": b.creator_staff_id,
            "creator_user": b.creator_user,
        }
        await insert_once(self.conn, t.broadcasts, values, key={"id": b.id}, lost=lambda row: lost(_broadcast(row)))

    async def get_broadcast(self, broadcast_id: UUID) -> Broadcast | None:
        row = (await self.conn.execute(sa.select(t.broadcasts).where(t.broadcasts.c.id == broadcast_id))).first()
        return _broadcast(row) if row else None

    async def list_broadcasts(self, viewer: Viewer, limit: int, offset: int) -> tuple[list[Broadcast], int]:
        c = t.broadcasts.c
        where: list[sa.ColumnElement[bool]] = []
        if viewer.role != "admin":
            mine = [c.creator_user == viewer.username]
            if viewer.staff_id is not None:
                mine.append(c.creator_staff_id == viewer.staff_id)
            if viewer.role == "manager" and viewer.team_staff_ids:
                mine.append(c.creator_staff_id.in_(list(viewer.team_staff_ids)))
            where.append(sa.or_(*mine))
        total = (
            await self.conn.execute(sa.select(sa.func.count()).select_from(t.broadcasts).where(*where))
        ).scalar_one()
        rows = (
            await self.conn.execute(
                sa.select(t.broadcasts).where(*where).order_by(c.created_at.desc()).limit(limit).offset(offset)
            )
        ).all()
        return [_broadcast(r) for r in rows], int(total)

    # --- catalogue and settings

    async def get_service(self, code: str) -> CatalogueService | None:
        row = (await self.conn.execute(sa.select(t.catalogue).where(t.catalogue.c.code == code))).first()
        return _service(row) if row else None

    async def list_services(self) -> list[CatalogueService]:
        rows = (await self.conn.execute(sa.select(t.catalogue).order_by(t.catalogue.c.code))).all()
        return [_service(r) for r in rows]

    async def insert_service(self, s: CatalogueService) -> bool:
        stmt = (
            dialect_insert(self.conn)(t.catalogue)
            .values(code=s.code, name=s.name, hourly_rate=s.hourly_rate, article_code=s.article_code)
            .on_conflict_do_nothing(index_elements=["code"])
        )
        return bool((await self.conn.execute(stmt)).rowcount)

    async def get_settings(self) -> ReminderSettings:
        row = (await self.conn.execute(sa.select(t.reminder_settings).where(t.reminder_settings.c.id == 1))).first()
        if row is None:
            return ReminderSettings()
        return ReminderSettings(row.send_message, row.send_email, row.days_before, row.new_task_refresh_minutes)

    async def put_settings(self, s: ReminderSettings) -> None:
        values = {
            "send_message": s.send_message,
            "send_email": s.send_email,
            "days_before": s.days_before,
            "new_task_refresh_minutes": s.new_task_refresh_minutes,
        }
        stmt = dialect_insert(self.conn)(t.reminder_settings).values(id=1, **values)
        await self.conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))

    # --- reminders

    async def insert_new_tasks(self, tasks: Sequence[Task], planned: Sequence[tuple[UUID, PlannedReminder]]) -> None:
        """Store tasks with fresh ids and their reminders: one executemany each (bulk loads; no attachments yet)."""
        if tasks:
            await self.conn.execute(t.tasks.insert(), [_task_values(task) for task in tasks])
        if planned:
            await self.conn.execute(
                t.reminders.insert(),
                [
                    {
                        "task_id": task_id,
                        "channel": p.channel,
                        "days_before": p.days_before,
                        "deadline": p.deadline,
                        "remind_at": p.remind_at,
                        "fired_at": None,
                    }
                    for task_id, p in planned
                ],
            )

    async def replace_reminders(self, task_id: UUID, planned: Iterable[PlannedReminder]) -> None:
        """Make the task's pending reminders ``planned``.

        A reminder whose time is unchanged keeps its state (so one that fired does not fire again);
        a changed time is a new reminder; channels no longer wanted are dropped unless they fired.
        """
        r = t.reminders.c
        existing = {
            row.channel: row
            for row in (await self.conn.execute(sa.select(t.reminders).where(r.task_id == task_id))).all()
        }
        wanted = {p.channel: p for p in planned}
        for channel, row in existing.items():
            p = wanted.get(channel)
            if p is not None and row.remind_at == p.remind_at:
                continue
            await self.conn.execute(t.reminders.delete().where(r.task_id == task_id, r.channel == channel))
        for channel, p in wanted.items():
            kept = existing.get(channel)
            if kept is not None and kept.remind_at == p.remind_at:
                continue
            await self.conn.execute(
                t.reminders.insert().values(
                    task_id=task_id,
                    channel=channel,
                    days_before=p.days_before,
                    deadline=p.deadline,
                    remind_at=p.remind_at,
                    fired_at=None,
                )
            )

    async def drop_pending_reminders(self, task_id: UUID) -> None:
        r = t.reminders.c
        await self.conn.execute(t.reminders.delete().where(r.task_id == task_id, r.fired_at.is_(None)))

    async def claim_due(self, now: datetime, limit: int) -> list[DueReminder]:
        """Mark due reminders fired and return them; a reminder another scheduler claimed first is not returned.

        One UPDATE re-checks ``fired_at IS NULL`` under the row lock (PostgreSQL) or the write lock (SQLite),
        so two schedulers never claim the same reminder; the caller writes TaskDue in the same transaction.
        """
        r = t.reminders.c
        batch = due_query(now, limit).subquery()
        claimed_rows = (
            await self.conn.execute(
                t.reminders.update()
                .where(
                    sa.tuple_(r.task_id, r.channel).in_(sa.select(batch.c.task_id, batch.c.channel)),
                    r.fired_at.is_(None),
                    r.remind_at <= now,
                )
                .values(fired_at=now)
                .returning(r.task_id, r.channel, r.days_before, r.deadline, r.remind_at)
            )
        ).all()
        if not claimed_rows:
            return []
        c = t.tasks.c
        ids = list({row.task_id for row in claimed_rows})
        info = {
            _uuid(row.id): row
            for row in (
                await self.conn.execute(
                    sa.select(c.id, c.title, c.partner_id, c.responsible_staff_id).where(c.id.in_(ids))
                )
            ).all()
        }
        found = []
        for row in sorted(claimed_rows, key=lambda x: (x.remind_at, str(x.task_id), x.channel)):
            task_id = _uuid(row.task_id) or UUID(int=0)
            task = info.get(task_id)
            if task is None or task.responsible_staff_id is None:
                continue
            found.append(
                DueReminder(
                    task_id,
                    row.channel,
                    row.days_before,
                    row.deadline,
                    row.remind_at,
                    task.title,
                    _uuid(task.partner_id),
                    _uuid(task.responsible_staff_id) or UUID(int=0),
                )
            )
        return found

    async def reminders_of(self, task_id: UUID) -> list[Reminder]:
        rows = (await self.conn.execute(sa.select(t.reminders).where(t.reminders.c.task_id == task_id))).all()
        return [Reminder(r.channel, r.days_before, r.remind_at, r.fired_at) for r in rows]

    # --- read models of other services
    async def upsert_staff(self, s: StaffMember) -> None:
        values = {
            "name": s.name,
            "email": s.email,
            "user_login": s.user_login,
            "hours_per_day": s.hours_per_day,
            "categories": list(s.categories),
            "team": s.team,
            "active": s.active,
        }
        stmt = dialect_insert(self.conn)(t.staff).values(id=s.id, **values)
        await self.conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))

    async def get_staff(self, staff_id: UUID) -> StaffMember | None:
        row = (await self.conn.execute(sa.select(t.staff).where(t.staff.c.id == staff_id))).first()
        return _staff(row) if row else None

    async def staff_by_ids(self, ids: Iterable[UUID]) -> dict[UUID, StaffMember]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        rows = (await self.conn.execute(sa.select(t.staff).where(t.staff.c.id.in_(wanted)))).all()
        return {s.id: s for s in map(_staff, rows)}

    async def all_staff(self) -> list[StaffMember]:
        rows = (await self.conn.execute(sa.select(t.staff).order_by(t.staff.c.name))).all()
        return [_staff(r) for r in rows]

    async def team_of(self, staff_id: UUID) -> frozenset[UUID]:
        """The staff ids of a person's team (the person included)."""
        me = await self.get_staff(staff_id)
        if me is None or not me.team:
            return frozenset({staff_id})
        rows = (await self.conn.execute(sa.select(t.staff.c.id).where(t.staff.c.team == me.team))).all()
        return frozenset({staff_id, *(_uuid(r.id) or staff_id for r in rows)})

    async def upsert_partner(self, p: PartnerRef) -> None:
        values = {
            "name": p.name,
            "kind": p.kind,
            "sales_rep_staff_id": p.sales_rep_staff_id,
            "service_rep_staff_id": p.service_rep_staff_id,
        }
        stmt = dialect_insert(self.conn)(t.partners).values(id=p.id, **values)
        await self.conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))

    async def add_new_partners(self, partners: Sequence[PartnerRef]) -> None:
        if not partners:
            return
        rows = [
            {
                "id": p.id,
                "name": p.name,
                "kind": p.kind,
                "sales_rep_staff_id": p.sales_rep_staff_id,
                "service_rep_staff_id": p.service_rep_staff_id,
            }
            for p in partners
        ]
        stmt = dialect_insert(self.conn)(t.partners).values(rows)
        await self.conn.execute(stmt.on_conflict_do_nothing(index_elements=["id"]))

    async def get_partner(self, partner_id: UUID) -> PartnerRef | None:
        row = (await self.conn.execute(sa.select(t.partners).where(t.partners.c.id == partner_id))).first()
        if row is None:
            return None
        return PartnerRef(
            _uuid(row.id) or partner_id,
            row.name,
            row.kind,
            _uuid(row.sales_rep_staff_id),
            _uuid(row.service_rep_staff_id),
        )

    async def partners_by_ids(self, ids: Iterable[UUID]) -> dict[UUID, PartnerRef]:
        wanted = list(set(ids))
        found: dict[UUID, PartnerRef] = {}
        for start in range(0, len(wanted), 500):  # SQLite allows a bounded number of parameters
            rows = await self.conn.execute(
                sa.select(t.partners).where(t.partners.c.id.in_(wanted[start : start + 500]))
            )
            for row in rows:
                ref = PartnerRef(
                    _uuid(row.id) or UUID(str(row.id)),
                    row.name,
                    row.kind,
                    _uuid(row.sales_rep_staff_id),
                    _uuid(row.service_rep_staff_id),
                )
                found[ref.id] = ref
        return found

    async def upsert_contract(self, c: ContractRef) -> None:
        values = {
            "partner_id": c.partner_id,
            "number": c.number,
            "kind": c.kind,
            "starts_on": c.starts_on,
            "ends_on": c.ends_on,
            "lines": [
                {
                    "line_id": str(ln.line_id) if ln.line_id else None,
                    "article_code": ln.article_code,
                    "description": ln.description,
                }
                for ln in c.lines
            ],
        }
        stmt = dialect_insert(self.conn)(t.contracts).values(id=c.id, **values)
        await self.conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))

    async def end_contract(self, contract_id: UUID, ended_on: date) -> None:
        await self.conn.execute(t.contracts.update().where(t.contracts.c.id == contract_id).values(ends_on=ended_on))

    async def contracts_of(self, partner_id: UUID) -> list[ContractRef]:
        rows = (
            await self.conn.execute(
                sa.select(t.contracts).where(t.contracts.c.partner_id == partner_id).order_by(t.contracts.c.starts_on)
            )
        ).all()
        return [_contract(r) for r in rows]

    async def get_contract(self, contract_id: UUID) -> ContractRef | None:
        row = (await self.conn.execute(sa.select(t.contracts).where(t.contracts.c.id == contract_id))).first()
        return _contract(row) if row else None

    async def set_balance(self, partner_id: UUID, balance: Decimal, currency: str) -> None:
        stmt = dialect_insert(self.conn)(t.balances).values(partner_id=partner_id, balance=balance, currency=currency)
        await self.conn.execute(
            stmt.on_conflict_do_update(index_elements=["partner_id"], set_={"balance": balance, "currency": currency})
        )

    async def get_balance(self, partner_id: UUID) -> tuple[Decimal, str] | None:
        row = (await self.conn.execute(sa.select(t.balances).where(t.balances.c.partner_id == partner_id))).first()
        return (row.balance, row.currency) if row else None

    async def partner_names(self, ids: Iterable[UUID]) -> dict[UUID, str]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        rows = (
            await self.conn.execute(sa.select(t.partners.c.id, t.partners.c.name).where(t.partners.c.id.in_(wanted)))
        ).all()
        return {_uuid(r.id) or UUID(int=0): r.name for r in rows}

    async def list_partners(self, name: str | None, limit: int, offset: int) -> tuple[list[PartnerRef], int]:
        """The partners read model, by name (for pickers)."""
        where = [t.partners.c.name.ilike(f"%{name}%")] if name else []
        total = (await self.conn.execute(sa.select(sa.func.count()).select_from(t.partners).where(*where))).scalar_one()
        rows = (
            await self.conn.execute(
                sa.select(t.partners).where(*where).order_by(t.partners.c.name).limit(limit).offset(offset)
            )
        ).all()
        found = [
            PartnerRef(
                _uuid(r.id) or UUID(int=0), r.name, r.kind, _uuid(r.sales_rep_staff_id), _uuid(r.service_rep_staff_id)
            )
            for r in rows
        ]
        return found, int(total)
