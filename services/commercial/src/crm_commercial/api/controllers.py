"""The commercial HTTP API (paths and fields per API.md): controllers that parse, call one use case, render."""

from __future__ import annotations

from datetime import date as dt_date
from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter

from crm_commercial.api import schemas as s
from crm_commercial.domain.articles import Article
from crm_commercial.domain.documents import Source, invoice_basis
from crm_commercial.domain.text import SEARCH_LIMIT_MAX, SEARCH_QUERY_MAX
from crm_commercial.service_layer import (
    AcceptOffer,
    AddArticle,
    ChangeArticle,
    ChooseArticleScope,
    EndContract,
    InvoiceContractMonth,
    InvoiceOrder,
    Issued,
    IssueDocument,
    Page,
    PostCostDocument,
    RecordPayment,
    RejectOffer,
    SaveVatRate,
    UseCases,
)
from crm_kit.identity import Identity, requires_role
from crm_kit.pagination import Limit, Offset

MANAGERS = [requires_role("admin", "manager")]

DocType = Literal["offer", "order", "contract", "invoice", "cost", "payment"]
SearchText = Annotated[str, Parameter(max_length=SEARCH_QUERY_MAX, description="What the user typed.")]
SearchLimit = Annotated[int, Parameter(ge=1, le=SEARCH_LIMIT_MAX, description="The most records answered.")]


def _id(value: UUID | None) -> str | None:
    return str(value) if value else None


def _src(source: s.SourceIn) -> Source:
    return Source(
        opportunity_id=_id(source.opportunity_id),
        task_id=_id(source.task_id),
        campaign_id=_id(source.campaign_id),
        offer_id=_id(source.offer_id),
    )


def _issued(result: Issued, *, with_today: bool = True) -> Response[dict[str, Any]]:
    """201 for a document made now, 200 for the one an earlier request with the same request_id made."""
    body = s.document_out(result.document, today=result.today if with_today else None)
    return Response(body, status_code=201 if result.created else 200)


def _documents(page: Page[Any], **render: Any) -> dict[str, Any]:
    return {"items": [s.document_out(d, **render) for d in page.items], "total": page.total}


def _scope(scope: Any) -> dict[str, Any]:
    return {"article_scope": scope.scope, "article_codes": sorted(scope.article_codes)}


class VatRatesController(Controller):
    path = "/api/vat-rates"
    tags = ["vat-rates"]

    @get("/")
    async def list_rates(self, uses: NamedDependency[UseCases]) -> dict[str, Any]:
        """The VAT rates catalogue (Romania: standard 21%, reduced 11%, zero 0%)."""
        rates = await uses.vat_rates()
        return {"items": [s.rate_out(r) for r in rates], "total": len(rates)}

    @post("/", guards=MANAGERS)
    async def save_rate(self, uses: NamedDependency[UseCases], data: JSONBody[s.VatRateIn]) -> dict[str, Any]:
        """Add or change a rate (a legal change of rates is data, not code)."""
        rate = await uses.save_vat_rate(SaveVatRate(data.code, data.rate, data.name, data.active))
        return s.rate_out(rate)


class SettingsController(Controller):
    path = "/api/commercial-settings"
    tags = ["commercial-settings"]

    @get("/")
    async def read(self, uses: NamedDependency[UseCases]) -> dict[str, Any]:
        """C5: where generated documents pick their articles from."""
        return _scope(await uses.article_scope())

    @put("/", guards=MANAGERS)
    async def write(self, uses: NamedDependency[UseCases], data: JSONBody[s.SettingsIn]) -> dict[str, Any]:
        return _scope(
            await uses.choose_article_scope(ChooseArticleScope(data.article_scope, frozenset(data.article_codes)))
        )


class ArticlesController(Controller):
    path = "/api/articles"
    tags = ["articles"]

    @get("/")
    async def list_articles(
        self,
        uses: NamedDependency[UseCases],
        q: FromQuery[str | None] = None,
        picker: FromQuery[bool] = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Articles; ``picker=true`` lists only those documents may pick (C5)."""
        page = await uses.articles(q, picker=picker, limit=limit, offset=offset)
        return {"items": [s.article_out(a, uses.currency) for a in page.items], "total": page.total}

    @get("/search", summary="Articles for pickers: code or name word starts, accents ignored, C5's list")
    async def search(
        self,
        uses: NamedDependency[UseCases],
        q: SearchText = "",
        picker: FromQuery[bool] = True,
        limit: SearchLimit = 20,
    ) -> dict[str, Any]:
        """At most ``limit`` articles, those whose code or name starts with ``q`` first; no total, so it stays fast.

        With ``picker`` (the default) only those documents may pick when C5's chosen list is on.
        """
        found = await uses.search_articles(q, limit=limit, picker=picker)
        return {"items": [s.article_pick(a) for a in found]}

    @post("/", guards=MANAGERS)
    async def create(self, uses: NamedDependency[UseCases], data: JSONBody[s.ArticleIn]) -> dict[str, Any]:
        """Add an article to the catalogue (ArticleUpdated)."""
        return s.article_out(await uses.add_article(AddArticle(data.article())), uses.currency)

    @get("/{code:str}")
    async def read(self, uses: NamedDependency[UseCases], code: FromPath[str]) -> dict[str, Any]:
        return s.article_out(await uses.article(code), uses.currency)

    @put("/{code:str}", guards=MANAGERS)
    async def update(
        self, uses: NamedDependency[UseCases], code: FromPath[str], data: JSONBody[s.ArticleUpdateIn]
    ) -> dict[str, Any]:
        """Change an article (ArticleUpdated)."""
        item = Article(
            code=code,
            name=data.name.strip(),
            unit=data.unit.strip(),
            price=data.price,
            vat_rate=data.vat_rate,
            photos=tuple(data.photos),
        )
        return s.article_out(await uses.change_article(ChangeArticle(item)), uses.currency)


class DocumentsController(Controller):
    path = "/api/documents"
    tags = ["documents"]

    @get("/")
    async def list_documents(
        self,
        uses: NamedDependency[UseCases],
        partner_id: FromQuery[UUID | None] = None,
        doc_type: Annotated[
            Literal["offer", "order", "contract", "invoice", "cost", "payment"] | None, QueryParameter(name="type")
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """A partner's documents, newest first."""
        page = await uses.documents(_id(partner_id), doc_type, limit=limit, offset=offset)
        return _documents(page, today=page.today)

    @get("/search", summary="Documents for pickers: number, or partner name word starts, accents ignored")
    async def search(
        self,
        uses: NamedDependency[UseCases],
        q: SearchText = "",
        doc_type: Annotated[DocType | None, QueryParameter(name="type")] = None,
        partner_id: FromQuery[UUID | None] = None,
        limit: SearchLimit = 20,
    ) -> dict[str, Any]:
        """At most ``limit`` documents whose number contains ``q`` or whose partner's name has each word's start.

        Those starting with it first, then the newest; a blank ``q`` with ``partner_id`` gives its newest.
        """
        found = await uses.search_documents(q, doc_type=doc_type, partner_id=_id(partner_id), limit=limit)
        return {"items": [s.document_pick(f) for f in found]}

    @post("/")
    async def create(self, uses: NamedDependency[UseCases], data: JSONBody[s.DocumentIn]) -> Response[dict[str, Any]]:
        """Issue an offer, order or contract directly (the same as the commands from other contexts)."""
        cmd = IssueDocument(
            doc_type=data.type,
            partner_id=str(data.partner_id),
            lines=tuple(line.request() for line in data.lines),
            source=_src(data.source),
            request_id=_id(data.request_id),
            valid_until=data.valid_until,
            kind=data.kind,
            starts_on=data.starts_on,
            months=data.months,
            monthly_value=data.monthly_value,
        )
        return _issued(await uses.issue(cmd))

    @get("/{document_id:uuid}")
    async def read(self, uses: NamedDependency[UseCases], document_id: FromPath[UUID]) -> dict[str, Any]:
        found = await uses.document(str(document_id))
        return s.document_out(found.document, today=found.today)

    @get("/{document_id:uuid}/printout", media_type="application/pdf")
    async def printout(self, uses: NamedDependency[UseCases], document_id: FromPath[UUID]) -> Response[bytes]:
        """The document's PDF printout (an invoice's is rendered here if the worker has not got to it yet)."""
        printout = await uses.printout(str(document_id))
        return Response(
            printout.pdf,
            media_type="application/pdf",
            headers={"content-disposition": f'inline; filename="{printout.document.number}.pdf"'},
        )

    @post("/{document_id:uuid}/accept", status_code=200)
    async def accept(
        self,
        uses: NamedDependency[UseCases],
        identity: NamedDependency[Identity],
        document_id: FromPath[UUID],
        data: JSONBody[s.AcceptIn],
    ) -> dict[str, Any]:
        """The client accepted an offer (OfferAccepted); optionally issue the order and/or contract (O5)."""
        accepted = await uses.accept_offer(
            AcceptOffer(
                offer_id=str(document_id),
                then=data.then,
                contract_kind=data.contract_kind,
                starts_on=data.starts_on,
                months=data.months,
                monthly_value=data.monthly_value,
                by=identity.username,
            )
        )
        follow = [s.document_out(d, today=accepted.today) for d in accepted.follow]
        return {**s.document_out(accepted.offer), "documents": follow}

    @post("/{document_id:uuid}/reject", status_code=200)
    async def reject(
        self,
        uses: NamedDependency[UseCases],
        identity: NamedDependency[Identity],
        document_id: FromPath[UUID],
        data: JSONBody[s.RejectIn],
    ) -> dict[str, Any]:
        """The client rejected an offer, for a catalogued reason (OfferRejected)."""
        offer = await uses.reject_offer(RejectOffer(str(document_id), data.reason_code, data.note, identity.username))
        return s.document_out(offer)


class ContractsController(Controller):
    path = "/api/contracts"
    tags = ["contracts"]

    @get("/")
    async def list_contracts(
        self,
        uses: NamedDependency[UseCases],
        partner_id: FromQuery[UUID | None] = None,
        active: FromQuery[bool | None] = None,
        on: FromQuery[dt_date | None] = None,
        article_code: FromQuery[str | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Contracts with their lines (T5, T7).

        ``active=true`` keeps those in force ``on`` a day (today by default); with ``article_code`` each says
        whether it covers that article.
        """
        page = await uses.contracts(_id(partner_id), active=active, on=on, limit=limit, offset=offset)
        return _documents(page, today=page.today, article_code=article_code)

    @get("/search", summary="Contracts for pickers: number, or partner name word starts, accents ignored")
    async def search(
        self,
        uses: NamedDependency[UseCases],
        q: SearchText = "",
        partner_id: FromQuery[UUID | None] = None,
        active: FromQuery[bool] = False,
        limit: SearchLimit = 20,
    ) -> dict[str, Any]:
        """At most ``limit`` contracts as ``/api/documents/search`` finds them.

        ``active=true`` keeps those in force today; a blank ``q`` with ``partner_id`` gives the partner's newest.
        """
        found = await uses.search_contracts(q, partner_id=_id(partner_id), active=active, limit=limit)
        return {"items": [s.document_pick(f) for f in found]}

    @get("/{contract_id:uuid}/lines", summary="A contract's lines, for the contract line picker (T5)")
    async def lines(
        self, uses: NamedDependency[UseCases], contract_id: FromPath[UUID], q: SearchText = ""
    ) -> dict[str, Any]:
        """The contract's lines whose article code starts with ``q`` or whose description has each word's start.

        Every line for a blank ``q``.
        """
        found = await uses.contract_lines(str(contract_id), q)
        return {"items": [s.line_pick(line) for line in found]}

    @post("/")
    async def create(self, uses: NamedDependency[UseCases], data: JSONBody[s.ContractIn]) -> Response[dict[str, Any]]:
        """Sign a contract directly (ContractSigned)."""
        cmd = IssueDocument(
            doc_type="contract",
            partner_id=str(data.partner_id),
            lines=tuple(line.request() for line in data.lines),
            source=_src(data.source),
            request_id=_id(data.request_id),
            kind=data.kind,
            starts_on=data.starts_on,
            months=data.months,
            monthly_value=data.monthly_value,
        )
        return _issued(await uses.issue(cmd))

    @get("/{contract_id:uuid}")
    async def read(
        self, uses: NamedDependency[UseCases], contract_id: FromPath[UUID], article_code: FromQuery[str | None] = None
    ) -> dict[str, Any]:
        found = await uses.document(str(contract_id), "contract")
        return s.document_out(found.document, today=found.today, article_code=article_code)

    @post("/{contract_id:uuid}/end", status_code=200)
    async def end(
        self, uses: NamedDependency[UseCases], contract_id: FromPath[UUID], data: JSONBody[s.EndIn]
    ) -> dict[str, Any]:
        """End a contract (ContractEnded)."""
        ended = await uses.end_contract(EndContract(str(contract_id), data.ended_on))
        return s.document_out(ended.document, today=ended.today)


class InvoicesController(Controller):
    path = "/api/invoices"
    tags = ["invoices"]

    @get("/")
    async def list_invoices(
        self,
        uses: NamedDependency[UseCases],
        partner_id: FromQuery[UUID | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        return _documents(await uses.documents(_id(partner_id), "invoice", limit=limit, offset=offset))

    @post("/")
    async def issue(self, uses: NamedDependency[UseCases], data: JSONBody[s.InvoiceIn]) -> Response[dict[str, Any]]:
        """Issue an invoice (InvoiceIssued, BalanceChanged).

        From an order (``order_id``), a contract month (``contract_id`` + ``period``), or with its own lines
        (``partner_id`` + ``lines``).
        """
        request_id = _id(data.request_id)
        basis = invoice_basis(
            order_id=data.order_id, contract_id=data.contract_id, partner_id=data.partner_id, period=data.period
        )
        if basis == "order":
            issued = await uses.invoice_order(InvoiceOrder(str(data.order_id), request_id))
        elif basis == "contract":
            issued = await uses.invoice_contract_month(
                InvoiceContractMonth(str(data.contract_id), str(data.period), request_id)
            )
        else:
            task_id = _id(data.task_id)
            src = _src(data.source)
            cmd = IssueDocument(
                doc_type="invoice",
                partner_id=str(data.partner_id),
                lines=tuple(line.request() for line in data.lines),
                source=Source(**{**vars(src), "task_id": src.task_id or task_id}),
                request_id=request_id,
                task_id=task_id,
                apply_scope=False,
            )
            issued = await uses.issue(cmd)
        return _issued(issued, with_today=False)


class CostDocumentsController(Controller):
    path = "/api/cost-documents"
    tags = ["cost-documents"]

    @get("/")
    async def list_costs(
        self,
        uses: NamedDependency[UseCases],
        partner_id: FromQuery[UUID | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        return _documents(await uses.documents(_id(partner_id), "cost", limit=limit, offset=offset))

    @post("/")
    async def post_cost(
        self, uses: NamedDependency[UseCases], data: JSONBody[s.CostDocumentIn]
    ) -> Response[dict[str, Any]]:
        """Record a cost document; with ``campaign_id`` it is added to that campaign's marketing costs (M3)."""
        doc = await uses.post_cost(
            PostCostDocument(
                kind=data.kind,
                number=data.number,
                day=data.date,
                net=data.net,
                vat=data.vat,
                partner_id=_id(data.partner_id),
                campaign_id=_id(data.campaign_id),
                description=data.description,
            )
        )
        return Response(s.document_out(doc), status_code=201)


class PaymentsController(Controller):
    path = "/api/payments"
    tags = ["payments"]

    @get("/")
    async def list_payments(
        self,
        uses: NamedDependency[UseCases],
        partner_id: FromQuery[UUID | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        return _documents(await uses.documents(_id(partner_id), "payment", limit=limit, offset=offset))

    @post("/")
    async def record(self, uses: NamedDependency[UseCases], data: JSONBody[s.PaymentIn]) -> Response[dict[str, Any]]:
        """Record a client's payment (PaymentReceived, BalanceChanged)."""
        issued = await uses.record_payment(
            RecordPayment(
                partner_id=str(data.partner_id),
                amount=data.amount,
                day=data.date,
                invoice_id=_id(data.invoice_id),
                request_id=_id(data.request_id),
            )
        )
        return _issued(issued, with_today=False)


class BalancesController(Controller):
    path = "/api/balances"
    tags = ["balances"]

    @get("/{partner_id:uuid}")
    async def read(self, uses: NamedDependency[UseCases], partner_id: FromPath[UUID]) -> dict[str, Any]:
        """A partner's balance: invoices gross minus payments (positive: the client owes)."""
        balance = await uses.balance(str(partner_id))
        return {"partner_id": balance.partner_id, "balance": s.money(balance.balance), "currency": balance.currency}


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
