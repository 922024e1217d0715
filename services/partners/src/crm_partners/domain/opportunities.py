"""The opportunities a partner shows (L2): kept from the opportunities service's events, as they are now."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class PartnerOpportunity:
    """One opportunity of a partner, as its latest event described it."""

    opportunity_id: str
    partner_id: str
    title: str
    potential: Decimal
    probability: Decimal
    stage: str
    updated_at: datetime
    expected_signing_on: date | None = None
    owner_staff_id: str | None = None
    campaign_id: str | None = None


def staged(
    current: PartnerOpportunity | None,
    *,
    opportunity_id: str,
    partner_id: str,
    title: str,
    potential: Decimal,
    probability: Decimal,
    stage: str,
    at: datetime,
) -> PartnerOpportunity:
    """The opportunity after a stage change: its stage, title and figures; what the change does not say is kept."""
    if current is None:
        return PartnerOpportunity(opportunity_id, partner_id, title, potential, probability, stage, at)
    return replace(
        current,
        partner_id=partner_id,
        title=title,
        potential=potential,
        probability=probability,
        stage=stage,
        updated_at=at,
    )


def lost(
    current: PartnerOpportunity | None, *, opportunity_id: str, partner_id: str, at: datetime
) -> PartnerOpportunity:
    """A lost opportunity: its stage only changes; one never seen before shows with no title nor figures."""
    if current is not None:
        return replace(current, stage="lost", updated_at=at)
    return PartnerOpportunity(opportunity_id, partner_id, "", Decimal(0), Decimal(0), "lost", at)


def won(
    current: PartnerOpportunity | None, *, opportunity_id: str, partner_id: str, potential: Decimal, at: datetime
) -> PartnerOpportunity:
    """A won opportunity shows as a sale; one never seen before shows its potential at 100 %."""
    if current is not None:
        return replace(current, stage="sale", updated_at=at)
    return PartnerOpportunity(opportunity_id, partner_id, "", potential, Decimal(100), "sale", at)
