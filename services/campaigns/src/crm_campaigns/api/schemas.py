"""HTTP bodies of the campaigns API (not the event contracts, not the tables)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_campaigns.domain.members import DEFAULT_KINDS, MemberFilter
from crm_kit.errors import Invalid


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CampaignIn(_Body):
    name: str = Field(min_length=1, max_length=200, description="Campaign name.")
    starts_on: dt.date = Field(description="Start date.")
    ends_on: dt.date = Field(description="End date (on or after the start).")
    objective: str | None = Field(default=None, max_length=4000, description="Objective.")
    segment: str | None = Field(default=None, max_length=1000, description="Targeted segment.")
    estimated_cost: Decimal = Field(default=Decimal(0), ge=0, max_digits=16, description="Estimated cost, net of VAT.")
    estimated_revenue: Decimal = Field(
        default=Decimal(0), ge=0, max_digits=16, description="Estimated revenue, net of VAT."
    )
    return_months: int = Field(default=12, ge=1, le=120, description="Months the return indicator follows.")


class CampaignPatch(_Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    objective: str | None = Field(default=None, max_length=4000)
    segment: str | None = Field(default=None, max_length=1000)
    estimated_cost: Decimal | None = Field(default=None, ge=0, max_digits=16)
    estimated_revenue: Decimal | None = Field(default=None, ge=0, max_digits=16)
    return_months: int | None = Field(default=None, ge=1, le=120)

    def changes(self) -> dict[str, Any]:
        """The fields the caller sent; a null objective or segment clears it, other nulls are refused."""
        sent = self.model_dump(exclude_unset=True)
        nulls = sorted(k for k, v in sent.items() if v is None and k not in ("objective", "segment"))
        if nulls:
            raise Invalid(
                f"these fields cannot be emptied: {', '.join(nulls)}",
                fields=nulls,
                code="record.cannot_be_emptied",
                params={"fields": ", ".join(nulls)},
            )
        return sent


class FilterIn(_Body):
    name: str | None = Field(default=None, max_length=300, description="Part of the name (any case, any diacritics).")
    fiscal_code: str | None = Field(default=None, max_length=40, description="Fiscal code (CUI), with or without RO.")
    locality: str | None = Field(default=None, max_length=120, description="Locality.")
    county: str | None = Field(default=None, max_length=120, description="County (judet).")
    activity_domain: str | None = Field(default=None, max_length=200, description="Activity domain.")
    turnover_min: Decimal | None = Field(default=None, ge=0, max_digits=18, description="Lowest turnover, RON.")
    turnover_max: Decimal | None = Field(default=None, ge=0, max_digits=18, description="Highest turnover, RON.")
    employees_min: int | None = Field(default=None, ge=0, description="Fewest employees.")
    employees_max: int | None = Field(default=None, ge=0, description="Most employees.")
    kinds: list[str] = Field(default_factory=lambda: list(DEFAULT_KINDS), description="Partner kinds (client, lead).")

    def to_domain(self) -> MemberFilter:
        return MemberFilter(
            name=self.name,
            fiscal_code=self.fiscal_code,
            locality=self.locality,
            county=self.county,
            activity_domain=self.activity_domain,
            turnover_min=self.turnover_min,
            turnover_max=self.turnover_max,
            employees_min=self.employees_min,
            employees_max=self.employees_max,
            kinds=tuple(dict.fromkeys(self.kinds)),
        )


class MembersIn(_Body):
    partner_ids: list[UUID] | None = Field(default=None, max_length=10000, description="Partners to add.")
    filter: FilterIn | None = Field(default=None, description="Add every partner matching this filter.")

    @model_validator(mode="after")
    def _one_way(self) -> MembersIn:
        if (self.partner_ids is None) == (self.filter is None):
            raise ValueError("send either partner_ids or filter")
        return self


class PreviewIn(_Body):
    filter: FilterIn = Field(default_factory=FilterIn, description="The filter to count.")


class CostIn(_Body):
    cost_document_id: UUID = Field(description="A cost document posted by the ERP.")


class RevenueIn(_Body):
    order_id: UUID = Field(description="A client order placed in the ERP.")


class ReturnIn(_Body):
    invoice_id: UUID = Field(description="An invoice issued in the ERP.")
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="The month it counts in, YYYY-MM.")


class OpportunitiesIn(_Body):
    partner_ids: list[UUID] | None = Field(default=None, max_length=10000, description="Members to generate for.")
    all_members: bool = Field(default=False, description="Generate for every member.")
    owner_staff_id: UUID | None = Field(default=None, description="Owner of the opportunities.")
    title: str | None = Field(default=None, max_length=300, description="Title (default: the campaign name).")

    @model_validator(mode="after")
    def _one_way(self) -> OpportunitiesIn:
        if bool(self.partner_ids) == self.all_members:
            raise ValueError("send either a non-empty partner_ids or all_members: true")
        return self
