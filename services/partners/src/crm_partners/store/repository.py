"""The partners store behind ``ports.Repository``: SQLAlchemy Core on the unit of work's connection."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_kit.errors import Conflict
from crm_kit.ids import is_uuid
from crm_kit.scoping import TaskOwners
from crm_kit.store import dialect_insert
from crm_partners.domain.dossiers import CategoryTotals, Dossier, FiledDocument, FoundDossier
from crm_partners.domain.imports import PartnerImport
from crm_partners.domain.opportunities import PartnerOpportunity
from crm_partners.domain.partners import Contact, Partner, PartnerFilter, Site
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


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _prefix(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def _prefix_range(key: sa.ColumnElement[str], prefix: str) -> list[sa.ColumnElement[bool]]:
    """The keys starting with ``prefix`` as a range of a binary-collated index: ``[prefix, prefix's successor)``.

    Binary order is code point order, so the strings starting with ``prefix`` sort from it up to the prefix
    with its last character one higher (no upper bound past the last code point).
    """
    bounds = [key >= prefix]
    last = ord(prefix[-1])
    if last < sys.maxunicode:
        bounds.append(key < prefix[:-1] + chr(last + 1))
    return bounds


def _word_match(key: sa.ColumnElement[str], word: str) -> sa.ColumnElement[bool]:
    """The key starts with the word, or one of its words does (``bra`` finds ``brasov`` and ``acme brasov``)."""
    return sa.or_(key.like(_prefix(word), escape="\\"), key.like("% " + _prefix(word), escape="\\"))


@dataclass(frozen=True)
class HistoryTables:
    """One history projection: its entries and per-kind counts (live, or a rebuild)."""

    entries: sa.Table
    counts: sa.Table


LIVE = HistoryTables(t.history, t.history_counts)
REBUILD = HistoryTables(t.history_rebuild, t.history_rebuild_counts)


async def history_rows(conn: AsyncConnection, tables: HistoryTables) -> set[tuple[str, str, str, str, str, datetime]]:
    """Every entry of a projection as comparable tuples (to compare the live and the rebuilt one; e2e tests too)."""
    h = tables.entries
    rows = await conn.execute(sa.select(h.c.partner_id, h.c.event_id, h.c.kind, h.c.type, h.c.title, h.c.occurred_at))
    return {(r.partner_id, r.event_id, r.kind, r.type, r.title, utc(r.occurred_at)) for r in rows}


# ---------------------------------------------------------------- rows <-> domain


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


def _dossier_from(row: Any) -> Dossier:
    return Dossier(
        id=row.id, name=row.name, category=row.category, created_at=utc(row.created_at), partner_id=row.partner_id
    )


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


def _opportunity_row(o: PartnerOpportunity) -> dict[str, Any]:
    return {
        "opportunity_id": o.opportunity_id,
        "partner_id": o.partner_id,
        "title": o.title,
        "potential": o.potential,
        "probability": o.probability,
        "stage": o.stage,
        "expected_signing_on": o.expected_signing_on,
        "owner_staff_id": o.owner_staff_id,
        "campaign_id": o.campaign_id,
        "updated_at": o.updated_at,
    }


def _opportunity_from(row: Any) -> PartnerOpportunity:
    return PartnerOpportunity(
        opportunity_id=row.opportunity_id,
        partner_id=row.partner_id,
        title=row.title,
        potential=Decimal(row.potential),
        probability=Decimal(row.probability),
        stage=row.stage,
        updated_at=utc(row.updated_at),
        expected_signing_on=row.expected_signing_on,
        owner_staff_id=row.owner_staff_id,
        campaign_id=row.campaign_id,
    )


def _import_row(item: PartnerImport) -> dict[str, Any]:
    return {
        "id": item.id,
        "file_name": item.file_name,
        "status": item.status,
        "total_rows": item.total_rows,
        "processed_rows": item.processed_rows,
        "imported": item.imported,
        "errors": list(item.errors),
        "message": item.message,
        "created_at": item.created_at,
        "finished_at": item.finished_at,
        "created_by": item.created_by,
    }


def _import_from(row: Any) -> PartnerImport:
    return PartnerImport(
        id=row.id,
        file_name=row.file_name,
        status=row.status,
        total_rows=row.total_rows,
        processed_rows=row.processed_rows,
        imported=row.imported,
        errors=tuple(row.errors or ()),
        message=row.message,
        created_at=utc(row.created_at),
        finished_at=utc(row.finished_at) if row.finished_at else None,
        created_by=row.created_by,
    )


def _entry_from(r: Any) -> TimelineEntry:
    return TimelineEntry(
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


ENTRY_CHUNK = 1000
"""History entries written per statement (ten columns each: well under SQLite's 32,766 parameters)."""


def _entry_row(entry: TimelineEntry, recorded_at: datetime) -> dict[str, Any]:
    return {
        "partner_id": entry.partner_id,
        "event_id": entry.event_id,
        "kind": entry.kind,
        "type": entry.type,
        "title": entry.title[:500],
        "occurred_at": entry.occurred_at.astimezone(UTC),
        "ref_type": entry.ref_type,
        "ref_id": entry.ref_id,
        "details": entry.details,
        "recorded_at": recorded_at,
    }


class SqlRepository:
    """``ports.Repository`` on one connection (the unit of work's transaction, or a read connection)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    # ------------------------------------------------------------ partners

    async def _insert_children(self, partners: Sequence[Partner]) -> None:
        site_rows, email_rows, contact_rows = [], [], []
        for p in partners:
            for i, s in enumerate(p.sites):
                site_rows.append({"site_id": s.site_id, "partner_id": p.id, "name": s.name, "position": i})
                email_rows += [
                    {"email": e, "partner_id": p.id, "site_id": s.site_id, "position": j}
                    for j, e in enumerate(s.emails)
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
            await self.conn.execute(t.sites.insert(), site_rows)
        if email_rows:
            await self.conn.execute(t.site_emails.insert(), email_rows)
        if contact_rows:
            await self.conn.execute(t.contacts.insert(), contact_rows)

    async def add_partners(self, partners: Sequence[Partner]) -> None:
        """Add partners with their sites, emails and contacts, in batches of 500 rows per statement."""
        if not partners:
            return
        rows = [_partner_row(p) for p in partners]
        for i in range(0, len(rows), _CHUNK):
            await self.conn.execute(t.partners.insert(), rows[i : i + _CHUNK])
        for i in range(0, len(partners), _CHUNK):
            await self._insert_children(partners[i : i + _CHUNK])

    async def replace_partner(self, partner: Partner) -> None:
        """Store a partner's new state over its previous version (the version check makes one winner).

        Raises:
            Conflict: someone else changed the partner meanwhile.
        """
        result = await self.conn.execute(
            t.partners.update()
            .where(t.partners.c.id == partner.id)
            .where(t.partners.c.version == partner.version - 1)
            .values(**{k: v for k, v in _partner_row(partner).items() if k not in ("id", "created_at")})
        )
        if result.rowcount != 1:
            raise Conflict(
                "the partner was changed by someone else meanwhile; reload it and try again",
                code="record.changed_meanwhile",
            )
        for table in (t.site_emails, t.contacts, t.sites):
            await self.conn.execute(table.delete().where(table.c.partner_id == partner.id))
        await self._insert_children([partner])

    async def convert_to_client(self, partner: Partner) -> None:
        """Store a converted lead (kind, time and version only change)."""
        await self.conn.execute(
            t.partners.update()
            .where(t.partners.c.id == partner.id)
            .values(kind=partner.kind, updated_at=partner.updated_at, version=partner.version)
        )

    async def get_partner(self, partner_id: str, *, for_update: bool = False) -> Partner | None:
        """One partner, whole, or None (locked until the transaction ends when ``for_update``, on PostgreSQL)."""
        conn = self.conn
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
            Contact(contact_id=c.contact_id, name=c.name, role=c.role, email=c.email, phone=c.phone)
            for c in contact_rows
        ]
        return _partner_from(row, sites, contacts)

    async def partner_exists(self, partner_id: str) -> bool:
        """Whether the directory has the partner."""
        row = (await self.conn.execute(sa.select(t.partners.c.id).where(t.partners.c.id == partner_id))).first()
        return row is not None

    async def email_owners(self, emails: Iterable[str]) -> dict[str, str]:
        """Which partner each of these (normalised) site emails belongs to, for those that belong to one."""
        owners: dict[str, str] = {}
        for chunk in _chunks(emails):
            rows = await self.conn.execute(
                sa.select(t.site_emails.c.email, t.site_emails.c.partner_id).where(t.site_emails.c.email.in_(chunk))
            )
            owners.update({r.email: r.partner_id for r in rows})
        return owners

    async def fiscal_owners(self, digits: Iterable[str]) -> dict[str, str]:
        """Which partner has each of these CUIs (digits without RO)."""
        owners: dict[str, str] = {}
        for chunk in _chunks(digits):
            rows = await self.conn.execute(
                sa.select(t.partners.c.fiscal_digits, t.partners.c.id).where(t.partners.c.fiscal_digits.in_(chunk))
            )
            owners.update({r.fiscal_digits: r.id for r in rows})
        return owners

    async def partner_names(self, partner_ids: Iterable[str]) -> dict[str, str]:
        """The names of these partners by id (those that exist)."""
        names: dict[str, str] = {}
        for chunk in _chunks(partner_ids):
            rows = await self.conn.execute(
                sa.select(t.partners.c.id, t.partners.c.name).where(t.partners.c.id.in_(chunk))
            )
            names.update({r.id: r.name for r in rows})
        return names

    async def search_partners(self, f: PartnerFilter, *, limit: int, offset: int) -> tuple[list[Partner], int]:
        """A page of partners matching the filter, by name, and how many match in all."""
        where = partner_conditions(f)
        count = sa.select(sa.func.count()).select_from(t.partners).where(*where)
        total = (await self.conn.execute(count)).scalar_one()
        rows = await self.conn.execute(
            sa.select(t.partners)
            .where(*where)
            .order_by(t.partners.c.name_key, t.partners.c.id)
            .limit(limit)
            .offset(offset)
        )
        return [_partner_from(r) for r in rows], int(total)

    async def find_partners(self, q: str, *, kind: str | None, limit: int) -> list[Partner]:
        """At most ``limit`` partners whose folded name has a word starting with each word of ``q``.

        Names starting with the query come first, then the others, each by name; no total is counted,
        so an answer is at most one scan of the folded names: p50 17-30 ms at 100k partners
        (bench/bench_partner_search.py), about 2 ms on SQLite when names starting with the query fill it.
        """
        words = fold(q).split()
        if not words:
            return []
        key = t.partners.c.name_key
        where = [_word_match(key, w) for w in words]
        if kind:
            where.append(t.partners.c.kind == kind)
        starting = key.like(_prefix(fold(q)), escape="\\")
        if self.conn.dialect.name == "sqlite":
            # Names starting with the query come first, by name: read them from the name index first. When
            # they fill the answer (typing a name's beginning, the usual case) no other name is looked at:
            # "alfa" at 100,000 partners read and sorted 8,000 rows for 20. SQLite's LIKE uses no index, the
            # range (binary collation: the names starting with the query) does.
            first = await self.conn.execute(
                sa.select(t.partners)
                .where(*where, starting, *_prefix_range(key, fold(q)))
                .order_by(key, t.partners.c.id)
                .limit(limit)
            )
            found = [_partner_from(r) for r in first]
            if len(found) == limit:
                return found
        starts = sa.case((starting, 0), else_=1)
        rows = await self.conn.execute(
            sa.select(t.partners).where(*where).order_by(starts, key, t.partners.c.id).limit(limit)
        )
        return [_partner_from(r) for r in rows]

    # ------------------------------------------------------------ opportunities (L2)

    async def get_opportunity(self, opportunity_id: str) -> PartnerOpportunity | None:
        """An opportunity as its partner shows it, or None."""
        o = t.opportunities
        row = (await self.conn.execute(sa.select(o).where(o.c.opportunity_id == opportunity_id))).first()
        return _opportunity_from(row) if row else None

    async def save_opportunity(self, opportunity: PartnerOpportunity) -> None:
        """Insert or replace an opportunity shown on its partner (keyed by opportunity id)."""
        values = _opportunity_row(opportunity)
        insert = dialect_insert(self.conn)(t.opportunities).values(**values)
        changes = {k: insert.excluded[k] for k in values if k != "opportunity_id"}
        await self.conn.execute(insert.on_conflict_do_update(index_elements=["opportunity_id"], set_=changes))

    async def add_new_opportunities(self, opportunities: Sequence[PartnerOpportunity]) -> None:
        """Keep opportunities not kept yet, in one statement per ENTRY_CHUNK; one already kept stays."""
        for start in range(0, len(opportunities), ENTRY_CHUNK):
            rows = [_opportunity_row(o) for o in opportunities[start : start + ENTRY_CHUNK]]
            insert = dialect_insert(self.conn)(t.opportunities).values(rows)
            await self.conn.execute(insert.on_conflict_do_nothing(index_elements=["opportunity_id"]))

    async def partner_opportunities(self, partner_id: str) -> list[PartnerOpportunity]:
        """The partner's opportunities, newest change first."""
        o = t.opportunities
        rows = await self.conn.execute(
            sa.select(o).where(o.c.partner_id == partner_id).order_by(o.c.updated_at.desc(), o.c.opportunity_id.desc())
        )
        return [_opportunity_from(r) for r in rows]

    # ------------------------------------------------------------ staff

    async def add_staff(self, member: StaffMember) -> None:
        """Add a staff member."""
        await self.conn.execute(t.staff.insert().values(**_staff_row(member)))

    async def replace_staff(self, member: StaffMember) -> None:
        """Store a staff member's new state (the version check makes one winner).

        Raises:
            Conflict: someone else changed the staff member meanwhile.
        """
        result = await self.conn.execute(
            t.staff.update()
            .where(t.staff.c.id == member.id)
            .where(t.staff.c.version == member.version - 1)
            .values(**{k: v for k, v in _staff_row(member).items() if k not in ("id", "created_at")})
        )
        if result.rowcount != 1:
            raise Conflict(
                "the staff member was changed by someone else meanwhile; reload and try again",
                code="record.changed_meanwhile",
            )

    async def get_staff(self, staff_id: str) -> StaffMember | None:
        """One staff member, or None (an id that is not a UUID, a hand-made identity's, names nobody)."""
        if not is_uuid(staff_id):
            return None
        row = (await self.conn.execute(sa.select(t.staff).where(t.staff.c.id == staff_id))).first()
        return _staff_from(row) if row else None

    async def team_of(self, staff_id: str) -> frozenset[str]:
        """The staff ids of a person's team (the person included), as the tasks service computes it."""
        me = await self.get_staff(staff_id)
        if me is None or not me.team:
            return frozenset({staff_id})
        rows = await self.conn.execute(sa.select(t.staff.c.id).where(t.staff.c.team == me.team))
        return frozenset({staff_id, *(str(r.id) for r in rows)})

    async def login_owner(self, login: str) -> str | None:
        """The staff member a user login is linked to, if any."""
        row = (await self.conn.execute(sa.select(t.staff.c.id).where(t.staff.c.user_login == login))).first()
        return str(row.id) if row else None

    async def known_staff(self, ids: Iterable[str]) -> set[str]:
        """The ids among these that are staff members."""
        found: set[str] = set()
        for chunk in _chunks([i for i in ids if is_uuid(i)]):
            found |= set((await self.conn.execute(sa.select(t.staff.c.id).where(t.staff.c.id.in_(chunk)))).scalars())
        return found

    async def staff_by_references(self, references: Iterable[str]) -> list[StaffMember]:
        """The staff members whose email, login or folded name is one of these, in one query per chunk."""
        found: dict[str, StaffMember] = {}
        for chunk in _chunks(fold(r) for r in references if r.strip()):
            lowered = sorted({r.lower() for r in chunk})
            query = sa.select(t.staff).where(
                sa.or_(
                    t.staff.c.name_key.in_(chunk),
                    sa.func.lower(t.staff.c.email).in_(lowered),
                    sa.func.lower(t.staff.c.user_login).in_(lowered),
                )
            )
            found.update((m.id, m) for m in map(_staff_from, await self.conn.execute(query)))
        return list(found.values())

    async def list_staff(
        self,
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
        query = sa.select(t.staff).where(*where).order_by(t.staff.c.name_key, t.staff.c.id)
        rows = [_staff_from(r) for r in await self.conn.execute(query)]
        if category:
            wanted = fold(category)
            rows = [r for r in rows if any(fold(c) == wanted for c in r.categories)]
        return rows[offset : offset + limit], len(rows)

    async def find_staff(self, q: str, *, active: bool | None, limit: int) -> list[StaffMember]:
        """At most ``limit`` staff members whose folded name has a word starting with each word of ``q``."""
        words = fold(q).split()
        if not words:
            return []
        key = t.staff.c.name_key
        where = [_word_match(key, w) for w in words]
        if active is not None:
            where.append(t.staff.c.active == active)
        starts = sa.case((key.like(_prefix(fold(q)), escape="\\"), 0), else_=1)
        query = sa.select(t.staff).where(*where).order_by(starts, key, t.staff.c.id).limit(limit)
        return [_staff_from(r) for r in await self.conn.execute(query)]

    # ------------------------------------------------------------ task owners

    async def keep_task_owners(self, task_id: str, owners: TaskOwners) -> None:
        """Record who a task is for and from (replacing what was kept)."""
        values = {
            "responsible_staff_id": owners.responsible_staff_id,
            "creator_staff_id": owners.creator_staff_id,
            "creator_user": owners.creator_user,
        }
        insert = dialect_insert(self.conn)(t.task_owners).values(task_id=task_id, **values)
        await self.conn.execute(
            insert.on_conflict_do_update(index_elements=["task_id"], set_={k: insert.excluded[k] for k in values})
        )

    async def add_task_creators(self, owners: Mapping[str, TaskOwners]) -> None:
        """Keep new tasks' owners in one statement per ENTRY_CHUNK; a kept task keeps its responsible."""
        items = sorted(owners.items())
        for start in range(0, len(items), ENTRY_CHUNK):
            rows = [
                {
                    "task_id": task_id,
                    "responsible_staff_id": o.responsible_staff_id,
                    "creator_staff_id": o.creator_staff_id,
                    "creator_user": o.creator_user,
                }
                for task_id, o in items[start : start + ENTRY_CHUNK]
            ]
            insert = dialect_insert(self.conn)(t.task_owners).values(rows)
            creator = {k: insert.excluded[k] for k in ("creator_staff_id", "creator_user")}
            await self.conn.execute(insert.on_conflict_do_update(index_elements=["task_id"], set_=creator))

    async def task_owners(self, task_ids: Iterable[str]) -> dict[str, TaskOwners]:
        """Who the given tasks are for and from (tasks the partners service never heard of are missing)."""
        ids = sorted(set(task_ids))
        if not ids:
            return {}
        o = t.task_owners.c
        rows = await self.conn.execute(sa.select(t.task_owners).where(o.task_id.in_(ids)))
        return {r.task_id: TaskOwners(r.responsible_staff_id, r.creator_staff_id, r.creator_user) for r in rows}

    # ------------------------------------------------------------ dossiers (D1)

    async def add_dossier(self, dossier: Dossier, *, created_by: str | None) -> None:
        """Add a dossier."""
        await self.conn.execute(
            t.dossiers.insert().values(
                id=dossier.id,
                name=dossier.name,
                name_key=fold(dossier.name),
                category=dossier.category,
                partner_id=dossier.partner_id,
                created_at=dossier.created_at,
                created_by=created_by,
            )
        )

    async def get_dossier(self, dossier_id: str) -> Dossier | None:
        """One dossier, or None."""
        row = (await self.conn.execute(sa.select(t.dossiers).where(t.dossiers.c.id == dossier_id))).first()
        return _dossier_from(row) if row else None

    async def add_document(self, doc: FiledDocument) -> None:
        """File a document in its dossier."""
        await self.conn.execute(
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

    async def blob_in_dossier(self, dossier_id: str, sha256: str) -> bool:
        """Whether the dossier holds the blob already."""
        d = t.dossier_documents
        query = sa.select(d.c.id).where(d.c.dossier_id == dossier_id, d.c.sha256 == sha256)
        return (await self.conn.execute(query)).first() is not None

    async def dossier_documents(self, dossier_id: str) -> list[FiledDocument]:
        """The dossier's documents, newest first."""
        d = t.dossier_documents
        rows = await self.conn.execute(
            sa.select(d).where(d.c.dossier_id == dossier_id).order_by(d.c.filed_at.desc(), d.c.id)
        )
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

    async def list_dossiers(
        self, *, partner_id: str | None, category: str | None, limit: int, offset: int
    ) -> tuple[list[tuple[Dossier, int, int]], int]:
        """Dossiers with their document count and total size, newest first."""
        d, doc = t.dossiers, t.dossier_documents
        where = _dossier_where(partner_id, category)
        total = (await self.conn.execute(sa.select(sa.func.count()).select_from(d).where(*where))).scalar_one()
        query = (
            sa.select(
                d,
                sa.func.count(doc.c.id).label("documents"),
                sa.func.coalesce(sa.func.sum(doc.c.size), 0).label("bytes"),
            )
            .select_from(d.outerjoin(doc, doc.c.dossier_id == d.c.id))
            .where(*where)
            .group_by(*d.c)
            .order_by(d.c.created_at.desc(), d.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        rows = await self.conn.execute(query)
        return [(_dossier_from(r), int(r.documents), int(r.bytes)) for r in rows], int(total)

    async def dossier_categories(self, *, partner_id: str | None) -> list[CategoryTotals]:
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
            CategoryTotals(r.category, int(r.dossiers), int(r.documents), int(r.bytes))
            for r in await self.conn.execute(query)
        ]

    async def find_dossiers(self, q: str, *, partner_id: str | None, limit: int) -> list[FoundDossier]:
        """At most ``limit`` dossiers whose folded name or partner's name has a word starting with each word of ``q``.

        Dossiers named starting with the query come first, then the others by name; a blank query lists the
        partner's newest dossiers (none without a partner), so a picker opened on a document offers them at once.
        """
        d, p = t.dossiers, t.partners
        words = fold(q).split()
        where: list[sa.ColumnElement[bool]] = [
            sa.or_(_word_match(d.c.name_key, w), _word_match(p.c.name_key, w)) for w in words
        ]
        if partner_id:
            where.append(d.c.partner_id == partner_id)
        if not where:
            return []
        query = sa.select(d, p.c.name.label("partner_name")).select_from(d.outerjoin(p, p.c.id == d.c.partner_id))
        if words:
            starts = sa.case((d.c.name_key.like(_prefix(fold(q)), escape="\\"), 0), else_=1)
            query = query.order_by(starts, d.c.name_key, d.c.id)
        else:
            query = query.order_by(d.c.created_at.desc(), d.c.id.desc())
        rows = await self.conn.execute(query.where(*where).limit(limit))
        return [FoundDossier(_dossier_from(r), r.partner_name) for r in rows]

    # ------------------------------------------------------------ partner history (H1)

    async def _add_entries(self, tables: HistoryTables, entries: Sequence[TimelineEntry], recorded_at: datetime) -> int:
        """Record entries (each (partner, event) once) and count the new ones per partner and kind.

        Two statements per ENTRY_CHUNK entries: the entries not recorded yet (``RETURNING`` says which were
        new), then their counts added per partner and kind.
        """
        insert = dialect_insert(self.conn)
        first: dict[tuple[str, str], TimelineEntry] = {}
        for e in entries:  # the first entry of a (partner, event) wins, as ON CONFLICT DO NOTHING keeps it
            first.setdefault((e.partner_id, e.event_id), e)
        unique = list(first.values())
        added = 0
        for start in range(0, len(unique), ENTRY_CHUNK):
            rows = [_entry_row(e, recorded_at) for e in unique[start : start + ENTRY_CHUNK]]
            stmt = (
                insert(tables.entries)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["partner_id", "event_id"])
                .returning(tables.entries.c.partner_id, tables.entries.c.kind)
            )
            new = Counter((r.partner_id, r.kind) for r in await self.conn.execute(stmt))
            if not new:
                continue
            added += sum(new.values())
            counts = insert(tables.counts).values(
                [{"partner_id": p, "kind": k, "n": n} for (p, k), n in sorted(new.items())]
            )
            await self.conn.execute(
                counts.on_conflict_do_update(
                    index_elements=["partner_id", "kind"], set_={"n": tables.counts.c.n + counts.excluded.n}
                )
            )
        return added

    async def add_entries(self, entries: Sequence[TimelineEntry]) -> int:
        """Record live entries in a few statements (each (partner, event) once); how many were new.

        They are recorded now, by the wall clock: the swap of a rebuild compares it.
        """
        return await self._add_entries(LIVE, entries, datetime.now(UTC))

    async def _history_page(
        self, tables: HistoryTables, partner_id: str, req: PageRequest
    ) -> tuple[list[TimelineEntry], int]:
        h, n = tables.entries, tables.counts
        where = [h.c.partner_id == partner_id]
        count_where = [n.c.partner_id == partner_id]
        if req.kinds:
            where.append(h.c.kind.in_(req.kinds))
            count_where.append(n.c.kind.in_(req.kinds))
        total_query = sa.select(sa.func.coalesce(sa.func.sum(n.c.n), 0)).where(*count_where)
        total = (await self.conn.execute(total_query)).scalar_one()
        rows = await self.conn.execute(
            sa.select(h)
            .where(*where)
            .order_by(h.c.occurred_at.desc(), h.c.event_id.desc())
            .limit(req.limit)
            .offset(req.offset)
        )
        return [_entry_from(r) for r in rows], int(total)

    async def history_page(self, partner_id: str, req: PageRequest) -> tuple[list[TimelineEntry], int]:
        """A page of a partner's history, newest first, and how many entries there are (of those kinds)."""
        return await self._history_page(LIVE, partner_id, req)

    async def clear_rebuilt_history(self) -> None:
        """Empty the rebuild projection."""
        await self.conn.execute(REBUILD.entries.delete())
        await self.conn.execute(REBUILD.counts.delete())

    async def add_rebuilt_entries(self, entries: Sequence[TimelineEntry], *, recorded_at: datetime) -> int:
        """Record replayed entries in the rebuild projection; returns how many were new."""
        return await self._add_entries(REBUILD, entries, recorded_at)

    async def rebuilt_history_page(self, partner_id: str, req: PageRequest) -> tuple[list[TimelineEntry], int]:
        """A page of a partner's rebuilt history, newest first, and how many entries it has."""
        return await self._history_page(REBUILD, partner_id, req)

    async def rebuilt_history_partners(self) -> int:
        """How many partners the rebuild projection has entries for."""
        query = sa.select(sa.func.count(sa.distinct(REBUILD.counts.c.partner_id)))
        return int((await self.conn.execute(query)).scalar_one())

    async def history_differences(self) -> tuple[int, int]:
        """How many entries are only in the rebuild, and how many only in the live history."""
        live = await history_rows(self.conn, LIVE)
        rebuilt = await history_rows(self.conn, REBUILD)
        return len(rebuilt - live), len(live - rebuilt)

    async def swap_in_rebuilt_history(self, *, replay_started_at: datetime) -> int:
        """Make the rebuilt history the live one; returns the number of live entries after.

        Entries the live consumer recorded before the replay started are replaced by the rebuilt
        ones (which cover every event up to the topics' ends at that moment); entries it recorded
        since are kept, so the live consumer can keep running meanwhile.
        """
        conn = self.conn
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

    # ------------------------------------------------------------ CSV imports

    async def add_import(self, item: PartnerImport) -> None:
        """Add an import."""
        await self.conn.execute(t.partner_imports.insert().values(**_import_row(item)))

    async def save_import(self, item: PartnerImport) -> None:
        """Store an import's progress or outcome."""
        values = {k: v for k, v in _import_row(item).items() if k not in ("id", "created_at", "created_by")}
        await self.conn.execute(t.partner_imports.update().where(t.partner_imports.c.id == item.id).values(**values))

    async def get_import(self, import_id: str) -> PartnerImport | None:
        """One import, or None."""
        i = t.partner_imports
        row = (await self.conn.execute(sa.select(i).where(i.c.id == import_id))).first()
        return _import_from(row) if row else None

    async def list_imports(self, *, limit: int, offset: int) -> tuple[list[PartnerImport], int]:
        """A page of imports, newest first, and how many there are."""
        i = t.partner_imports
        total = (await self.conn.execute(sa.select(sa.func.count()).select_from(i))).scalar_one()
        rows = await self.conn.execute(
            sa.select(i).order_by(i.c.created_at.desc(), i.c.id.desc()).limit(limit).offset(offset)
        )
        return [_import_from(r) for r in rows], int(total)


def _dossier_where(partner_id: str | None, category: str | None) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if partner_id:
        where.append(t.dossiers.c.partner_id == partner_id)
    if category:
        where.append(t.dossiers.c.category == category)
    return where
