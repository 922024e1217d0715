"""Events on crm.opportunities: the pipeline, and the document commands to commercial (see EVENTS.md)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from crm_contracts import topics
from crm_contracts.base import Event, Money
from crm_contracts.common import ContractKind, DocumentLine, Source

OpportunityStage = Literal["new", "presentation", "offer", "negotiation", "sale", "lost"]


class _OpportunitiesEvent(Event):
    topic: ClassVar[str] = topics.OPPORTUNITIES
    key_field: ClassVar[str] = "opportunity_id"


class _OpportunityState(_OpportunitiesEvent):
    opportunity_id: UUID = Field(description="The opportunity.")
    partner_id: UUID = Field(description="The client or lead.")
    title: str = Field(description="Title.")
    potential: Money = Field(description="Sales potential (value), net of VAT.")
    probability: Decimal = Field(description="Probability in percent, 0-100.")
    expected_signing_on: date | None = Field(default=None, description="Probable contract signing date.")
    owner_staff_id: UUID | None = Field(default=None, description="Owner (staff id).")
    campaign_id: UUID | None = Field(default=None, description="The campaign it came from.")
    stage: OpportunityStage = Field(default="new", description="Current stage.")


class OpportunityOpened(_OpportunityState):
    """An opportunity was opened."""

    event_name: ClassVar[str] = "OpportunityOpened"


class OpportunityUpdated(_OpportunityState):
    """An opportunity's details changed; the whole new state."""

    event_name: ClassVar[str] = "OpportunityUpdated"


class StageChanged(_OpportunitiesEvent):
    """An opportunity moved to another stage (the event other systems watch most)."""

    event_name: ClassVar[str] = "StageChanged"
    opportunity_id: UUID = Field(description="The opportunity.")
    partner_id: UUID = Field(description="The client or lead.")
    title: str = Field(default="", description="The opportunity's title.")
    from_stage: OpportunityStage | None = Field(description="Previous stage; null for the first.")
    to_stage: OpportunityStage = Field(description="New stage.")
    potential: Money = Field(description="Sales potential at this stage.")
    weight: Decimal = Field(description="The stage's weight in percent (O3).")
    weighted_potential: Money = Field(description="Potential allocated to this stage: potential x weight.")
    probability: Decimal = Field(description="Probability in percent.")
    delegate_staff_id: UUID | None = Field(default=None, description="Who follows up.")
    follow_up_at: datetime | None = Field(default=None, description="When to follow up (creates a task, O7).")
    note: str | None = Field(default=None, description="Note.")
    reason_code: str | None = Field(default=None, description="Lost reason code when to_stage is lost.")
    changed_by: str | None = Field(default=None, description="User who changed it.")
    changed_at: datetime = Field(description="When.")
    seconds_in_previous_stage: int | None = Field(default=None, description="Time spent in from_stage.")
    changed_by_staff_id: UUID | None = Field(default=None, description="Staff member of the user who changed it.")
    reason_text: str | None = Field(default=None, description="The lost reason's text when to_stage is lost.")
    campaign_id: UUID | None = Field(default=None, description="The campaign the opportunity came from.")
    owner_staff_id: UUID | None = Field(default=None, description="The opportunity's owner (staff id).")
    expected_signing_on: date | None = Field(default=None, description="Probable contract signing date.")
    currency: str = Field(default="RON", description="ISO currency of the potentials.")


class FollowUpScheduled(_OpportunitiesEvent):
    """A follow-up was scheduled for a delegate (tasks turns it into a task, O7)."""

    event_name: ClassVar[str] = "FollowUpScheduled"
    opportunity_id: UUID = Field(description="The opportunity.")
    partner_id: UUID = Field(description="The client or lead (the task's beneficiary).")
    title: str = Field(default="", description="The opportunity's title.")
    stage: OpportunityStage = Field(description="The stage that scheduled it.")
    delegate_staff_id: UUID = Field(description="Who follows up (the task's responsible).")
    follow_up_at: datetime = Field(description="The task's deadline.")
    note: str | None = Field(default=None, description="What to do.")
    created_by_staff_id: UUID | None = Field(default=None, description="Who scheduled it.")
    created_by: str | None = Field(
        default=None,
        description=(
            "Login of the user who scheduled it: the task's issuer when that user has no staff record (an admin)."
            " Null in events published before the field was added (additive, still v1)."
        ),
    )


class OpportunityWon(_OpportunitiesEvent):
    """The opportunity reached the sale stage."""

    event_name: ClassVar[str] = "OpportunityWon"
    opportunity_id: UUID = Field(description="The opportunity.")
    partner_id: UUID = Field(description="The client or lead.")
    potential: Money = Field(description="Sales potential.")
    campaign_id: UUID | None = Field(default=None, description="The campaign it came from.")
    title: str = Field(default="", description="The opportunity's title.")
    owner_staff_id: UUID | None = Field(default=None, description="The opportunity's owner (staff id).")


class OpportunityLost(_OpportunitiesEvent):
    """The opportunity was lost, for a catalogued reason (O6)."""

    event_name: ClassVar[str] = "OpportunityLost"
    opportunity_id: UUID = Field(description="The opportunity.")
    partner_id: UUID = Field(description="The client or lead.")
    reason_code: str = Field(description="Lost reason code.")
    reason_text: str = Field(description="The reason's text.")
    note: str | None = Field(default=None, description="Free text.")
    title: str = Field(default="", description="The opportunity's title.")
    potential: Money | None = Field(default=None, description="Sales potential that was lost.")
    campaign_id: UUID | None = Field(default=None, description="The campaign it came from.")
    owner_staff_id: UUID | None = Field(default=None, description="The opportunity's owner (staff id).")


class OfferRejectionRequested(_OpportunitiesEvent):
    """Command to commercial: the client rejected an offer, as recorded on its opportunity (O6).

    Commercial marks its offer rejected for the reason, so its documents show what the opportunity shows; an offer
    decided there already keeps its decision. Published when a user rejects the offer on the opportunity and for
    each open offer of an opportunity that is lost.
    """

    event_name: ClassVar[str] = "OfferRejectionRequested"
    is_command: ClassVar[bool] = True
    handled_by: ClassVar[str] = "commercial"
    opportunity_id: UUID = Field(description="The opportunity.")
    partner_id: UUID = Field(description="The client.")
    document_id: UUID = Field(description="The offer (commercial's document id).")
    reason_code: str = Field(description="Lost reason code (CRM > Nomenclatoare > Motive).")
    note: str | None = Field(default=None, description="Why, in the user's words.")
    rejected_by: str | None = Field(default=None, description="Login of who recorded it (null when the system did).")


class _DocumentRequest(_OpportunitiesEvent):
    is_command: ClassVar[bool] = True
    handled_by: ClassVar[str] = "commercial"
    request_id: UUID = Field(description="The command's id; commercial's fact carries it as request_id.")
    opportunity_id: UUID = Field(description="The opportunity asking.")
    partner_id: UUID = Field(description="The client.")
    lines: list[DocumentLine] = Field(description="Requested lines (articles per C5).")
    source: Source = Field(default_factory=Source, description="Where the document comes from.")
    requested_by_staff_id: UUID | None = Field(default=None, description="Who asked.")


class OfferRequested(_DocumentRequest):
    """Command to commercial: issue a client offer."""

    event_name: ClassVar[str] = "OfferRequested"
    valid_until: date | None = Field(default=None, description="Offer validity.")


class ClientOrderRequested(_DocumentRequest):
    """Command to commercial: place a client order."""

    event_name: ClassVar[str] = "ClientOrderRequested"


class ContractRequested(_DocumentRequest):
    """Command to commercial: draw up a contract."""

    event_name: ClassVar[str] = "ContractRequested"
    kind: ContractKind = Field(description="subscription or commercial.")
    starts_on: date = Field(description="First day.")
    months: int | None = Field(default=None, description="Duration in months (subscription).")
    monthly_value: Money | None = Field(default=None, description="Subscription monthly value.")
