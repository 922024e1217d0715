"""What the campaigns service consumes: partners, opportunities and the ERP's documents.

Partners feed member selection (M2); opportunities feed M7 progress and attribution; cost documents,
orders, contracts and invoices feed the results (M3-M5). Each handler translates its event into one
command and calls one use case; the unit of work joins the handler's transaction (the inbox row commits
with the effects) and takes the event's time as ``now``. Where events come by the thousand (a partner
import, M7's opportunities) a batch handler gives one use case the commands of a whole fetched batch.
The inbox skips a redelivered event; the store's unique keys make a re-posted document count once anyway.
"""

from __future__ import annotations

import datetime as dt

from crm_campaigns.domain.documents import Contract, CostDocument, Invoice, Order
from crm_campaigns.domain.members import Partner
from crm_campaigns.service_layer import (
    KeepPartner,
    RecordContract,
    RecordCostDocument,
    RecordInvoice,
    RecordOpportunity,
    RecordOrder,
    UseCases,
)
from crm_contracts.commercial import ClientOrderPlaced, ContractSigned, CostDocumentPosted, InvoiceIssued
from crm_contracts.opportunities import OpportunityOpened
from crm_contracts.partners import PartnerRegistered, PartnerUpdated
from crm_kit.inbox import Context, Subscriptions, batch_scope


def build_subscriptions(uses: UseCases) -> Subscriptions:
    """The campaigns service's handlers: each turns its event into one command of the use cases."""
    subs = Subscriptions()

    @subs.on_batch(PartnerRegistered)
    async def partners_registered(items: list[tuple[Context, PartnerRegistered]]) -> None:
        async with batch_scope(items):
            await uses.partners_registered([KeepPartner(_partner(e)) for _, e in items])

    @subs.on(PartnerUpdated)
    async def partner_changed(ctx: Context, e: PartnerUpdated) -> None:
        await uses.partner_changed(KeepPartner(_partner(e)))

    @subs.on_batch(OpportunityOpened)
    async def opportunities_opened(items: list[tuple[Context, OpportunityOpened]]) -> None:
        # M7 opens 10,000 opportunities: a fetched batch's events are recorded in a few statements.
        async with batch_scope(items):
            await uses.opportunities_opened(
                [
                    RecordOpportunity(e.opportunity_id, e.partner_id, e.campaign_id, e.title, at=_time(ctx))
                    for ctx, e in items
                ]
            )

    @subs.on(CostDocumentPosted)
    async def cost_posted(ctx: Context, e: CostDocumentPosted) -> None:
        doc = CostDocument(
            document_id=e.document_id,
            kind=e.kind,
            number=e.number,
            date=e.date,
            net=e.net,
            vat=e.vat,
            partner_id=e.partner_id,
            campaign_id=e.campaign_id,
        )
        await uses.cost_posted(RecordCostDocument(doc))

    @subs.on(ClientOrderPlaced)
    async def order_placed(ctx: Context, e: ClientOrderPlaced) -> None:
        order = Order(
            order_id=e.document_id,
            partner_id=e.partner_id,
            number=e.number,
            issued_on=e.issued_on,
            net=e.net,
            source_campaign_id=e.source.campaign_id,
            source_opportunity_id=e.source.opportunity_id,
        )
        await uses.order_placed(RecordOrder(order))

    @subs.on(ContractSigned)
    async def contract_signed(ctx: Context, e: ContractSigned) -> None:
        contract = Contract(
            contract_id=e.document_id,
            partner_id=e.partner_id,
            number=e.number,
            kind=e.kind,
            issued_on=e.issued_on,
            starts_on=e.starts_on,
            net=e.net,
            ends_on=e.ends_on,
            monthly_value=e.monthly_value,
            source_campaign_id=e.source.campaign_id,
            source_opportunity_id=e.source.opportunity_id,
        )
        await uses.contract_signed(RecordContract(contract))

    @subs.on(InvoiceIssued)
    async def invoice_issued(ctx: Context, e: InvoiceIssued) -> None:
        invoice = Invoice(
            invoice_id=e.invoice_id,
            partner_id=e.partner_id,
            number=e.number,
            issued_on=e.issued_on,
            net=e.net,
            order_id=e.order_id,
            contract_id=e.contract_id,
            period=e.period,
        )
        await uses.invoice_issued(RecordInvoice(invoice))

    return subs


def _time(ctx: Context) -> dt.datetime:
    """When the handled event happened (its ``ce_time``, in UTC)."""
    return ctx.envelope.time.astimezone(dt.UTC)


def _partner(e: PartnerRegistered | PartnerUpdated) -> Partner:
    return Partner(
        partner_id=e.partner_id,
        kind=e.kind,
        name=e.name,
        fiscal_code=e.fiscal_code,
        locality=e.locality,
        county=e.county,
        turnover=e.turnover,
        employees=e.employees,
        activity_domain=e.activity_domain,
    )
