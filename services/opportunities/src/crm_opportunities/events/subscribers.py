"""What the opportunities service consumes: partners and articles (read models), documents, campaign commands."""

from __future__ import annotations

from datetime import UTC, datetime

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
from crm_kit.inbox import Context, Subscriptions
from crm_opportunities.domain.documents import Article, DocumentKind, Line
from crm_opportunities.events.publisher import Publisher
from crm_opportunities.service_layer import IssuedDocument, Opportunities


def _line(line: DocumentLine) -> Line:
    return Line(
        article_code=line.article_code,
        qty=line.qty,
        price=line.price,
        description=line.description,
        unit=line.unit,
        vat_rate=line.vat_rate,
    )


def _issued(kind: DocumentKind, event: OfferIssued | ClientOrderPlaced | ContractSigned) -> IssuedDocument:
    return IssuedDocument(
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


def _now(ctx: Context) -> datetime:
    """When the fact happened (its ce_time), so a replay records the same times."""
    return ctx.envelope.time.astimezone(UTC)


def build_subscriptions(app: Opportunities) -> Subscriptions:
    """The service's event handlers, bound to its use cases."""
    subs = Subscriptions()
    repo = app.repo

    @subs.on(PartnerRegistered)
    @subs.on(PartnerUpdated)
    async def partner_changed(ctx: Context, event: PartnerRegistered | PartnerUpdated) -> None:
        """Keep partner names and kinds for lists and pickers."""
        await repo.upsert_partner(
            ctx.conn,
            partner_id=event.partner_id,
            name=event.name,
            kind=event.kind,
            fiscal_code=event.fiscal_code,
            sales_rep_staff_id=event.sales_rep_staff_id,
        )

    @subs.on(ArticleUpdated)
    async def article_changed(ctx: Context, event: ArticleUpdated) -> None:
        """Keep the article catalogue for the document lines' picker (C5)."""
        await repo.upsert_article(ctx.conn, Article(event.code, event.name, event.unit, event.price, event.vat_rate))

    @subs.on(CampaignCreated)
    @subs.on(CampaignUpdated)
    async def campaign_changed(ctx: Context, event: CampaignCreated | CampaignUpdated) -> None:
        """Keep campaign names: they title the opportunities opened for a campaign."""
        await repo.upsert_campaign(ctx.conn, event.campaign_id, event.name)

    @subs.on(OfferIssued)
    async def offer_issued(ctx: Context, event: OfferIssued) -> None:
        await app.document_issued(
            ctx.conn, Publisher(ctx.publish, app.currency), _issued("offer", event), now=_now(ctx)
        )

    @subs.on(OfferAccepted)
    async def offer_accepted(ctx: Context, event: OfferAccepted) -> None:
        await app.offer_decided_by_client(
            ctx.conn,
            Publisher(ctx.publish, app.currency),
            offer_id=event.document_id,
            accepted=True,
            reason_code=None,
            note=None,
            now=_now(ctx),
        )

    @subs.on(OfferRejected)
    async def offer_rejected(ctx: Context, event: OfferRejected) -> None:
        await app.offer_decided_by_client(
            ctx.conn,
            Publisher(ctx.publish, app.currency),
            offer_id=event.document_id,
            accepted=False,
            reason_code=event.reason_code,
            note=event.note,
            now=_now(ctx),
        )

    @subs.on(ClientOrderPlaced)
    async def order_placed(ctx: Context, event: ClientOrderPlaced) -> None:
        await app.document_issued(
            ctx.conn, Publisher(ctx.publish, app.currency), _issued("order", event), now=_now(ctx)
        )

    @subs.on(ContractSigned)
    async def contract_signed(ctx: Context, event: ContractSigned) -> None:
        await app.document_issued(
            ctx.conn, Publisher(ctx.publish, app.currency), _issued("contract", event), now=_now(ctx)
        )

    @subs.on(DocumentRequestRejected)
    async def request_refused(ctx: Context, event: DocumentRequestRejected) -> None:
        if event.requested in ("offer", "order", "contract"):
            await app.document_refused(ctx.conn, request_id=event.request_id, reason=event.reason)

    @subs.on(InvoiceIssued)
    async def invoice_issued(ctx: Context, event: InvoiceIssued) -> None:
        if event.order_id is not None:
            await app.invoice_issued(
                ctx.conn,
                Publisher(ctx.publish, app.currency),
                order_id=event.order_id,
                number=event.number,
                now=_now(ctx),
            )

    @subs.on(OpportunitiesRequested)
    async def opportunities_requested(ctx: Context, event: OpportunitiesRequested) -> None:
        await app.open_for_campaign(
            ctx.conn,
            Publisher(ctx.publish, app.currency),
            campaign_id=event.campaign_id,
            partner_ids=event.partner_ids,
            owner_staff_id=event.owner_staff_id,
            title=event.title,
            request_id=event.request_id,
            now=_now(ctx),
        )

    return subs
