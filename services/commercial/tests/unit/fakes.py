"""In-memory fakes of the commercial ports, for unit tests of the use cases (no database, no broker)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from crm_commercial.domain.articles import Article, ArticleScope, VatRate, article_matches
from crm_commercial.domain.documents import Document, DocumentRequest, OfferDecision
from crm_commercial.domain.partners import Partner
from crm_commercial.domain.text import Search, fold, starts_words
from crm_commercial.ports import DocumentFilter, DocumentSearch, FoundDocument, Lost, ParkedCommand


class InMemoryRepository:
    """``ports.Repository`` in dictionaries; the single-winner changes refuse a second winner like the store."""

    def __init__(self) -> None:
        self.rates: dict[str, VatRate] = {}
        self.catalogue: dict[str, Article] = {}
        self.scope = ArticleScope()
        self.partners: dict[str, Partner] = {}
        self.series: dict[tuple[str, int], int] = {}
        self.docs: dict[str, Document] = {}
        self.follows: dict[str, str] = {}
        self.balances: dict[str, Decimal] = {}
        self.parked: list[ParkedCommand] = []

    async def vat_rates(self) -> list[VatRate]:
        return sorted(self.rates.values(), key=lambda r: r.rate, reverse=True)

    async def save_vat_rate(self, rate: VatRate) -> None:
        self.rates[rate.code] = rate

    async def articles_using_rate(self, rate: Decimal) -> int:
        return sum(1 for a in self.catalogue.values() if a.vat_rate == rate)

    async def article(self, code: str) -> Article | None:
        return self.catalogue.get(code)

    async def articles_by_code(self, codes: Iterable[str]) -> dict[str, Article]:
        return {c: self.catalogue[c] for c in codes if c in self.catalogue}

    async def articles(
        self, *, query: str | None, only: frozenset[str] | None, limit: int, offset: int
    ) -> tuple[list[Article], int]:
        found = [
            a
            for code, a in sorted(self.catalogue.items())
            if (only is None or code in only)
            and (not query or query.lower() in code.lower() or query.lower() in a.name.lower())
        ]
        return found[offset : offset + limit], len(found)

    async def find_articles(self, q: Search, *, only: frozenset[str] | None) -> list[Article]:
        found = [a for a in self.catalogue.values() if (only is None or a.code in only) and article_matches(a, q)]

        def rank(a: Article) -> tuple[int, str, str]:
            name = fold(a.name)
            return (0 if a.code.lower().startswith(q.text) else 1 if name.startswith(q.text) else 2, name, a.code)

        return sorted(found, key=rank)[: q.limit]

    async def article_codes(self) -> set[str]:
        return set(self.catalogue)

    async def save_article(self, item: Article, now: datetime) -> bool:
        new = item.code not in self.catalogue
        self.catalogue[item.code] = item
        return new

    async def article_scope(self) -> ArticleScope:
        return self.scope

    async def save_article_scope(self, scope: ArticleScope) -> None:
        self.scope = scope

    async def save_partner(self, partner: Partner, now: datetime) -> None:
        self.partners[partner.partner_id] = partner

    async def add_new_partners(self, partners: Sequence[Partner], now: datetime) -> None:
        for partner in partners:
            self.partners.setdefault(partner.partner_id, partner)

    async def partner(self, partner_id: str) -> Partner | None:
        return self.partners.get(partner_id)

    async def next_in_series(self, doc_type: str, year: int) -> int:
        self.series[doc_type, year] = self.series.get((doc_type, year), 0) + 1
        return self.series[doc_type, year]

    async def add(self, doc: Document, *, series_number: bool, now: datetime) -> None:
        if doc.request_id and any(d.request_id == doc.request_id for d in self.docs.values()):
            raise AssertionError(f"request {doc.request_id} stored twice")
        self.docs[doc.id] = doc

    async def get(self, document_id: str, *, lock: bool = False) -> Document | None:
        return self.docs.get(document_id)

    async def by_request(self, request_id: str) -> Document | None:
        return next((d for d in self.docs.values() if d.request_id == request_id), None)

    async def invoice_of_order(self, order_id: str) -> Document | None:
        return next((d for d in self.docs.values() if d.order_id == order_id), None)

    async def invoice_of_month(self, contract_id: str, period: str) -> Document | None:
        return next((d for d in self.docs.values() if d.contract_id == contract_id and d.period == period), None)

    async def cost_document(self, kind: str, partner_id: str | None, external_number: str) -> Document | None:
        return next(
            (
                d
                for d in self.docs.values()
                if d.type == "cost"
                and d.kind == kind
                and d.partner_id == partner_id
                and d.external_number == external_number
            ),
            None,
        )

    async def documents(self, which: DocumentFilter, *, limit: int, offset: int) -> tuple[list[Document], int]:
        found = [
            d
            for d in reversed(self.docs.values())  # newest first
            if (which.partner_id is None or d.partner_id == which.partner_id)
            and (which.doc_type is None or d.type == which.doc_type)
            and (which.active_on is None or d.is_active_on(which.active_on))
        ]
        found.sort(key=lambda d: d.issued_on, reverse=True)
        return found[offset : offset + limit], len(found)

    async def find_documents(self, q: Search, which: DocumentSearch) -> list[FoundDocument]:
        found: list[tuple[int, Document, str | None]] = []
        for doc in self.docs.values():
            partner = self.partners.get(doc.partner_id or "")
            name = fold(partner.name) if partner else ""
            if (
                (which.doc_type is not None and doc.type != which.doc_type)
                or (which.partner_id is not None and doc.partner_id != which.partner_id)
                or (which.active_on is not None and not doc.is_active_on(which.active_on))
            ):
                continue
            number = doc.number.lower()
            if not q.blank and q.text not in number and not (partner and starts_words(name, q.words)):
                continue
            rank = 0 if number.startswith(q.text) else 1 if name.startswith(q.text) else 2
            found.append((rank, replace(doc, lines=()), partner.name if partner else None))
        found.sort(key=lambda f: f[1].number, reverse=True)  # then (stable) by rank and newest, as the store
        found.sort(key=lambda f: (f[0], -f[1].issued_on.toordinal()))
        return [FoundDocument(doc, name) for _, doc, name in found[: q.limit]]

    async def number_invoice(self, document_id: str, number: str) -> None:
        self.docs[document_id] = replace(self.docs[document_id], number=number)

    async def mark_follows(self, document_id: str, offer_id: str) -> None:
        if offer_id in {o for d, o in self.follows.items() if self.docs[d].type == self.docs[document_id].type}:
            raise AssertionError(f"a second {self.docs[document_id].type} follows offer {offer_id}")
        self.follows[document_id] = offer_id

    async def decide_offer(self, offer_id: str, decision: OfferDecision, lost: Lost) -> None:
        offer = self.docs[offer_id]
        if offer.status != "issued":
            raise lost(offer)
        self.docs[offer_id] = replace(offer, **asdict(decision))

    async def end_contract(self, contract_id: str, ended_on: date, lost: Lost) -> None:
        contract = self.docs[contract_id]
        if contract.ended_on is not None:
            raise lost(contract)
        self.docs[contract_id] = replace(contract, status="ended", ended_on=ended_on)

    async def record_printout(self, document_id: str, sha256: str) -> bool:
        doc = self.docs[document_id]
        if doc.printout_sha256 is not None:
            return False
        self.docs[document_id] = replace(doc, printout_sha256=sha256)
        return True

    async def invoices_without_printout(self, limit: int) -> list[str]:
        return [d.id for d in self.docs.values() if d.type == "invoice" and d.printout_sha256 is None][:limit]

    async def balance(self, partner_id: str) -> Decimal | None:
        return self.balances.get(partner_id)

    async def locked_balance(self, partner_id: str, currency: str, now: datetime) -> Decimal:
        return self.balances.setdefault(partner_id, Decimal("0.00"))

    async def save_balance(self, partner_id: str, value: Decimal, now: datetime) -> None:
        self.balances[partner_id] = value

    async def lock_partners(self, partner_ids: Sequence[str]) -> None:
        """Nothing runs beside an in-memory store: there is no other transaction to wait for."""

    async def park(self, command: ParkedCommand, now: datetime) -> None:
        if all(p.command_id != command.command_id for p in self.parked):
            self.parked.append(command)

    async def take_parked(self, partner_id: str) -> list[ParkedCommand]:
        return await self.take_parked_of([partner_id])

    async def take_parked_of(self, partner_ids: Sequence[str]) -> list[ParkedCommand]:
        wanted = set(partner_ids)
        taken = [p for p in self.parked if p.request.partner_id in wanted]
        self.parked = [p for p in self.parked if p.request.partner_id not in wanted]
        return taken


@dataclass
class FakePublisher:
    """``ports.Publisher`` that records each fact as ``(name, subject)``; answers to a parked command also
    record ``(name, command_id)`` in ``caused_by``."""

    calls: list[tuple[str, object]] = field(default_factory=list)
    caused_by: list[tuple[str, str]] = field(default_factory=list)
    answering_command: str | None = None

    def _record(self, name: str, subject: object) -> None:
        self.calls.append((name, subject))
        if self.answering_command is not None:
            self.caused_by.append((name, self.answering_command))

    def of(self, name: str) -> list[object]:
        """The subjects of the recorded facts called ``name``."""
        return [subject for called, subject in self.calls if called == name]

    def names(self) -> list[str]:
        """The names of the recorded facts, in order."""
        return [name for name, _ in self.calls]

    async def document_issued(self, doc: Document) -> None:
        self._record("document_issued", doc)

    async def invoice_printout_ready(self, invoice: Document) -> None:
        self._record("invoice_printout_ready", invoice)

    async def offer_accepted(self, offer: Document) -> None:
        self._record("offer_accepted", offer)

    async def offer_rejected(self, offer: Document) -> None:
        self._record("offer_rejected", offer)

    async def contract_ended(self, contract: Document) -> None:
        self._record("contract_ended", contract)

    async def cost_document_posted(self, doc: Document) -> None:
        self._record("cost_document_posted", doc)

    async def payment_received(self, payment: Document) -> None:
        self._record("payment_received", payment)

    async def balance_changed(self, partner_id: str, balance: Decimal, currency: str) -> None:
        self._record("balance_changed", (partner_id, balance, currency))

    async def article_updated(self, article: Article) -> None:
        self._record("article_updated", article)

    async def request_rejected(self, request: DocumentRequest, reason: str) -> None:
        self._record("request_rejected", (request, reason))

    def answering(self, command: ParkedCommand) -> FakePublisher:
        return FakePublisher(self.calls, self.caused_by, command.command_id)


class FakePrinter:
    """``ports.Printer`` that prints the document's number (counting the renders)."""

    def __init__(self) -> None:
        self.rendered: list[str] = []

    async def render(self, doc: Document, partner: Partner) -> bytes:
        self.rendered.append(doc.number)
        return f"%PDF {doc.type} {doc.number} for {partner.name}".encode()


class FakeBlobs:
    """``ports.Blobs`` in a dictionary, addressed by sha256 like the real store."""

    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        self.stored[sha] = data
        return sha

    def get(self, sha256: str) -> bytes:
        return self.stored[sha256]

    def exists(self, sha256: str) -> bool:
        return sha256 in self.stored
