"""A campaign's results (M3-M6): the counted facts, the figures made from them, the ROI.

Every figure is a sum of *facts*; a fact is one document counted for one campaign, with the date it
takes effect. Results as of a date count only the facts that took effect on or before that date, so
past figures are restated from the same facts, never from a snapshot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from crm_campaigns.domain.campaigns import Campaign, month_of

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
ROI_PLACES = Decimal("0.0001")

COST_KINDS = frozenset(
    {"purchase_invoice", "purchase_receipt", "expense_report", "payroll_note", "internal_consumption", "treasury"}
)
"""The cost documents that count as marketing cost (M3); any other kind never does."""


class Measure(StrEnum):
    """What a fact adds to."""

    COST = "cost"
    """Realized cost: a cost document's value net of VAT (M3)."""
    ACCEPTED = "accepted"
    """Accepted revenue: a client order's value net of VAT (M4)."""
    INVOICED = "invoiced"
    """Invoiced revenue: an invoice's value net of VAT, on a campaign order or contract (M4)."""
    RETURN = "return"
    """Return indicator: an invoice of a subscription contract from the campaign, in its month (M5)."""


class Via(StrEnum):
    """How a fact came to count for the campaign."""

    DOCUMENT = "document"
    """The document itself named the campaign (the ERP user chose "add to campaign")."""
    ATTACHED = "attached"
    """A CRM user attached it to the campaign."""
    OPPORTUNITY = "opportunity"
    """It came from an opportunity that came from the campaign."""
    ORDER = "order"
    """An invoice issued on an order of the campaign."""
    CONTRACT = "contract"
    """An invoice issued on a contract of the campaign."""


@dataclass(frozen=True)
class Fact:
    """One document counted once for one campaign and one measure."""

    campaign_id: UUID
    measure: Measure
    source_id: UUID
    net: Decimal
    effective_on: dt.date
    via: Via
    source_kind: str
    number: str | None = None
    partner_id: UUID | None = None
    month: str | None = None


@dataclass(frozen=True)
class MonthValue:
    month: str
    value: Decimal


@dataclass(frozen=True)
class Results:
    """Estimated against realized figures of a campaign, as of a date (``None`` = every fact known)."""

    campaign_id: UUID
    estimated_cost: Decimal
    estimated_revenue: Decimal
    realized_cost: Decimal
    accepted_revenue: Decimal
    invoiced_revenue: Decimal
    monthly_return: tuple[MonthValue, ...]
    roi: Decimal | None
    as_of: dt.date | None

    def realized(self) -> tuple[Decimal, Decimal, Decimal, tuple[MonthValue, ...], Decimal | None]:
        """The realized figures only: what ``CampaignResultsChanged`` reports when they move."""
        return (self.realized_cost, self.accepted_revenue, self.invoiced_revenue, self.monthly_return, self.roi)

    def snapshot(self) -> dict[str, Any]:
        """The realized figures as stored to notice when they move (strings keep Decimals exact)."""

        def s(v: Decimal | None) -> str | None:
            return None if v is None else str(v)

        return {
            "realized_cost": s(self.realized_cost),
            "accepted_revenue": s(self.accepted_revenue),
            "invoiced_revenue": s(self.invoiced_revenue),
            "monthly_return": [[m.month, s(m.value)] for m in self.monthly_return],
            "roi": s(self.roi),
        }


def roi(invoiced_revenue: Decimal, cost: Decimal) -> Decimal | None:
    """Return on investment: (invoiced revenue - realized cost) / realized cost, to 4 decimals (half up).

    ``None`` when there is no cost yet (the ratio is undefined).
    """
    if cost <= 0:
        return None
    return ((invoiced_revenue - cost) / cost).quantize(ROI_PLACES, rounding=ROUND_HALF_UP)


def results(
    campaign: Campaign,
    sums: dict[Measure, Decimal],
    returns_by_month: dict[str, Decimal],
    as_of: dt.date | None,
) -> Results:
    """The campaign's figures from the sums of its facts (already limited to ``as_of``).

    The monthly return lists every month of the campaign's validity (``return_months`` months from the
    start month), zero where nothing was invoiced; invoices of months outside it are not listed.
    """

    def money(value: Decimal | None) -> Decimal:
        return (value or ZERO).quantize(CENT, rounding=ROUND_HALF_UP)

    cost = money(sums.get(Measure.COST))
    invoiced = money(sums.get(Measure.INVOICED))
    return Results(
        campaign_id=campaign.id,
        estimated_cost=money(campaign.estimated_cost),
        estimated_revenue=money(campaign.estimated_revenue),
        realized_cost=cost,
        accepted_revenue=money(sums.get(Measure.ACCEPTED)),
        invoiced_revenue=invoiced,
        monthly_return=tuple(MonthValue(m, money(returns_by_month.get(m))) for m in campaign.return_window()),
        roi=roi(invoiced, cost),
        as_of=as_of,
    )


def invoice_month(issued_on: dt.date, period: str | None) -> str:
    """The month an invoice counts in: the contract month it bills when it says so, else its issue month."""
    if period and len(period) == 7 and period[4] == "-" and period[:4].isdigit() and period[5:].isdigit():
        return period
    return month_of(issued_on)


def campaign_of_document(
    source_campaign_id: UUID | None,
    opportunity_campaign_id: UUID | None,
    is_campaign: set[UUID],
) -> tuple[UUID, Via] | None:
    """The campaign a client order or contract belongs to, and how.

    Its own ``source.campaign_id`` wins when it names a campaign we know; otherwise the campaign of the
    opportunity it came from (when that opportunity came from a campaign); otherwise none.
    """
    if source_campaign_id is not None and source_campaign_id in is_campaign:
        return source_campaign_id, Via.DOCUMENT
    if opportunity_campaign_id is not None and opportunity_campaign_id in is_campaign:
        return opportunity_campaign_id, Via.OPPORTUNITY
    return None
