"""The Kafka adapter of the ``Publisher`` port: domain facts -> crm.campaigns contract events -> the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from crm_campaigns.domain.campaigns import Campaign
from crm_campaigns.domain.results import Fact, Results
from crm_contracts.campaigns import (
    CampaignCreated,
    CampaignMemberRemoved,
    CampaignMembersAdded,
    CampaignResultsChanged,
    CampaignUpdated,
    CostAttachedToCampaign,
    InvoiceAttachedToCampaign,
    MonthlyReturn,
    OpportunitiesRequested,
    OrderAttachedToCampaign,
)
from crm_kit.transactions import Emit


class KafkaPublisher:
    """The campaigns context's outgoing facts and commands, in domain terms; only it knows the contract classes.

    Args:
        emit: queues one event in the unit of work's outbox (caused by the handled event inside a handler).
        chunk: the most partner ids one CampaignMembersAdded carries.
    """

    def __init__(self, emit: Emit, chunk: int = 500) -> None:
        self._emit = emit
        self._chunk = chunk

    def _state(self, c: Campaign) -> dict[str, Any]:
        return {
            "campaign_id": c.id,
            "name": c.name,
            "starts_on": c.starts_on,
            "ends_on": c.ends_on,
            "objective": c.objective,
            "segment": c.segment,
            "estimated_cost": c.estimated_cost,
            "estimated_revenue": c.estimated_revenue,
            "return_months": c.return_months,
        }

    async def campaign_created(self, c: Campaign) -> None:
        await self._emit(CampaignCreated(**self._state(c)))

    async def campaign_updated(self, c: Campaign) -> None:
        await self._emit(CampaignUpdated(**self._state(c)))

    async def members_added(self, campaign_id: UUID, partner_ids: Sequence[UUID], *, campaign_name: str) -> None:
        """One event per chunk of partner ids, so a large selection never makes one huge record."""
        for start in range(0, len(partner_ids), self._chunk):
            await self._emit(
                CampaignMembersAdded(
                    campaign_id=campaign_id,
                    partner_ids=list(partner_ids[start : start + self._chunk]),
                    campaign_name=campaign_name,
                )
            )

    async def member_removed(self, campaign_id: UUID, partner_id: UUID, *, campaign_name: str) -> None:
        await self._emit(
            CampaignMemberRemoved(campaign_id=campaign_id, partner_id=partner_id, campaign_name=campaign_name)
        )

    async def cost_attached(self, fact: Fact) -> None:
        await self._emit(
            CostAttachedToCampaign(
                campaign_id=fact.campaign_id,
                cost_document_id=fact.source_id,
                kind=fact.source_kind,
                net=fact.net,
                date=fact.effective_on,
            )
        )

    async def order_attached(self, fact: Fact) -> None:
        await self._emit(
            OrderAttachedToCampaign(
                campaign_id=fact.campaign_id, order_id=fact.source_id, partner_id=fact.partner_id, net=fact.net
            )
        )

    async def invoice_attached(self, fact: Fact, month: str) -> None:
        await self._emit(
            InvoiceAttachedToCampaign(
                campaign_id=fact.campaign_id,
                invoice_id=fact.source_id,
                partner_id=fact.partner_id,
                net=fact.net,
                month=month,
            )
        )

    async def results_changed(self, r: Results) -> None:
        await self._emit(
            CampaignResultsChanged(
                campaign_id=r.campaign_id,
                realized_cost=r.realized_cost,
                accepted_revenue=r.accepted_revenue,
                invoiced_revenue=r.invoiced_revenue,
                monthly_return=[MonthlyReturn(month=m.month, value=m.value) for m in r.monthly_return],
                roi=r.roi,
            )
        )

    async def opportunities_requested(
        self,
        campaign_id: UUID,
        request_id: UUID,
        partner_ids: Sequence[UUID],
        owner_staff_id: UUID | None,
        title: str,
    ) -> None:
        """Ask opportunities to open one opportunity per partner (the caller chunks the partners)."""
        await self._emit(
            OpportunitiesRequested(
                campaign_id=campaign_id,
                request_id=request_id,
                partner_ids=list(partner_ids),
                owner_staff_id=owner_staff_id,
                title=title,
            )
        )
