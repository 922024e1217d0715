"""The SQL adapter of the ``Repository`` port: campaigns, members, facts, requests and read models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_campaigns.domain.campaigns import Campaign
from crm_campaigns.domain.documents import Contract, CostDocument, Invoice, Order
from crm_campaigns.domain.generation import Opened, RequestStamp
from crm_campaigns.domain.members import MatchCount, Member, MemberFilter, Partner, fiscal_digits, fold
from crm_campaigns.domain.results import Fact, Measure, Via
from crm_campaigns.domain.search import Search, name_key
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
        "name_key": name_key(c.name),
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
        "objective": c.objective,
        "segment": c.segment,
        "estimated_cost": c.estimated_cost,
        "estimated_revenue": c.estimated_revenue,
        "return_months": c.return_months,
        "updated_at": c.updated_at,
    }


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


def _facts_of(campaign_id: UUID, as_of: dt.date | None) -> sa.ColumnElement[bool]:
    where = facts.c.campaign_id == campaign_id
    if as_of is not None:
        where = sa.and_(where, facts.c.effective_on <= as_of)
    return where


def _fact(row: Any) -> Fact:
    return Fact(
        campaign_id=row.campaign_id,
        measure=Measure(row.measure),
        source_id=row.source_id,
        net=Decimal(row.net),
        effective_on=row.effective_on,
        via=Via(row.via),
        source_kind=row.source_kind,
        number=row.number,
        partner_id=row.partner_id,
        month=row.month,
    )


def _cost_document(row: Any) -> CostDocument:
    return CostDocument(
        document_id=row.document_id,
        kind=row.kind,
        number=row.number,
        date=row.date,
        net=Decimal(row.net),
        vat=Decimal(row.vat),
        partner_id=row.partner_id,
        campaign_id=row.campaign_id,
    )


def _order(row: Any) -> Order:
    return Order(
        order_id=row.order_id,
        partner_id=row.partner_id,
        number=row.number,
        issued_on=row.issued_on,
        net=Decimal(row.net),
        source_campaign_id=row.source_campaign_id,
        source_opportunity_id=row.source_opportunity_id,
        campaign_id=row.campaign_id,
    )


def _contract(row: Any) -> Contract:
    return Contract(
        contract_id=row.contract_id,
        partner_id=row.partner_id,
        number=row.number,
        kind=row.kind,
        issued_on=row.issued_on,
        starts_on=row.starts_on,
        net=Decimal(row.net),
        ends_on=row.ends_on,
        monthly_value=None if row.monthly_value is None else Decimal(row.monthly_value),
        source_campaign_id=row.source_campaign_id,
        source_opportunity_id=row.source_opportunity_id,
        campaign_id=row.campaign_id,
    )


def _invoice(row: Any) -> Invoice:
    return Invoice(
        invoice_id=row.invoice_id,
        partner_id=row.partner_id,
        number=row.number,
        issued_on=row.issued_on,
        net=Decimal(row.net),
        order_id=row.order_id,
        contract_id=row.contract_id,
        period=row.period,
    )


def _member(row: Any) -> Member:
    return Member(
        partner_id=row.partner_id,
        added_at=row.added_at,
        kind=row.kind,
        name=row.name,
        fiscal_code=row.fiscal_code,
        locality=row.locality,
        county=row.county,
        turnover=row.turnover,
        employees=row.employees,
        activity_domain=row.activity_domain,
        requested_at=row.requested_at,
        opportunity_id=row.opportunity_id,
    )


def _prefix(value: str) -> str:
    """A LIKE pattern for text starting with ``value``, its wildcards taken literally."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class SqlRepository:
    """The ``Repository`` port on the campaigns store, inside one connection (its unit of work's)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def insert_campaign(self, c: Campaign, created_by: str | None) -> None:
        await self.conn.execute(
            campaigns.insert().values(id=c.id, created_at=c.created_at, created_by=created_by, **_campaign_values(c))
        )

    async def update_campaign(self, c: Campaign) -> None:
        await self.conn.execute(campaigns.update().where(campaigns.c.id == c.id).values(**_campaign_values(c)))

    async def get_campaign(self, campaign_id: UUID, *, for_update: bool = False) -> Campaign | None:
        query = sa.select(campaigns).where(campaigns.c.id == campaign_id)
        if for_update and self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return _campaign(row) if row else None

    async def list_campaigns(
        self, *, name: str | None, limit: int, offset: int, member: UUID | None = None
    ) -> tuple[list[Campaign], int]:
        where: sa.ColumnElement[bool] = sa.true() if not name else campaigns.c.name.ilike(f"%{name}%")
        if member is not None:
            # one primary-key probe of members per campaign: there are few campaigns and many members
            joined = sa.select(members.c.partner_id).where(
                members.c.campaign_id == campaigns.c.id, members.c.partner_id == member
            )
            where = sa.and_(where, joined.exists())
        total = (await self.conn.execute(sa.select(sa.func.count()).select_from(campaigns).where(where))).scalar_one()
        rows = await self.conn.execute(
            sa.select(campaigns)
            .where(where)
            .order_by(campaigns.c.starts_on.desc(), campaigns.c.id)
            .limit(limit)
            .offset(offset)
        )
        return [_campaign(r) for r in rows], int(total)

    async def find_campaigns(self, q: Search) -> list[Campaign]:
        key = campaigns.c.name_key
        words = [sa.or_(key.like(_prefix(w), escape="\\"), key.like("% " + _prefix(w), escape="\\")) for w in q.words]
        starts = sa.case((key.like(_prefix(q.text), escape="\\"), 0), else_=1)
        rows = await self.conn.execute(
            sa.select(campaigns)
            .where(sa.true(), *words)
            .order_by(starts, campaigns.c.starts_on.desc(), key, campaigns.c.id)
            .limit(q.limit)
        )
        return [_campaign(r) for r in rows]

    async def existing_campaigns(self, ids: Iterable[UUID | None]) -> set[UUID]:
        wanted = {i for i in ids if i is not None}
        if not wanted:
            return set()
        rows = await self.conn.execute(sa.select(campaigns.c.id).where(campaigns.c.id.in_(wanted)))
        return {r.id for r in rows}

    async def published_results(self, campaign_id: UUID) -> dict[str, Any] | None:
        query = sa.select(campaigns.c.published_results).where(campaigns.c.id == campaign_id)
        found: dict[str, Any] | None = (await self.conn.execute(query)).scalar_one_or_none()
        return found

    async def set_published_results(self, campaign_id: UUID, snapshot: dict[str, Any]) -> None:
        await self.conn.execute(
            campaigns.update().where(campaigns.c.id == campaign_id).values(published_results=snapshot)
        )

    async def upsert_partner(self, partner: Partner) -> None:
        values = _partner_row(partner)
        stmt = dialect_insert(self.conn)(partners).values(**values)
        update = {k: stmt.excluded[k] for k in values if k != "partner_id"}
        await self.conn.execute(stmt.on_conflict_do_update(index_elements=["partner_id"], set_=update))

    async def add_new_partners(self, new: Sequence[Partner]) -> None:
        if new:
            rows = [_partner_row(p) for p in new]
            await self.conn.execute(dialect_insert(self.conn)(partners).on_conflict_do_nothing(), rows)

    async def count_matching(self, campaign_id: UUID, f: MemberFilter) -> MatchCount:
        """How many partners match a filter, and how many of them are members already."""
        is_member = (
            sa.select(members.c.partner_id)
            .where(members.c.campaign_id == campaign_id)
            .where(members.c.partner_id == partners.c.partner_id)
            .exists()
        )
        row = (
            await self.conn.execute(
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
        self, campaign_id: UUID, f: MemberFilter, now: dt.datetime, by: str | None
    ) -> list[UUID]:
        """Make every partner matching the filter a member; returns those that were not members before."""
        select = sa.select(
            sa.literal(campaign_id, Id),
            partners.c.partner_id,
            sa.literal(now, UTCDateTime),
            sa.literal(by, sa.String(100)),
        ).where(partner_filter(f))
        stmt = (
            dialect_insert(self.conn)(members)
            .from_select(["campaign_id", "partner_id", "added_at", "added_by"], select)
            .on_conflict_do_nothing()
            .returning(members.c.partner_id)
        )
        return [r.partner_id for r in await self.conn.execute(stmt)]

    async def add_members(
        self, campaign_id: UUID, partner_ids: Sequence[UUID], now: dt.datetime, by: str | None
    ) -> list[UUID]:
        """Make the given partners members; returns those that were not members before."""
        added: list[UUID] = []
        unique = list(dict.fromkeys(partner_ids))
        for start in range(0, len(unique), CHUNK):
            rows = [
                {"campaign_id": campaign_id, "partner_id": pid, "added_at": now, "added_by": by}
                for pid in unique[start : start + CHUNK]
            ]
            stmt = (
                dialect_insert(self.conn)(members).values(rows).on_conflict_do_nothing().returning(members.c.partner_id)
            )
            added += [r.partner_id for r in await self.conn.execute(stmt)]
        return added

    async def unknown_partners(self, partner_ids: Sequence[UUID]) -> list[UUID]:
        """The ids that name no partner of the read model."""
        known: set[UUID] = set()
        unique = list(dict.fromkeys(partner_ids))
        for start in range(0, len(unique), CHUNK):
            chunk = unique[start : start + CHUNK]
            rows = await self.conn.execute(sa.select(partners.c.partner_id).where(partners.c.partner_id.in_(chunk)))
            known |= {r.partner_id for r in rows}
        return [pid for pid in unique if pid not in known]

    async def non_members(self, campaign_id: UUID, partner_ids: Sequence[UUID]) -> list[UUID]:
        """The ids that are not members of the campaign."""
        found: set[UUID] = set()
        unique = list(dict.fromkeys(partner_ids))
        for start in range(0, len(unique), CHUNK):
            chunk = unique[start : start + CHUNK]
            rows = await self.conn.execute(
                sa.select(members.c.partner_id)
                .where(members.c.campaign_id == campaign_id)
                .where(members.c.partner_id.in_(chunk))
            )
            found |= {r.partner_id for r in rows}
        return [pid for pid in unique if pid not in found]

    async def member_ids(self, campaign_id: UUID) -> list[UUID]:
        rows = await self.conn.execute(
            sa.select(members.c.partner_id).where(members.c.campaign_id == campaign_id).order_by(members.c.partner_id)
        )
        return [r.partner_id for r in rows]

    async def remove_member(self, campaign_id: UUID, partner_id: UUID) -> bool:
        result = await self.conn.execute(
            members.delete().where(members.c.campaign_id == campaign_id).where(members.c.partner_id == partner_id)
        )
        return bool(result.rowcount)

    async def list_members(self, campaign_id: UUID, *, limit: int, offset: int) -> tuple[list[Member], int]:
        """Members with their partner details and the opportunity generated for them, if any."""
        where = members.c.campaign_id == campaign_id
        total = (await self.conn.execute(sa.select(sa.func.count()).select_from(members).where(where))).scalar_one()
        r = opportunity_requests
        rows = await self.conn.execute(
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
        return [_member(r) for r in rows], int(total)

    # --- commercial and opportunities read models -----------------------------------------------------------

    async def _upsert(self, table: sa.Table, key: str, values: dict[str, Any], keep: Sequence[str] = ()) -> None:
        stmt = dialect_insert(self.conn)(table).values(**values)
        update = {k: stmt.excluded[k] for k in values if k != key and k not in keep}
        await self.conn.execute(stmt.on_conflict_do_update(index_elements=[key], set_=update))

    async def _row(self, table: sa.Table, key: UUID) -> sa.Row[Any] | None:
        pk = next(iter(table.primary_key.columns))
        return (await self.conn.execute(sa.select(table).where(pk == key))).first()

    async def upsert_opportunities(self, opened: Sequence[Opened]) -> None:
        """Remember opportunities (one per id: PostgreSQL updates a row once per statement) in one executemany."""
        if not opened:
            return
        stmt = dialect_insert(self.conn)(opportunities)
        stmt = stmt.on_conflict_do_update(
            index_elements=["opportunity_id"],
            set_={k: stmt.excluded[k] for k in ("partner_id", "campaign_id", "title")},  # opened_at is kept
        )
        rows = [
            {
                "opportunity_id": o.opportunity_id,
                "partner_id": o.partner_id,
                "campaign_id": o.campaign_id,
                "title": o.title,
                "opened_at": o.at,
            }
            for o in opened
        ]
        await self.conn.execute(stmt, rows)

    async def opportunity_campaign(self, opportunity_id: UUID | None) -> UUID | None:
        if opportunity_id is None:
            return None
        query = sa.select(opportunities.c.campaign_id).where(opportunities.c.opportunity_id == opportunity_id)
        found: UUID | None = (await self.conn.execute(query)).scalar_one_or_none()
        return found

    async def upsert_cost_document(self, doc: CostDocument) -> None:
        values = {
            "document_id": doc.document_id,
            "kind": doc.kind,
            "number": doc.number,
            "date": doc.date,
            "net": doc.net,
            "vat": doc.vat,
            "partner_id": doc.partner_id,
            "campaign_id": doc.campaign_id,
        }
        await self._upsert(cost_documents, "document_id", values)

    async def upsert_order(self, order: Order) -> None:
        # The campaign it counts for is ours, not the ERP's: a re-posted order keeps it.
        values = {
            "order_id": order.order_id,
            "partner_id": order.partner_id,
            "number": order.number,
            "issued_on": order.issued_on,
            "net": order.net,
            "source_campaign_id": order.source_campaign_id,
            "source_opportunity_id": order.source_opportunity_id,
        }
        await self._upsert(orders, "order_id", values)

    async def upsert_contract(self, contract: Contract) -> None:
        values = {
            "contract_id": contract.contract_id,
            "partner_id": contract.partner_id,
            "number": contract.number,
            "kind": contract.kind,
            "issued_on": contract.issued_on,
            "starts_on": contract.starts_on,
            "ends_on": contract.ends_on,
            "monthly_value": contract.monthly_value,
            "net": contract.net,
            "source_campaign_id": contract.source_campaign_id,
            "source_opportunity_id": contract.source_opportunity_id,
        }
        await self._upsert(contracts, "contract_id", values)

    async def upsert_invoice(self, invoice: Invoice) -> None:
        values = {
            "invoice_id": invoice.invoice_id,
            "partner_id": invoice.partner_id,
            "number": invoice.number,
            "issued_on": invoice.issued_on,
            "net": invoice.net,
            "order_id": invoice.order_id,
            "contract_id": invoice.contract_id,
            "period": invoice.period,
        }
        await self._upsert(invoices, "invoice_id", values)

    async def cost_document(self, document_id: UUID) -> CostDocument | None:
        row = await self._row(cost_documents, document_id)
        return None if row is None else _cost_document(row)

    async def order(self, order_id: UUID) -> Order | None:
        row = await self._row(orders, order_id)
        return None if row is None else _order(row)

    async def contract(self, contract_id: UUID) -> Contract | None:
        row = await self._row(contracts, contract_id)
        return None if row is None else _contract(row)

    async def invoice(self, invoice_id: UUID) -> Invoice | None:
        row = await self._row(invoices, invoice_id)
        return None if row is None else _invoice(row)

    async def _set_campaign(self, table: sa.Table, key: UUID, campaign_id: UUID) -> bool:
        """Give an order or contract its campaign, unless it has one already; True when it was given now."""
        pk = next(iter(table.primary_key.columns))
        result = await self.conn.execute(
            table.update().where(pk == key).where(table.c.campaign_id.is_(None)).values(campaign_id=campaign_id)
        )
        return bool(result.rowcount)

    async def set_order_campaign(self, order_id: UUID, campaign_id: UUID) -> bool:
        return await self._set_campaign(orders, order_id, campaign_id)

    async def set_contract_campaign(self, contract_id: UUID, campaign_id: UUID) -> bool:
        return await self._set_campaign(contracts, contract_id, campaign_id)

    async def _unattributed_of(self, table: sa.Table, opportunity_ids: Sequence[UUID]) -> list[sa.Row[Any]]:
        found: list[sa.Row[Any]] = []
        unique = list(dict.fromkeys(opportunity_ids))
        pk = next(iter(table.primary_key.columns))
        for start in range(0, len(unique), CHUNK):
            rows = await self.conn.execute(
                sa.select(table)
                .where(table.c.source_opportunity_id.in_(unique[start : start + CHUNK]))
                .where(table.c.campaign_id.is_(None))
                .order_by(table.c.issued_on, pk)
            )
            found += rows.all()
        return found

    async def unattributed_orders_of(self, opportunity_ids: Sequence[UUID]) -> list[Order]:
        return [_order(r) for r in await self._unattributed_of(orders, opportunity_ids)]

    async def unattributed_contracts_of(self, opportunity_ids: Sequence[UUID]) -> list[Contract]:
        return [_contract(r) for r in await self._unattributed_of(contracts, opportunity_ids)]

    async def _invoices_where(self, where: sa.ColumnElement[bool]) -> list[Invoice]:
        rows = await self.conn.execute(sa.select(invoices).where(where).order_by(invoices.c.issued_on))
        return [_invoice(r) for r in rows]

    async def invoices_on_order(self, order_id: UUID) -> list[Invoice]:
        return await self._invoices_where(invoices.c.order_id == order_id)

    async def invoices_on_contract(self, contract_id: UUID) -> list[Invoice]:
        return await self._invoices_where(invoices.c.contract_id == contract_id)

    # --- facts and results ----------------------------------------------------------------------------------

    async def insert_fact(self, fact: Fact, recorded_at: dt.datetime) -> bool:
        """Count a fact; False (and nothing written) when that document already counts for that measure."""
        stmt = (
            dialect_insert(self.conn)(facts)
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
        result = await self.conn.execute(stmt)
        return bool(result.rowcount)

    async def fact_for(self, measure: Measure, source_id: UUID) -> Fact | None:
        row = (
            await self.conn.execute(
                sa.select(facts).where(facts.c.measure == measure.value).where(facts.c.source_id == source_id)
            )
        ).first()
        return None if row is None else _fact(row)

    async def sums(self, campaign_id: UUID, as_of: dt.date | None) -> dict[Measure, Decimal]:
        """The sum of each measure's facts that took effect on or before ``as_of``."""
        rows = await self.conn.execute(
            sa.select(facts.c.measure, sa.func.sum(facts.c.net).label("total"))
            .where(_facts_of(campaign_id, as_of))
            .where(facts.c.measure != Measure.RETURN.value)
            .group_by(facts.c.measure)
        )
        return {Measure(r.measure): Decimal(r.total) for r in rows}

    async def returns_by_month(self, campaign_id: UUID, as_of: dt.date | None) -> dict[str, Decimal]:
        rows = await self.conn.execute(
            sa.select(facts.c.month, sa.func.sum(facts.c.net).label("total"))
            .where(_facts_of(campaign_id, as_of))
            .where(facts.c.measure == Measure.RETURN.value)
            .group_by(facts.c.month)
        )
        return {r.month: Decimal(r.total) for r in rows}

    async def list_facts(
        self, campaign_id: UUID, measure: Measure, as_of: dt.date | None, *, limit: int, offset: int
    ) -> tuple[list[Fact], int]:
        where = sa.and_(_facts_of(campaign_id, as_of), facts.c.measure == measure.value)
        total = (await self.conn.execute(sa.select(sa.func.count()).select_from(facts).where(where))).scalar_one()
        rows = await self.conn.execute(
            sa.select(facts).where(where).order_by(facts.c.effective_on, facts.c.id).limit(limit).offset(offset)
        )
        return [_fact(r) for r in rows], int(total)

    # --- generated opportunities (M7) -----------------------------------------------------------------------

    async def insert_requests(
        self,
        campaign_id: UUID,
        partner_ids: Sequence[UUID],
        *,
        request_id: UUID,
        owner_staff_id: UUID | None,
        now: dt.datetime,
        by: str | None,
    ) -> list[UUID]:
        """Record an opportunity request per (campaign, partner); returns the partners not requested before.

        One executemany with RETURNING: SQLAlchemy sends it as multi-row INSERTs from one cached statement,
        where a ``.values(rows)`` statement is compiled anew for every call (M7's 10,000 members cost a
        second of CPU in compiling alone).
        """
        unique = list(dict.fromkeys(partner_ids))
        if not unique:
            return []
        t = opportunity_requests
        rows = [
            {
                "campaign_id": campaign_id,
                "partner_id": pid,
                "request_id": request_id,
                "owner_staff_id": owner_staff_id,
                "requested_at": now,
                "requested_by": by,
            }
            for pid in unique
        ]
        stmt = dialect_insert(self.conn)(t).on_conflict_do_nothing().returning(t.c.partner_id)
        added = {r.partner_id for r in await self.conn.execute(stmt, rows)}
        return [pid for pid in unique if pid in added]

    async def latest_request(self, campaign_id: UUID) -> RequestStamp | None:
        """The campaign's latest opportunity request, or None."""
        t = opportunity_requests
        query = (
            sa.select(t.c.requested_at, t.c.requested_by)
            .where(t.c.campaign_id == campaign_id)
            .order_by(t.c.requested_at.desc())
            .limit(1)
        )
        row = (await self.conn.execute(query)).first()
        return None if row is None else RequestStamp(row.requested_at, row.requested_by)

    async def mark_opened_many(self, opened: Sequence[Opened]) -> None:
        """One UPDATE per request, sent as one executemany; a request noted already keeps its opportunity."""
        t = opportunity_requests
        stmt = (
            t.update()
            .where(t.c.campaign_id == sa.bindparam("b_campaign", type_=Id))
            .where(t.c.partner_id == sa.bindparam("b_partner", type_=Id))
            .where(t.c.opportunity_id.is_(None))
            .values(
                opportunity_id=sa.bindparam("b_opportunity", type_=Id),
                opened_at=sa.bindparam("b_at", type_=UTCDateTime),
            )
        )
        rows = [
            {"b_campaign": o.campaign_id, "b_partner": o.partner_id, "b_opportunity": o.opportunity_id, "b_at": o.at}
            for o in opened
            if o.campaign_id is not None
        ]
        if rows:
            await self.conn.execute(stmt, rows)

    async def request_progress(self, campaign_id: UUID) -> tuple[int, int]:
        """(requested, opened) opportunity counts of a campaign."""
        t = opportunity_requests
        row = (
            await self.conn.execute(
                sa.select(sa.func.count(), sa.func.count(t.c.opportunity_id)).where(t.c.campaign_id == campaign_id)
            )
        ).one()
        return int(row[0]), int(row[1])

    async def member_count(self, campaign_id: UUID) -> int:
        return int(
            (
                await self.conn.execute(
                    sa.select(sa.func.count()).select_from(members).where(members.c.campaign_id == campaign_id)
                )
            ).scalar_one()
        )


def _partner_row(partner: Partner) -> dict[str, Any]:
    # The folded columns are how member filters compare text (domain.members.fold); kept beside the originals.
    return {
        "partner_id": partner.partner_id,
        "kind": partner.kind,
        "name": partner.name,
        "name_folded": fold(partner.name) or "",
        "fiscal_code": partner.fiscal_code,
        "fiscal_digits": fiscal_digits(partner.fiscal_code),
        "locality": partner.locality,
        "locality_folded": fold(partner.locality),
        "county": partner.county,
        "county_folded": fold(partner.county),
        "turnover": partner.turnover,
        "employees": partner.employees,
        "activity_domain": partner.activity_domain,
        "domain_folded": fold(partner.activity_domain),
    }
