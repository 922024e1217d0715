"""Reads and writes of the partners store; every function takes the caller's connection (its transaction)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_kit.errors import Conflict
from crm_kit.scoping import TaskOwners
from crm_kit.store import dialect_insert
from crm_partners.domain.dossiers import Dossier, FiledDocument
from crm_partners.domain.partners import Contact, Partner, Site
from crm_partners.domain.staff import StaffMember
from crm_partners.domain.text import fold
from crm_partners.domain.timeline import PageRequest, TimelineEntry
from crm_partners.store import tables as t

_CHUNK = 500


def utc(value: datetime) -> datetime:
    """A stored time as tz-aware UTC (SQLite gives naive times back)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(set(values))
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


# ---------------------------------------------------------------- partners


def _partner_row(p: Partner) -> dict[str, Any]:
    return {
        "id": p.id,
        "kind": p.kind,
        "name": p.name,
        "name_key": fold(p.name),
        "fiscal_code": p.fiscal_code,
        "fiscal_digits": p.fiscal_digits,
        "trade_register": p.trade_register,
        "locality": p.locality,
        "locality_key": fold(p.locality) if p.locality else None,
        "county": p.county,
        "address": p.address,
        "turnover": p.turnover,
        "employees": p.employees,
        "activity_domain": p.activity_domain,
        "activity_key": fold(p.activity_domain) if p.activity_domain else None,
        "sales_rep_staff_id": p.sales_rep_staff_id,
        "service_rep_staff_id": p.service_rep_staff_id,
        "campaign_id": p.campaign_id,
        "competitors": list(p.competitors),
        "interests": list(p.interests),
        "service_responsible": p.service_responsible,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "version": p.version,
    }


async def _insert_children(conn: AsyncConnection, partners: Sequence[Partner]) -> None:
    site_rows, email_rows, contact_rows = [], [], []
    for p in partners:
        for i, s in enumerate(p.sites):
            site_rows.append({"site_id": s.site_id, "partner_id": p.id, "name": s.name, "position": i})
            email_rows += [
                {"email": e, "partner_id": p.id, "site_id": s.site_id, "position": j} for j, e in enumerate(s.emails)
            ]
        contact_rows += [
            {
                "contact_id": c.contact_id,
                "partner_id": p.id,
                "name": c.name,
                "role": c.role,
                "email": c.email,
                "phone": c.phone,
                "position": i,
            }
            for i, c in enumerate(p.contacts)
        ]
    if site_rows:
        await conn.execute(t.sites.insert(), site_rows)
    if email_rows:
        await conn.execute(t.site_emails.insert(), email_rows)
    if contact_rows:
        await conn.execute(t.contacts.insert(), contact_rows)


async def insert_partners(conn: AsyncConnection, partners: Sequence[Partner]) -> None:
    """Add partners with their sites, emails and contacts."""
    if not partners:
        return
    rows = [_partner_row(p) for p in partners]
    for i in range(0, len(rows), _CHUNK):
        await conn.execute(t.partners.insert(), rows[i : i + _CHUNK])
    for i in range(0, len(partners), _CHUNK):
        await _insert_children(conn, partners[i : i + _CHUNK])


async def replace_partner(conn: AsyncConnection, partner: Partner) -> None:
    """Store a partner's new state over its previous version.

    Raises:
        Conflict: someone else changed the partner meanwhile.
    """
    result = await conn.execute(
        t.partners.update()
        .where(t.partners.c.id == partner.id)
        .where(t.partners.c.version == partner.version - 1)
        .values(**{k: v for k, v in _partner_row(partner).items() if k not in ("id", "created_at")})
    )
    if result.rowcount != 1:
        raise Conflict("the partner was changed by someone else meanwhile; reload it and try again")
    for table in (t.site_emails, t.contacts, t.sites):
        await conn.execute(table.delete().where(table.c.partner_id == partner.id))
    await _insert_children(conn, [partner])


def _partner_from(row: Any, sites: Sequence[Site] = (), contacts: Sequence[Contact] = ()) -> Partner:
    return Partner(
        id=row.id,
        kind=row.kind,
        name=row.name,
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
        fiscal_code=row.fiscal_code,
        trade_register=row.trade_register,
        locality=row.locality,
        county=row.county,
        address=row.address,
        turnover=Decimal(row.turnover).quantize(Decimal("0.01")) if row.turnover is not None else None,
        employees=row.employees,
        activity_domain=row.activity_domain,
        sites=tuple(sites),
        contacts=tuple(contacts),
        sales_rep_staff_id=row.sales_rep_staff_id,
        service_rep_staff_id=row.service_rep_staff_id,
        campaign_id=row.campaign_id,
        competitors=tuple(row.competitors or ()),
        interests=tuple(row.interests or ()),
        service_responsible=row.service_responsible,
        version=row.version,
    )


async def get_partner(conn: AsyncConnection, partner_id: str, *, for_update: bool = False) -> Partner | None:
    """One partner, whole, or None."""
    query = sa.select(t.partners).where(t.partners.c.id == partner_id)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    emails: dict[str, list[str]] = {}
    for e in await conn.execute(
        sa.select(t.site_emails.c.site_id, t.site_emails.c.email)
        .where(t.site_emails.c.partner_id == partner_id)
        .order_by(t.site_emails.c.position)
    ):
        emails.setdefault(e.site_id, []).append(e.email)
    site_rows = await conn.execute(
        sa.select(t.sites).where(t.sites.c.partner_id == partner_id).order_by(t.sites.c.position)
    )
    sites = [Site(site_id=s.site_id, name=s.name, emails=tuple(emails.get(s.site_id, ()))) for s in site_rows]
    contact_rows = await conn.execute(
        sa.select(t.contacts).where(t.contacts.c.partner_id == partner_id).order_by(t.contacts.c.position)
    )
    contacts = [
        Contact(contact_id=c.contact_id, name=c.name, role=c.role, email=c.email, phone=c.phone) for c in contact_rows
    ]
    return _partner_from(row, sites, contacts)


async def partner_exists(conn: AsyncConnection, partner_id: str) -> bool:
    row = (await conn.execute(sa.select(t.partners.c.id).where(t.partners.c.id == partner_id))).first()
    return row is not None


async def email_owners(conn: AsyncConnection, emails: Iterable[str]) -> dict[str, str]:
    """Which partner each of these (normalised) site emails belongs to, for those that belong to one."""
    owners: dict[str, str] = {}
    for chunk in _chunks(emails):
        rows = await conn.execute(
            sa.select(t.site_emails.c.email, t.site_emails.c.partner_id).where(t.site_emails.c.email.in_(chunk))
        )
        owners.update({r.email: r.partner_id for r in rows})
    return owners


async def fiscal_owners(conn: AsyncConnection, digits: Iterable[str]) -> dict[str, str]:
    """Which partner has each of these CUIs (digits without RO)."""
    owners: dict[str, str] = {}
    for chunk in _chunks(digits):
        rows = await conn.execute(
            sa.select(t.partners.c.fiscal_digits, t.partners.c.id).where(t.partners.c.fiscal_digits.in_(chunk))
        )
        owners.update({r.fiscal_digits: r.id for r in rows})
    return owners


@dataclass(frozen=True)
class PartnerFilter:
    """The filters of the partner list (API.md); text filters match folded text."""

    kind: str | None = None
    name: str | None = None
    fiscal_code: str | None = None
    locality: str | None = None
    county: str | None = None
    activity_domain: str | None = None
    turnover_min: Decimal | None = None
    turnover_max: Decimal | None = None
    employees_min: int | None = None
    employees_max: int | None = None
    sales_rep_staff_id: str | None = None
    service_rep_staff_id: str | None = None
    campaign_id: str | None = None
    email: str | None = None


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def partner_conditions(f: PartnerFilter) -> list[sa.ColumnElement[bool]]:
    """The WHERE conditions of a partner filter."""
    c = t.partners.c
    where: list[sa.ColumnElement[bool]] = []
    if f.kind:
        where.append(c.kind == f.kind)
    if f.name:
        where.append(c.name_key.like(_like(fold(f.name)), escape="\\"))
    if f.fiscal_code:
        digits = "".join(f.fiscal_code.split()).upper().removeprefix("RO")
        where.append(c.fiscal_digits.like(f"{digits}%") if digits.isdigit() else sa.false())
    if f.locality:
        where.append(c.locality_key == fold(f.locality))
    if f.county:
        where.append(c.county == f.county)
    if f.activity_domain:
        where.append(c.activity_key.like(_like(fold(f.activity_domain)), escape="\\"))
    if f.turnover_min is not None:
        where.append(c.turnover >= f.turnover_min)
    if f.turnover_max is not None:
        where.append(c.turnover <= f.turnover_max)
    if f.employees_min is not None:
        where.append(c.employees >= f.employees_min)
    if f.employees_max is not None:
        where.append(c.employees <= f.employees_max)
    if f.sales_rep_staff_id:
        where.append(c.sales_rep_staff_id == f.sales_rep_staff_id)
    if f.service_rep_staff_id:
        where.append(c.service_rep_staff_id == f.service_rep_staff_id)
    if f.campaign_id:
        where.append(c.campaign_id == f.campaign_id)
    if f.email:
        owner = sa.select(t.site_emails.c.partner_id).where(t.site_emails.c.email == f.email.strip().lower())
        where.append(c.id.in_(owner))
    return where


async def search_partners(
    conn: AsyncConnection, f: PartnerFilter, *, limit: int, offset: int
) -> tuple[list[Partner], int]:
    """A page of partners matching the filter, by name, and how many match in all."""
    where = partner_conditions(f)
    total = (await conn.execute(sa.select(sa.func.count()).select_from(t.partners).where(*where))).scalar_one()
    rows = await conn.execute(
        sa.select(t.partners).where(*where).order_by(t.partners.c.name_key, t.partners.c.id).limit(limit).offset(offset)
    )
    return [_partner_from(r) for r in rows], int(total)


def _word_match(key: sa.ColumnElement[str], word: str) -> sa.ColumnElement[bool]:
    """The key starts with the word, or one of its words does (``bra`` finds ``brasov`` and ``acme brasov``)."""
    return sa.or_(key.like(_prefix(word), escape="\\"), key.like("% " + _prefix(word), escape="\\"))


async def find_partners(conn: AsyncConnection, q: str, *, kind: str | None, limit: int) -> list[Partner]:
    """At most ``limit`` partners whose folded name has a word starting with each word of ``q``.

    Names starting with the query come first, then the others, each by name; no total is counted,
    so an answer is one scan of the folded names: p50 17-30 ms at 100k partners (bench/bench_partner_search.py).
    """
    words = fold(q).split()
    if not words:
        return []
    key = t.partners.c.name_key
    where = [_word_match(key, w) for w in words]
    if kind:
        where.append(t.partners.c.kind == kind)
    starts = sa.case((key.like(_prefix(fold(q)), escape="\\"), 0), else_=1)
    rows = await conn.execute(sa.select(t.partners).where(*where).order_by(starts, key, t.partners.c.id).limit(limit))
    return [_partner_from(r) for r in rows]


def _prefix(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


async def convert_to_client(conn: AsyncConnection, partner: Partner) -> None:
    """Store a converted lead (kind and version only change)."""
    await conn.execute(
        t.partners.update()
        .where(t.partners.c.id == partner.id)
        .values(kind=partner.kind, updated_at=partner.updated_at, version=partner.version)
    )


# ---------------------------------------------------------------- opportunities (L2)


async def upsert_opportunity(conn: AsyncConnection, values: dict[str, Any]) -> None:
    """Insert or update an opportunity shown on its partner (keyed by opportunity id)."""
    insert = dialect_insert(conn)(t.opportunities).values(**values)
    changes = {k: insert.excluded[k] for k in values if k != "opportunity_id"}
    await conn.execute(insert.on_conflict_do_update(index_elements=["opportunity_id"], set_=changes))


async def set_opportunity_stage(conn: AsyncConnection, opportunity_id: str, stage: str, now: datetime) -> bool:
    result = await conn.execute(
        t.opportunities.update()
        .where(t.opportunities.c.opportunity_id == opportunity_id)
        .values(stage=stage, updated_at=now)
    )
    return bool(result.rowcount)


async def partner_opportunities(conn: AsyncConnection, partner_id: str) -> list[dict[str, Any]]:
    """The partner's opportunities, newest change first."""
    rows = await conn.execute(
        sa.select(t.opportunities)
        .where(t.opportunities.c.partner_id == partner_id)
        .order_by(t.opportunities.c.updated_at.desc(), t.opportunities.c.opportunity_id.desc())
    )
    out = []
    for r in rows:
        item = dict(r._mapping)
        item["updated_at"] = utc(r.updated_at)
        out.append(item)
    return out


# ---------------------------------------------------------------- staff


def _staff_row(s: StaffMember) -> dict[str, Any]:
    return {
        "id": s.id,
        "name": s.name,
        "name_key": fold(s.name),
        "email": s.email,
        "user_login": s.user_login,
        "hours_per_day": s.hours_per_day,
        "categories": list(s.categories),
        "team": s.team,
        "active": s.active,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
        "version": s.version,
    }


def _staff_from(row: Any) -> StaffMember:
    return StaffMember(
        id=row.id,
        name=row.name,
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
        email=row.email,
        user_login=row.user_login,
        hours_per_day=Decimal(row.hours_per_day).quantize(Decimal("0.01")),
        categories=tuple(row.categories or ()),
        team=row.team,
        active=bool(row.active),
        version=row.version,
    )


async def insert_staff(conn: AsyncConnection, member: StaffMember) -> None:
    await conn.execute(t.staff.insert().values(**_staff_row(member)))


async def replace_staff(conn: AsyncConnection, member: StaffMember) -> None:
    """Store a staff member's new state.

    Raises:
        Conflict: someone else changed the staff member meanwhile.
    """
    result = await conn.execute(
        t.staff.update()
        .where(t.staff.c.id == member.id)
        .where(t.staff.c.version == member.version - 1)
        .values(**{k: v for k, v in _staff_row(member).items() if k not in ("id", "created_at")})
    )
    if result.rowcount != 1:
        raise Conflict("the staff member was changed by someone else meanwhile; reload and try again")


async def get_staff(conn: AsyncConnection, staff_id: str) -> StaffMember | None:
    row = (await conn.execute(sa.select(t.staff).where(t.staff.c.id == staff_id))).first()
    return _staff_from(row) if row else None


async def team_of(conn: AsyncConnection, staff_id: str) -> frozenset[str]:
    """The staff ids of a person's team (the person included), as the tasks service computes it."""
    me = await get_staff(conn, staff_id)
    if me is None or not me.team:
        return frozenset({staff_id})
    rows = await conn.execute(sa.select(t.staff.c.id).where(t.staff.c.team == me.team))
    return frozenset({staff_id, *(str(r.id) for r in rows)})


async def keep_task_owner(conn: AsyncConnection, task_id: str, **values: str | None) -> None:
    """Record who a task is for and from; only the given columns change (TaskAssigned names the responsible)."""
    insert = dialect_insert(conn)(t.task_owners).values(task_id=task_id, **values)
    await conn.execute(
        insert.on_conflict_do_update(index_elements=["task_id"], set_={k: insert.excluded[k] for k in values})
    )


async def task_owners(conn: AsyncConnection, task_ids: Iterable[str]) -> dict[str, TaskOwners]:
    """Who the given tasks are for and from (tasks the partners service never heard of are missing)."""
    ids = sorted(set(task_ids))
    if not ids:
        return {}
    o = t.task_owners.c
    rows = await conn.execute(sa.select(t.task_owners).where(o.task_id.in_(ids)))
    return {r.task_id: TaskOwners(r.responsible_staff_id, r.creator_staff_id, r.creator_user) for r in rows}


async def login_owner(conn: AsyncConnection, login: str) -> str | None:
    row = (await conn.execute(sa.select(t.staff.c.id).where(t.staff.c.user_login == login))).first()
    return row.id if row else None


async def known_staff(conn: AsyncConnection, ids: Iterable[str]) -> set[str]:
    """The ids among these that are staff members."""
    found: set[str] = set()
    for chunk in _chunks(ids):
        found |= set((await conn.execute(sa.select(t.staff.c.id).where(t.staff.c.id.in_(chunk)))).scalars())
    return found


async def list_staff(
    conn: AsyncConnection,
    *,
    name: str | None,
    team: str | None,
    category: str | None,
    active: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[StaffMember], int]:
    """A page of the staff directory by name (category matched in Python: it is a JSON list)."""
    where: list[sa.ColumnElement[bool]] = []
    if name:
        where.append(t.staff.c.name_key.like(_like(fold(name)), escape="\\"))
    if team:
        where.append(t.staff.c.team == team)
    if active is not None:
        where.append(t.staff.c.active == active)
    rows = [
        _staff_from(r)
        for r in await conn.execute(sa.select(t.staff).where(*where).order_by(t.staff.c.name_key, t.staff.c.id))
    ]
    if category:
        wanted = fold(category)
        rows = [r for r in rows if any(fold(c) == wanted for c in r.categories)]
    return rows[offset : offset + limit], len(rows)


async def find_staff(conn: AsyncConnection, q: str, *, active: bool | None, limit: int) -> list[StaffMember]:
    """At most ``limit`` staff members whose folded name has a word starting with each word of ``q``."""
    words = fold(q).split()
    if not words:
        return []
    key = t.staff.c.name_key
    where = [_word_match(key, w) for w in words]
    if active is not None:
        where.append(t.staff.c.active == active)
    starts = sa.case((key.like(_prefix(fold(q)), escape="\\"), 0), else_=1)
    rows = await conn.execute(sa.select(t.staff).where(*where).order_by(starts, key, t.staff.c.id).limit(limit))
    return [_staff_from(r) for r in rows]


# ---------------------------------------------------------------- dossiers (D1)


async def insert_dossier(conn: AsyncConnection, dossier: Dossier, created_by: str | None) -> None:
    await conn.execute(
        t.dossiers.insert().values(
            id=dossier.id,
            name=dossier.name,
            category=dossier.category,
            partner_id=dossier.partner_id,
            created_at=dossier.created_at,
            created_by=created_by,
        )
    )


def _dossier_from(row: Any) -> Dossier:
    return Dossier(
        id=row.id, name=row.name, category=row.category, created_at=utc(row.created_at), partner_id=row.partner_id
    )


async def get_dossier(conn: AsyncConnection, dossier_id: str) -> Dossier | None:
    row = (await conn.execute(sa.select(t.dossiers).where(t.dossiers.c.id == dossier_id))).first()
    return _dossier_from(row) if row else None


async def insert_document(conn: AsyncConnection, doc: FiledDocument) -> None:
    await conn.execute(
        t.dossier_documents.insert().values(
            id=doc.id,
            dossier_id=doc.dossier_id,
            sha256=doc.sha256,
            file_name=doc.file_name,
            size=doc.size,
            source_type=doc.source_type,
            source_id=doc.source_id,
            filed_at=doc.filed_at,
            filed_by=doc.filed_by,
        )
    )


async def blob_in_dossier(conn: AsyncConnection, dossier_id: str, sha256: str) -> bool:
    d = t.dossier_documents
    row = (await conn.execute(sa.select(d.c.id).where(d.c.dossier_id == dossier_id, d.c.sha256 == sha256))).first()
    return row is not None


async def dossier_documents(conn: AsyncConnection, dossier_id: str) -> list[FiledDocument]:
    d = t.dossier_documents
    rows = await conn.execute(sa.select(d).where(d.c.dossier_id == dossier_id).order_by(d.c.filed_at.desc(), d.c.id))
    return [
        FiledDocument(
            id=r.id,
            dossier_id=r.dossier_id,
            sha256=r.sha256,
            file_name=r.file_name,
            size=int(r.size),
            filed_at=utc(r.filed_at),
            source_type=r.source_type,
            source_id=r.source_id,
            filed_by=r.filed_by,
        )
        for r in rows
    ]


def _dossier_where(partner_id: str | None, category: str | None) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if partner_id:
        where.append(t.dossiers.c.partner_id == partner_id)
    if category:
        where.append(t.dossiers.c.category == category)
    return where


async def list_dossiers(
    conn: AsyncConnection, *, partner_id: str | None, category: str | None, limit: int, offset: int
) -> tuple[list[tuple[Dossier, int, int]], int]:
    """Dossiers with their document count and total size, newest first."""
    d, doc = t.dossiers, t.dossier_documents
    where = _dossier_where(partner_id, category)
    total = (await conn.execute(sa.select(sa.func.count()).select_from(d).where(*where))).scalar_one()
    query = (
        sa.select(
            d, sa.func.count(doc.c.id).label("documents"), sa.func.coalesce(sa.func.sum(doc.c.size), 0).label("bytes")
        )
        .select_from(d.outerjoin(doc, doc.c.dossier_id == d.c.id))
        .where(*where)
        .group_by(*d.c)
        .order_by(d.c.created_at.desc(), d.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    rows = await conn.execute(query)
    return [(_dossier_from(r), int(r.documents), int(r.bytes)) for r in rows], int(total)


async def dossier_totals(conn: AsyncConnection, dossier_id: str) -> tuple[int, int]:
    doc = t.dossier_documents
    row = (
        await conn.execute(
            sa.select(sa.func.count(doc.c.id), sa.func.coalesce(sa.func.sum(doc.c.size), 0)).where(
                doc.c.dossier_id == dossier_id
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def dossier_categories(conn: AsyncConnection, *, partner_id: str | None) -> list[dict[str, Any]]:
    """Per category: how many dossiers, documents and bytes."""
    d, doc = t.dossiers, t.dossier_documents
    query = (
        sa.select(
            d.c.category,
            sa.func.count(sa.distinct(d.c.id)).label("dossiers"),
            sa.func.count(doc.c.id).label("documents"),
            sa.func.coalesce(sa.func.sum(doc.c.size), 0).label("bytes"),
        )
        .select_from(d.outerjoin(doc, doc.c.dossier_id == d.c.id))
        .where(*_dossier_where(partner_id, None))
        .group_by(d.c.category)
        .order_by(d.c.category)
    )
    return [
        {"category": r.category, "dossiers": int(r.dossiers), "documents": int(r.documents), "bytes": int(r.bytes)}
        for r in await conn.execute(query)
    ]


# ---------------------------------------------------------------- partner history (H1)


@dataclass(frozen=True)
class HistoryTables:
    """One history projection: its entries and per-kind counts (live, or a rebuild)."""

    entries: sa.Table
    counts: sa.Table


LIVE = HistoryTables(t.history, t.history_counts)
REBUILD = HistoryTables(t.history_rebuild, t.history_rebuild_counts)


async def add_entry(
    conn: AsyncConnection, tables: HistoryTables, entry: TimelineEntry, *, recorded_at: datetime | None = None
) -> bool:
    """Record one entry; the same (partner, event) twice is recorded once. Returns whether it was new."""
    insert = dialect_insert(conn)
    result = await conn.execute(
        insert(tables.entries)
        .values(
            partner_id=entry.partner_id,
            event_id=entry.event_id,
            kind=entry.kind,
            type=entry.type,
            title=entry.title[:500],
            occurred_at=entry.occurred_at.astimezone(UTC),
            ref_type=entry.ref_type,
            ref_id=entry.ref_id,
            details=entry.details,
            recorded_at=recorded_at or datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["partner_id", "event_id"])
    )
    if not result.rowcount:
        return False
    counts = insert(tables.counts).values(partner_id=entry.partner_id, kind=entry.kind, n=1)
    await conn.execute(
        counts.on_conflict_do_update(index_elements=["partner_id", "kind"], set_={"n": tables.counts.c.n + 1})
    )
    return True


async def history_page(
    conn: AsyncConnection, tables: HistoryTables, partner_id: str, req: PageRequest
) -> tuple[list[TimelineEntry], int]:
    """A page of a partner's history, newest first, and how many entries there are (of those kinds)."""
    h, n = tables.entries, tables.counts
    where = [h.c.partner_id == partner_id]
    count_where = [n.c.partner_id == partner_id]
    if req.kinds:
        where.append(h.c.kind.in_(req.kinds))
        count_where.append(n.c.kind.in_(req.kinds))
    total = (await conn.execute(sa.select(sa.func.coalesce(sa.func.sum(n.c.n), 0)).where(*count_where))).scalar_one()
    rows = await conn.execute(
        sa.select(h)
        .where(*where)
        .order_by(h.c.occurred_at.desc(), h.c.event_id.desc())
        .limit(req.limit)
        .offset(req.offset)
    )
    entries = [
        TimelineEntry(
            partner_id=r.partner_id,
            event_id=r.event_id,
            kind=r.kind,
            type=r.type,
            title=r.title,
            occurred_at=utc(r.occurred_at),
            ref_type=r.ref_type,
            ref_id=r.ref_id,
            details=r.details or {},
        )
        for r in rows
    ]
    return entries, int(total)


async def clear_history(conn: AsyncConnection, tables: HistoryTables) -> None:
    await conn.execute(tables.entries.delete())
    await conn.execute(tables.counts.delete())


async def history_partners(conn: AsyncConnection, tables: HistoryTables) -> list[str]:
    return list((await conn.execute(sa.select(tables.counts.c.partner_id).distinct())).scalars())


async def swap_in_rebuild(conn: AsyncConnection, *, replay_started_at: datetime) -> int:
    """Make the rebuilt history the live one; returns the number of live entries after.

    Entries the live consumer recorded before the replay started are replaced by the rebuilt
    ones (which cover every event up to the topics' ends at that moment); entries it recorded
    since are kept, so the live consumer can keep running meanwhile.
    """
    live, rebuilt = t.history, t.history_rebuild
    await conn.execute(live.delete().where(live.c.recorded_at < replay_started_at))
    cols = [c.name for c in rebuilt.c]
    present = sa.select(live.c.event_id).where(
        live.c.partner_id == rebuilt.c.partner_id, live.c.event_id == rebuilt.c.event_id
    )
    await conn.execute(
        live.insert().from_select(cols, sa.select(*[rebuilt.c[c] for c in cols]).where(~sa.exists(present)))
    )
    await conn.execute(t.history_counts.delete())
    await conn.execute(
        t.history_counts.insert().from_select(
            ["partner_id", "kind", "n"],
            sa.select(live.c.partner_id, live.c.kind, sa.func.count()).group_by(live.c.partner_id, live.c.kind),
        )
    )
    return int((await conn.execute(sa.select(sa.func.count()).select_from(live))).scalar_one())


async def history_rows(conn: AsyncConnection, tables: HistoryTables) -> set[tuple[str, str, str, str, str, datetime]]:
    """Every entry of a projection as comparable tuples (to compare the live and the rebuilt one)."""
    h = tables.entries
    rows = await conn.execute(sa.select(h.c.partner_id, h.c.event_id, h.c.kind, h.c.type, h.c.title, h.c.occurred_at))
    return {(r.partner_id, r.event_id, r.kind, r.type, r.title, utc(r.occurred_at)) for r in rows}


# ---------------------------------------------------------------- CSV imports


async def create_import(
    conn: AsyncConnection, import_id: str, file_name: str, total: int, by: str | None, now: datetime
) -> None:
    await conn.execute(
        t.partner_imports.insert().values(
            id=import_id,
            file_name=file_name,
            status="validating",
            total_rows=total,
            processed_rows=0,
            imported=0,
            errors=[],
            created_at=now,
            created_by=by,
        )
    )


async def update_import(conn: AsyncConnection, import_id: str, **values: Any) -> None:
    await conn.execute(t.partner_imports.update().where(t.partner_imports.c.id == import_id).values(**values))


def _import_from(row: Any) -> dict[str, Any]:
    item = dict(row._mapping)
    item["created_at"] = utc(row.created_at)
    item["finished_at"] = utc(row.finished_at) if row.finished_at else None
    return item


async def get_import(conn: AsyncConnection, import_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(sa.select(t.partner_imports).where(t.partner_imports.c.id == import_id))).first()
    return _import_from(row) if row else None


async def list_imports(conn: AsyncConnection, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    i = t.partner_imports
    total = (await conn.execute(sa.select(sa.func.count()).select_from(i))).scalar_one()
    rows = await conn.execute(sa.select(i).order_by(i.c.created_at.desc(), i.c.id.desc()).limit(limit).offset(offset))
    return [_import_from(r) for r in rows], int(total)
