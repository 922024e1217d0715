"""Counting documents for campaigns (M3-M6): attribution, facts, and noticing when results move.

Used by both edges: the subscribers (documents that name their campaign, or come from one of its
opportunities) and the HTTP API (documents a user attaches). Every document counts at most once per
measure, whichever edge sees it first; the store's unique key (measure, document) enforces it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from crm_campaigns.domain.campaigns import Campaign
from crm_campaigns.domain.results import Fact, Measure, Results, Via, campaign_of_document, invoice_month, results
from crm_campaigns.events.publisher import Publisher, realized_json
from crm_campaigns.store import repository as repo
from crm_campaigns.store.tables import contracts, orders


async def campaign_results(conn: AsyncConnection, campaign: Campaign, as_of: dt.date | None) -> Results:
    """The campaign's figures from the facts that took effect on or before ``as_of`` (all when None)."""
    return results(
        campaign,
        await repo.sums(conn, campaign.id, as_of),
        await repo.returns_by_month(conn, campaign.id, as_of),
        as_of,
    )


@dataclass
class Counting:
    """One unit of counting work: facts added in the caller's transaction, results refreshed at the end."""

    conn: AsyncConnection
    publisher: Publisher
    now: dt.datetime
    touched: set[UUID] = field(default_factory=set)

    async def count_cost(self, doc: Any, campaign_id: UUID, via: Via) -> bool:
        """Count a cost document (a row of the cost-documents read model) as realized cost, net of VAT."""
        fact = Fact(
            campaign_id=campaign_id,
            measure=Measure.COST,
            source_id=doc.document_id,
            net=Decimal(doc.net),
            effective_on=doc.date,
            via=via,
            source_kind=doc.kind,
            number=doc.number,
            partner_id=doc.partner_id,
        )
        if not await repo.insert_fact(self.conn, fact, self.now):
            return False
        await self.publisher.cost_attached(fact)
        self.touched.add(campaign_id)
        return True

    async def attribute_order(self, order: Any, campaign_id: UUID, via: Via) -> bool:
        """Count a client order as accepted revenue, then every invoice already issued on it."""
        fact = Fact(
            campaign_id=campaign_id,
            measure=Measure.ACCEPTED,
            source_id=order.order_id,
            net=Decimal(order.net),
            effective_on=order.issued_on,
            via=via,
            source_kind="order",
            number=order.number,
            partner_id=order.partner_id,
        )
        if not await repo.set_document_campaign(self.conn, orders, order.order_id, campaign_id):
            return False
        await repo.insert_fact(self.conn, fact, self.now)
        await self.publisher.order_attached(fact)
        self.touched.add(campaign_id)
        for invoice in await repo.invoices_on(self.conn, order_id=order.order_id):
            await self.count_invoice(invoice, campaign_id, Via.ORDER, subscription=False)
        return True

    async def attribute_contract(self, contract: Any, campaign_id: UUID, via: Via) -> bool:
        """Mark a contract as resulting from the campaign, then count every invoice already issued on it."""
        if not await repo.set_document_campaign(self.conn, contracts, contract.contract_id, campaign_id):
            return False
        self.touched.add(campaign_id)
        for invoice in await repo.invoices_on(self.conn, contract_id=contract.contract_id):
            await self.count_invoice(invoice, campaign_id, Via.CONTRACT, subscription=contract.kind == "subscription")
        return True

    async def count_invoice(
        self, invoice: Any, campaign_id: UUID, via: Via, *, subscription: bool, month: str | None = None
    ) -> bool:
        """Count an invoice as invoiced revenue and, for a subscription contract, in its month's return."""
        counted_month = month or invoice_month(invoice.issued_on, invoice.period)
        base = {
            "campaign_id": campaign_id,
            "source_id": invoice.invoice_id,
            "net": Decimal(invoice.net),
            "effective_on": invoice.issued_on,
            "via": via,
            "source_kind": "invoice",
            "number": invoice.number,
            "partner_id": invoice.partner_id,
        }
        invoiced = Fact(measure=Measure.INVOICED, month=counted_month, **base)
        added = await repo.insert_fact(self.conn, invoiced, self.now)
        if subscription:
            added = (
                await repo.insert_fact(self.conn, Fact(measure=Measure.RETURN, month=counted_month, **base), self.now)
                or added
            )
        if added:
            await self.publisher.invoice_attached(invoiced, counted_month)
            self.touched.add(campaign_id)
        return added

    async def attribute_from_opportunity(self, opportunity_id: UUID, campaign_id: UUID) -> None:
        """Orders and contracts that arrived before their opportunity did: count them now."""
        for order in await repo.unattributed_from_opportunity(self.conn, orders, opportunity_id):
            if not await self._names_a_campaign(order.source_campaign_id):
                await self.attribute_order(order, campaign_id, Via.OPPORTUNITY)
        for contract in await repo.unattributed_from_opportunity(self.conn, contracts, opportunity_id):
            if not await self._names_a_campaign(contract.source_campaign_id):
                await self.attribute_contract(contract, campaign_id, Via.OPPORTUNITY)

    async def _names_a_campaign(self, campaign_id: UUID | None) -> bool:
        return bool(await repo.existing_campaigns(self.conn, [campaign_id]))

    async def campaign_of(
        self, source_campaign_id: UUID | None, source_opportunity_id: UUID | None
    ) -> tuple[UUID, Via] | None:
        """The campaign a client order or contract belongs to (see ``campaign_of_document``)."""
        opportunity_campaign = await repo.opportunity_campaign(self.conn, source_opportunity_id)
        known = await repo.existing_campaigns(self.conn, [source_campaign_id, opportunity_campaign])
        return campaign_of_document(source_campaign_id, opportunity_campaign, known)

    async def finish(self) -> None:
        """Publish ``CampaignResultsChanged`` for every touched campaign whose realized figures moved."""
        for campaign_id in sorted(self.touched):
            campaign = await repo.get_campaign(self.conn, campaign_id)
            if campaign is None:
                continue
            current = await campaign_results(self.conn, campaign, None)
            snapshot = realized_json(current)
            if snapshot != await repo.published_results(self.conn, campaign_id):
                await repo.set_published_results(self.conn, campaign_id, snapshot)
                await self.publisher.results_changed(current)
        self.touched.clear()
