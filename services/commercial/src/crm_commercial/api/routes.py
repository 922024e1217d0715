"""The commercial HTTP API (paths and fields per API.md): thin controllers over the use cases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_commercial.api import schemas as s
from crm_commercial.domain.articles import Article, ArticleScope, VatRate
from crm_commercial.domain.documents import Document, Source
from crm_commercial.events.publisher import Publisher
from crm_commercial.handlers import Commercial, IssueRequest
from crm_commercial.printing import Printouts
from crm_commercial.store import repository as repo
from crm_kit.blobs import BlobError, BlobStore
from crm_kit.errors import Conflict, Invalid, NotFound
from crm_kit.identity import Identity, requires_role
from crm_kit.outbox import Outbox
from crm_kit.pagination import Limit, Offset
from crm_kit.store import Database

MANAGERS = [requires_role("admin", "manager")]


@dataclass
class Api:
    """What the controllers need: the store, the outbox, the blobs, the use cases, the clock, the printouts."""

    db: Database
    outbox: Outbox
    blobs: BlobStore
    commercial: Commercial
    clock: Callable[[], datetime]
    printouts: Printouts

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[tuple[AsyncConnection, Publisher]]:
        """One transaction and a publisher writing to its outbox."""
        async with self.db.transaction() as conn:

            async def send(event: Any) -> Any:
                return await self.outbox.add(conn, event)

            yield conn, Publisher(send)

    def today(self) -> date:
        return self.commercial.business_day(self.clock())


def _created(body: dict[str, Any], created: bool) -> Response[dict[str, Any]]:
    return Response(body, status_code=201 if created else 200)


def _src(source: s.SourceIn) -> Source:
    return Source(
        opportunity_id=str(source.opportunity_id) if source.opportunity_id else None,
        task_id=str(source.task_id) if source.task_id else None,
        campaign_id=str(source.campaign_id) if source.campaign_id else None,
        offer_id=str(source.offer_id) if source.offer_id else None,
    )


def _page(items: list[dict[str, Any]], total: int) -> dict[str, Any]:
    return {"items": items, "total": total}


async def _documents_page(api: Api, doc_type: str, partner_id: UUID | None, limit: int, offset: int) -> dict[str, Any]:
    """One page of documents of one type, optionally of one partner."""
    async with api.db.read() as conn:
        docs, total = await repo.list_documents(
            conn, partner_id=str(partner_id) if partner_id else None, doc_type=doc_type, limit=limit, offset=offset
        )
    return _page([s.document_out(d) for d in docs], total)


class VatRatesController(Controller):
    path = "/api/vat-rates"
    tags = ["vat-rates"]

    @get("/")
    async def list_rates(self, api: NamedDependency[Api]) -> dict[str, Any]:
        """The VAT rates catalogue (Romania: standard 21%, reduced 11%, zero 0%)."""
        async with api.db.read() as conn:
            rates = await repo.vat_rates(conn)
        return _page([s.rate_out(r) for r in rates], len(rates))

    @post("/", guards=MANAGERS)
    async def save_rate(self, api: NamedDependency[Api], data: JSONBody[s.VatRateIn]) -> dict[str, Any]:
        """Add or change a rate (a legal change of rates is data, not code)."""
        async with api.unit() as (conn, _):
            rate = await api.commercial.save_vat_rate(
                conn, VatRate(code=data.code.strip(), rate=data.rate, name=data.name.strip(), active=data.active)
            )
        return s.rate_out(rate)


class SettingsController(Controller):
    path = "/api/commercial-settings"
    tags = ["commercial-settings"]

    @get("/")
    async def read(self, api: NamedDependency[Api]) -> dict[str, Any]:
        """C5: where generated documents pick their articles from."""
        async with api.db.read() as conn:
            scope = await repo.article_scope(conn)
        return {"article_scope": scope.scope, "article_codes": sorted(scope.article_codes)}

    @put("/", guards=MANAGERS)
    async def write(self, api: NamedDependency[Api], data: JSONBody[s.SettingsIn]) -> dict[str, Any]:
        async with api.unit() as (conn, _):
            scope = await api.commercial.save_scope(
                conn, ArticleScope(scope=data.article_scope, article_codes=frozenset(data.article_codes))
            )
        return {"article_scope": scope.scope, "article_codes": sorted(scope.article_codes)}


class ArticlesController(Controller):
    path = "/api/articles"
    tags = ["articles"]

    @get("/")
    async def list_articles(
        self,
        api: NamedDependency[Api],
        q: FromQuery[str | None] = None,
        picker: FromQuery[bool] = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Articles; ``picker=true`` lists only those documents may pick (C5)."""
        async with api.db.read() as conn:
            only = None
            if picker:
                scope = await repo.article_scope(conn)
                only = scope.article_codes if scope.scope == "list" else None
            items, total = await repo.list_articles(conn, query=q, only=only, limit=limit, offset=offset)
        return _page([s.article_out(a) for a in items], total)

    @post("/", guards=MANAGERS)
    async def create(self, api: NamedDependency[Api], data: JSONBody[s.ArticleIn]) -> dict[str, Any]:
        """Add an article to the catalogue (ArticleUpdated)."""
        item = data.article()
        async with api.unit() as (conn, pub):
            if await repo.article(conn, item.code) is not None:
                raise Conflict(f"article {item.code} already exists; change it with PUT /api/articles/{item.code}")
            saved = await api.commercial.save_article(conn, pub, item, api.clock())
        return s.article_out(saved)

    @get("/{code:str}")
    async def read(self, api: NamedDependency[Api], code: FromPath[str]) -> dict[str, Any]:
        async with api.db.read() as conn:
            item = await repo.article(conn, code)
        if item is None:
            raise NotFound(f"no article {code}")
        return s.article_out(item)

    @put("/{code:str}", guards=MANAGERS)
    async def update(
        self, api: NamedDependency[Api], code: FromPath[str], data: JSONBody[s.ArticleUpdateIn]
    ) -> dict[str, Any]:
        """Change an article (ArticleUpdated)."""
        async with api.unit() as (conn, pub):
            if await repo.article(conn, code) is None:
                raise NotFound(f"no article {code}")
            item = Article(
                code=code,
                name=data.name.strip(),
                unit=data.unit.strip(),
                price=data.price,
                vat_rate=data.vat_rate,
                photos=tuple(data.photos),
            )
            saved = await api.commercial.save_article(conn, pub, item, api.clock())
        return s.article_out(saved)


class DocumentsController(Controller):
    path = "/api/documents"
    tags = ["documents"]

    @get("/")
    async def list_documents(
        self,
        api: NamedDependency[Api],
        partner_id: FromQuery[UUID | None] = None,
        doc_type: Annotated[
            Literal["offer", "order", "contract", "invoice", "cost", "payment"] | None, QueryParameter(name="type")
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """A partner's documents, newest first."""
        async with api.db.read() as conn:
            docs, total = await repo.list_documents(
                conn, partner_id=str(partner_id) if partner_id else None, doc_type=doc_type, limit=limit, offset=offset
            )
        today = api.today()
        return _page([s.document_out(d, today=today) for d in docs], total)

    @post("/")
    async def create(self, api: NamedDependency[Api], data: JSONBody[s.DocumentIn]) -> Response[dict[str, Any]]:
        """Issue an offer, order or contract directly (the same as the commands from other contexts)."""
        req = IssueRequest(
            doc_type=data.type,
            partner_id=str(data.partner_id),
            lines=tuple(line.request() for line in data.lines),
            source=_src(data.source),
            request_id=str(data.request_id) if data.request_id else None,
            valid_until=data.valid_until,
            kind=data.kind,
            starts_on=data.starts_on,
            months=data.months,
            monthly_value=data.monthly_value,
        )
        async with api.unit() as (conn, pub):
            doc, created = await api.commercial.issue(conn, pub, req, api.clock())
        return _created(s.document_out(doc, today=api.today()), created)

    @get("/{document_id:uuid}")
    async def read(self, api: NamedDependency[Api], document_id: FromPath[UUID]) -> dict[str, Any]:
        return s.document_out(await _load(api, document_id), today=api.today())

    @get("/{document_id:uuid}/printout", media_type="application/pdf")
    async def printout(self, api: NamedDependency[Api], document_id: FromPath[UUID]) -> Response[bytes]:
        """The document's PDF printout (an invoice's is rendered here if the worker has not got to it yet)."""
        doc = await api.printouts.ensure(await _load(api, document_id))
        if not doc.printout_sha256:
            raise NotFound(f"{doc.number} has no printout")
        try:
            pdf = api.blobs.get(doc.printout_sha256)
        except (KeyError, BlobError):
            raise NotFound(f"the printout of {doc.number} is missing from the blob store") from None
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"content-disposition": f'inline; filename="{doc.number}.pdf"'},
        )

    @post("/{document_id:uuid}/accept", status_code=200)
    async def accept(
        self,
        api: NamedDependency[Api],
        identity: NamedDependency[Identity],
        document_id: FromPath[UUID],
        data: JSONBody[s.AcceptIn],
    ) -> dict[str, Any]:
        """The client accepted an offer (OfferAccepted); optionally issue the order and/or contract (O5)."""
        contract = IssueRequest(
            doc_type="contract",
            partner_id="",
            lines=(),
            kind=data.contract_kind,
            starts_on=data.starts_on,
            months=data.months,
            monthly_value=data.monthly_value,
        )
        async with api.unit() as (conn, pub):
            offer, follow = await api.commercial.accept_offer(
                conn, pub, str(document_id), api.clock(), then=data.then, contract=contract, by=identity.username
            )
        today = api.today()
        return {**s.document_out(offer), "documents": [s.document_out(d, today=today) for d in follow]}

    @post("/{document_id:uuid}/reject", status_code=200)
    async def reject(
        self,
        api: NamedDependency[Api],
        identity: NamedDependency[Identity],
        document_id: FromPath[UUID],
        data: JSONBody[s.RejectIn],
    ) -> dict[str, Any]:
        """The client rejected an offer, for a catalogued reason (OfferRejected)."""
        async with api.unit() as (conn, pub):
            offer = await api.commercial.reject_offer(
                conn, pub, str(document_id), data.reason_code, data.note, api.clock(), identity.username
            )
        return s.document_out(offer)


async def _load(api: Api, document_id: UUID) -> Document:
    async with api.db.read() as conn:
        doc = await repo.document(conn, str(document_id))
    if doc is None:
        raise NotFound(f"no document {document_id}")
    return doc


class ContractsController(Controller):
    path = "/api/contracts"
    tags = ["contracts"]

    @get("/")
    async def list_contracts(
        self,
        api: NamedDependency[Api],
        partner_id: FromQuery[UUID | None] = None,
        active: FromQuery[bool | None] = None,
        on: FromQuery[date | None] = None,
        article_code: FromQuery[str | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Contracts with their lines (T5, T7).

        ``active=true`` keeps those in force ``on`` a day (today by default); with ``article_code`` each says
        whether it covers that article.
        """
        day = on or api.today()
        extra = repo.active_contract_filter(day) if active else []
        async with api.db.read() as conn:
            docs, total = await repo.list_documents(
                conn,
                partner_id=str(partner_id) if partner_id else None,
                doc_type="contract",
                limit=limit,
                offset=offset,
                extra=extra,
            )
        if active is False:
            docs = [d for d in docs if not d.is_active_on(day)]
            total = len(docs)
        return _page([s.document_out(d, today=day, article_code=article_code) for d in docs], total)

    @post("/")
    async def create(self, api: NamedDependency[Api], data: JSONBody[s.ContractIn]) -> Response[dict[str, Any]]:
        """Sign a contract directly (ContractSigned)."""
        req = IssueRequest(
            doc_type="contract",
            partner_id=str(data.partner_id),
            lines=tuple(line.request() for line in data.lines),
            source=_src(data.source),
            request_id=str(data.request_id) if data.request_id else None,
            kind=data.kind,
            starts_on=data.starts_on,
            months=data.months,
            monthly_value=data.monthly_value,
        )
        async with api.unit() as (conn, pub):
            doc, created = await api.commercial.issue(conn, pub, req, api.clock())
        return _created(s.document_out(doc, today=api.today()), created)

    @get("/{contract_id:uuid}")
    async def read(
        self, api: NamedDependency[Api], contract_id: FromPath[UUID], article_code: FromQuery[str | None] = None
    ) -> dict[str, Any]:
        doc = await _load(api, contract_id)
        if doc.type != "contract":
            raise NotFound(f"no contract {contract_id}")
        return s.document_out(doc, today=api.today(), article_code=article_code)

    @post("/{contract_id:uuid}/end", status_code=200)
    async def end(
        self, api: NamedDependency[Api], contract_id: FromPath[UUID], data: JSONBody[s.EndIn]
    ) -> dict[str, Any]:
        """End a contract (ContractEnded)."""
        async with api.unit() as (conn, pub):
            doc = await api.commercial.end_contract(conn, pub, str(contract_id), data.ended_on)
        return s.document_out(doc, today=api.today())


class InvoicesController(Controller):
    path = "/api/invoices"
    tags = ["invoices"]

    @get("/")
    async def list_invoices(
        self,
        api: NamedDependency[Api],
        partner_id: FromQuery[UUID | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        return await _documents_page(api, "invoice", partner_id, limit, offset)

    @post("/")
    async def issue(self, api: NamedDependency[Api], data: JSONBody[s.InvoiceIn]) -> Response[dict[str, Any]]:
        """Issue an invoice (InvoiceIssued, BalanceChanged).

        From an order (``order_id``), a contract month (``contract_id`` + ``period``), or with its own lines
        (``partner_id`` + ``lines``).
        """
        request_id = str(data.request_id) if data.request_id else None
        chosen = [bool(data.order_id), bool(data.contract_id), bool(data.partner_id)]
        if sum(chosen) != 1:
            raise Invalid("give exactly one of order_id, contract_id (with period), or partner_id (with lines)")
        async with api.unit() as (conn, pub):
            if data.order_id:
                doc, created = await api.commercial.invoice_order(
                    conn, pub, str(data.order_id), request_id, api.clock()
                )
            elif data.contract_id:
                if not data.period:
                    raise Invalid("an invoice from a contract needs the month billed (period, YYYY-MM)", field="period")
                doc, created = await api.commercial.invoice_contract_month(
                    conn, pub, str(data.contract_id), data.period, request_id, api.clock()
                )
            else:
                task_id = str(data.task_id) if data.task_id else None
                src = _src(data.source)
                req = IssueRequest(
                    doc_type="invoice",
                    partner_id=str(data.partner_id),
                    lines=tuple(line.request() for line in data.lines),
                    source=Source(**{**vars(src), "task_id": src.task_id or task_id}),
                    request_id=request_id,
                    task_id=task_id,
                    apply_scope=False,
                )
                doc, created = await api.commercial.issue(conn, pub, req, api.clock())
        return _created(s.document_out(doc), created)


class CostDocumentsController(Controller):
    path = "/api/cost-documents"
    tags = ["cost-documents"]

    @get("/")
    async def list_costs(
        self,
        api: NamedDependency[Api],
        partner_id: FromQuery[UUID | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        return await _documents_page(api, "cost", partner_id, limit, offset)

    @post("/")
    async def post_cost(self, api: NamedDependency[Api], data: JSONBody[s.CostDocumentIn]) -> Response[dict[str, Any]]:
        """Record a cost document; with ``campaign_id`` it is added to that campaign's marketing costs (M3)."""
        async with api.unit() as (conn, pub):
            doc = await api.commercial.post_cost(
                conn,
                pub,
                kind=data.kind,
                partner_id=str(data.partner_id) if data.partner_id else None,
                number=data.number,
                day=data.date,
                net=data.net,
                vat=data.vat,
                campaign_id=str(data.campaign_id) if data.campaign_id else None,
                description=data.description,
                now=api.clock(),
            )
        return _created(s.document_out(doc), True)


class PaymentsController(Controller):
    path = "/api/payments"
    tags = ["payments"]

    @get("/")
    async def list_payments(
        self,
        api: NamedDependency[Api],
        partner_id: FromQuery[UUID | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        return await _documents_page(api, "payment", partner_id, limit, offset)

    @post("/")
    async def record(self, api: NamedDependency[Api], data: JSONBody[s.PaymentIn]) -> Response[dict[str, Any]]:
        """Record a client's payment (PaymentReceived, BalanceChanged)."""
        async with api.unit() as (conn, pub):
            doc, created = await api.commercial.record_payment(
                conn,
                pub,
                partner_id=str(data.partner_id),
                amount=data.amount,
                day=data.date,
                invoice_id=str(data.invoice_id) if data.invoice_id else None,
                request_id=str(data.request_id) if data.request_id else None,
                now=api.clock(),
            )
        return _created(s.document_out(doc), created)


class BalancesController(Controller):
    path = "/api/balances"
    tags = ["balances"]

    @get("/{partner_id:uuid}")
    async def read(self, api: NamedDependency[Api], partner_id: FromPath[UUID]) -> dict[str, Any]:
        """A partner's balance: invoices gross minus payments (positive: the client owes)."""
        async with api.db.read() as conn:
            value = await repo.balance(conn, str(partner_id))
            if value is None and await repo.partner(conn, str(partner_id)) is None:
                raise NotFound(f"no partner {partner_id}")
        return {"partner_id": str(partner_id), "balance": s.money(value) or "0.00", "currency": api.commercial.currency}


CONTROLLERS = [
    VatRatesController,
    SettingsController,
    ArticlesController,
    DocumentsController,
    ContractsController,
    InvoicesController,
    CostDocumentsController,
    PaymentsController,
    BalancesController,
]
