"""The repository: async reads and writes of the commercial tables on the caller's connection."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_commercial.domain.articles import Article, ArticleScope, VatRate
from crm_commercial.domain.documents import Document, Line, Source
from crm_commercial.domain.partners import Partner
from crm_commercial.domain.text import fold
from crm_commercial.store import tables as t
from crm_kit.store import dialect_insert

SCOPE_KEY = "article_scope"


# VAT rates -------------------------------------------------------------------------------------------------------


async def vat_rates(conn: AsyncConnection) -> list[VatRate]:
    rows = await conn.execute(sa.select(t.vat_rates).order_by(t.vat_rates.c.rate.desc()))
    return [VatRate(code=r.code, rate=r.rate, name=r.name, active=r.active) for r in rows]


async def save_vat_rate(conn: AsyncConnection, rate: VatRate) -> None:
    existing = await conn.execute(sa.select(t.vat_rates.c.code).where(t.vat_rates.c.code == rate.code))
    if existing.first() is None:
        await conn.execute(t.vat_rates.insert().values(**asdict(rate)))
    else:
        await conn.execute(
            t.vat_rates.update()
            .where(t.vat_rates.c.code == rate.code)
            .values(rate=rate.rate, name=rate.name, active=rate.active)
        )


# Articles --------------------------------------------------------------------------------------------------------


def _article(row: Any) -> Article:
    return Article(
        code=row.code,
        name=row.name,
        unit=row.unit,
        price=row.price,
        vat_rate=row.vat_rate,
        photos=tuple(row.photos or ()),
    )


async def article(conn: AsyncConnection, code: str) -> Article | None:
    row = (await conn.execute(sa.select(t.articles).where(t.articles.c.code == code))).first()
    return _article(row) if row else None


async def articles_by_code(conn: AsyncConnection, codes: Iterable[str]) -> dict[str, Article]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = await conn.execute(sa.select(t.articles).where(t.articles.c.code.in_(wanted)))
    return {r.code: _article(r) for r in rows}


def _escape(value: str) -> str:
    """LIKE's wildcards taken literally: a search for "50%" is not a search for everything."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_articles(
    conn: AsyncConnection, *, query: str | None, only: frozenset[str] | None, limit: int, offset: int
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
    total = (await conn.execute(sa.select(sa.func.count()).select_from(t.articles).where(*cond))).scalar_one()
    rows = await conn.execute(
        sa.select(t.articles).where(*cond).order_by(t.articles.c.code).limit(limit).offset(offset)
    )
    return [_article(r) for r in rows], int(total)


async def all_article_codes(conn: AsyncConnection) -> set[str]:
    return set((await conn.execute(sa.select(t.articles.c.code))).scalars())


async def save_article(conn: AsyncConnection, item: Article, now: datetime) -> bool:
    """Insert or update; True when the article is new."""
    values = {
        "name": item.name,
        "name_key": fold(item.name),
        "unit": item.unit,
        "price": item.price,
        "vat_rate": item.vat_rate,
        "photos": list(item.photos),
        "updated_at": now,
    }
    result = await conn.execute(t.articles.update().where(t.articles.c.code == item.code).values(**values))
    if result.rowcount:
        return False
    await conn.execute(t.articles.insert().values(code=item.code, **values))
    return True


# Settings (C5) ---------------------------------------------------------------------------------------------------


async def article_scope(conn: AsyncConnection) -> ArticleScope:
    row = (await conn.execute(sa.select(t.settings.c.value).where(t.settings.c.key == SCOPE_KEY))).first()
    if row is None:
        return ArticleScope()
    value = row.value
    return ArticleScope(scope=value.get("scope", "all"), article_codes=frozenset(value.get("article_codes", [])))


async def save_article_scope(conn: AsyncConnection, scope: ArticleScope) -> None:
    value = {"scope": scope.scope, "article_codes": sorted(scope.article_codes)}
    result = await conn.execute(t.settings.update().where(t.settings.c.key == SCOPE_KEY).values(value=value))
    if not result.rowcount:
        await conn.execute(t.settings.insert().values(key=SCOPE_KEY, value=value))


# Partners (read model) -------------------------------------------------------------------------------------------


async def save_partner(conn: AsyncConnection, partner: Partner, now: datetime) -> None:
    values = asdict(partner)
    values["updated_at"] = now
    stmt = dialect_insert(conn)(t.partners).values(**values)
    update = {k: stmt.excluded[k] for k in values if k != "partner_id"}
    await conn.execute(stmt.on_conflict_do_update(index_elements=["partner_id"], set_=update))


async def partner(conn: AsyncConnection, partner_id: str) -> Partner | None:
    row = (await conn.execute(sa.select(t.partners).where(t.partners.c.partner_id == partner_id))).first()
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


# Numbering -------------------------------------------------------------------------------------------------------


async def next_in_series(conn: AsyncConnection, doc_type: str, year: int) -> int:
    """The next number of a series, gapless: the row stays locked until the caller's transaction ends.

    A rolled-back transaction gives its number back; concurrent ones wait for the lock (PostgreSQL row lock,
    SQLite's single writer), so numbers are unique and without gaps.
    """
    s = t.series
    await conn.execute(
        dialect_insert(conn)(s)
        .values(doc_type=doc_type, year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["doc_type", "year"])
    )
    result = await conn.execute(
        s.update()
        .where(s.c.doc_type == doc_type)
        .where(s.c.year == year)
        .values(last_number=s.c.last_number + 1)
        .returning(s.c.last_number)
    )
    return int(result.scalar_one())


# Documents -------------------------------------------------------------------------------------------------------


def _source_json(source: Source) -> dict[str, str]:
    return {k: v for k, v in asdict(source).items() if v is not None}


async def insert_document(conn: AsyncConnection, doc: Document, *, series_number: bool, now: datetime) -> None:
    await conn.execute(
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
        await conn.execute(
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


async def _with_lines(conn: AsyncConnection, rows: Sequence[Any]) -> list[Document]:
    ids = [r.id for r in rows]
    by_doc: dict[str, list[Line]] = {i: [] for i in ids}
    if ids:
        lines = await conn.execute(
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


async def document(conn: AsyncConnection, document_id: str, *, lock: bool = False) -> Document | None:
    stmt = sa.select(t.documents).where(t.documents.c.id == document_id)
    if lock:
        stmt = stmt.with_for_update()
    row = (await conn.execute(stmt)).first()
    if row is None:
        return None
    return (await _with_lines(conn, [row]))[0]


async def document_by_request(conn: AsyncConnection, request_id: str) -> Document | None:
    row = (await conn.execute(sa.select(t.documents).where(t.documents.c.request_id == request_id))).first()
    if row is None:
        return None
    return (await _with_lines(conn, [row]))[0]


async def document_where(conn: AsyncConnection, *cond: sa.ColumnElement[bool]) -> Document | None:
    row = (await conn.execute(sa.select(t.documents).where(*cond).limit(1))).first()
    if row is None:
        return None
    return (await _with_lines(conn, [row]))[0]


async def list_documents(
    conn: AsyncConnection,
    *,
    partner_id: str | None,
    doc_type: str | None,
    limit: int,
    offset: int,
    extra: Sequence[sa.ColumnElement[bool]] = (),
) -> tuple[list[Document], int]:
    d = t.documents
    cond: list[sa.ColumnElement[bool]] = list(extra)
    if partner_id:
        cond.append(d.c.partner_id == partner_id)
    if doc_type:
        cond.append(d.c.type == doc_type)
    total = (await conn.execute(sa.select(sa.func.count()).select_from(d).where(*cond))).scalar_one()
    rows = (
        await conn.execute(
            sa.select(d).where(*cond).order_by(d.c.issued_on.desc(), d.c.created_at.desc()).limit(limit).offset(offset)
        )
    ).all()
    return await _with_lines(conn, rows), int(total)


def active_contract_filter(on: date) -> list[sa.ColumnElement[bool]]:
    """Contracts in force on a day (the same rule as ``Document.is_active_on``)."""
    d = t.documents
    last = sa.func.coalesce(d.c.ended_on, d.c.ends_on)
    return [d.c.type == "contract", d.c.starts_on <= on, sa.or_(last.is_(None), last >= on)]


async def update_document(conn: AsyncConnection, document_id: str, **values: Any) -> None:
    await conn.execute(t.documents.update().where(t.documents.c.id == document_id).values(**values))


# Balances --------------------------------------------------------------------------------------------------------


async def balance(conn: AsyncConnection, partner_id: str, *, lock: bool = False) -> Decimal | None:
    stmt = sa.select(t.balances.c.balance).where(t.balances.c.partner_id == partner_id)
    if lock:
        stmt = stmt.with_for_update()
    row = (await conn.execute(stmt)).first()
    return row.balance if row else None


async def locked_balance(conn: AsyncConnection, partner_id: str, currency: str, now: datetime) -> Decimal:
    """The partner's balance, its row created if missing and locked until the caller's transaction ends."""
    await conn.execute(
        dialect_insert(conn)(t.balances)
        .values(partner_id=partner_id, balance=Decimal("0.00"), currency=currency, updated_at=now)
        .on_conflict_do_nothing(index_elements=["partner_id"])
    )
    value = await balance(conn, partner_id, lock=True)
    assert value is not None
    return value


async def save_balance(conn: AsyncConnection, partner_id: str, value: Decimal, now: datetime) -> None:
    await conn.execute(
        t.balances.update().where(t.balances.c.partner_id == partner_id).values(balance=value, updated_at=now)
    )


# Parked commands -------------------------------------------------------------------------------------------------


async def park(
    conn: AsyncConnection,
    *,
    command_id: str,
    ce_type: str,
    partner_id: str,
    correlation_id: str | None,
    payload: str,
    now: datetime,
) -> None:
    await conn.execute(
        dialect_insert(conn)(t.parked_commands)
        .values(
            command_id=command_id,
            ce_type=ce_type,
            partner_id=partner_id,
            correlation_id=correlation_id,
            payload=payload,
            parked_at=now,
        )
        .on_conflict_do_nothing(index_elements=["command_id"])
    )


async def take_parked(conn: AsyncConnection, partner_id: str) -> list[Any]:
    """The partner's parked commands, oldest first, removed from the table."""
    p = t.parked_commands
    rows = (
        await conn.execute(sa.select(p).where(p.c.partner_id == partner_id).order_by(p.c.parked_at, p.c.command_id))
    ).all()
    if rows:
        await conn.execute(p.delete().where(p.c.partner_id == partner_id))
    return list(rows)
