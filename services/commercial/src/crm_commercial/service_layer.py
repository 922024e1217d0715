"""The use cases: each opens a unit of work, loads through the repository, asks the domain, saves, publishes.

The HTTP controllers, the event subscribers and the printout worker call these methods and nothing
else. A document and its facts commit together or not at all. An invoice's printout is rendered after
its commit (``print_invoice``): rendered under the series lock, it held every invoice up for the
previous one's PDF.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Generic, Literal, TypeVar
from zoneinfo import ZoneInfo

from crm_commercial.domain import documents as rules
from crm_commercial.domain.articles import (
    Article,
    ArticleScope,
    Scope,
    VatRate,
    check_vat_rate,
    validate_article,
    validate_scope,
)
from crm_commercial.domain.documents import (
    Document,
    DocumentRequest,
    Line,
    LineRequest,
    OfferDecision,
    Source,
    line_matches,
)
from crm_commercial.domain.money import ZERO
from crm_commercial.domain.partners import Partner, UnknownPartner, known
from crm_commercial.domain.text import search
from crm_commercial.ports import (
    Blobs,
    DocumentFilter,
    DocumentSearch,
    FoundDocument,
    ParkedCommand,
    Printer,
    Publisher,
    Repository,
)
from crm_kit.errors import Conflict, DomainError, Invalid, NotFound
from crm_kit.ids import new_id
from crm_kit.unit_of_work import UnitOfWork, Work, utcnow

Unit = Work[Repository, Publisher]
T = TypeVar("T")


def _new_id() -> str:
    return str(new_id())


# Commands --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaveVatRate:
    """Add a VAT rate to the catalogue or change one (a legal change of rates is data, not code)."""

    code: str
    rate: Decimal
    name: str
    active: bool = True


@dataclass(frozen=True)
class ChooseArticleScope:
    """C5: let generated documents pick every article, or only a list."""

    scope: Scope
    article_codes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AddArticle:
    """Add an article to the catalogue."""

    article: Article


@dataclass(frozen=True)
class ChangeArticle:
    """Change an article of the catalogue."""

    article: Article


@dataclass(frozen=True)
class IssueDocument(DocumentRequest):
    """Issue an offer, order, contract or invoice; the same request_id twice gives the first document."""


@dataclass(frozen=True)
class AnswerRequest:
    """Answer a document command of another context: issue it, park it for its partner, or reject it."""

    command_id: str
    ce_type: str
    correlation_id: str | None
    request: DocumentRequest


@dataclass(frozen=True)
class InvoiceOrder:
    """Invoice an order (once)."""

    order_id: str
    request_id: str | None = None


@dataclass(frozen=True)
class InvoiceContractMonth:
    """Invoice one month of a contract (once)."""

    contract_id: str
    period: str
    request_id: str | None = None


@dataclass(frozen=True)
class AcceptOffer:
    """The client accepted an offer; optionally issue the order and/or contract it turns into (O5)."""

    offer_id: str
    then: Literal["none", "order", "contract", "both"] = "none"
    contract_kind: str | None = None
    starts_on: date | None = None
    months: int | None = None
    monthly_value: Decimal | None = None
    by: str | None = None


@dataclass(frozen=True)
class RejectOffer:
    """The client rejected an offer, for a catalogued reason."""

    offer_id: str
    reason_code: str
    note: str | None = None
    by: str | None = None


@dataclass(frozen=True)
class EndContract:
    """End a contract on a day."""

    contract_id: str
    ended_on: date


@dataclass(frozen=True)
class PostCostDocument:
    """Record a supplier's or an internal cost document (with a campaign: its marketing cost, M3)."""

    kind: str
    number: str
    day: date
    net: Decimal
    vat: Decimal
    partner_id: str | None = None
    campaign_id: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class RecordPayment:
    """Record a client's payment; the same request_id twice records it once."""

    partner_id: str
    amount: Decimal
    day: date
    invoice_id: str | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class PartnerChanged:
    """The partner directory registered or changed a partner: keep its copy, release its parked commands."""

    partner: Partner


@dataclass(frozen=True)
class PrintInvoice:
    """Render, store and announce the printout of an invoice that has none yet."""

    invoice_id: str


# Results ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    """A document a use case returns, whether it was made now, and the business day it was asked on."""

    document: Document
    today: date
    created: bool = True


@dataclass(frozen=True)
class Accepted:
    """An accepted offer and the documents it turned into."""

    offer: Document
    follow: list[Document]
    today: date


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing, its total and the business day it was read on."""

    items: list[T]
    total: int
    today: date


@dataclass(frozen=True)
class Balance:
    """A partner's balance: invoices gross minus payments (positive: the client owes)."""

    partner_id: str
    balance: Decimal
    currency: str


@dataclass(frozen=True)
class Printout:
    """A document's PDF."""

    document: Document
    pdf: bytes


# Use cases -------------------------------------------------------------------------------------------------------


class UseCases:
    """The commercial use cases, wired once by ``bootstrap``.

    Args:
        uow: opens units of work (the real one on the database and outbox, or fakes in unit tests).
        printer: renders PDF printouts.
        blobs: where printouts and article photos are kept.
        clock: the time queries are asked at (changes take theirs from the unit of work).
        currency: the currency of every document.
        timezone: the zone whose local date is a document's issue date.
        offer_valid_days: how long an offer stays valid when the request names no day.
    """

    def __init__(
        self,
        uow: UnitOfWork[Repository, Publisher],
        *,
        printer: Printer,
        blobs: Blobs,
        clock: Callable[[], datetime] = utcnow,
        currency: str = "RON",
        timezone: ZoneInfo | None = None,
        offer_valid_days: int = 30,
    ) -> None:
        self.uow = uow
        self.printer = printer
        self.blobs = blobs
        self.clock = clock
        self.currency = currency
        self.timezone = timezone or ZoneInfo("Europe/Bucharest")
        self.offer_valid_days = offer_valid_days

    def business_day(self, now: datetime) -> date:
        """The day a document is issued on: the local date at ``now``."""
        return now.astimezone(self.timezone).date()

    # Articles, VAT rates, picker scope -----------------------------------------------------------------------

    async def save_vat_rate(self, cmd: SaveVatRate) -> VatRate:
        """Add or change a VAT rate.

        Raises:
            Invalid: not a percentage, or without a code or name.
            Conflict: the percentage is another code's, or articles still use a rate being retired.
        """
        rate = VatRate(code=cmd.code.strip(), rate=cmd.rate, name=cmd.name.strip(), active=cmd.active)
        async with self.uow() as work:
            in_use = 0 if rate.active else await work.repo.articles_using_rate(rate.rate)
            check_vat_rate(rate, await work.repo.vat_rates(), in_use)
            await work.repo.save_vat_rate(rate)
        return rate

    async def choose_article_scope(self, cmd: ChooseArticleScope) -> ArticleScope:
        """C5: choose the articles generated documents may pick.

        Raises:
            Invalid: an unknown scope, or unknown article codes.
        """
        scope = ArticleScope(scope=cmd.scope, article_codes=cmd.article_codes)
        async with self.uow() as work:
            validate_scope(scope, await work.repo.article_codes())
            await work.repo.save_article_scope(scope)
        return scope

    async def add_article(self, cmd: AddArticle) -> Article:
        """Add an article (ArticleUpdated).

        Raises:
            Conflict: the code is already in the catalogue.
            Invalid: the article breaks a rule, or a photo is not in the blob store.
        """
        async with self.uow() as work:
            if await work.repo.article(cmd.article.code) is not None:
                raise Conflict(
                    f"article {cmd.article.code} already exists; change it with PUT /api/articles/{cmd.article.code}",
                    code="article.code_taken",
                    params={"code": cmd.article.code},
                )
            return await self._save_article(work, cmd.article)

    async def change_article(self, cmd: ChangeArticle) -> Article:
        """Change an article (ArticleUpdated).

        Raises:
            NotFound: no such article.
            Invalid: the article breaks a rule, or a photo is not in the blob store.
        """
        async with self.uow() as work:
            if await work.repo.article(cmd.article.code) is None:
                raise NotFound(f"no article {cmd.article.code}", code="record.not_found")
            return await self._save_article(work, cmd.article)

    async def _save_article(self, work: Unit, item: Article) -> Article:
        validate_article(item, await work.repo.vat_rates())
        missing = [p for p in item.photos if not self.blobs.exists(p)]
        if missing:
            raise Invalid(
                f"photo not in the blob store (upload it first): {missing[0]}",
                field="photos",
                code="article.photo_missing",
                params={"sha256": missing[0]},
            )
        await work.repo.save_article(item, work.now)
        await work.publisher.article_updated(item)
        return item

    async def vat_rates(self) -> list[VatRate]:
        """The VAT rates catalogue."""
        async with self.uow.reading() as repo:
            return await repo.vat_rates()

    async def article_scope(self) -> ArticleScope:
        """C5: where generated documents pick their articles from."""
        async with self.uow.reading() as repo:
            return await repo.article_scope()

    async def articles(self, query: str | None, *, picker: bool, limit: int, offset: int) -> Page[Article]:
        """Articles whose code or name contain ``query``; with ``picker`` only those documents may pick (C5)."""
        async with self.uow.reading() as repo:
            only = (await repo.article_scope()).picker_codes() if picker else None
            items, total = await repo.articles(query=query, only=only, limit=limit, offset=offset)
        return Page(items, total, self._today())

    async def search_articles(self, query: str | None, *, limit: int = 20, picker: bool = True) -> list[Article]:
        """The article picker: at most ``limit`` articles matching ``query`` (``articles.article_matches``).

        The code starts with the query, or the name has a word starting with each of its words, accents and
        case ignored; with ``picker`` (the default) only those documents may pick (C5's chosen list, when on).

        Raises:
            Invalid: a query too long, a limit out of bounds.
        """
        q = search(query, limit)
        if q.blank:
            return []
        async with self.uow.reading() as repo:
            only = (await repo.article_scope()).picker_codes() if picker else None
            return await repo.find_articles(q, only=only)

    async def article(self, code: str) -> Article:
        """One article.

        Raises:
            NotFound: no such article.
        """
        async with self.uow.reading() as repo:
            item = await repo.article(code)
        if item is None:
            raise NotFound(f"no article {code}", code="record.not_found")
        return item

    # Issuing -------------------------------------------------------------------------------------------------

    async def issue(self, cmd: IssueDocument) -> Issued:
        """Issue an offer, order, contract or invoice; the same request_id twice gives the first document.

        Raises:
            UnknownPartner: the partner is not in the directory.
            Invalid: bad lines or contract terms.
        """
        async with self.uow() as work:
            doc, created = await self._issue(work, cmd)
        return Issued(doc, self.business_day(work.now), created)

    async def answer_request(self, cmd: AnswerRequest) -> None:
        """A command of another context: issue its document (accepting the offer it follows), park or reject it.

        A command whose partner the directory has not announced yet waits for ``partner_changed``; one that
        can never succeed as sent is answered with a rejection. Every rule is checked before the first write,
        so a refused command leaves nothing behind but its answer.
        """
        async with self.uow() as work:
            parked = ParkedCommand(cmd.command_id, cmd.ce_type, cmd.correlation_id, cmd.request)
            await self._answer(work, cmd.request, parked)

    async def partners_registered(self, cmds: Sequence[PartnerChanged]) -> None:
        """Keep newly registered partners in a few statements; answer the commands that waited for them.

        A CSV import brings 100,000. A partner already known keeps its row: a later change of it may have
        been handled first, and a replayed registration must not undo it.
        """
        async with self.uow() as work:
            await work.repo.lock_partners([c.partner.partner_id for c in cmds])
            await work.repo.add_new_partners(list({c.partner.partner_id: c.partner for c in cmds}.values()), work.now)
            for parked in await work.repo.take_parked_of([c.partner.partner_id for c in cmds]):
                answering = replace(work, publisher=work.publisher.answering(parked))
                await self._answer(answering, parked.request, parked)

    async def partner_changed(self, cmd: PartnerChanged) -> None:
        """Keep the directory's copy of a partner and answer the commands that waited for it."""
        async with self.uow() as work:
            await work.repo.lock_partners([cmd.partner.partner_id])
            await work.repo.save_partner(cmd.partner, work.now)
            for parked in await work.repo.take_parked(cmd.partner.partner_id):
                answering = replace(work, publisher=work.publisher.answering(parked))
                await self._answer(answering, parked.request, parked)

    async def _answer(self, work: Unit, request: DocumentRequest, command: ParkedCommand) -> None:
        if request.request_id and await work.repo.by_request(request.request_id) is not None:
            return  # answered already
        await work.repo.lock_partners([request.partner_id])  # its partner's arrival sees it parked, or it sees it
        try:
            draft, partner = await self._prepare(work, request)
        except UnknownPartner:
            await work.repo.park(command, work.now)
            return
        except DomainError as exc:
            await work.publisher.request_rejected(request, exc.message)
            return
        doc = await self._store_issued(work, draft, partner)
        await self._mark_offer_accepted_by(work, doc)

    async def _issue(self, work: Unit, req: DocumentRequest) -> tuple[Document, bool]:
        if req.request_id and (existing := await work.repo.by_request(req.request_id)) is not None:
            return existing, False
        draft, partner = await self._prepare(work, req)
        return await self._store_issued(work, draft, partner), True

    async def _prepare(self, work: Unit, req: DocumentRequest) -> tuple[Document, Partner]:
        """The document a request asks for, priced and checked, not yet numbered nor stored (reads only)."""
        partner = known(await work.repo.partner(req.partner_id), req.partner_id)
        articles = await work.repo.articles_by_code([line.article_code for line in req.lines])
        scope = await work.repo.article_scope() if req.apply_scope else ArticleScope()
        lines = rules.price_lines(req.lines, articles, scope, _new_id)
        today = self.business_day(work.now)
        doc = self._draft(req.doc_type, partner.partner_id, lines, today, req.source, req.request_id)
        if req.doc_type == "offer":
            doc = replace(doc, valid_until=rules.offer_valid_until(req.valid_until, today, self.offer_valid_days))
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
        return doc, partner

    def _draft(
        self,
        doc_type: str,
        partner_id: str,
        lines: list[rules.Line],
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

    async def _store_issued(self, work: Unit, doc: Document, partner: Partner) -> Document:
        if doc.type == "invoice":
            return await self._store_invoice(work, doc, partner)
        # The number is taken last: the series row stays locked only for the render and the inserts.
        sequence = await work.repo.next_in_series(doc.type, doc.issued_on.year)
        doc = replace(doc, number=rules.document_number(doc.type, doc.issued_on.year, sequence))
        if doc.type in rules.RENDERED_IN_SERIES_LOCK:
            doc = replace(doc, printout_sha256=self.blobs.put(await self.printer.render(doc, partner)))
        await work.repo.add(doc, series_number=True, now=work.now)
        if doc.type in ("offer", "order", "contract"):
            await work.publisher.document_issued(doc)
        return doc

    async def _store_invoice(self, work: Unit, doc: Document, partner: Partner) -> Document:
        # The invoice series row stays locked from the number until the commit, and every invoice waits
        # for it: whatever does not need the number (the rows, the balance) is written before it is taken.
        # The printout is rendered after the commit (print_invoice); rendered here, under the lock, it held
        # every invoice up for the previous one's PDF (11 invoices/s with 8 clients).
        await work.repo.add(doc, series_number=False, now=work.now)
        await self._move_balance(work, partner.partner_id, invoiced=doc.gross)
        sequence = await work.repo.next_in_series(doc.type, doc.issued_on.year)
        doc = replace(doc, number=rules.document_number(doc.type, doc.issued_on.year, sequence))
        await work.repo.number_invoice(doc.id, doc.number)
        await work.publisher.document_issued(doc)
        return doc

    async def _move_balance(
        self, work: Unit, partner_id: str, *, invoiced: Decimal = ZERO, paid: Decimal = ZERO
    ) -> Decimal:
        current = await work.repo.locked_balance(partner_id, self.currency, work.now)
        value = rules.new_balance(current, invoiced=invoiced, paid=paid)
        await work.repo.save_balance(partner_id, value, work.now)
        await work.publisher.balance_changed(partner_id, value, self.currency)
        return value

    # Invoices from an order or a contract month --------------------------------------------------------------

    async def invoice_order(self, cmd: InvoiceOrder) -> Issued:
        """Invoice an order; the same request_id twice gives the first invoice.

        Raises:
            NotFound: no such order.
            Conflict: the order is invoiced already.
        """
        async with self.uow() as work:
            if cmd.request_id and (existing := await work.repo.by_request(cmd.request_id)) is not None:
                return Issued(existing, self.business_day(work.now), created=False)
            order = await self._document(work, cmd.order_id, "order")
            rules.check_not_invoiced(order, await work.repo.invoice_of_order(order.id))
            assert order.partner_id is not None
            partner = known(await work.repo.partner(order.partner_id), order.partner_id)
            today = self.business_day(work.now)
            lines = rules.copy_lines(order, _new_id)
            draft = self._draft("invoice", partner.partner_id, lines, today, order.source, cmd.request_id)
            doc = await self._store_issued(work, replace(draft, order_id=order.id), partner)
        return Issued(doc, today)

    async def invoice_contract_month(self, cmd: InvoiceContractMonth) -> Issued:
        """Invoice a month of a contract; the same request_id twice gives the first invoice.

        Raises:
            NotFound: no such contract.
            Invalid: a period that is not a month of the contract.
            Conflict: the month is invoiced already, or the contract has no lines.
        """
        async with self.uow() as work:
            if cmd.request_id and (existing := await work.repo.by_request(cmd.request_id)) is not None:
                return Issued(existing, self.business_day(work.now), created=False)
            contract = await self._document(work, cmd.contract_id, "contract")
            rules.check_contract_month(contract, cmd.period)
            invoiced = await work.repo.invoice_of_month(contract.id, cmd.period)
            rules.check_month_not_invoiced(contract, cmd.period, invoiced)
            assert contract.partner_id is not None
            partner = known(await work.repo.partner(contract.partner_id), contract.partner_id)
            today = self.business_day(work.now)
            lines = rules.contract_month_lines(contract, _new_id)
            draft = self._draft("invoice", partner.partner_id, lines, today, contract.source, cmd.request_id)
            doc = replace(draft, contract_id=contract.id, period=cmd.period)
            doc = await self._store_issued(work, doc, partner)
        return Issued(doc, today)

    async def _document(self, work: Unit, document_id: str, doc_type: str) -> Document:
        doc = await work.repo.get(document_id, lock=True)
        if doc is None or doc.type != doc_type:
            raise NotFound(f"no {doc_type} {document_id}", code="record.not_found")
        return doc

    # Offers --------------------------------------------------------------------------------------------------

    async def accept_offer(self, cmd: AcceptOffer) -> Accepted:
        """Mark an offer accepted (OfferAccepted) and issue the order and/or contract it turns into (O5).

        Raises:
            NotFound: no such offer.
            Conflict: the offer was decided already, by this request's twin too (one acceptance, one contract).
        """
        async with self.uow() as work:
            offer = await self._document(work, cmd.offer_id, "offer")
            status = rules.decide_offer(offer, "accepted", self.timezone)
            decision = OfferDecision(status=status, decided_at=work.now, decided_by=cmd.by)
            await self._decide(work, offer, decision)
            offer = replace(offer, status=status, decided_at=work.now, decided_by=cmd.by)
            await work.publisher.offer_accepted(offer)
            assert offer.partner_id is not None
            follow_source = replace(offer.source, offer_id=offer.id)
            lines = tuple(
                LineRequest(article_code=li.article_code, qty=li.qty, price=li.price, description=li.description)
                for li in offer.lines
            )
            follow: list[Document] = []
            if cmd.then in ("order", "both"):
                req = DocumentRequest("order", offer.partner_id, lines, follow_source, apply_scope=False)
                follow.append((await self._issue(work, req))[0])
            if cmd.then in ("contract", "both"):
                req = DocumentRequest(
                    "contract",
                    offer.partner_id,
                    lines,
                    follow_source,
                    kind=cmd.contract_kind,
                    starts_on=cmd.starts_on,
                    months=cmd.months,
                    monthly_value=cmd.monthly_value,
                    apply_scope=False,
                )
                follow.append((await self._issue(work, req))[0])
            for doc in follow:
                # Keyed by the acceptance: the unique index allows one order and one contract per offer.
                await work.repo.mark_follows(doc.id, offer.id)
        return Accepted(offer, follow, self.business_day(work.now))

    async def reject_offer(self, cmd: RejectOffer) -> Document:
        """Mark an offer rejected for a catalogued reason (OfferRejected).

        Raises:
            Invalid: no reason code.
            NotFound: no such offer.
            Conflict: the offer was decided already.
        """
        reason_code = rules.check_reason_code(cmd.reason_code)
        async with self.uow() as work:
            offer = await self._document(work, cmd.offer_id, "offer")
            status = rules.decide_offer(offer, "rejected", self.timezone)
            decision = OfferDecision(status, work.now, cmd.by, reason_code=reason_code, note=cmd.note)
            await self._decide(work, offer, decision)
            offer = replace(
                offer, status=status, reason_code=reason_code, note=cmd.note, decided_at=work.now, decided_by=cmd.by
            )
            await work.publisher.offer_rejected(offer)
        return offer

    async def record_offer_rejection(self, cmd: RejectOffer) -> Document | None:
        """An offer rejected on its opportunity (OfferRejectionRequested): rejected here too, once.

        An offer decided here already (accepted, or this command delivered again) keeps its decision. Returns the
        rejected offer, or None when nothing changed.

        Raises:
            NotFound: no such offer; Invalid: no reason (the inbox retries, then dead-letters it with the reason).
        """
        try:
            return await self.reject_offer(cmd)
        except Conflict:
            return None

    async def _decide(self, work: Unit, offer: Document, decision: OfferDecision) -> None:
        """The offer's one decision: only a request that finds it still ``issued`` wins."""
        number, tz = offer.number, self.timezone

        def lost(now: Document) -> Conflict:
            return rules.already_decided(number, now.status, now.decided_at, now.decided_by, tz)

        await work.repo.decide_offer(offer.id, decision, lost)

    async def _mark_offer_accepted_by(self, work: Unit, doc: Document) -> None:
        """An order or contract requested from an offer (source.offer_id) means the client accepted it."""
        offer_id = doc.source.offer_id
        if not offer_id:
            return
        offer = await work.repo.get(offer_id, lock=True)
        if offer is None or offer.type != "offer" or offer.status != "issued":
            return
        try:
            await self._decide(work, offer, OfferDecision(status="accepted", decided_at=None, decided_by=None))
        except Conflict:
            return  # accepted or rejected meanwhile over HTTP: that decision stands
        await work.publisher.offer_accepted(replace(offer, status="accepted"))

    # Contracts -----------------------------------------------------------------------------------------------

    async def end_contract(self, cmd: EndContract) -> Issued:
        """End a contract (ContractEnded); only one end wins.

        Raises:
            NotFound: no such contract.
            Conflict: the contract ended already.
            Invalid: the end is before the start.
        """
        async with self.uow() as work:
            contract = await self._document(work, cmd.contract_id, "contract")
            rules.check_end(contract, cmd.ended_on)
            number = contract.number
            await work.repo.end_contract(
                contract.id, cmd.ended_on, lambda now: rules.already_ended(number, now.ended_on)
            )
            contract = replace(contract, status="ended", ended_on=cmd.ended_on)
            await work.publisher.contract_ended(contract)
        return Issued(contract, self.business_day(work.now))

    # Cost documents and payments -----------------------------------------------------------------------------

    async def post_cost(self, cmd: PostCostDocument) -> Document:
        """Post a cost document (CostDocumentPosted), numbered in the cost series.

        Raises:
            Invalid: a bad kind, supplier, number or amount; an unknown supplier.
            Conflict: the same document is posted already.
        """
        async with self.uow() as work:
            return await self._post_cost(work, cmd)

    async def _post_cost(self, work: Unit, cmd: PostCostDocument) -> Document:
        number = rules.check_cost(cmd.kind, cmd.partner_id, cmd.number)
        net = rules.check_amount(cmd.net, "net", positive=False)
        vat = rules.check_amount(cmd.vat, "vat", positive=False)
        if cmd.partner_id:
            known(await work.repo.partner(cmd.partner_id), cmd.partner_id)
        rules.check_not_posted(await work.repo.cost_document(cmd.kind, cmd.partner_id, number))
        sequence = await work.repo.next_in_series("cost", cmd.day.year)
        doc = Document(
            id=_new_id(),
            type="cost",
            number=rules.document_number("cost", cmd.day.year, sequence),
            partner_id=cmd.partner_id,
            issued_on=cmd.day,
            lines=(),
            net=net,
            vat=vat,
            currency=self.currency,
            kind=cmd.kind,
            source=Source(campaign_id=cmd.campaign_id),
            external_number=number,
            note=cmd.description,
            status="posted",
        )
        await work.repo.add(doc, series_number=True, now=work.now)
        await work.publisher.cost_document_posted(doc)
        return doc

    async def import_documents(self, cmds: Sequence[IssueDocument | PostCostDocument]) -> int:
        """Many invoices and cost documents in ONE unit of work (data migrations, the large demo set).

        Each is checked, numbered and published (DocumentIssued, CostDocumentPosted, BalanceChanged) through the
        outbox as ``issue`` and ``post_cost`` do it one by one; invoice printouts follow from the printout worker.

        Args:
            cmds: the documents (about a thousand at a time keeps the series locked briefly).

        Returns:
            How many documents were stored (a request_id issued before counts as not stored).

        Raises:
            DomainError: a document is refused as ``issue``/``post_cost`` would refuse it; none of the batch is stored.
        """
        stored = 0
        async with self.uow() as work:
            for cmd in cmds:
                if isinstance(cmd, PostCostDocument):
                    await self._post_cost(work, cmd)
                    stored += 1
                else:
                    _, created = await self._issue(work, cmd)
                    stored += created
        return stored

    async def record_payment(self, cmd: RecordPayment) -> Issued:
        """Record a client's payment (PaymentReceived, BalanceChanged); the same request_id twice records it once.

        Raises:
            Invalid: a bad amount, an unknown partner, an invoice that is not the partner's.
        """
        async with self.uow() as work:
            if cmd.request_id and (existing := await work.repo.by_request(cmd.request_id)) is not None:
                return Issued(existing, self.business_day(work.now), created=False)
            amount = rules.check_amount(cmd.amount, "amount", positive=True)
            partner = known(await work.repo.partner(cmd.partner_id), cmd.partner_id)
            if cmd.invoice_id:
                rules.check_paid_invoice(await work.repo.get(cmd.invoice_id), cmd.invoice_id, cmd.partner_id)
            doc = Document(
                id=_new_id(),
                type="payment",
                number="",
                partner_id=partner.partner_id,
                issued_on=cmd.day,
                lines=(),
                net=amount,
                vat=ZERO,
                currency=self.currency,
                request_id=cmd.request_id,
                invoice_id=cmd.invoice_id,
                status="received",
            )
            doc = await self._store_issued(work, doc, partner)
            await work.publisher.payment_received(doc)
            await self._move_balance(work, partner.partner_id, paid=amount)
        return Issued(doc, self.business_day(work.now))

    # Printouts -----------------------------------------------------------------------------------------------

    async def print_invoice(self, cmd: PrintInvoice) -> Document:
        """Render an invoice's printout after its commit, record it and announce it (InvoicePrintoutReady).

        Rendering is outside any transaction; the printout is content-addressed, so when the worker and a
        reader render the same invoice, the first to record it announces it and the other finds it recorded.

        Raises:
            NotFound: no such document, or the invoice's partner is unknown.
        """
        async with self.uow.reading() as repo:
            doc = await repo.get(cmd.invoice_id)
        if doc is None:
            raise NotFound(f"no document {cmd.invoice_id}", code="record.not_found")
        return await self._ensure_printout(doc)

    async def _ensure_printout(self, doc: Document) -> Document:
        if doc.type != "invoice" or doc.printout_sha256 or doc.partner_id is None:
            return doc  # other documents are rendered as they are issued; costs have no printout
        async with self.uow.reading() as repo:
            partner = await repo.partner(doc.partner_id)
        if partner is None:
            raise NotFound(
                f"the partner of {doc.number} is unknown: its printout cannot be made", code="record.not_found"
            )
        rendered = replace(doc, printout_sha256=self.blobs.put(await self.printer.render(doc, partner)))
        assert rendered.printout_sha256 is not None
        async with self.uow() as work:
            if await work.repo.record_printout(doc.id, rendered.printout_sha256):
                await work.publisher.invoice_printout_ready(rendered)
                return rendered
            current = await work.repo.get(doc.id)  # rendered meanwhile by the worker or another read
        return current or rendered

    async def invoices_awaiting_printout(self, limit: int) -> list[str]:
        """The oldest invoices whose printout is not rendered yet (the printout worker's queue)."""
        async with self.uow.reading() as repo:
            return await repo.invoices_without_printout(limit)

    async def printout(self, document_id: str) -> Printout:
        """A document's PDF (an invoice's is rendered now if the worker has not got to it yet).

        Raises:
            NotFound: no such document, no printout, or its PDF is missing from the blob store.
        """
        doc = await self._ensure_printout((await self.document(document_id)).document)
        if not doc.printout_sha256:
            raise NotFound(f"{doc.number} has no printout", code="record.not_found")
        try:
            pdf = self.blobs.get(doc.printout_sha256)
        except (KeyError, ValueError):
            raise NotFound(
                f"the printout of {doc.number} is missing from the blob store", code="record.not_found"
            ) from None
        return Printout(doc, pdf)

    # Queries -------------------------------------------------------------------------------------------------

    def _today(self) -> date:
        return self.business_day(self.clock())

    async def document(self, document_id: str, doc_type: str | None = None) -> Issued:
        """One document with its lines (``doc_type``: only of that type).

        Raises:
            NotFound: no such document (of that type).
        """
        async with self.uow.reading() as repo:
            doc = await repo.get(document_id)
        if doc is None or (doc_type is not None and doc.type != doc_type):
            raise NotFound(f"no {doc_type or 'document'} {document_id}", code="record.not_found")
        return Issued(doc, self._today(), created=False)

    async def documents(
        self, partner_id: str | None, doc_type: str | None, *, limit: int, offset: int
    ) -> Page[Document]:
        """A page of documents, newest first, optionally of one partner and one type."""
        async with self.uow.reading() as repo:
            docs, total = await repo.documents(
                DocumentFilter(partner_id=partner_id, doc_type=doc_type), limit=limit, offset=offset
            )
        return Page(docs, total, self._today())

    async def contracts(
        self, partner_id: str | None, *, active: bool | None, on: date | None, limit: int, offset: int
    ) -> Page[Document]:
        """Contracts (T5, T7); ``active`` keeps those in force (or not) ``on`` a day, today by default."""
        day = on or self._today()
        which = DocumentFilter(partner_id=partner_id, doc_type="contract", active_on=day if active else None)
        async with self.uow.reading() as repo:
            docs, total = await repo.documents(which, limit=limit, offset=offset)
        if active is False:
            docs = [d for d in docs if not d.is_active_on(day)]
            total = len(docs)
        return Page(docs, total, day)

    async def search_documents(
        self, query: str | None, *, doc_type: str | None = None, partner_id: str | None = None, limit: int = 20
    ) -> list[FoundDocument]:
        """The document picker: at most ``limit`` documents (of a type, of a partner) matching ``query``.

        The number contains the query, or the partner's name has a word starting with each of its words; a
        blank query finds the partner's newest documents, or nothing when no partner is named.

        Raises:
            Invalid: a query too long, a limit out of bounds.
        """
        q = search(query, limit)
        if q.blank and partner_id is None:
            return []
        async with self.uow.reading() as repo:
            return await repo.find_documents(q, DocumentSearch(doc_type=doc_type, partner_id=partner_id))

    async def search_contracts(
        self, query: str | None, *, partner_id: str | None = None, active: bool = False, limit: int = 20
    ) -> list[FoundDocument]:
        """The contract picker (T5, invoices): as ``search_documents``; ``active`` keeps those in force today.

        Raises:
            Invalid: a query too long, a limit out of bounds.
        """
        q = search(query, limit)
        if q.blank and partner_id is None:
            return []
        which = DocumentSearch("contract", partner_id, self._today() if active else None)
        async with self.uow.reading() as repo:
            return await repo.find_documents(q, which)

    async def contract_lines(self, contract_id: str, query: str | None = None) -> list[Line]:
        """The contract line picker (T5): a contract's lines matching ``query`` (``documents.line_matches``).

        Raises:
            NotFound: no such contract.
            Invalid: a query too long.
        """
        q = search(query)
        contract = (await self.document(contract_id, "contract")).document
        return [line for line in contract.lines if line_matches(line, q)]

    async def balance(self, partner_id: str) -> Balance:
        """A partner's balance (zero before anything was invoiced or paid).

        Raises:
            NotFound: the partner is unknown.
        """
        async with self.uow.reading() as repo:
            value = await repo.balance(partner_id)
            if value is None and await repo.partner(partner_id) is None:
                raise NotFound(f"no partner {partner_id}", code="record.not_found")
        return Balance(partner_id, value if value is not None else ZERO, self.currency)
