"""Events on crm.campaigns: campaigns, members, costs and revenues, results (see EVENTS.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from crm_contracts import topics
from crm_contracts.base import Event, Money
from crm_contracts.common import Part


class _CampaignsEvent(Event):
    topic: ClassVar[str] = topics.CAMPAIGNS
    key_field: ClassVar[str] = "campaign_id"
    campaign_id: UUID = Field(description="The campaign.")


class _CampaignState(_CampaignsEvent):
    name: str = Field(description="Campaign name.")
    starts_on: dt.date = Field(description="Start date.")
    ends_on: dt.date = Field(description="End date.")
    objective: str | None = Field(default=None, description="Objective.")
    segment: str | None = Field(default=None, description="Targeted segment.")
    estimated_cost: Money = Field(description="Estimated costs, net of VAT.")
    estimated_revenue: Money = Field(description="Estimated revenues, net of VAT.")
    return_months: int = Field(description="Months the return indicator follows (validity).")


class CampaignCreated(_CampaignState):
    """A marketing campaign was created (M1)."""

    event_name: ClassVar[str] = "CampaignCreated"


class CampaignUpdated(_CampaignState):
    """A campaign's details changed; the whole new state."""

    event_name: ClassVar[str] = "CampaignUpdated"


class CampaignMembersAdded(_CampaignsEvent):
    """Partners were associated with the campaign (M2)."""

    event_name: ClassVar[str] = "CampaignMembersAdded"
    partner_ids: list[UUID] = Field(description="The partners added.")
    campaign_name: str | None = Field(default=None, description="The campaign's name when they were added.")


class CampaignMemberRemoved(_CampaignsEvent):
    """A partner was removed from the campaign."""

    event_name: ClassVar[str] = "CampaignMemberRemoved"
    partner_id: UUID = Field(description="The partner removed.")
    campaign_name: str | None = Field(default=None, description="The campaign's name when it was removed.")


class CostAttachedToCampaign(_CampaignsEvent):
    """A cost document counts towards the campaign's realized cost (M3)."""

    event_name: ClassVar[str] = "CostAttachedToCampaign"
    cost_document_id: UUID = Field(description="The cost document.")
    kind: str = Field(description="Kind of cost document.")
    net: Money = Field(description="Value net of VAT.")
    date: dt.date = Field(description="Document date.")


class OrderAttachedToCampaign(_CampaignsEvent):
    """A client order counts as accepted revenue (M4)."""

    event_name: ClassVar[str] = "OrderAttachedToCampaign"
    order_id: UUID = Field(description="The client order.")
    partner_id: UUID | None = Field(default=None, description="The client.")
    net: Money = Field(description="Order value net of VAT.")


class InvoiceAttachedToCampaign(_CampaignsEvent):
    """An invoice counts as invoiced revenue and in its month's return indicator (M4, M5)."""

    event_name: ClassVar[str] = "InvoiceAttachedToCampaign"
    invoice_id: UUID = Field(description="The invoice.")
    partner_id: UUID | None = Field(default=None, description="The client.")
    net: Money = Field(description="Invoice value net of VAT.")
    month: str = Field(description="The month it counts in, YYYY-MM.")


class MonthlyReturn(Part):
    month: str = Field(description="YYYY-MM.")
    value: Money = Field(description="Invoiced subscription value in that month, net of VAT.")


class CampaignResultsChanged(_CampaignsEvent):
    """The campaign's realized figures moved (M3-M6)."""

    event_name: ClassVar[str] = "CampaignResultsChanged"
    realized_cost: Money = Field(description="Sum of attached cost documents, net of VAT.")
    accepted_revenue: Money = Field(description="Sum of attached client orders, net of VAT.")
    invoiced_revenue: Money = Field(description="Sum of invoices on those orders, net of VAT.")
    monthly_return: list[MonthlyReturn] = Field(default_factory=list, description="Return indicator per month.")
    roi: Decimal | None = Field(description="(invoiced revenue - cost) / cost; null when cost is zero.")


class OpportunitiesRequested(_CampaignsEvent):
    """Command to opportunities: open one opportunity per partner, once (M7)."""

    event_name: ClassVar[str] = "OpportunitiesRequested"
    is_command: ClassVar[bool] = True
    handled_by: ClassVar[str] = "opportunities"
    request_id: UUID = Field(description="The command's id.")
    partner_ids: list[UUID] = Field(description="The partners to open opportunities for.")
    owner_staff_id: UUID | None = Field(default=None, description="The opportunities' owner.")
    title: str | None = Field(default=None, description="Title for the opportunities (default: the campaign name).")
