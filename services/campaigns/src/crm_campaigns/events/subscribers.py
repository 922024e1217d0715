"""What the campaigns service consumes: partners, opportunities and the ERP's documents.

Partners feed member selection (M2); opportunities feed M7 progress and attribution; cost documents,
orders, contracts and invoices feed the results (M3-M5).
Each handler keeps a read model current, then counts what the document means for a campaign. The kit's
inbox skips a redelivered event; the store's unique keys make a re-posted document count once anyway.
"""

from __future__ import annotations

from typing import Any

from crm_campaigns.domain.members import fiscal_digits, fold
from crm_campaigns.domain.results import COST_KINDS, Via
from crm_campaigns.events.publisher import Publisher
from crm_campaigns.ledger import Counting
from crm_campaigns.store import repository as repo
from crm_campaigns.store.tables import contracts, cost_documents, invoices, orders
from crm_contracts.commercial import ClientOrderPlaced, ContractSigned, CostDocumentPosted, InvoiceIssued
from crm_contracts.opportunities import OpportunityOpened
from crm_contracts.partners import PartnerRegistered, PartnerUpdated
from crm_kit.inbox import Context, Subscriptions


def build_subscriptions(chunk: int = 500) -> Subscriptions:
    """The campaigns service's handlers."""
    subs = Subscriptions()

    def counting(ctx: Context) -> Counting:
        return Counting(ctx.conn, Publisher(ctx.publish, chunk), ctx.envelope.time)

    @subs.on(PartnerRegistered)
    @subs.on(PartnerUpdated)
    async def partner_changed(ctx: Context, e: PartnerRegistered | PartnerUpdated) -> None:
        await repo.upsert_partner(
            ctx.conn,
            {
                "partner_id": e.partner_id,
                "kind": e.kind,
                "name": e.name,
                "name_folded": fold(e.name) or "",
                "fiscal_code": e.fiscal_code,
                "fiscal_digits": fiscal_digits(e.fiscal_code),
                "locality": e.locality,
                "locality_folded": fold(e.locality),
                "county": e.county,
                "county_folded": fold(e.county),
                "turnover": e.turnover,
                "employees": e.employees,
                "activity_domain": e.activity_domain,
                "domain_folded": fold(e.activity_domain),
            },
        )

    @subs.on(OpportunityOpened)
    async def opportunity_opened(ctx: Context, e: OpportunityOpened) -> None:
        await repo.upsert_opportunity(
            ctx.conn,
            {
                "opportunity_id": e.opportunity_id,
                "partner_id": e.partner_id,
                "campaign_id": e.campaign_id,
                "title": e.title,
                "opened_at": ctx.envelope.time,
            },
        )
        if e.campaign_id is None or not await repo.existing_campaigns(ctx.conn, [e.campaign_id]):
            return
        await repo.mark_opened(ctx.conn, e.campaign_id, e.partner_id, e.opportunity_id, ctx.envelope.time)
        work = counting(ctx)
        await work.attribute_from_opportunity(e.opportunity_id, e.campaign_id)
        await work.finish()

    @subs.on(CostDocumentPosted)
    async def cost_posted(ctx: Context, e: CostDocumentPosted) -> None:
        await repo.upsert_cost_document(
            ctx.conn,
            {
                "document_id": e.document_id,
                "kind": e.kind,
                "number": e.number,
                "date": e.date,
                "net": e.net,
                "vat": e.vat,
                "partner_id": e.partner_id,
                "campaign_id": e.campaign_id,
            },
        )
        if e.campaign_id is None or e.kind not in COST_KINDS:
            return
        if not await repo.existing_campaigns(ctx.conn, [e.campaign_id]):
            return
        doc = await repo.get_row(ctx.conn, cost_documents, e.document_id)
        work = counting(ctx)
        await work.count_cost(doc, e.campaign_id, Via.DOCUMENT)
        await work.finish()

    @subs.on(ClientOrderPlaced)
    async def order_placed(ctx: Context, e: ClientOrderPlaced) -> None:
        await repo.upsert_order(
            ctx.conn,
            {
                "order_id": e.document_id,
                "partner_id": e.partner_id,
                "number": e.number,
                "issued_on": e.issued_on,
                "net": e.net,
                "source_campaign_id": e.source.campaign_id,
                "source_opportunity_id": e.source.opportunity_id,
            },
        )
        work = counting(ctx)
        found = await work.campaign_of(e.source.campaign_id, e.source.opportunity_id)
        if found is None:
            return
        await work.attribute_order(await _row(ctx, orders, e.document_id), *found)
        await work.finish()

    @subs.on(ContractSigned)
    async def contract_signed(ctx: Context, e: ContractSigned) -> None:
        await repo.upsert_contract(
            ctx.conn,
            {
                "contract_id": e.document_id,
                "partner_id": e.partner_id,
                "number": e.number,
                "kind": e.kind,
                "issued_on": e.issued_on,
                "starts_on": e.starts_on,
                "ends_on": e.ends_on,
                "monthly_value": e.monthly_value,
                "net": e.net,
                "source_campaign_id": e.source.campaign_id,
                "source_opportunity_id": e.source.opportunity_id,
            },
        )
        work = counting(ctx)
        found = await work.campaign_of(e.source.campaign_id, e.source.opportunity_id)
        if found is None:
            return
        await work.attribute_contract(await _row(ctx, contracts, e.document_id), *found)
        await work.finish()

    @subs.on(InvoiceIssued)
    async def invoice_issued(ctx: Context, e: InvoiceIssued) -> None:
        await repo.upsert_invoice(
            ctx.conn,
            {
                "invoice_id": e.invoice_id,
                "partner_id": e.partner_id,
                "number": e.number,
                "issued_on": e.issued_on,
                "net": e.net,
                "order_id": e.order_id,
                "contract_id": e.contract_id,
                "period": e.period,
            },
        )
        invoice = await _row(ctx, invoices, e.invoice_id)
        work = counting(ctx)
        if e.order_id is not None:
            order = await repo.get_row(ctx.conn, orders, e.order_id)
            if order is not None and order.campaign_id is not None:
                await work.count_invoice(invoice, order.campaign_id, Via.ORDER, subscription=False)
        if e.contract_id is not None:
            contract = await repo.get_row(ctx.conn, contracts, e.contract_id)
            if contract is not None and contract.campaign_id is not None:
                await work.count_invoice(
                    invoice, contract.campaign_id, Via.CONTRACT, subscription=contract.kind == "subscription"
                )
        await work.finish()

    return subs


async def _row(ctx: Context, table: Any, key: Any) -> Any:
    row = await repo.get_row(ctx.conn, table, key)
    if row is None:
        raise RuntimeError(f"{table.name} {key} vanished inside its own transaction")
    return row
