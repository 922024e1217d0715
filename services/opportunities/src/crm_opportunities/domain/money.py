"""Money and percentages: Decimal with two decimals, rounded half up like the ERP."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    """An amount rounded to cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def weighted(potential: Decimal, weight: Decimal) -> Decimal:
    """The potential allocated to a stage of the given weight (percent)."""
    return money(potential * weight / Decimal(100))
