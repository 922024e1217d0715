"""The SQL adapter of the ``Repository`` port: opportunities, history, documents, catalogues, read models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_kit.errors import Conflict
from crm_kit.store import dialect_insert, transition
from crm_opportunities.domain.documents import Article, Document, Line, already_decided
from crm_opportunities.domain.model import (
    LostReason,
    Opportunity,
    OpportunityFilter,
    Partner,
    StageEntry,
    StageMove,
    StageTotal,
)
from crm_opportunities.domain.stages import STAGES, Stage
from crm_opportunities.store.tables import (
    articles,
    campaign_openings,
    campaigns,
    documents,
    lost_reasons,
    opportunities,
    partners,
    stage_history,
    stage_weights,
)


def _opportunity(row: Any) -> Opportunity:
    return Opportunity(
        id=row.id,
        partner_id=row.partner_id,
        title=row.title,
        potential=row.potential,
        probability=row.probability,
        expected_signing_on=row.expected_signing_on,
        owner_staff_id=row.owner_staff_id,
        campaign_id=row.campaign_id,
        stage=row.stage,
        stage_entered_at=row.stage_entered_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        lost_reason_code=row.lost_reason_code,
        lost_note=row.lost_note,
    )


def _partner(row: Any) -> Partner:
    return Partner(
        partner_id=row.partner_id,
        name=row.name,
        kind=row.kind,
        fiscal_code=row.fiscal_code,
        sales_rep_staff_id=row.sales_rep_staff_id,
    )


def _entry(row: Any) -> StageEntry:
    return StageEntry(
        opportunity_id=row.opportunity_id,
        seq=row.seq,
        from_stage=row.from_stage,
        stage=row.stage,
        entered_at=row.entered_at,
        left_at=row.left_at,
        potential=row.potential,
        probability=row.probability,
        weight=row.weight,
        changed_by=row.changed_by,
        changed_by_staff_id=row.changed_by_staff_id,
        note=row.note,
        delegate_staff_id=row.delegate_staff_id,
        follow_up_at=row.follow_up_at,
        reason_code=row.reason_code,
    )


def _line_to_json(line: Line) -> dict[str, Any]:
    return {
        "article_code": line.article_code,
        "qty": str(line.qty),
        "price": None if line.price is None else str(line.price),
        "description": line.description,
        "unit": line.unit,
        "vat_rate": None if line.vat_rate is None else str(line.vat_rate),
    }


def _line_from_json(data: dict[str, Any]) -> Line:
    return Line(
        article_code=data["article_code"],
        qty=Decimal(data["qty"]),
        price=None if data.get("price") is None else Decimal(data["price"]),
        description=data.get("description"),
        unit=data.get("unit"),
        vat_rate=None if data.get("vat_rate") is None else Decimal(data["vat_rate"]),
    )


def _document(row: Any) -> Document:
    return Document(
        id=row.id,
        opportunity_id=row.opportunity_id,
        kind=row.kind,
        request_id=row.request_id,
        requested_at=row.requested_at,
        requested_by=row.requested_by,
        lines=tuple(_line_from_json(x) for x in row.lines),
        document_id=row.document_id,
        number=row.number,
        issued_on=row.issued_on,
        net=row.net,
        vat=row.vat,
        gross=row.gross,
        currency=row.currency,
        printout_sha256=row.printout_sha256,
        valid_until=row.valid_until,
        from_offer_id=row.from_offer_id,
        decision=row.decision,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        reason_code=row.reason_code,
        note=row.note,
        refusal=row.refusal,
    )


def _document_values(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id,
        "opportunity_id": doc.opportunity_id,
        "kind": doc.kind,
        "request_id": doc.request_id,
        "requested_at": doc.requested_at,
        "requested_by": doc.requested_by,
        "lines": [_line_to_json(x) for x in doc.lines],
        "document_id": doc.document_id,
        "number": doc.number,
        "issued_on": doc.issued_on,
        "net": doc.net,
        "vat": doc.vat,
        "gross": doc.gross,
        "currency": doc.currency,
        "printout_sha256": doc.printout_sha256,
        "valid_until": doc.valid_until,
        "from_offer_id": doc.from_offer_id,
        "decision": doc.decision,
        "decided_at": doc.decided_at,
        "decided_by": doc.decided_by,
        "reason_code": doc.reason_code,
        "note": doc.note,
        "refusal": doc.refusal,
    }


def _moved_meanwhile(row: Any) -> Conflict:
    at = f"{row.stage_entered_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return Conflict(
        f"the opportunity moved to '{row.stage}' at {at} meanwhile",
        code="opportunity.moved_meanwhile",
        params={"stage": row.stage, "at": at},
    )


def _opportunity_values(opp: Opportunity) -> dict[str, Any]:
    return {
        "id": opp.id,
        "partner_id": opp.partner_id,
        "title": opp.title,
        "potential": opp.potential,
        "probability": opp.probability,
        "expected_signing_on": opp.expected_signing_on,
        "owner_staff_id": opp.owner_staff_id,
        "campaign_id": opp.campaign_id,
        "stage": opp.stage,
        "stage_entered_at": opp.stage_entered_at,
        "created_at": opp.created_at,
        "updated_at": opp.updated_at,
        "lost_reason_code": opp.lost_reason_code,
        "lost_note": opp.lost_note,
    }


def _entry_values(entry: StageEntry) -> dict[str, Any]:
    return {
        "opportunity_id": entry.opportunity_id,
        "seq": entry.seq,
        "from_stage": entry.from_stage,
        "stage": entry.stage,
        "entered_at": entry.entered_at,
        "left_at": entry.left_at,
        "potential": entry.potential,
        "probability": entry.probability,
        "weight": entry.weight,
        "changed_by": entry.changed_by,
        "changed_by_staff_id": entry.changed_by_staff_id,
        "note": entry.note,
        "delegate_staff_id": entry.delegate_staff_id,
        "follow_up_at": entry.follow_up_at,
        "reason_code": entry.reason_code,
    }


class SqlRepository:
    """The ``Repository`` port on the opportunities store, inside one connection (its unit of work's)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    # -- opportunities -------------------------------------------------------------------------

    async def get(self, opportunity_id: UUID, *, for_update: bool = False) -> Opportunity | None:
        query = sa.select(opportunities).where(opportunities.c.id == opportunity_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return None if row is None else _opportunity(row)

    async def add(self, move: StageMove) -> None:
        """Save a newly opened opportunity and its first history entry."""
        await self.conn.execute(opportunities.insert().values(**_opportunity_values(move.opportunity)))
        await self.conn.execute(stage_history.insert().values(**_entry_values(move.entry)))

    async def add_many(self, moves: Sequence[StageMove]) -> None:
        """Save newly opened opportunities and their first history entries: one executemany per table."""
        if moves:
            await self.conn.execute(opportunities.insert(), [_opportunity_values(m.opportunity) for m in moves])
            await self.conn.execute(stage_history.insert(), [_entry_values(m.entry) for m in moves])

    async def save(self, opp: Opportunity) -> None:
        """Save an opportunity's details."""
        values = _opportunity_values(opp)
        del values["id"]
        await self.conn.execute(opportunities.update().where(opportunities.c.id == opp.id).values(**values))

    async def save_move(self, move: StageMove) -> None:
        """Save a stage move: the opportunity, the closed stay and the new one.

        Raises:
            Conflict: the opportunity left the stage this move starts from meanwhile (another request won).
        """
        if move.previous is None:
            await self.save(move.opportunity)
        else:
            values = _opportunity_values(move.opportunity)
            del values["id"]
            await transition(
                self.conn,
                opportunities,
                {"id": move.opportunity.id},
                expected={"stage": move.previous.stage},
                values=values,
                lost=_moved_meanwhile,
            )
        if move.previous is not None:
            t = stage_history
            await self.conn.execute(
                t.update()
                .where(t.c.opportunity_id == move.previous.opportunity_id, t.c.seq == move.previous.seq)
                .values(left_at=move.previous.left_at)
            )
        await self.conn.execute(stage_history.insert().values(**_entry_values(move.entry)))

    async def find(
        self, flt: OpportunityFilter, *, limit: int, offset: int
    ) -> tuple[list[tuple[Opportunity, str | None]], int]:
        """A page of opportunities (newest first) with their partner names, and how many match."""
        t = opportunities
        where = []
        if flt.partner_id is not None:
            where.append(t.c.partner_id == flt.partner_id)
        if flt.stage is not None:
            where.append(t.c.stage == flt.stage)
        if flt.campaign_id is not None:
            where.append(t.c.campaign_id == flt.campaign_id)
        if flt.owner_staff_id is not None:
            where.append(t.c.owner_staff_id == flt.owner_staff_id)
        if flt.title:
            where.append(t.c.title.ilike(f"%{flt.title}%"))
        total = (await self.conn.execute(sa.select(sa.func.count()).select_from(t).where(*where))).scalar_one()
        rows = await self.conn.execute(
            sa.select(t, partners.c.name.label("partner_name"))
            .select_from(t.outerjoin(partners, partners.c.partner_id == t.c.partner_id))
            .where(*where)
            .order_by(t.c.created_at.desc(), t.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [(_opportunity(r), r.partner_name) for r in rows], int(total)

    async def history(self, opportunity_id: UUID) -> list[StageEntry]:
        rows = await self.conn.execute(
            sa.select(stage_history)
            .where(stage_history.c.opportunity_id == opportunity_id)
            .order_by(stage_history.c.seq)
        )
        return [_entry(r) for r in rows]

    async def current_entry(self, opportunity_id: UUID) -> StageEntry:
        t = stage_history
        row = (
            await self.conn.execute(
                sa.select(t).where(t.c.opportunity_id == opportunity_id).order_by(t.c.seq.desc()).limit(1)
            )
        ).one()
        return _entry(row)

    async def stage_totals(
        self, *, owner_staff_id: UUID | None = None, campaign_id: UUID | None = None
    ) -> list[StageTotal]:
        """Count and summed potential per stage, in one aggregate query."""
        t = opportunities
        query = sa.select(t.c.stage, sa.func.count(), sa.func.sum(t.c.potential)).group_by(t.c.stage)
        if owner_staff_id is not None:
            query = query.where(t.c.owner_staff_id == owner_staff_id)
        if campaign_id is not None:
            query = query.where(t.c.campaign_id == campaign_id)
        found = {row[0]: (int(row[1]), row[2]) for row in await self.conn.execute(query)}
        return [
            StageTotal(stage=s, count=found.get(s, (0, Decimal(0)))[0], potential=found.get(s, (0, Decimal(0)))[1])
            for s in STAGES
        ]

    # -- campaign openings (M7) ----------------------------------------------------------------

    async def claim_campaign_openings(
        self, campaign_id: UUID, openings: Mapping[UUID, UUID], request_id: UUID
    ) -> set[UUID]:
        """Claim (campaign, partner) for each partner's new opportunity in one statement; the partners claimed now.

        ``INSERT ... ON CONFLICT DO NOTHING RETURNING``: a partner claimed before (a redelivered or repeated
        request) is not returned, and of two requests racing for a partner the second waits for the first
        and gets nothing. The rows go in partner order, so two requests over the same partners never wait
        for each other in a cycle (a deadlock on PostgreSQL).
        """
        if not openings:
            return set()
        rows = [
            {
                "campaign_id": campaign_id,
                "partner_id": partner_id,
                "opportunity_id": opportunity_id,
                "request_id": request_id,
            }
            for partner_id, opportunity_id in sorted(openings.items())
        ]
        stmt = (
            dialect_insert(self.conn)(campaign_openings)
            .on_conflict_do_nothing(index_elements=["campaign_id", "partner_id"])
            .returning(campaign_openings.c.partner_id)
        )
        return {r.partner_id for r in await self.conn.execute(stmt, rows)}

    async def campaign_name(self, campaign_id: UUID) -> str | None:
        row = (
            await self.conn.execute(sa.select(campaigns.c.name).where(campaigns.c.campaign_id == campaign_id))
        ).first()
        return None if row is None else str(row.name)

    async def upsert_campaign(self, campaign_id: UUID, name: str) -> None:
        stmt = dialect_insert(self.conn)(campaigns).values(campaign_id=campaign_id, name=name)
        await self.conn.execute(stmt.on_conflict_do_update(index_elements=["campaign_id"], set_={"name": name}))

    # -- documents -----------------------------------------------------------------------------

    async def add_document(self, doc: Document) -> None:
        await self.conn.execute(documents.insert().values(**_document_values(doc)))

    async def save_decision(self, offer: Document) -> None:
        """Save an offer's decision, if nobody decided it meanwhile.

        Raises:
            Conflict: another request accepted or rejected the offer first.
        """
        values = _document_values(offer)
        del values["id"]
        await transition(
            self.conn,
            documents,
            {"id": offer.id},
            expected={"decision": (None, "open")},
            values=values,
            lost=lambda row: already_decided(row.number, row.decision, row.decided_at, row.decided_by),
        )

    async def save_document(self, doc: Document) -> None:
        values = _document_values(doc)
        del values["id"]
        await self.conn.execute(documents.update().where(documents.c.id == doc.id).values(**values))

    async def documents_of(self, opportunity_id: UUID) -> list[Document]:
        rows = await self.conn.execute(
            sa.select(documents)
            .where(documents.c.opportunity_id == opportunity_id)
            .order_by(documents.c.requested_at, documents.c.id)
        )
        return [_document(r) for r in rows]

    async def document_by_request(self, request_id: UUID) -> Document | None:
        row = (await self.conn.execute(sa.select(documents).where(documents.c.request_id == request_id))).first()
        return None if row is None else _document(row)

    async def document_by_document_id(self, document_id: UUID) -> Document | None:
        row = (await self.conn.execute(sa.select(documents).where(documents.c.document_id == document_id))).first()
        return None if row is None else _document(row)

    # -- catalogues ----------------------------------------------------------------------------

    async def weights(self) -> dict[Stage, Decimal]:
        rows = await self.conn.execute(sa.select(stage_weights.c.stage, stage_weights.c.weight))
        found: dict[str, Decimal] = {r.stage: r.weight for r in rows}
        return {s: found.get(s, Decimal(0)) for s in STAGES}

    async def weights_meta(self) -> tuple[datetime | None, str | None]:
        row = (
            await self.conn.execute(
                sa.select(stage_weights.c.updated_at, stage_weights.c.updated_by)
                .where(stage_weights.c.updated_at.is_not(None))
                .order_by(stage_weights.c.updated_at.desc())
                .limit(1)
            )
        ).first()
        return (None, None) if row is None else (row.updated_at, row.updated_by)

    async def set_weights(self, weights: dict[Stage, Decimal], *, by: str | None, now: datetime) -> None:
        insert = dialect_insert(self.conn)
        for stage, weight in weights.items():
            stmt = insert(stage_weights).values(stage=stage, weight=weight, updated_at=now, updated_by=by)
            await self.conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["stage"], set_={"weight": weight, "updated_at": now, "updated_by": by}
                )
            )

    async def lost_reasons(self) -> dict[str, LostReason]:
        rows = await self.conn.execute(sa.select(lost_reasons).order_by(lost_reasons.c.text))
        return {r.code: LostReason(code=r.code, text=r.text, active=r.active) for r in rows}

    async def add_lost_reason(self, reason: LostReason) -> bool:
        """Add a reason; False when its code is taken."""
        stmt = (
            dialect_insert(self.conn)(lost_reasons)
            .values(code=reason.code, text=reason.text, active=reason.active)
            .on_conflict_do_nothing(index_elements=["code"])
        )
        return bool((await self.conn.execute(stmt)).rowcount)

    async def save_lost_reason(self, reason: LostReason) -> None:
        await self.conn.execute(
            lost_reasons.update()
            .where(lost_reasons.c.code == reason.code)
            .values(text=reason.text, active=reason.active)
        )

    # -- read models: partners and articles ----------------------------------------------------

    async def upsert_partner(self, partner: Partner) -> None:
        values = {
            "name": partner.name,
            "kind": partner.kind,
            "fiscal_code": partner.fiscal_code,
            "sales_rep_staff_id": partner.sales_rep_staff_id,
        }
        stmt = dialect_insert(self.conn)(partners).values(partner_id=partner.partner_id, **values)
        await self.conn.execute(stmt.on_conflict_do_update(index_elements=["partner_id"], set_=values))

    async def add_new_partners(self, new: Sequence[Partner]) -> None:
        if new:
            rows = [
                {
                    "partner_id": p.partner_id,
                    "name": p.name,
                    "kind": p.kind,
                    "fiscal_code": p.fiscal_code,
                    "sales_rep_staff_id": p.sales_rep_staff_id,
                }
                for p in new
            ]
            await self.conn.execute(dialect_insert(self.conn)(partners).on_conflict_do_nothing(), rows)

    async def partner(self, partner_id: UUID) -> Partner | None:
        row = (await self.conn.execute(sa.select(partners).where(partners.c.partner_id == partner_id))).first()
        return None if row is None else _partner(row)

    async def partners(self, *, name: str | None, limit: int) -> list[Partner]:
        query = sa.select(partners).order_by(partners.c.name).limit(limit)
        if name:
            query = query.where(partners.c.name.ilike(f"%{name}%"))
        return [_partner(r) for r in await self.conn.execute(query)]

    async def upsert_article(self, article: Article) -> None:
        values = {"name": article.name, "unit": article.unit, "price": article.price, "vat_rate": article.vat_rate}
        stmt = dialect_insert(self.conn)(articles).values(code=article.code, **values)
        await self.conn.execute(stmt.on_conflict_do_update(index_elements=["code"], set_=values))

    async def articles(self, codes: list[str]) -> dict[str, Article]:
        rows = await self.conn.execute(sa.select(articles).where(articles.c.code.in_(codes)))
        return {r.code: Article(r.code, r.name, r.unit, r.price, r.vat_rate) for r in rows}

    async def search_articles(self, *, q: str | None, limit: int) -> list[Article]:
        query = sa.select(articles).order_by(articles.c.code).limit(limit)
        if q:
            query = query.where(sa.or_(articles.c.code.ilike(f"%{q}%"), articles.c.name.ilike(f"%{q}%")))
        return [Article(r.code, r.name, r.unit, r.price, r.vat_rate) for r in await self.conn.execute(query)]
