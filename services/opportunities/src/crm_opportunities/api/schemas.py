"""HTTP request bodies of the opportunities API (not the event contracts)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from crm_opportunities.domain.stages import Stage


class Body(BaseModel):
    """A request body: unknown fields are refused, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")


class OpenOpportunity(Body):
    partner_id: UUID = Field(description="The client or lead.")
    title: str = Field(max_length=200, description="What is being sold.")
    potential: Decimal = Field(default=Decimal(0), description="Sales potential (value), net of VAT.")
    probability: Decimal | None = Field(default=None, description="Probability in percent; default the stage weight.")
    expected_signing_on: date | None = Field(default=None, description="Probable contract signing date.")
    owner_staff_id: UUID | None = Field(default=None, description="Owner; default the caller's staff member.")
    campaign_id: UUID | None = Field(default=None, description="The campaign it came from.")


class UpdateOpportunity(Body):
    title: str | None = Field(default=None, max_length=200, description="New title.")
    potential: Decimal | None = Field(default=None, description="New sales potential.")
    probability: Decimal | None = Field(default=None, description="New probability in percent.")
    expected_signing_on: date | None = Field(default=None, description="New probable signing date (null: unchanged).")
    clear_expected_signing_on: bool = Field(default=False, description="Remove the probable signing date.")
    owner_staff_id: UUID | None = Field(default=None, description="New owner.")


class ChangeStage(Body):
    stage: Stage = Field(description="The stage to move to.")
    delegate_staff_id: UUID | None = Field(default=None, description="Who follows up (default: the caller).")
    follow_up_at: datetime | None = Field(default=None, description="Follow-up date and time (creates a task, O7).")
    note: str | None = Field(default=None, max_length=4000, description="Note.")
    reason_code: str | None = Field(default=None, max_length=40, description="Lost reason code (required for lost).")
    probability: Decimal | None = Field(default=None, description="Probability at this stage; default its weight.")
    potential: Decimal | None = Field(default=None, description="Sales potential at this stage; default unchanged.")


class LineIn(Body):
    article_code: str = Field(min_length=1, max_length=60, description="Article code from the catalogue (C5).")
    qty: Decimal = Field(description="Quantity.")
    price: Decimal | None = Field(default=None, description="Unit price net of VAT; default the list price.")
    description: str | None = Field(default=None, max_length=300, description="Text; default the article name.")


class RequestOffer(Body):
    lines: list[LineIn] = Field(description="The offer's lines.")
    valid_until: date | None = Field(default=None, description="Valid until; default today + the configured days.")
    note: str | None = Field(default=None, max_length=4000, description="Note.")


class RequestOrder(Body):
    lines: list[LineIn] = Field(description="The order's lines.")
    note: str | None = Field(default=None, max_length=4000, description="Note.")


class ContractTermsIn(Body):
    kind: Literal["subscription", "commercial"] = Field(default="commercial", description="Contract kind.")
    starts_on: date | None = Field(default=None, description="First day; default today.")
    months: int | None = Field(default=None, description="Duration in months (subscription).")
    monthly_value: Decimal | None = Field(default=None, description="Subscription monthly value, net of VAT.")


class RequestContract(ContractTermsIn):
    lines: list[LineIn] = Field(description="The contract's lines.")
    note: str | None = Field(default=None, max_length=4000, description="Note.")


class AcceptOffer(Body):
    then: Literal["order", "contract", "both"] = Field(description="What the accepted offer turns into (O5).")
    contract: ContractTermsIn | None = Field(default=None, description="Contract terms when a contract follows.")


class RejectOffer(Body):
    reason_code: str | None = Field(default=None, max_length=40, description="Lost reason code (required).")
    note: str | None = Field(default=None, max_length=4000, description="Why, in the user's words.")
    keep_open: bool = Field(default=False, description="Keep the opportunity open (e.g. a new offer follows).")


class NewLostReason(Body):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_\-]+$", description="Code (a-z, 0-9, _ -).")
    text: str = Field(min_length=1, max_length=200, description="The reason as users read it.")


class UpdateLostReason(Body):
    text: str | None = Field(default=None, min_length=1, max_length=200, description="New text.")
    active: bool | None = Field(default=None, description="False hides it from new choices.")


class StageWeightsIn(Body):
    weights: dict[str, Decimal] = Field(description="Weight in percent per stage; stages not named keep theirs.")
