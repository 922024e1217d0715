"""Money rules: Decimal only, VAT per line rounded half-up to two decimals, totals net / VAT / gross."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from crm_kit.errors import Invalid

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_money(value: Decimal) -> Decimal:
    """Round to two decimals, half away from zero (0.005 -> 0.01), as Romanian invoices do."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_decimal(value: object, field: str) -> Decimal:
    """A Decimal from a string or number given by a user.

    Raises:
        Invalid: not a finite decimal number.
    """
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Invalid(
            f"{field} must be a decimal number, got {value!r}", field=field, code="record.not_a_number"
        ) from None
    if not result.is_finite():
        raise Invalid(f"{field} must be a finite decimal number", field=field, code="record.not_a_number")
    return result


def line_amounts(qty: Decimal, price: Decimal, vat_rate: Decimal) -> tuple[Decimal, Decimal]:
    """Net and VAT of one line: net = qty x price, VAT = net x rate / 100, each rounded half-up."""
    net = round_money(qty * price)
    vat = round_money(net * vat_rate / Decimal(100))
    return net, vat


@dataclass(frozen=True)
class Totals:
    """A document's totals: the sum of its lines' net and VAT, and their sum."""

    net: Decimal
    vat: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat

    @classmethod
    def of(cls, amounts: Iterable[tuple[Decimal, Decimal]]) -> Totals:
        net, vat = ZERO, ZERO
        for line_net, line_vat in amounts:
            net += line_net
            vat += line_vat
        return cls(net=round_money(net), vat=round_money(vat))
