"""Use cases: one function per thing the ERP side does, shared by the HTTP API and the command subscribers.

Each runs inside the caller's transaction: it reads, applies the domain rules, writes, renders the printout
(except an invoice's: see crm_commercial.printing) and queues its facts, so a document and its events are
committed together or not at all.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_commercial import printouts
from crm_commercial.domain import documents as rules
from crm_commercial.domain.articles import Article, ArticleScope, VatRate, validate_article, validate_scope
from crm_commercial.domain.documents import Document, Line, LineRequest, Source
from crm_commercial.domain.money import ZERO
from crm_commercial.domain.partners import Partner
from crm_commercial.events.publisher import Publisher
from crm_commercial.store import repository as repo
from crm_commercial.store import tables as t
from crm_kit.blobs import BlobStore
from crm_kit.errors import Conflict, Invalid, NotFound
from crm_kit.ids import new_id
from crm_kit.store import transition

IssuedType = Literal["offer", "order", "contract", "invoice"]
RENDERED_IN_SERIES_LOCK = ("offer", "order", "contract", "payment")
"""Documents whose facts carry their printout; an invoice's follows in InvoicePrintoutReady."""


class UnknownPartner(Invalid):
    """A document names a partner the partner directory has not told us about."""


def _new_id() -> str:
    return str(new_id())


@dataclass(frozen=True)
class IssueRequest:
    """What it takes to issue an offer, order, contract or invoice."""

    doc_type: IssuedType
    partner_id: str
    lines: tuple[LineRequest, ...]
    source: Source = field(default_factory=Source)
    request_id: str | None = None
    valid_until: date | None = None
    kind: str | None = None
    starts_on: date | None = None
    months: int | None = None
    monthly_value: Decimal | None = None
    task_id: str | None = None
    apply_scope: bool = True


@dataclass
class Commercial:
    """The commercial use cases, wired once by ``bootstrap``."""

    blobs: BlobStore
    issuer: printouts.Issuer
    font_dir: Path
    currency: str = "RON"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Bucharest"))
    offer_valid_days: int = 30

    def business_day(self, now: datetime) -> date:
        """The day a document is issued on: the local date at ``now``."""
        return now.astimezone(self.timezone).date()

    # Partners ------------------------------------------------------------------------------------------------

    async def partner(self, conn: AsyncConnection, partner_id: str) -> Partner:
        found = await repo.partner(conn, partner_id)
        if found is None:
            raise UnknownPartner(
                f"unknown partner {partner_id}: register it in the partner directory first", field="partner_id"
            )
        return found

    # Articles, VAT rates, picker scope -----------------------------------------------------------------------

    async def save_article(self, conn: AsyncConnection, pub: Publisher, item: Article, now: datetime) -> Article:
        rates = await repo.vat_rates(conn)
        validate_article(item, rates)
        missing = [p for p in item.photos if not self.blobs.exists(p)]
        if missing:
            raise Invalid(f"photo not in the blob store (upload it first): {missing[0]}", field="photos")
        await repo.save_article(conn, item, now)
        await pub.article_updated(item)
        return item

    async def save_vat_rate(self, conn: AsyncConnection, rate: VatRate) -> VatRate:
        if rate.rate < 0 or rate.rate >= 100:
            raise Invalid("a VAT rate is a percentage from 0 to 99.99", field="rate")
        if not rate.code.strip() or not rate.name.strip():
            raise Invalid("a VAT rate needs a code and a name", field="code")
        same = [r for r in await repo.vat_rates(conn) if r.rate == rate.rate and r.code != rate.code]
        if same:
            raise Conflict(f"the rate {rate.rate}% is already in the catalogue as {same[0].code}")
        if not rate.active:
            used = await conn.execute(
                sa.select(sa.func.count()).select_from(t.articles).where(t.articles.c.vat_rate == rate.rate)
            )
            if used.scalar_one():
                raise Conflict(f"articles still use {rate.rate}%: change them before retiring the rate")
        await repo.save_vat_rate(conn, rate)
        return rate

    async def save_scope(self, conn: AsyncConnection, scope: ArticleScope) -> ArticleScope:
        validate_scope(scope, await repo.all_article_codes(conn))
        await repo.save_article_scope(conn, scope)
        return scope

    # Issuing -------------------------------------------------------------------------------------------------

    async def issue(
        self, conn: AsyncConnection, pub: Publisher, req: IssueRequest, now: datetime
    ) -> tuple[Document, bool]:
        """Issue an offer, order, contract or invoice; the same request_id twice gives the first document.

        Returns:
            The document, and whether it was issued now (False: it existed for this request).

        Raises:
            UnknownPartner: the partner is not in the directory.
            Invalid: bad lines or contract terms.
        """
        if req.request_id:
            existing = await repo.document_by_request(conn, req.request_id)
            if existing is not None:
                return existing, False
        partner = await self.partner(conn, req.partner_id)
        articles = await repo.articles_by_code(conn, [line.article_code for line in req.lines])
        scope = await repo.article_scope(conn) if req.apply_scope else ArticleScope()
        lines = rules.price_lines(req.lines, articles, scope, _new_id)
        today = self.business_day(now)
        doc = self._draft(req.doc_type, partner.partner_id, lines, today, req.source, req.request_id)
        if req.doc_type == "offer":
            valid_until = req.valid_until or today + timedelta(days=self.offer_valid_days)
            if valid_until < today:
                raise Invalid("an offer cannot expire before it is issued", field="valid_until")
            doc = replace(doc, valid_until=valid_until)
        elif req.doc_type == "contract":
            terms = rules.contract_terms(
                req.kind or "commercial", req.starts_on or today, req.months, req.monthly_value, lines
            )
            doc = replace(
                doc,
                kind=terms.kind,
                starts_on=terms.starts_on,
                ends_on=terms.ends_on,
                months=terms.months,
                monthly_value=terms.monthly_value,
                status="active",
            )
        elif req.doc_type == "invoice":
            doc = replace(doc, task_id=req.task_id or req.source.task_id)
        return await self._store_issued(conn, pub, doc, partner, now), True

    def _draft(
        self,
        doc_type: str,
        partner_id: str,
        lines: list[Line],
        today: date,
        source: Source,
        request_id: str | None,
    ) -> Document:
        sums = rules.totals(lines)
        return Document(
            id=_new_id(),
            type=doc_type,
            number="",
            partner_id=partner_id,
            issued_on=today,
            lines=tuple(lines),
            net=sums.net,
            vat=sums.vat,
            currency=self.currency,
            source=source,
            request_id=request_id,
        )

    async def _store_issued(
        self, conn: AsyncConnection, pub: Publisher, doc: Document, partner: Partner, now: datetime
    ) -> Document:
        if doc.type == "invoice":
            return await self._store_invoice(conn, pub, doc, partner, now)
        # The number is taken last: the series row stays locked only for the render and the inserts.
        sequence = await repo.next_in_series(conn, doc.type, doc.issued_on.year)
        doc = replace(doc, number=rules.document_number(doc.type, doc.issued_on.year, sequence))
        if doc.type in RENDERED_IN_SERIES_LOCK:
            doc = replace(doc, printout_sha256=await self.render_printout(doc, partner))
        await repo.insert_document(conn, doc, series_number=True, now=now)
        if doc.type in ("offer", "order", "contract"):
            await pub.document_issued(doc)
        return doc

    async def _store_invoice(
        self, conn: AsyncConnection, pub: Publisher, doc: Document, partner: Partner, now: datetime
    ) -> Document:
        # The invoice series row stays locked from the number until the commit, and every invoice waits
        # for it: whatever does not need the number (the rows, the balance) is written before it is taken.
        # The printout is rendered after the commit (crm_commercial.printing); rendered here, under the
        # lock, it held every invoice up for the previous one's PDF (11 invoices/s with 8 clients).
        await repo.insert_document(conn, doc, series_number=False, now=now)
        await self._move_balance(conn, pub, partner.partner_id, now, invoiced=doc.gross)
        sequence = await repo.next_in_series(conn, doc.type, doc.issued_on.year)
        doc = replace(doc, number=rules.document_number(doc.type, doc.issued_on.year, sequence))
        await repo.update_document(conn, doc.id, number=doc.number, series_number=doc.number)
        await pub.document_issued(doc)
        return doc

    async def render_printout(self, doc: Document, partner: Partner) -> str:
        """Render a document's PDF printout into the blob store (off the event loop); its sha256.

        The printout depends only on the document, the partner and the issuer, and is dated with the
        issue date: rendering it again gives the same bytes.
        """
        pdf = await asyncio.to_thread(printouts.render, doc, partner, self.issuer, self.font_dir)
        return self.blobs.put(pdf)

    async def _move_balance(
        self,
        conn: AsyncConnection,
        pub: Publisher,
        partner_id: str,
        now: datetime,
        *,
        invoiced: Decimal = ZERO,
        paid: Decimal = ZERO,
    ) -> Decimal:
        current = await repo.locked_balance(conn, partner_id, self.currency, now)
        value = rules.new_balance(current, invoiced=invoiced, paid=paid)
        await repo.save_balance(conn, partner_id, value, now)
        await pub.balance_changed(partner_id, value, self.currency)
        return value

    # Invoices from an order or a contract month --------------------------------------------------------------

    async def invoice_order(
        self, conn: AsyncConnection, pub: Publisher, order_id: str, request_id: str | None, now: datetime
    ) -> tuple[Document, bool]:
        if request_id and (existing := await repo.document_by_request(conn, request_id)):
            return existing, False
        order = await self._document(conn, order_id, "order")
        invoiced = await repo.document_where(conn, t.documents.c.order_id == order_id)
        if invoiced is not None:
            raise Conflict(f"order {order.number} was already invoiced by {invoiced.number}", invoice_id=invoiced.id)
        assert order.partner_id is not None
        partner = await self.partner(conn, order.partner_id)
        draft = self._draft(
            "invoice",
            partner.partner_id,
            rules.copy_lines(order, _new_id),
            self.business_day(now),
            order.source,
            request_id,
        )
        return await self._store_issued(conn, pub, replace(draft, order_id=order.id), partner, now), True

    async def invoice_contract_month(
        self,
        conn: AsyncConnection,
        pub: Publisher,
        contract_id: str,
        period: str,
        request_id: str | None,
        now: datetime,
    ) -> tuple[Document, bool]:
        if request_id and (existing := await repo.document_by_request(conn, request_id)):
            return existing, False
        contract = await self._document(conn, contract_id, "contract")
        rules.check_contract_month(contract, period)
        invoiced = await repo.document_where(
            conn, t.documents.c.contract_id == contract_id, t.documents.c.period == period
        )
        if invoiced is not None:
            raise Conflict(
                f"{period} of contract {contract.number} was already invoiced by {invoiced.number}",
                invoice_id=invoiced.id,
            )
        assert contract.partner_id is not None
        partner = await self.partner(conn, contract.partner_id)
        draft = self._draft(
            "invoice",
            partner.partner_id,
            rules.contract_month_lines(contract, _new_id),
            self.business_day(now),
            contract.source,
            request_id,
        )
        doc = replace(draft, contract_id=contract.id, period=period)
        return await self._store_issued(conn, pub, doc, partner, now), True

    async def _document(self, conn: AsyncConnection, document_id: str, doc_type: str) -> Document:
        doc = await repo.document(conn, document_id, lock=True)
        if doc is None or doc.type != doc_type:
            raise NotFound(f"no {doc_type} {document_id}")
        return doc

    # Offers --------------------------------------------------------------------------------------------------

    async def accept_offer(
        self,
        conn: AsyncConnection,
        pub: Publisher,
        offer_id: str,
        now: datetime,
        then: Literal["none", "order", "contract", "both"] = "none",
        contract: IssueRequest | None = None,
        by: str | None = None,
    ) -> tuple[Document, list[Document]]:
        """Mark an offer accepted (OfferAccepted) and issue the order and/or contract it turns into (O5).

        Raises:
            Conflict: the offer was decided already, by this request's twin too (one acceptance, one contract).
        """
        offer = await self._document(conn, offer_id, "offer")
        status = rules.decide_offer(offer, "accepted", self.timezone)
        await self._decide(conn, offer, now, by, status=status)
        offer = replace(offer, status=status, decided_at=now, decided_by=by)
        await pub.offer_accepted(offer)
        assert offer.partner_id is not None
        follow_source = replace(offer.source, offer_id=offer.id)
        lines = tuple(
            LineRequest(article_code=line.article_code, qty=line.qty, price=line.price, description=line.description)
            for line in offer.lines
        )
        follow: list[Document] = []
        if then in ("order", "both"):
            req = IssueRequest("order", offer.partner_id, lines, follow_source, apply_scope=False)
            follow.append((await self.issue(conn, pub, req, now))[0])
        if then in ("contract", "both"):
            base = contract or IssueRequest("contract", offer.partner_id, ())
            req = replace(
                base,
                doc_type="contract",
                partner_id=offer.partner_id,
                lines=base.lines or lines,
                source=follow_source,
                apply_scope=False,
                request_id=None,
            )
            follow.append((await self.issue(conn, pub, req, now))[0])
        for doc in follow:
            # Keyed by the acceptance: the unique index allows one order and one contract per offer.
            await repo.update_document(conn, doc.id, follows_offer_id=offer.id)
        return offer, follow

    async def reject_offer(
        self,
        conn: AsyncConnection,
        pub: Publisher,
        offer_id: str,
        reason_code: str,
        note: str | None,
        now: datetime | None = None,
        by: str | None = None,
    ) -> Document:
        """Mark an offer rejected for a catalogued reason (OfferRejected).

        Raises:
            Invalid: no reason code.
            Conflict: the offer was decided already.
        """
        if not reason_code.strip():
            raise Invalid("a rejected offer needs a reason code (CRM > Nomenclatoare > Motive)", field="reason_code")
        offer = await self._document(conn, offer_id, "offer")
        status = rules.decide_offer(offer, "rejected", self.timezone)
        await self._decide(conn, offer, now, by, status=status, reason_code=reason_code, note=note)
        offer = replace(offer, status=status, reason_code=reason_code, note=note, decided_at=now, decided_by=by)
        await pub.offer_rejected(offer, reason_code, note)
        return offer

    async def _decide(
        self, conn: AsyncConnection, offer: Document, now: datetime | None, by: str | None, **values: object
    ) -> None:
        """The offer's one decision: only a request that finds it still ``issued`` in the UPDATE wins."""
        number = offer.number

        def lost(row: sa.Row[Any]) -> str:
            return rules.already_decided(number, row.status, row.decided_at, row.decided_by, self.timezone)

        await transition(
            conn,
            t.documents,
            {"id": offer.id},
            expected={"status": "issued"},
            values={**values, "decided_at": now, "decided_by": by},
            lost=lost,
        )

    async def mark_offer_accepted_by(self, conn: AsyncConnection, pub: Publisher, doc: Document) -> None:
        """An order or contract requested from an offer (source.offer_id) means the client accepted it."""
        offer_id = doc.source.offer_id
        if not offer_id:
            return
        offer = await repo.document(conn, offer_id, lock=True)
        if offer is None or offer.type != "offer" or offer.status != "issued":
            return
        try:
            await self._decide(conn, offer, None, None, status="accepted")
        except Conflict:
            return  # accepted or rejected meanwhile over HTTP: that decision stands
        await pub.offer_accepted(replace(offer, status="accepted"))

    # Contracts -----------------------------------------------------------------------------------------------

    async def end_contract(self, conn: AsyncConnection, pub: Publisher, contract_id: str, ended_on: date) -> Document:
        contract = await self._document(conn, contract_id, "contract")
        rules.check_end(contract, ended_on)
        number = contract.number

        def lost(row: sa.Row[Any]) -> str:
            return f"contract {number} already ended on {row.ended_on}"

        await transition(
            conn,
            t.documents,
            {"id": contract.id},
            expected={"ended_on": None},
            values={"status": "ended", "ended_on": ended_on},
            lost=lost,
        )
        contract = replace(contract, status="ended", ended_on=ended_on)
        await pub.contract_ended(contract)
        return contract

    # Cost documents and payments -----------------------------------------------------------------------------

    async def post_cost(
        self,
        conn: AsyncConnection,
        pub: Publisher,
        *,
        kind: str,
        partner_id: str | None,
        number: str,
        day: date,
        net: Decimal,
        vat: Decimal,
        campaign_id: str | None,
        description: str | None,
        now: datetime,
    ) -> Document:
        if kind not in rules.COST_KINDS:
            raise Invalid(f"kind is one of {', '.join(rules.COST_KINDS)}", field="kind")
        if kind in ("purchase_invoice", "purchase_receipt") and not partner_id:
            raise Invalid("a purchase document needs its supplier (partner_id)", field="partner_id")
        number = number.strip()
        if not number or len(number) > 60:
            raise Invalid("the document number is 1-60 characters", field="number")
        net = rules.check_amount(net, "net", positive=False)
        vat = rules.check_amount(vat, "vat", positive=False)
        if partner_id:
            await self.partner(conn, partner_id)
        duplicate = await repo.document_where(
            conn,
            t.documents.c.type == "cost",
            t.documents.c.kind == kind,
            t.documents.c.partner_id == partner_id,
            t.documents.c.external_number == number,
        )
        if duplicate is not None:
            raise Conflict(f"this cost document is already posted as {duplicate.number}", document_id=duplicate.id)
        sequence = await repo.next_in_series(conn, "cost", day.year)
        doc = Document(
            id=_new_id(),
            type="cost",
            number=rules.document_number("cost", day.year, sequence),
            partner_id=partner_id,
            issued_on=day,
            lines=(),
            net=net,
            vat=vat,
            currency=self.currency,
            kind=kind,
            source=Source(campaign_id=campaign_id),
            external_number=number,
            note=description,
            status="posted",
        )
        await repo.insert_document(conn, doc, series_number=True, now=now)
        await pub.cost_document_posted(doc)
        return doc

    async def record_payment(
        self,
        conn: AsyncConnection,
        pub: Publisher,
        *,
        partner_id: str,
        amount: Decimal,
        day: date,
        invoice_id: str | None,
        request_id: str | None,
        now: datetime,
    ) -> tuple[Document, bool]:
        if request_id and (existing := await repo.document_by_request(conn, request_id)):
            return existing, False
        amount = rules.check_amount(amount, "amount", positive=True)
        partner = await self.partner(conn, partner_id)
        if invoice_id:
            invoice = await repo.document(conn, invoice_id)
            if invoice is None or invoice.type != "invoice":
                raise Invalid(f"unknown invoice {invoice_id}", field="invoice_id")
            if invoice.partner_id != partner_id:
                raise Invalid(f"invoice {invoice.number} belongs to another partner", field="invoice_id")
        doc = Document(
            id=_new_id(),
            type="payment",
            number="",
            partner_id=partner.partner_id,
            issued_on=day,
            lines=(),
            net=amount,
            vat=ZERO,
            currency=self.currency,
            request_id=request_id,
            invoice_id=invoice_id,
            status="received",
        )
        doc = await self._store_issued(conn, pub, doc, partner, now)
        await pub.payment_received(doc)
        await self._move_balance(conn, pub, partner.partner_id, now, paid=amount)
        return doc, True
