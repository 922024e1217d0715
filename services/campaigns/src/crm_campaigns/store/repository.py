"""Reads and writes of the campaigns store; every function takes the caller's connection (its transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_campaigns.domain.campaigns import Campaign
from crm_campaigns.domain.members import MemberFilter
from crm_campaigns.domain.results import Fact, Measure
from crm_campaigns.store.tables import (
    Id,
    campaigns,
    contracts,
    cost_documents,
    facts,
    invoices,
    members,
    opportunities,
    opportunity_requests,
    orders,
    partners,
)
from crm_kit.store import UTCDateTime, dialect_insert

CHUNK = 1000
"""Rows per multi-row INSERT (keeps every statement under SQLite's bound-parameter limit)."""


# --- campaigns -----------------------------------------------------------------------------------------


def _campaign(row: sa.Row[Any]) -> Campaign:
    return Campaign(
        id=row.id,
        name=row.name,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        objective=row.objective,
        segment=row.segment,
        estimated_cost=Decimal(row.estimated_cost),
        estimated_revenue=Decimal(row.estimated_revenue),
        return_months=row.return_months,
        created_at=_utc(row.created_at),
        updated_at=_utc(row.updated_at),
    )


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _campaign_values(c: Campaign) -> dict[str, Any]:
    return {
        "name": c.name,
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
        "objective": c.objective,
        "segment": c.segment,
        "estimated_cost": c.estimated_cost,
        "estimated_revenue": c.estimated_revenue,
        "return_months": c.return_months,
        "updated_at": c.updated_at,
    }


async def insert_campaign(conn: AsyncConnection, c: Campaign, created_by: str | None) -> None:
    await conn.execute(
        campaigns.insert().values(id=c.id, created_at=c.created_at, created_by=created_by, **_campaign_values(c))
    )


async def update_campaign(conn: AsyncConnection, c: Campaign) -> None:
    await conn.execute(campaigns.update().where(campaigns.c.id == c.id).values(**_campaign_values(c)))


async def get_campaign(conn: AsyncConnection, campaign_id: UUID, *, for_update: bool = False) -> Campaign | None:
    query = sa.select(campaigns).where(campaigns.c.id == campaign_id)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _campaign(row) if row else None


async def list_campaigns(
    conn: AsyncConnection, *, name: str | None, limit: int, offset: int
) -> tuple[list[Campaign], int]:
    where = sa.true() if not name else campaigns.c.name.ilike(f"%{name}%")
    total = (await conn.execute(sa.select(sa.func.count()).select_from(campaigns).where(where))).scalar_one()
    rows = await conn.execute(
        sa.select(campaigns)
        .where(where)
        .order_by(campaigns.c.starts_on.desc(), campaigns.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [_campaign(r) for r in rows], int(total)


async def existing_campaigns(conn: AsyncConnection, ids: Iterable[UUID | None]) -> set[UUID]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return set()
    rows = await conn.execute(sa.select(campaigns.c.id).where(campaigns.c.id.in_(wanted)))
    return {r.id for r in rows}


async def published_results(conn: AsyncConnection, campaign_id: UUID) -> Any:
    return (
        await conn.execute(sa.select(campaigns.c.published_results).where(campaigns.c.id == campaign_id))
    ).scalar_one_or_none()


async def set_published_results(conn: AsyncConnection, campaign_id: UUID, value: Any) -> None:
    await conn.execute(campaigns.update().where(campaigns.c.id == campaign_id).values(published_results=value))


# --- partners (read model of crm.partners) and members ---------------------------------------------------


async def upsert_partner(conn: AsyncConnection, values: dict[str, Any]) -> None:
    stmt = dialect_insert(conn)(partners).values(**values)
    update = {k: stmt.excluded[k] for k in values if k != "partner_id"}
    await conn.execute(stmt.on_conflict_do_update(index_elements=["partner_id"], set_=update))


def partner_filter(f: MemberFilter) -> sa.ColumnElement[bool]:
    """The WHERE clause of a member filter over the partners read model."""
    p = partners.c
    clauses: list[sa.ColumnElement[bool]] = [p.kind.in_(f.kinds)]
    if f.folded_name:
        escaped = f.folded_name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append(p.name_folded.like(f"%{escaped}%", escape="\\"))
    if f.fiscal:
        clauses.append(p.fiscal_digits == f.fiscal)
    if f.folded_locality:
        clauses.append(p.locality_folded == f.folded_locality)
    if f.folded_county:
        clauses.append(p.county_folded == f.folded_county)
    if f.folded_domain:
        clauses.append(p.domain_folded == f.folded_domain)
    if f.turnover_min is not None:
        clauses.append(p.turnover >= f.turnover_min)
    if f.turnover_max is not None:
        clauses.append(p.turnover <= f.turnover_max)
    if f.employees_min is not None:
        clauses.append(p.employees >= f.employees_min)
    if f.employees_max is not None:
        clauses.append(p.employees <= f.employees_max)
    return sa.and_(*clauses)


@dataclass(frozen=True)
class MatchCount:
    matching: int
    already_members: int

    @property
    def would_add(self) -> int:
        return self.matching - self.already_members


async def count_matching(conn: AsyncConnection, campaign_id: UUID, f: MemberFilter) -> MatchCount:
    """How many partners match a filter, and how many of them are members already."""
    is_member = (
        sa.select(members.c.partner_id)
        .where(members.c.campaign_id == campaign_id)
        .where(members.c.partner_id == partners.c.partner_id)
        .exists()
    )
    row = (
        await conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(sa.case((is_member, 1), else_=0)), 0),
            )
            .select_from(partners)
            .where(partner_filter(f))
        )
    ).one()
    return MatchCount(matching=int(row[0]), already_members=int(row[1]))


async def add_members_matching(
    conn: AsyncConnection, campaign_id: UUID, f: MemberFilter, now: dt.datetime, by: str | None
) -> list[UUID]:
    """Make every partner matching the filter a member; returns those that were not members before."""
    select = sa.select(
        sa.literal(campaign_id, Id),
        partners.c.partner_id,
        sa.literal(now, UTCDateTime),
        sa.literal(by, sa.String(100)),
    ).where(partner_filter(f))
    stmt = (
        dialect_insert(conn)(members)
        .from_select(["campaign_id", "partner_id", "added_at", "added_by"], select)
        .on_conflict_do_nothing()
        .returning(members.c.partner_id)
    )
    return [r.partner_id for r in await conn.execute(stmt)]


async def add_members(
    conn: AsyncConnection, campaign_id: UUID, partner_ids: Sequence[UUID], now: dt.datetime, by: str | None
) -> list[UUID]:
    """Make the given partners members; returns those that were not members before."""
    added: list[UUID] = []
    unique = list(dict.fromkeys(partner_ids))
    for start in range(0, len(unique), CHUNK):
        rows = [
            {"campaign_id": campaign_id, "partner_id": pid, "added_at": now, "added_by": by}
            for pid in unique[start : start + CHUNK]
        ]
        stmt = dialect_insert(conn)(members).values(rows).on_conflict_do_nothing().returning(members.c.partner_id)
        added += [r.partner_id for r in await conn.execute(stmt)]
    return added


async def unknown_partners(conn: AsyncConnection, partner_ids: Sequence[UUID]) -> list[UUID]:
    """The ids that name no partner of the read model."""
    known: set[UUID] = set()
    unique = list(dict.fromkeys(partner_ids))
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start : start + CHUNK]
        rows = await conn.execute(sa.select(partners.c.partner_id).where(partners.c.partner_id.in_(chunk)))
        known |= {r.partner_id for r in rows}
    return [pid for pid in unique if pid not in known]


async def non_members(conn: AsyncConnection, campaign_id: UUID, partner_ids: Sequence[UUID]) -> list[UUID]:
    """The ids that are not members of the campaign."""
    found: set[UUID] = set()
    unique = list(dict.fromkeys(partner_ids))
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start : start + CHUNK]
        rows = await conn.execute(
            sa.select(members.c.partner_id)
            .where(members.c.campaign_id == campaign_id)
            .where(members.c.partner_id.in_(chunk))
        )
        found |= {r.partner_id for r in rows}
    return [pid for pid in unique if pid not in found]


async def member_ids(conn: AsyncConnection, campaign_id: UUID) -> list[UUID]:
    rows = await conn.execute(
        sa.select(members.c.partner_id).where(members.c.campaign_id == campaign_id).order_by(members.c.partner_id)
    )
    return [r.partner_id for r in rows]


async def remove_member(conn: AsyncConnection, campaign_id: UUID, partner_id: UUID) -> bool:
    result = await conn.execute(
        members.delete().where(members.c.campaign_id == campaign_id).where(members.c.partner_id == partner_id)
    )
    return bool(result.rowcount)


async def list_members(conn: AsyncConnection, campaign_id: UUID, *, limit: int, offset: int) -> tuple[list[Any], int]:
    """Members with their partner details and the opportunity generated for them, if any."""
    where = members.c.campaign_id == campaign_id
    total = (await conn.execute(sa.select(sa.func.count()).select_from(members).where(where))).scalar_one()
    r = opportunity_requests
    rows = await conn.execute(
        sa.select(
            members.c.partner_id,
            members.c.added_at,
            partners.c.kind,
            partners.c.name,
            partners.c.fiscal_code,
            partners.c.locality,
            partners.c.county,
            partners.c.turnover,
            partners.c.employees,
            partners.c.activity_domain,
            r.c.requested_at,
            r.c.opportunity_id,
        )
        .select_from(
            members.outerjoin(partners, partners.c.partner_id == members.c.partner_id).outerjoin(
                r, sa.and_(r.c.campaign_id == members.c.campaign_id, r.c.partner_id == members.c.partner_id)
            )
        )
        .where(where)
        .order_by(partners.c.name, members.c.partner_id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), int(total)


# --- commercial and opportunities read models ---------------------------------------------------------------


async def _upsert(
    conn: AsyncConnection, table: sa.Table, key: str, values: dict[str, Any], keep: Sequence[str] = ()
) -> None:
    stmt = dialect_insert(conn)(table).values(**values)
    update = {k: stmt.excluded[k] for k in values if k != key and k not in keep}
    await conn.execute(stmt.on_conflict_do_update(index_elements=[key], set_=update))


async def upsert_cost_document(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await _upsert(conn, cost_documents, "document_id", values)


async def upsert_order(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await _upsert(conn, orders, "order_id", values)


async def upsert_contract(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await _upsert(conn, contracts, "contract_id", values)


async def upsert_invoice(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await _upsert(conn, invoices, "invoice_id", values)


async def upsert_opportunity(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await _upsert(conn, opportunities, "opportunity_id", values, keep=("opened_at",))


async def get_row(conn: AsyncConnection, table: sa.Table, key: UUID) -> sa.Row[Any] | None:
    pk = next(iter(table.primary_key.columns))
    return (await conn.execute(sa.select(table).where(pk == key))).first()


async def opportunity_campaign(conn: AsyncConnection, opportunity_id: UUID | None) -> UUID | None:
    if opportunity_id is None:
        return None
    return (
        await conn.execute(
            sa.select(opportunities.c.campaign_id).where(opportunities.c.opportunity_id == opportunity_id)
        )
    ).scalar_one_or_none()


async def set_document_campaign(conn: AsyncConnection, table: sa.Table, key: UUID, campaign_id: UUID) -> bool:
    """Give an order or contract its campaign, unless it has one already; True when it was given now."""
    pk = next(iter(table.primary_key.columns))
    result = await conn.execute(
        table.update().where(pk == key).where(table.c.campaign_id.is_(None)).values(campaign_id=campaign_id)
    )
    return bool(result.rowcount)


async def unattributed_from_opportunity(
    conn: AsyncConnection, table: sa.Table, opportunity_id: UUID
) -> list[sa.Row[Any]]:
    rows = await conn.execute(
        sa.select(table).where(table.c.source_opportunity_id == opportunity_id).where(table.c.campaign_id.is_(None))
    )
    return list(rows.all())


async def invoices_on(
    conn: AsyncConnection, *, order_id: UUID | None = None, contract_id: UUID | None = None
) -> list[sa.Row[Any]]:
    column = invoices.c.order_id if order_id is not None else invoices.c.contract_id
    rows = await conn.execute(
        sa.select(invoices).where(column == (order_id or contract_id)).order_by(invoices.c.issued_on)
    )
    return list(rows.all())


# --- facts and results ------------------------------------------------------------------------------------------


async def insert_fact(conn: AsyncConnection, fact: Fact, recorded_at: dt.datetime) -> bool:
    """Count a fact; False (and nothing written) when that document already counts for that measure."""
    stmt = (
        dialect_insert(conn)(facts)
        .values(
            campaign_id=fact.campaign_id,
            measure=fact.measure.value,
            source_id=fact.source_id,
            source_kind=fact.source_kind,
            number=fact.number,
            partner_id=fact.partner_id,
            net=fact.net,
            effective_on=fact.effective_on,
            month=fact.month,
            via=fact.via.value,
            recorded_at=recorded_at,
        )
        .on_conflict_do_nothing(index_elements=["measure", "source_id"])
    )
    result = await conn.execute(stmt)
    return bool(result.rowcount)


async def fact_for(conn: AsyncConnection, measure: Measure, source_id: UUID) -> sa.Row[Any] | None:
    return (
        await conn.execute(
            sa.select(facts).where(facts.c.measure == measure.value).where(facts.c.source_id == source_id)
        )
    ).first()


def _facts_of(campaign_id: UUID, as_of: dt.date | None) -> sa.ColumnElement[bool]:
    where = facts.c.campaign_id == campaign_id
    if as_of is not None:
        where = sa.and_(where, facts.c.effective_on <= as_of)
    return where


async def sums(conn: AsyncConnection, campaign_id: UUID, as_of: dt.date | None) -> dict[Measure, Decimal]:
    """The sum of each measure's facts that took effect on or before ``as_of``."""
    rows = await conn.execute(
        sa.select(facts.c.measure, sa.func.sum(facts.c.net).label("total"))
        .where(_facts_of(campaign_id, as_of))
        .where(facts.c.measure != Measure.RETURN.value)
        .group_by(facts.c.measure)
    )
    return {Measure(r.measure): Decimal(r.total) for r in rows}


async def returns_by_month(conn: AsyncConnection, campaign_id: UUID, as_of: dt.date | None) -> dict[str, Decimal]:
    rows = await conn.execute(
        sa.select(facts.c.month, sa.func.sum(facts.c.net).label("total"))
        .where(_facts_of(campaign_id, as_of))
        .where(facts.c.measure == Measure.RETURN.value)
        .group_by(facts.c.month)
    )
    return {r.month: Decimal(r.total) for r in rows}


async def list_facts(
    conn: AsyncConnection, campaign_id: UUID, measure: Measure, as_of: dt.date | None, *, limit: int, offset: int
) -> tuple[list[sa.Row[Any]], int]:
    where = sa.and_(_facts_of(campaign_id, as_of), facts.c.measure == measure.value)
    total = (await conn.execute(sa.select(sa.func.count()).select_from(facts).where(where))).scalar_one()
    rows = await conn.execute(
        sa.select(facts).where(where).order_by(facts.c.effective_on, facts.c.id).limit(limit).offset(offset)
    )
    return list(rows), int(total)


# --- generated opportunities (M7) -------------------------------------------------------------------------------


async def insert_requests(
    conn: AsyncConnection,
    campaign_id: UUID,
    partner_ids: Sequence[UUID],
    *,
    request_id: UUID,
    owner_staff_id: UUID | None,
    now: dt.datetime,
    by: str | None,
) -> list[UUID]:
    """Record an opportunity request per (campaign, partner); returns the partners not requested before."""
    added: list[UUID] = []
    unique = list(dict.fromkeys(partner_ids))
    t = opportunity_requests
    for start in range(0, len(unique), CHUNK):
        rows = [
            {
                "campaign_id": campaign_id,
                "partner_id": pid,
                "request_id": request_id,
                "owner_staff_id": owner_staff_id,
                "requested_at": now,
                "requested_by": by,
            }
            for pid in unique[start : start + CHUNK]
        ]
        stmt = dialect_insert(conn)(t).values(rows).on_conflict_do_nothing().returning(t.c.partner_id)
        added += [r.partner_id for r in await conn.execute(stmt)]
    return added


async def latest_request(conn: AsyncConnection, campaign_id: UUID) -> Any:
    """The campaign's latest opportunity request (``requested_at``, ``requested_by``), or None."""
    t = opportunity_requests
    query = (
        sa.select(t.c.requested_at, t.c.requested_by)
        .where(t.c.campaign_id == campaign_id)
        .order_by(t.c.requested_at.desc())
        .limit(1)
    )
    return (await conn.execute(query)).first()


async def mark_opened(
    conn: AsyncConnection, campaign_id: UUID, partner_id: UUID, opportunity_id: UUID, at: dt.datetime
) -> bool:
    t = opportunity_requests
    result = await conn.execute(
        t.update()
        .where(t.c.campaign_id == campaign_id)
        .where(t.c.partner_id == partner_id)
        .where(t.c.opportunity_id.is_(None))
        .values(opportunity_id=opportunity_id, opened_at=at)
    )
    return bool(result.rowcount)


async def request_progress(conn: AsyncConnection, campaign_id: UUID) -> tuple[int, int]:
    """(requested, opened) opportunity counts of a campaign."""
    t = opportunity_requests
    row = (
        await conn.execute(
            sa.select(sa.func.count(), sa.func.count(t.c.opportunity_id)).where(t.c.campaign_id == campaign_id)
        )
    ).one()
    return int(row[0]), int(row[1])


async def member_count(conn: AsyncConnection, campaign_id: UUID) -> int:
    return int(
        (
            await conn.execute(
                sa.select(sa.func.count()).select_from(members).where(members.c.campaign_id == campaign_id)
            )
        ).scalar_one()
    )
