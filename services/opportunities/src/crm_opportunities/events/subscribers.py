"""What the opportunities service consumes: partners and articles (read models), documents, campaign commands.

Each handler translates its event into one command and calls one use case; the unit of work joins the
handler's transaction (the inbox row commits with the effects) and takes the event's time as ``now``.
Registrations come by the thousand (a partner import): a batch handler keeps a fetched batch's at once.
"""

from __future__ import annotations

from crm_contracts.campaigns import CampaignCreated, CampaignUpdated, OpportunitiesRequested
from crm_contracts.commercial import (
    ArticleUpdated,
    ClientOrderPlaced,
    ContractSigned,
    DocumentRequestRejected,
    InvoiceIssued,
    OfferAccepted,
    OfferIssued,
    OfferRejected,
)
from crm_contracts.common import DocumentLine
from crm_contracts.partners import PartnerRegistered, PartnerUpdated
from crm_kit.inbox import Context, Subscriptions, batch_scope
from crm_opportunities.domain.documents import Article, DocumentKind, Line
from crm_opportunities.domain.model import Partner
from crm_opportunities.service_layer import (
    KeepArticle,
    KeepCampaign,
    KeepPartner,
    OpenForCampaign,
    RecordClientDecision,
    RecordInvoice,
    RecordIssuedDocument,
    RecordRefusal,
    UseCases,
)


def _line(line: DocumentLine) -> Line:
    return Line(
        article_code=line.article_code,
        qty=line.qty,
        price=line.price,
        description=line.description,
        unit=line.unit,
        vat_rate=line.vat_rate,
    )


def _issued(kind: DocumentKind, event: OfferIssued | ClientOrderPlaced | ContractSigned) -> RecordIssuedDocument:
    return RecordIssuedDocument(
        kind=kind,
        document_id=event.document_id,
        partner_id=event.partner_id,
        number=event.number,
        issued_on=event.issued_on,
        net=event.net,
        vat=event.vat,
        gross=event.gross,
        currency=event.currency,
        lines=tuple(_line(x) for x in event.lines),
        request_id=event.request_id,
        opportunity_id=event.source.opportunity_id,
        offer_id=event.source.offer_id,
        printout_sha256=event.printout_sha256,
        valid_until=event.valid_until if isinstance(event, OfferIssued) else None,
    )


def _partner(event: PartnerRegistered | PartnerUpdated) -> Partner:
    return Partner(
        partner_id=event.partner_id,
        name=event.name,
        kind=event.kind,
        fiscal_code=event.fiscal_code,
        sales_rep_staff_id=event.sales_rep_staff_id,
    )


def build_subscriptions(uses: UseCases) -> Subscriptions:
    """The service's event handlers: each turns its event into one command of the use cases."""
    subs = Subscriptions()

    @subs.on_batch(PartnerRegistered)
    async def partners_registered(items: list[tuple[Context, PartnerRegistered]]) -> None:
        """Keep newly registered partners, a fetched batch at once (a CSV import brings 100,000).

        One at a time, an import's registrations kept this consumer busy for minutes, and M7's
        commands waited behind them.
        """
        async with batch_scope(items):
            await uses.partners_registered([KeepPartner(_partner(e)) for _, e in items])

    @subs.on(PartnerUpdated)
    async def partner_changed(ctx: Context, event: PartnerUpdated) -> None:
        """Keep partner names and kinds for lists and pickers."""
        await uses.partner_changed(KeepPartner(_partner(event)))

    @subs.on(ArticleUpdated)
    async def article_changed(ctx: Context, event: ArticleUpdated) -> None:
        """Keep the article catalogue for the document lines' picker (C5)."""
        article = Article(event.code, event.name, event.unit, event.price, event.vat_rate)
        await uses.article_changed(KeepArticle(article))

    @subs.on(CampaignCreated)
    @subs.on(CampaignUpdated)
    async def campaign_changed(ctx: Context, event: CampaignCreated | CampaignUpdated) -> None:
        """Keep campaign names: they title the opportunities opened for a campaign."""
        await uses.campaign_changed(KeepCampaign(event.campaign_id, event.name))

    @subs.on(OfferIssued)
    async def offer_issued(ctx: Context, event: OfferIssued) -> None:
        await uses.document_issued(_issued("offer", event))

    @subs.on(OfferAccepted)
    async def offer_accepted(ctx: Context, event: OfferAccepted) -> None:
        await uses.offer_decided_by_client(RecordClientDecision(offer_id=event.document_id, accepted=True))

    @subs.on(OfferRejected)
    async def offer_rejected(ctx: Context, event: OfferRejected) -> None:
        decision = RecordClientDecision(
            offer_id=event.document_id, accepted=False, reason_code=event.reason_code, note=event.note
        )
        await uses.offer_decided_by_client(decision)

    @subs.on(ClientOrderPlaced)
    async def order_placed(ctx: Context, event: ClientOrderPlaced) -> None:
        await uses.document_issued(_issued("order", event))

    @subs.on(ContractSigned)
    async def contract_signed(ctx: Context, event: ContractSigned) -> None:
        await uses.document_issued(_issued("contract", event))

    @subs.on(DocumentRequestRejected)
    async def request_refused(ctx: Context, event: DocumentRequestRejected) -> None:
        await uses.document_refused(
            RecordRefusal(request_id=event.request_id, requested=event.requested, reason=event.reason)
        )

    @subs.on(InvoiceIssued)
    async def invoice_issued(ctx: Context, event: InvoiceIssued) -> None:
        await uses.invoice_issued(RecordInvoice(order_id=event.order_id, number=event.number))

    @subs.on(OpportunitiesRequested)
    async def opportunities_requested(ctx: Context, event: OpportunitiesRequested) -> None:
        await uses.open_for_campaign(
            OpenForCampaign(
                campaign_id=event.campaign_id,
                partner_ids=tuple(event.partner_ids),
                request_id=event.request_id,
                owner_staff_id=event.owner_staff_id,
                title=event.title,
            )
        )

    return subs
