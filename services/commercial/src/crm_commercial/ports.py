"""The ports the use cases talk to: the repository, the publisher, the printer and the blob store."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from crm_commercial.domain.articles import Article, ArticleScope, VatRate
from crm_commercial.domain.documents import Document, DocumentRequest, OfferDecision
from crm_commercial.domain.partners import Partner
from crm_commercial.domain.text import Search
from crm_kit.errors import Conflict


@dataclass(frozen=True)
class DocumentFilter:
    """Which documents a listing shows (every field optional)."""

    partner_id: str | None = None
    doc_type: str | None = None
    active_on: date | None = None
    """Only contracts in force on this day (``Document.is_active_on``)."""


@dataclass(frozen=True)
class DocumentSearch:
    """Which documents a picker may offer (every field optional): of a type, of a partner, in force on a day."""

    doc_type: str | None = None
    partner_id: str | None = None
    active_on: date | None = None


@dataclass(frozen=True)
class FoundDocument:
    """A document a picker offers (its lines left out) with its partner's name."""

    document: Document
    partner_name: str | None


@dataclass(frozen=True)
class ParkedCommand:
    """A document command from another context that waits for its partner's registration."""

    command_id: str
    ce_type: str
    correlation_id: str | None
    request: DocumentRequest


Lost = Callable[[Document], Conflict]
"""Builds the loser's refusal of a single-winner change from the document as the winner left it."""


class Repository(Protocol):
    """The commercial store, bound to one unit of work."""

    async def vat_rates(self) -> list[VatRate]:
        """The VAT catalogue, highest rate first."""
        ...

    async def save_vat_rate(self, rate: VatRate) -> None:
        """Add the rate, or change the one with its code."""
        ...

    async def articles_using_rate(self, rate: Decimal) -> int:
        """How many articles carry the VAT rate ``rate``."""
        ...

    async def article(self, code: str) -> Article | None:
        """One article of the catalogue."""
        ...

    async def articles_by_code(self, codes: Iterable[str]) -> dict[str, Article]:
        """The articles among ``codes``, by code (unknown codes are left out)."""
        ...

    async def articles(
        self, *, query: str | None, only: frozenset[str] | None, limit: int, offset: int
    ) -> tuple[list[Article], int]:
        """A page of articles whose code or name contain ``query``, within ``only``; and how many match."""
        ...

    async def find_articles(self, q: Search, *, only: frozenset[str] | None) -> list[Article]:
        """At most ``q.limit`` articles within ``only`` a picker offers (``articles.article_matches``).

        Those whose code or name starts with the query first, then by name.
        """
        ...

    async def article_codes(self) -> set[str]:
        """Every article code of the catalogue."""
        ...

    async def save_article(self, item: Article, now: datetime) -> bool:
        """Insert or update an article; True when it is new."""
        ...

    async def article_scope(self) -> ArticleScope:
        """The articles generated documents may pick (C5)."""
        ...

    async def save_article_scope(self, scope: ArticleScope) -> None:
        """Replace the picker scope."""
        ...

    async def save_partner(self, partner: Partner, now: datetime) -> None:
        """Insert or update a partner of the read model."""
        ...

    async def add_new_partners(self, partners: Sequence[Partner], now: datetime) -> None:
        """Insert the partners not in the read model yet, in one statement; a known partner keeps its row."""
        ...

    async def partner(self, partner_id: str) -> Partner | None:
        """A partner of the read model."""
        ...

    async def next_in_series(self, doc_type: str, year: int) -> int:
        """The next number of a series, gapless: the series stays locked until the unit of work ends."""
        ...

    async def add(self, doc: Document, *, series_number: bool, now: datetime) -> None:
        """Store a new document with its lines (``series_number``: its number is already the series')."""
        ...

    async def get(self, document_id: str, *, lock: bool = False) -> Document | None:
        """A document with its lines (``lock``: until the unit of work ends)."""
        ...

    async def by_request(self, request_id: str) -> Document | None:
        """The document issued for a request id (idempotency)."""
        ...

    async def invoice_of_order(self, order_id: str) -> Document | None:
        """The invoice of an order, if it has one."""
        ...

    async def invoice_of_month(self, contract_id: str, period: str) -> Document | None:
        """The invoice of a contract's month, if it has one."""
        ...

    async def cost_document(self, kind: str, partner_id: str | None, external_number: str) -> Document | None:
        """A posted cost document of this kind, supplier and supplier's number."""
        ...

    async def documents(self, which: DocumentFilter, *, limit: int, offset: int) -> tuple[list[Document], int]:
        """A page of documents, newest first; and how many match."""
        ...

    async def find_documents(self, q: Search, which: DocumentSearch) -> list[FoundDocument]:
        """At most ``q.limit`` documents of ``which`` a picker offers for ``q`` (all of them for a blank query).

        A number matches when it contains the query, a partner's folded name when it has a word starting
        with each of its words. Those whose number or partner name starts with the query first, then the newest.
        """
        ...

    async def number_invoice(self, document_id: str, number: str) -> None:
        """Give a stored invoice its series number."""
        ...

    async def mark_follows(self, document_id: str, offer_id: str) -> None:
        """Record that a document follows the acceptance of an offer (one order and one contract per offer)."""
        ...

    async def decide_offer(self, offer_id: str, decision: OfferDecision, lost: Lost) -> None:
        """Decide an issued offer; only one decision wins.

        Raises:
            Conflict: the offer was decided meanwhile (the message is ``lost``'s).
        """
        ...

    async def end_contract(self, contract_id: str, ended_on: date, lost: Lost) -> None:
        """End a contract not yet ended; only one end wins.

        Raises:
            Conflict: the contract was ended meanwhile (the message is ``lost``'s).
        """
        ...

    async def record_printout(self, document_id: str, sha256: str) -> bool:
        """Record a printout on a document that has none; False when one was recorded meanwhile."""
        ...

    async def invoices_without_printout(self, limit: int) -> list[str]:
        """The ids of the oldest invoices whose printout is not rendered yet."""
        ...

    async def balance(self, partner_id: str) -> Decimal | None:
        """A partner's balance, if anything was invoiced to or paid by it."""
        ...

    async def locked_balance(self, partner_id: str, currency: str, now: datetime) -> Decimal:
        """A partner's balance, locked until the unit of work ends (created at zero if missing)."""
        ...

    async def save_balance(self, partner_id: str, value: Decimal, now: datetime) -> None:
        """Write a partner's balance (locked before with ``locked_balance``)."""
        ...

    async def lock_partners(self, partner_ids: Sequence[str]) -> None:
        """Hold these partners until the transaction ends.

        Parking a command for an unknown partner and storing that partner are serialised, so a command is
        never parked just after the partner's arrival took the parked ones.
        """
        ...

    async def park(self, command: ParkedCommand, now: datetime) -> None:
        """Keep a command until its partner is registered (a command parked twice is kept once)."""
        ...

    async def take_parked(self, partner_id: str) -> list[ParkedCommand]:
        """The partner's parked commands, oldest first, no longer parked."""
        ...

    async def take_parked_of(self, partner_ids: Sequence[str]) -> list[ParkedCommand]:
        """The parked commands of any of these partners, oldest first, no longer parked."""
        ...


class Publisher(Protocol):
    """The facts of the commercial context, queued in the unit of work."""

    async def document_issued(self, doc: Document) -> None:
        """An offer, order, contract or invoice was issued."""
        ...

    async def invoice_printout_ready(self, invoice: Document) -> None:
        """An invoice's printout, rendered after its commit, is stored."""
        ...

    async def offer_accepted(self, offer: Document) -> None:
        """The client accepted an offer."""
        ...

    async def offer_rejected(self, offer: Document) -> None:
        """The client rejected an offer (its reason code and note are on it)."""
        ...

    async def contract_ended(self, contract: Document) -> None:
        """A contract ended."""
        ...

    async def cost_document_posted(self, doc: Document) -> None:
        """A cost document was posted."""
        ...

    async def payment_received(self, payment: Document) -> None:
        """A client paid."""
        ...

    async def balance_changed(self, partner_id: str, balance: Decimal, currency: str) -> None:
        """A partner's balance moved."""
        ...

    async def article_updated(self, article: Article) -> None:
        """An article was added or changed."""
        ...

    async def request_rejected(self, request: DocumentRequest, reason: str) -> None:
        """A document command from another context can never succeed as sent."""
        ...

    def answering(self, command: ParkedCommand) -> Publisher:
        """The publisher of the facts that answer a parked command (caused by it, not by what released it)."""
        ...


class Printer(Protocol):
    """Renders a document's PDF printout."""

    async def render(self, doc: Document, partner: Partner) -> bytes:
        """The PDF: it depends only on the document and the partner, so rendering twice gives the same bytes."""
        ...


class Blobs(Protocol):
    """The content-addressed blob store (printouts, article photos)."""

    def put(self, data: bytes) -> str:
        """Store bytes; their sha256."""
        ...

    def get(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``.

        Raises:
            KeyError: nothing is stored under it.
        """
        ...

    def exists(self, sha256: str) -> bool:
        """Whether something is stored under ``sha256``."""
        ...
