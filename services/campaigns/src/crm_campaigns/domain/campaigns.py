"""A marketing campaign (M1): its dates, objective, segment, estimates and return validity."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from uuid import UUID

from crm_kit.errors import Invalid

MAX_RETURN_MONTHS = 120
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Campaign:
    """A campaign as the user defined it (the realized figures live in its results)."""

    id: UUID
    name: str
    starts_on: dt.date
    ends_on: dt.date
    objective: str | None
    segment: str | None
    estimated_cost: Decimal
    estimated_revenue: Decimal
    return_months: int
    created_at: dt.datetime
    updated_at: dt.datetime

    def return_window(self) -> list[str]:
        """The months (``YYYY-MM``) the return indicator follows, from the start month on."""
        return months_from(self.starts_on, self.return_months)


EDITABLE = (
    "name",
    "starts_on",
    "ends_on",
    "objective",
    "segment",
    "estimated_cost",
    "estimated_revenue",
    "return_months",
)


def new_campaign(
    campaign_id: UUID,
    *,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date,
    objective: str | None,
    segment: str | None,
    estimated_cost: Decimal,
    estimated_revenue: Decimal,
    return_months: int,
    now: dt.datetime,
) -> Campaign:
    """A new campaign, checked.

    Raises:
        Invalid: a blank name, an end before the start, a negative estimate or a validity out of 1-120 months.
    """
    campaign = Campaign(
        id=campaign_id,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        objective=objective,
        segment=segment,
        estimated_cost=estimated_cost,
        estimated_revenue=estimated_revenue,
        return_months=return_months,
        created_at=now,
        updated_at=now,
    )
    return _checked(campaign)


def amend(campaign: Campaign, changes: dict[str, Any], now: dt.datetime) -> Campaign:
    """The campaign with some of its editable fields changed, checked as a whole.

    Raises:
        Invalid: an unknown field, or a resulting campaign that breaks a rule of ``new_campaign``.
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise Invalid(
            f"these fields cannot be changed: {', '.join(unknown)}",
            fields=unknown,
            code="record.unknown_fields",
            params={"fields": ", ".join(unknown)},
        )
    return _checked(replace(campaign, **changes, updated_at=now))


def _checked(c: Campaign) -> Campaign:
    name = c.name.strip()
    if not name:
        raise Invalid("the campaign needs a name", field="name", code="campaign.name_missing")
    if len(name) > 200:
        raise Invalid(
            "the campaign name is longer than 200 characters",
            field="name",
            code="record.too_long",
            params={"limit": 200},
        )
    if c.ends_on < c.starts_on:
        raise Invalid("the campaign cannot end before it starts", code="campaign.period_invalid", field="ends_on")
    for field in ("estimated_cost", "estimated_revenue"):
        value: Decimal = getattr(c, field)
        if not value.is_finite() or value < 0:
            raise Invalid(f"{field} must be zero or more", field=field, code="record.not_negative")
        if value != value.quantize(CENT):
            raise Invalid(f"{field} has more than two decimals", field=field, code="record.two_decimals")
    if not 1 <= c.return_months <= MAX_RETURN_MONTHS:
        raise Invalid(
            f"return_months must be between 1 and {MAX_RETURN_MONTHS}",
            field="return_months",
            code="campaign.return_months_range",
            params={"limit": MAX_RETURN_MONTHS},
        )
    return replace(
        c,
        name=name,
        objective=(c.objective or "").strip() or None,
        segment=(c.segment or "").strip() or None,
    )


def month_of(day: dt.date) -> str:
    """The month a date falls in, ``YYYY-MM``."""
    return f"{day.year:04d}-{day.month:02d}"


def months_from(start: dt.date, count: int) -> list[str]:
    """``count`` consecutive months (``YYYY-MM``) starting with the month of ``start``."""
    index = start.year * 12 + start.month - 1
    return [f"{(index + i) // 12:04d}-{(index + i) % 12 + 1:02d}" for i in range(count)]


def parse_month(text: str) -> str:
    """A month given as ``YYYY-MM``, checked.

    Raises:
        Invalid: not a month.
    """
    try:
        day = dt.date.fromisoformat(f"{text}-01")
    except (TypeError, ValueError):
        raise Invalid(
            f"{text!r} is not a month; write it as YYYY-MM",
            field="month",
            code="record.not_a_month",
            params={"month": text},
        ) from None
    return month_of(day)
