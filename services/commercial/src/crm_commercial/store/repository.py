"""The repository: the commercial tables read and written on one unit of work's connection."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_commercial.domain.articles import Article, ArticleScope, VatRate
from crm_commercial.domain.documents import Document, DocumentRequest, Line, LineRequest, OfferDecision, Source
from crm_commercial.domain.partners import Partner
from crm_commercial.domain.text import Search, fold
from crm_commercial.ports import DocumentFilter, DocumentSearch, FoundDocument, Lost, ParkedCommand
from crm_commercial.store import tables as t
from crm_kit.store import dialect_insert, lock_keys, transition

SCOPE_KEY = "article_scope"


def _article(row: Any) -> Article:
    return Article(
        code=row.code,
        name=row.name,
        unit=row.unit,
        price=row.price,
        vat_rate=row.vat_rate,
        photos=tuple(row.photos or ()),
    )


def _escape(value: str) -> str:
    """LIKE's wildcards taken literally: a search for "50%" is not a search for everything."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _prefix(value: str) -> str:
    return _escape(value) + "%"


def _starts_words(key: sa.ColumnElement[str], words: Sequence[str]) -> sa.ColumnElement[bool]:
    """The folded ``key`` has a word starting with each word: ``domain.text.starts_words`` in SQL."""
    return sa.and_(
        sa.true(),
        *(sa.or_(key.like(_prefix(w), escape="\\"), key.like("% " + _prefix(w), escape="\\")) for w in words),
    )


def _source_json(source: Source) -> dict[str, str]:
    return {k: v for k, v in asdict(source).items() if v is not None}


def _document(row: Any, lines: Sequence[Line]) -> Document:
    return Document(
        id=row.id,
        type=row.type,
        number=row.number,
        partner_id=row.partner_id,
        issued_on=row.issued_on,
        lines=tuple(lines),
        net=row.net,
        vat=row.vat,
        currency=row.currency,
        status=row.status,
        source=Source(**(row.source or {})),
        request_id=row.request_id,
        printout_sha256=row.printout_sha256,
        kind=row.kind,
        valid_until=row.valid_until,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        ended_on=row.ended_on,
        months=row.months,
        monthly_value=row.monthly_value,
        order_id=row.order_id,
        contract_id=row.contract_id,
        task_id=row.task_id,
        invoice_id=row.invoice_id,
        period=row.period,
        reason_code=row.reason_code,
        note=row.note,
        external_number=row.external_number,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
    )


def active_contract_filter(on: date) -> list[sa.ColumnElement[bool]]:
    """Contracts in force on a day (the same rule as ``Document.is_active_on``)."""
    d = t.documents
    last = sa.func.coalesce(d.c.ended_on, d.c.ends_on)
    return [d.c.type == "contract", d.c.starts_on <= on, sa.or_(last.is_(None), last >= on)]


def request_json(request: DocumentRequest) -> str:
    """A parked request as the ``parked_commands.payload`` column keeps it."""
    value = asdict(request)
    value["source"] = _source_json(request.source)
    value["lines"] = [{k: v for k, v in asdict(line).items() if v is not None} for line in request.lines]
    return json.dumps({k: v for k, v in value.items() if v is not None}, default=str)


def request_from_json(text: str) -> DocumentRequest:
    """The request ``request_json`` wrote."""
    value = json.loads(text)

    def day(key: str) -> date | None:
        return date.fromisoformat(value[key]) if value.get(key) else None

    def amount(raw: object) -> Decimal | None:
        return Decimal(str(raw)) if raw is not None else None

    return DocumentRequest(
        doc_type=value["doc_type"],
        partner_id=value["partner_id"],
        lines=tuple(
            LineRequest(
                article_code=line["article_code"],
                qty=Decimal(str(line["qty"])),
                price=amount(line.get("price")),
                description=line.get("description"),
            )
            for line in value.get("lines", ())
        ),
        source=Source(**value.get("source", {})),
        request_id=value.get("request_id"),
        valid_until=day("valid_until"),
        kind=value.get("kind"),
        starts_on=day("starts_on"),
        months=value.get("months"),
        monthly_value=amount(value.get("monthly_value")),
        task_id=value.get("task_id"),
        apply_scope=bool(value.get("apply_scope", True)),
    )


class SqlRepository:
    """``ports.Repository`` on SQLAlchemy Core, bound to one unit of work's connection."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    # VAT rates ---------------------------------------------------------------------------------------------------

    async def vat_rates(self) -> list[VatRate]:
        rows = await self.conn.execute(sa.select(t.vat_rates).order_by(t.vat_rates.c.rate.desc()))
        return [VatRate(code=r.code, rate=r.rate, name=r.name, active=r.active) for r in rows]

    async def save_vat_rate(self, rate: VatRate) -> None:
        existing = await self.conn.execute(sa.select(t.vat_rates.c.code).where(t.vat_rates.c.code == rate.code))
        if existing.first() is None:
            await self.conn.execute(t.vat_rates.insert().values(**asdict(rate)))
        else:
            await self.conn.execute(
                t.vat_rates.update()
                .where(t.vat_rates.c.code == rate.code)
                .values(rate=rate.rate, name=rate.name, active=rate.active)
            )

    async def articles_using_rate(self, rate: Decimal) -> int:
        used = await self.conn.execute(
            sa.select(sa.func.count()).select_from(t.articles).where(t.articles.c.vat_rate == rate)
        )
        return int(used.scalar_one())

    # Articles ----------------------------------------------------------------------------------------------------

    async def article(self, code: str) -> Article | None:
        row = (await self.conn.execute(sa.select(t.articles).where(t.articles.c.code == code))).first()
        return _article(row) if row else None

    async def articles_by_code(self, codes: Iterable[str]) -> dict[str, Article]:
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        rows = await self.conn.execute(sa.select(t.articles).where(t.articles.c.code.in_(wanted)))
        return {r.code: _article(r) for r in rows}

    async def articles(
        self, *, query: str | None, only: frozenset[str] | None, limit: int, offset: int
    ) -> tuple[list[Article], int]:
        cond: list[sa.ColumnElement[bool]] = []
        if query and query.strip():
            # code or name contain the query; the name compared folded, so "mentenanta" finds "Mentenanță"
            code_like = "%" + _escape(query.strip().lower()) + "%"
            name_like = "%" + _escape(fold(query)) + "%"
            cond.append(
                sa.or_(
                    sa.func.lower(t.articles.c.code).like(code_like, escape="\\"),
                    t.articles.c.name_key.like(name_like, escape="\\"),
                )
            )
        if only is not None:
            cond.append(t.articles.c.code.in_(sorted(only)))
        total = (await self.conn.execute(sa.select(sa.func.count()).select_from(t.articles).where(*cond))).scalar_one()
        rows = await self.conn.execute(
            sa.select(t.articles).where(*cond).order_by(t.articles.c.code).limit(limit).offset(offset)
        )
        return [_article(r) for r in rows], int(total)

    async def find_articles(self, q: Search, *, only: frozenset[str] | None) -> list[Article]:
        a = t.articles.c
        code = sa.func.lower(a.code)
        matches = sa.or_(code.like(_prefix(q.text), escape="\\"), _starts_words(a.name_key, q.words))
        cond: list[sa.ColumnElement[bool]] = [matches]
        if only is not None:
            cond.append(a.code.in_(sorted(only)))
        starts = sa.case(
            (code.like(_prefix(q.text), escape="\\"), 0), (a.name_key.like(_prefix(q.text), escape="\\"), 1), else_=2
        )
        rows = await self.conn.execute(
            sa.select(t.articles).where(*cond).order_by(starts, a.name_key, a.code).limit(q.limit)
        )
        return [_article(r) for r in rows]

    async def article_codes(self) -> set[str]:
        return set((await self.conn.execute(sa.select(t.articles.c.code))).scalars())

    async def save_article(self, item: Article, now: datetime) -> bool:
        values = {
            "name": item.name,
            "name_key": fold(item.name),
            "unit": item.unit,
            "price": item.price,
            "vat_rate": item.vat_rate,
            "photos": list(item.photos),
            "updated_at": now,
        }
        result = await self.conn.execute(t.articles.update().where(t.articles.c.code == item.code).values(**values))
        if result.rowcount:
            return False
        await self.conn.execute(t.articles.insert().values(code=item.code, **values))
        return True

    # Settings (C5) -----------------------------------------------------------------------------------------------

    async def article_scope(self) -> ArticleScope:
        row = (await self.conn.execute(sa.select(t.settings.c.value).where(t.settings.c.key == SCOPE_KEY))).first()
        if row is None:
            return ArticleScope()
        value = row.value
        return ArticleScope(scope=value.get("scope", "all"), article_codes=frozenset(value.get("article_codes", [])))

    async def save_article_scope(self, scope: ArticleScope) -> None:
        value = {"scope": scope.scope, "article_codes": sorted(scope.article_codes)}
        result = await self.conn.execute(t.settings.update().where(t.settings.c.key == SCOPE_KEY).values(value=value))
        if not result.rowcount:
            await self.conn.execute(t.settings.insert().values(key=SCOPE_KEY, value=value))

    # Partners (read model) ---------------------------------------------------------------------------------------

    async def save_partner(self, partner: Partner, now: datetime) -> None:
        values = asdict(partner)
        values["name_key"] = fold(partner.name)
        values["updated_at"] = now
        stmt = dialect_insert(self.conn)(t.partners).values(**values)
        update = {k: stmt.excluded[k] for k in values if k != "partner_id"}
        await self.conn.execute(stmt.on_conflict_do_update(index_elements=["partner_id"], set_=update))

    async def add_new_partners(self, partners: Sequence[Partner], now: datetime) -> None:
        if not partners:
            return
        rows = [{**asdict(p), "name_key": fold(p.name), "updated_at": now} for p in partners]
        stmt = dialect_insert(self.conn)(t.partners).values(rows)
        await self.conn.execute(stmt.on_conflict_do_nothing(index_elements=["partner_id"]))

    async def partner(self, partner_id: str) -> Partner | None:
        row = (await self.conn.execute(sa.select(t.partners).where(t.partners.c.partner_id == partner_id))).first()
        if row is None:
            return None
        return Partner(
            partner_id=row.partner_id,
            kind=row.kind,
            name=row.name,
            fiscal_code=row.fiscal_code,
            locality=row.locality,
            county=row.county,
            address=row.address,
        )

    # Numbering ---------------------------------------------------------------------------------------------------

    async def next_in_series(self, doc_type: str, year: int) -> int:
        """The next number of a series, gapless: the row stays locked until the caller's transaction ends.

        A rolled-back transaction gives its number back; concurrent ones wait for the lock (PostgreSQL row
        lock, SQLite's single writer), so numbers are unique and without gaps.
        """
        s = t.series
        await self.conn.execute(
            dialect_insert(self.conn)(s)
            .values(doc_type=doc_type, year=year, last_number=0)
            .on_conflict_do_nothing(index_elements=["doc_type", "year"])
        )
        result = await self.conn.execute(
            s.update()
            .where(s.c.doc_type == doc_type)
            .where(s.c.year == year)
            .values(last_number=s.c.last_number + 1)
            .returning(s.c.last_number)
        )
        return int(result.scalar_one())

    # Documents ---------------------------------------------------------------------------------------------------

    async def add(self, doc: Document, *, series_number: bool, now: datetime) -> None:
        await self.conn.execute(
            t.documents.insert().values(
                id=doc.id,
                type=doc.type,
                number=doc.number,
                series_number=doc.number if series_number else None,
                partner_id=doc.partner_id,
                issued_on=doc.issued_on,
                status=doc.status,
                net=doc.net,
                vat=doc.vat,
                gross=doc.gross,
                currency=doc.currency,
                request_id=doc.request_id,
                source=_source_json(doc.source),
                printout_sha256=doc.printout_sha256,
                kind=doc.kind,
                valid_until=doc.valid_until,
                starts_on=doc.starts_on,
                ends_on=doc.ends_on,
                ended_on=doc.ended_on,
                months=doc.months,
                monthly_value=doc.monthly_value,
                order_id=doc.order_id,
                contract_id=doc.contract_id,
                task_id=doc.task_id,
                invoice_id=doc.invoice_id,
                period=doc.period,
                reason_code=doc.reason_code,
                note=doc.note,
                external_number=doc.external_number,
                created_at=now,
            )
        )
        if doc.lines:
            await self.conn.execute(
                t.document_lines.insert(),
                [
                    {
                        "line_id": line.line_id,
                        "document_id": doc.id,
                        "position": n,
                        "article_code": line.article_code,
                        "description": line.description,
                        "unit": line.unit,
                        "qty": line.qty,
                        "price": line.price,
                        "vat_rate": line.vat_rate,
                        "net": line.net,
                        "vat": line.vat,
                    }
                    for n, line in enumerate(doc.lines, start=1)
                ],
            )

    async def _with_lines(self, rows: Sequence[Any]) -> list[Document]:
        ids = [r.id for r in rows]
        by_doc: dict[str, list[Line]] = {i: [] for i in ids}
        if ids:
            lines = await self.conn.execute(
                sa.select(t.document_lines)
                .where(t.document_lines.c.document_id.in_(ids))
                .order_by(t.document_lines.c.document_id, t.document_lines.c.position)
            )
            for r in lines:
                by_doc[r.document_id].append(
                    Line(
                        line_id=r.line_id,
                        article_code=r.article_code,
                        description=r.description,
                        unit=r.unit,
                        qty=r.qty,
                        price=r.price,
                        vat_rate=r.vat_rate,
                        net=r.net,
                        vat=r.vat,
                    )
                )
        return [_document(r, by_doc[r.id]) for r in rows]

    async def _one(self, *cond: sa.ColumnElement[bool], lock: bool = False) -> Document | None:
        stmt = sa.select(t.documents).where(*cond).limit(1)
        if lock:
            stmt = stmt.with_for_update()
        row = (await self.conn.execute(stmt)).first()
        if row is None:
            return None
        return (await self._with_lines([row]))[0]

    async def get(self, document_id: str, *, lock: bool = False) -> Document | None:
        return await self._one(t.documents.c.id == document_id, lock=lock)

    async def by_request(self, request_id: str) -> Document | None:
        return await self._one(t.documents.c.request_id == request_id)

    async def invoice_of_order(self, order_id: str) -> Document | None:
        return await self._one(t.documents.c.order_id == order_id)

    async def invoice_of_month(self, contract_id: str, period: str) -> Document | None:
        return await self._one(t.documents.c.contract_id == contract_id, t.documents.c.period == period)

    async def cost_document(self, kind: str, partner_id: str | None, external_number: str) -> Document | None:
        d = t.documents
        return await self._one(
            d.c.type == "cost", d.c.kind == kind, d.c.partner_id == partner_id, d.c.external_number == external_number
        )

    async def documents(self, which: DocumentFilter, *, limit: int, offset: int) -> tuple[list[Document], int]:
        d = t.documents
        cond: list[sa.ColumnElement[bool]] = []
        if which.active_on is not None:
            cond.extend(active_contract_filter(which.active_on))
        if which.partner_id:
            cond.append(d.c.partner_id == which.partner_id)
        if which.doc_type:
            cond.append(d.c.type == which.doc_type)
        total = (await self.conn.execute(sa.select(sa.func.count()).select_from(d).where(*cond))).scalar_one()
        rows = (
            await self.conn.execute(
                sa.select(d)
                .where(*cond)
                .order_by(d.c.issued_on.desc(), d.c.created_at.desc())
                .limit(limit)
                .offset(offset)
            )
        ).all()
        return await self._with_lines(rows), int(total)

    async def find_documents(self, q: Search, which: DocumentSearch) -> list[FoundDocument]:
        d, p = t.documents, t.partners
        number = sa.func.lower(d.c.number)
        cond: list[sa.ColumnElement[bool]] = []
        if which.doc_type:
            cond.append(d.c.type == which.doc_type)
        if which.partner_id:
            cond.append(d.c.partner_id == which.partner_id)
        if which.active_on is not None:
            cond.extend(active_contract_filter(which.active_on))
        order: list[sa.ColumnElement[Any]] = []
        if not q.blank:
            # a number is matched anywhere ("000123" finds FCT-2026-000123), a partner by its words' starts
            cond.append(sa.or_(number.like("%" + _prefix(q.text), escape="\\"), _starts_words(p.c.name_key, q.words)))
            order.append(
                sa.case(
                    (number.like(_prefix(q.text), escape="\\"), 0),
                    (p.c.name_key.like(_prefix(q.text), escape="\\"), 1),
                    else_=2,
                )
            )
        stmt = (
            sa.select(d, p.c.name.label("partner_name"))
            .select_from(d.outerjoin(p, p.c.partner_id == d.c.partner_id))
            .where(*cond)
            .order_by(*order, d.c.issued_on.desc(), d.c.number.desc())
            .limit(q.limit)
        )
        rows = await self.conn.execute(stmt)
        return [FoundDocument(_document(r, ()), r.partner_name) for r in rows]

    async def _update(self, document_id: str, **values: Any) -> None:
        await self.conn.execute(t.documents.update().where(t.documents.c.id == document_id).values(**values))

    async def number_invoice(self, document_id: str, number: str) -> None:
        await self._update(document_id, number=number, series_number=number)

    async def mark_follows(self, document_id: str, offer_id: str) -> None:
        await self._update(document_id, follows_offer_id=offer_id)

    async def decide_offer(self, offer_id: str, decision: OfferDecision, lost: Lost) -> None:
        # Single winner: only the UPDATE that still finds the offer ``issued`` changes it.
        await transition(
            self.conn,
            t.documents,
            {"id": offer_id},
            expected={"status": "issued"},
            values=asdict(decision),
            lost=lambda row: lost(_document(row, ())),
        )

    async def end_contract(self, contract_id: str, ended_on: date, lost: Lost) -> None:
        # Single winner: only the UPDATE that still finds the contract without an end changes it.
        await transition(
            self.conn,
            t.documents,
            {"id": contract_id},
            expected={"ended_on": None},
            values={"status": "ended", "ended_on": ended_on},
            lost=lambda row: lost(_document(row, ())),
        )

    async def record_printout(self, document_id: str, sha256: str) -> bool:
        stmt = (
            t.documents.update()
            .where(t.documents.c.id == document_id, t.documents.c.printout_sha256.is_(None))
            .values(printout_sha256=sha256)
        )
        return bool((await self.conn.execute(stmt)).rowcount == 1)

    async def invoices_without_printout(self, limit: int) -> list[str]:
        ids = await self.conn.execute(
            sa.select(t.documents.c.id)
            .where(t.documents.c.type == "invoice", t.documents.c.printout_sha256.is_(None))
            .order_by(t.documents.c.created_at, t.documents.c.id)
            .limit(limit)
        )
        return list(ids.scalars())

    # Balances ----------------------------------------------------------------------------------------------------

    async def _balance(self, partner_id: str, *, lock: bool = False) -> Decimal | None:
        stmt = sa.select(t.balances.c.balance).where(t.balances.c.partner_id == partner_id)
        if lock:
            stmt = stmt.with_for_update()
        row = (await self.conn.execute(stmt)).first()
        return row.balance if row else None

    async def balance(self, partner_id: str) -> Decimal | None:
        return await self._balance(partner_id)

    async def locked_balance(self, partner_id: str, currency: str, now: datetime) -> Decimal:
        await self.conn.execute(
            dialect_insert(self.conn)(t.balances)
            .values(partner_id=partner_id, balance=Decimal("0.00"), currency=currency, updated_at=now)
            .on_conflict_do_nothing(index_elements=["partner_id"])
        )
        value = await self._balance(partner_id, lock=True)
        assert value is not None
        return value

    async def save_balance(self, partner_id: str, value: Decimal, now: datetime) -> None:
        await self.conn.execute(
            t.balances.update().where(t.balances.c.partner_id == partner_id).values(balance=value, updated_at=now)
        )

    # Parked commands ---------------------------------------------------------------------------------------------

    async def lock_partners(self, partner_ids: Sequence[str]) -> None:
        await lock_keys(self.conn, "commercial.partner", partner_ids)

    async def park(self, command: ParkedCommand, now: datetime) -> None:
        await self.conn.execute(
            dialect_insert(self.conn)(t.parked_commands)
            .values(
                command_id=command.command_id,
                ce_type=command.ce_type,
                partner_id=command.request.partner_id,
                correlation_id=command.correlation_id,
                payload=request_json(command.request),
                parked_at=now,
            )
            .on_conflict_do_nothing(index_elements=["command_id"])
        )

    async def take_parked(self, partner_id: str) -> list[ParkedCommand]:
        return await self.take_parked_of([partner_id])

    async def take_parked_of(self, partner_ids: Sequence[str]) -> list[ParkedCommand]:
        p = t.parked_commands
        ids = list(partner_ids)
        rows = (
            await self.conn.execute(sa.select(p).where(p.c.partner_id.in_(ids)).order_by(p.c.parked_at, p.c.command_id))
        ).all()
        if rows:
            await self.conn.execute(p.delete().where(p.c.command_id.in_([r.command_id for r in rows])))
        return [ParkedCommand(r.command_id, r.ce_type, r.correlation_id, request_from_json(r.payload)) for r in rows]
