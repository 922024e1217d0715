"""The ERP's documents as campaigns keeps them (read models of crm.commercial): costs, orders, contracts, invoices."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID


@dataclass(frozen=True)
class CostDocument:
    """A posted cost document; ``campaign_id`` is the campaign the ERP user added it to, if any."""

    document_id: UUID
    kind: str
    number: str
    date: dt.date
    net: Decimal
    vat: Decimal
    partner_id: UUID | None = None
    campaign_id: UUID | None = None


@dataclass(frozen=True)
class Order:
    """A client order; ``campaign_id`` is the campaign it counts for (set once, by whichever edge sees it first)."""

    order_id: UUID
    partner_id: UUID
    number: str
    issued_on: dt.date
    net: Decimal
    source_campaign_id: UUID | None = None
    source_opportunity_id: UUID | None = None
    campaign_id: UUID | None = None


@dataclass(frozen=True)
class Contract:
    """A signed contract; ``campaign_id`` is the campaign it resulted from (set once)."""

    contract_id: UUID
    partner_id: UUID
    number: str
    kind: str
    issued_on: dt.date
    starts_on: dt.date
    net: Decimal
    ends_on: dt.date | None = None
    monthly_value: Decimal | None = None
    source_campaign_id: UUID | None = None
    source_opportunity_id: UUID | None = None
    campaign_id: UUID | None = None

    @property
    def is_subscription(self) -> bool:
        """A subscription's invoices also count in the campaign's monthly return (M5)."""
        return self.kind == "subscription"


@dataclass(frozen=True)
class Invoice:
    """An issued invoice, on an order or a contract (``period``: the contract month it bills, ``YYYY-MM``)."""

    invoice_id: UUID
    partner_id: UUID
    number: str
    issued_on: dt.date
    net: Decimal
    order_id: UUID | None = None
    contract_id: UUID | None = None
    period: str | None = None
