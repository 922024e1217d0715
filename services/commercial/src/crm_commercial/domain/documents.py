"""Documents: lines priced from articles, totals, numbering series, contract terms, offer decisions, balances."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Literal

from crm_commercial.domain.articles import Article, ArticleScope
from crm_commercial.domain.money import Totals, line_amounts, round_money
from crm_commercial.domain.text import Search, fold, starts_words
from crm_kit.errors import Conflict, Invalid

DocType = Literal["offer", "order", "contract", "invoice", "cost", "payment"]
ContractKind = Literal["subscription", "commercial"]
CostKind = Literal[
    "purchase_invoice", "purchase_receipt", "expense_report", "payroll_note", "internal_consumption", "treasury"
]
COST_KINDS: tuple[str, ...] = (
    "purchase_invoice",
    "purchase_receipt",
    "expense_report",
    "payroll_note",
    "internal_consumption",
    "treasury",
)

SERIES: Mapping[str, str] = {
    "offer": "OF",
    "order": "CMD",
    "contract": "CTR",
    "invoice": "FCT",
    "payment": "INC",
    "cost": "CH",
}
"""The numbering series of each document type: ``OF-2026-000123``."""

RENDERED_IN_SERIES_LOCK: tuple[str, ...] = ("offer", "order", "contract", "payment")
"""Documents whose facts carry their printout; an invoice's follows in InvoicePrintoutReady."""
IssuedType = Literal["offer", "order", "contract", "invoice"]

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_QTY = Decimal("1000000000")
QTY_STEP = Decimal("0.0001")
MAX_MONEY = Decimal("1000000000000")


def document_number(doc_type: str, year: int, sequence: int) -> str:
    """The number of the ``sequence``-th document of a type in a year."""
    return f"{SERIES[doc_type]}-{year}-{sequence:06d}"


@dataclass(frozen=True)
class Source:
    """Where a document came from (it is published with it)."""

    opportunity_id: str | None = None
    task_id: str | None = None
    campaign_id: str | None = None
    offer_id: str | None = None


@dataclass(frozen=True)
class LineRequest:
    """A line as asked for: an article, a quantity, and optionally a price other than the list price."""

    article_code: str
    qty: Decimal
    price: Decimal | None = None
    description: str | None = None


@dataclass(frozen=True)
class DocumentRequest:
    """What it takes to issue an offer, order, contract or invoice (from a user or another context)."""

    doc_type: IssuedType
    partner_id: str
    lines: tuple[LineRequest, ...]
    source: Source = field(default_factory=Source)
    request_id: str | None = None
    valid_until: date | None = None
    kind: str | None = None
    starts_on: date | None = None
    months: int | None = None
    monthly_value: Decimal | None = None
    task_id: str | None = None
    apply_scope: bool = True


@dataclass(frozen=True)
class Line:
    """A priced line: VAT rate from the article, net and VAT rounded half-up."""

    line_id: str
    article_code: str
    description: str
    unit: str
    qty: Decimal
    price: Decimal
    vat_rate: Decimal
    net: Decimal
    vat: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


def line_matches(line: Line, q: Search) -> bool:
    """Whether a contract line picker offers ``line`` for ``q`` (a blank query offers every line).

    Its article code starts with the query, or its description has each word's start.
    """
    return q.blank or line.article_code.lower().startswith(q.text) or starts_words(fold(line.description), q.words)


def price_lines(
    requests: Sequence[LineRequest],
    articles: Mapping[str, Article],
    scope: ArticleScope,
    new_line_id: Callable[[], str],
) -> list[Line]:
    """Price requested lines from the article catalogue.

    Raises:
        Invalid: no lines, an unknown article or one outside the picker scope (C5), a quantity that is not
            positive, a negative price.
    """
    if not requests:
        raise Invalid("a document needs at least one line", field="lines", code="document.lines_missing")
    lines: list[Line] = []
    for n, req in enumerate(requests, start=1):
        article = articles.get(req.article_code)
        if article is None:
            raise Invalid(
                f"line {n}: unknown article {req.article_code!r}",
                field="lines",
                line=n,
                code="document.line_article_unknown",
                params={"line": n, "code": req.article_code},
            )
        if not scope.allows(article.code):
            raise Invalid(
                f"line {n}: article {article.code!r} is not in the article picker list (C5 setting)",
                code="article.not_in_picker_list",
                params={"code": article.code, "line": n},
                field="lines",
                line=n,
            )
        if req.qty <= 0:
            raise Invalid(
                f"line {n}: the quantity must be positive, got {req.qty}",
                field="lines",
                line=n,
                code="document.line_qty_not_positive",
                params={"line": n, "qty": str(req.qty)},
            )
        if req.qty != req.qty.quantize(QTY_STEP):
            raise Invalid(
                f"line {n}: the quantity has more than four decimals",
                field="lines",
                line=n,
                code="document.line_qty_decimals",
                params={"line": n},
            )
        if req.qty > MAX_QTY:
            raise Invalid(
                f"line {n}: the quantity is too large",
                field="lines",
                line=n,
                code="document.line_qty_too_large",
                params={"line": n},
            )
        price = article.price if req.price is None else req.price
        if price < 0:
            raise Invalid(
                f"line {n}: the price cannot be negative, got {price}",
                field="lines",
                line=n,
                code="document.line_price_negative",
                params={"line": n, "price": str(price)},
            )
        if price > MAX_MONEY:
            raise Invalid(
                f"line {n}: the price is too large",
                field="lines",
                line=n,
                code="document.line_price_too_large",
                params={"line": n},
            )
        price = round_money(price)
        net, vat = line_amounts(req.qty, price, article.vat_rate)
        lines.append(
            Line(
                line_id=new_line_id(),
                article_code=article.code,
                description=(req.description or article.name).strip() or article.name,
                unit=article.unit,
                qty=req.qty,
                price=price,
                vat_rate=article.vat_rate,
                net=net,
                vat=vat,
            )
        )
    return lines


def totals(lines: Sequence[Line]) -> Totals:
    """The document's totals from its lines."""
    return Totals.of((line.net, line.vat) for line in lines)


@dataclass(frozen=True)
class Document:
    """An issued document of any type, as the store keeps it."""

    id: str
    type: str
    number: str
    partner_id: str | None
    issued_on: date
    lines: tuple[Line, ...]
    net: Decimal
    vat: Decimal
    currency: str
    status: str = "issued"
    source: Source = field(default_factory=Source)
    request_id: str | None = None
    printout_sha256: str | None = None
    kind: str | None = None
    valid_until: date | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    ended_on: date | None = None
    months: int | None = None
    monthly_value: Decimal | None = None
    order_id: str | None = None
    contract_id: str | None = None
    task_id: str | None = None
    invoice_id: str | None = None
    period: str | None = None
    reason_code: str | None = None
    note: str | None = None
    external_number: str | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat

    def is_active_on(self, day: date) -> bool:
        """A contract is active from its first to its last day, unless it ended earlier."""
        if self.type != "contract" or self.starts_on is None or day < self.starts_on:
            return False
        last = self.ended_on or self.ends_on
        return last is None or day <= last

    def covers(self, article_code: str) -> bool:
        """Whether one of the contract's lines is the article (T7: the requested service)."""
        return any(line.article_code == article_code for line in self.lines)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (clamped to the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ContractTerms:
    """A contract's kind, first and last day, months and monthly value."""

    kind: ContractKind
    starts_on: date
    ends_on: date | None
    months: int | None
    monthly_value: Decimal | None


def contract_terms(
    kind: str, starts_on: date, months: int | None, monthly_value: Decimal | None, lines: Sequence[Line]
) -> ContractTerms:
    """The terms of a new contract: a subscription runs whole months and bills its lines' net each month.

    Raises:
        Invalid: an unknown kind, a subscription without months, months out of range, a negative monthly value.
    """
    if kind not in ("subscription", "commercial"):
        raise Invalid(
            "a contract is 'subscription' or 'commercial'",
            field="kind",
            code="contract.kind_unknown",
            params={"kind": kind},
        )
    if months is not None and not 1 <= months <= 600:
        raise Invalid(
            "months must be between 1 and 600", field="months", code="contract.months_range", params={"limit": 600}
        )
    if kind == "subscription" and months is None:
        raise Invalid(
            "a subscription contract needs its duration in months", field="months", code="contract.months_missing"
        )
    if monthly_value is not None and monthly_value < 0:
        raise Invalid(
            "the monthly value cannot be negative", field="monthly_value", code="contract.monthly_value_negative"
        )
    ends_on = add_months(starts_on, months) - timedelta(days=1) if months else None
    if kind == "subscription" and monthly_value is None:
        monthly_value = totals(lines).net
    return ContractTerms(
        kind="subscription" if kind == "subscription" else "commercial",
        starts_on=starts_on,
        ends_on=ends_on,
        months=months,
        monthly_value=round_money(monthly_value) if monthly_value is not None else None,
    )


def parse_period(period: str) -> tuple[date, date]:
    """The first and last day of a ``YYYY-MM`` month.

    Raises:
        Invalid: not a ``YYYY-MM`` month.
    """
    match = _PERIOD.match(period)
    if not match:
        raise Invalid(
            "period is a month written YYYY-MM, e.g. 2026-03",
            field="period",
            code="record.not_a_month",
            params={"month": period},
        )
    year, month = int(match.group(1)), int(match.group(2))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def check_contract_month(contract: Document, period: str) -> None:
    """A contract month may be invoiced when the contract is in force during that month.

    Raises:
        Invalid: a bad period, or a month outside the contract.
        Conflict: the contract is not a contract.
    """
    first, last = parse_period(period)
    if contract.type != "contract" or contract.starts_on is None:
        raise Conflict("only a contract can be invoiced by month", code="invoice.not_a_contract")
    end = contract.ended_on or contract.ends_on
    if last < contract.starts_on or (end is not None and first > end):
        raise Invalid(
            f"{period} is outside contract {contract.number} ({contract.starts_on} - {end or 'open-ended'})",
            field="period",
            code="invoice.month_outside_contract",
            params={
                "month": period,
                "number": contract.number,
                "starts_on": contract.starts_on.isoformat(),
                "ends_on": end.isoformat() if end is not None else "…",
            },
        )


def contract_month_lines(contract: Document, new_line_id: Callable[[], str]) -> list[Line]:
    """The lines billed for one month of a contract: its lines, each a fresh invoice line."""
    if not contract.lines:
        raise Conflict(
            f"contract {contract.number} has no lines to invoice",
            code="invoice.contract_without_lines",
            params={"number": contract.number},
        )
    return [replace(line, line_id=new_line_id()) for line in contract.lines]


def copy_lines(doc: Document, new_line_id: Callable[[], str]) -> list[Line]:
    """Another document's lines, each with a new id (an invoice from an order, an order from an offer)."""
    return [replace(line, line_id=new_line_id()) for line in doc.lines]


def decide_offer(offer: Document, decision: Literal["accepted", "rejected"], tz: tzinfo | None = None) -> str:
    """The offer's new status; ``tz`` is the zone the loser is told the time of the first decision in.

    Raises:
        Conflict: not an offer, or already accepted or rejected.
    """
    if offer.type != "offer":
        raise Conflict(f"{offer.number} is not an offer", code="offer.not_an_offer", params={"number": offer.number})
    if offer.status != "issued":
        raise already_decided(offer.number, offer.status, offer.decided_at, offer.decided_by, tz)
    return decision


@dataclass(frozen=True)
class OfferDecision:
    """What deciding an offer writes: the new status, when and by whom, and a rejection's reason."""

    status: str
    decided_at: datetime | None
    decided_by: str | None
    reason_code: str | None = None
    note: str | None = None


def offer_valid_until(requested: date | None, today: date, default_days: int) -> date:
    """The last day an offer issued ``today`` is valid: as requested, else ``default_days`` later.

    Raises:
        Invalid: the requested day is before the issue.
    """
    valid_until = requested or today + timedelta(days=default_days)
    if valid_until < today:
        raise Invalid("an offer cannot expire before it is issued", field="valid_until", code="offer.valid_until_past")
    return valid_until


def check_reason_code(reason_code: str) -> str:
    """A rejection's reason code, which must be given.

    Raises:
        Invalid: an empty reason code.
    """
    if not reason_code.strip():
        raise Invalid(
            "a rejected offer needs a reason code (CRM > Nomenclatoare > Motive)",
            field="reason_code",
            code="offer.reason_missing",
        )
    return reason_code


def already_decided(
    number: str, status: str, at: datetime | None, by: str | None, tz: tzinfo | None = None
) -> Conflict:
    """What a request that lost the race to decide an offer is told: what happened, when and by whom."""
    text = f"{number} was already {status}"
    when = ""
    if at is not None:
        when = f"{at.astimezone(tz):%Y-%m-%d %H:%M}"
        text += f" at {when}"
    if by:
        text += f" by {by}"
    params: dict[str, object] = {"number": number, "offer_decision": status}
    if when and by:
        # Who decided first, and when, is what the loser needs; an offer accepted by an order has neither.
        params |= {"at": when, "by": by}
        return Conflict(text, code="offer.already_decided_by", params=params, status=status)
    return Conflict(text, code="offer.already_decided", params=params, status=status)


def check_end(contract: Document, ended_on: date) -> None:
    """A contract can be ended once, on a day not before its start.

    Raises:
        Conflict: not a contract, or already ended.
        Invalid: the end is before the start.
    """
    if contract.type != "contract":
        raise Conflict(
            f"{contract.number} is not a contract", code="contract.not_a_contract", params={"number": contract.number}
        )
    if contract.status == "ended":
        raise already_ended(contract.number, contract.ended_on)
    if contract.starts_on is not None and ended_on < contract.starts_on:
        raise Invalid("a contract cannot end before it starts", field="ended_on", code="contract.ends_before_start")


def already_ended(number: str, ended_on: date | None) -> Conflict:
    """What a request that lost the race to end a contract is told."""
    return Conflict(
        f"contract {number} already ended on {ended_on}",
        code="contract.already_ended",
        params={"number": number, "ended_on": ended_on.isoformat() if ended_on else ""},
    )


def check_cost(kind: str, partner_id: str | None, number: str) -> str:
    """Check a cost document's kind, supplier and number; the number as recorded (trimmed).

    Raises:
        Invalid: an unknown kind, a purchase without its supplier, a number not 1-60 characters.
    """
    if kind not in COST_KINDS:
        raise Invalid(
            f"kind is one of {', '.join(COST_KINDS)}",
            field="kind",
            code="record.choose_from_list",
            params={"value": kind},
        )
    if kind in ("purchase_invoice", "purchase_receipt") and not partner_id:
        raise Invalid(
            "a purchase document needs its supplier (partner_id)", field="partner_id", code="document.supplier_missing"
        )
    number = number.strip()
    if not number or len(number) > 60:
        raise Invalid("the document number is 1-60 characters", field="number", code="document.number_length")
    return number


def check_paid_invoice(invoice: Document | None, invoice_id: str, partner_id: str) -> Document:
    """The invoice a payment names: an invoice of the paying partner.

    Raises:
        Invalid: not a known invoice, or another partner's.
    """
    if invoice is None or invoice.type != "invoice":
        raise Invalid(
            f"unknown invoice {invoice_id}",
            field="invoice_id",
            code="invoice.unknown",
            params={"invoice_id": invoice_id},
        )
    if invoice.partner_id != partner_id:
        raise Invalid(
            f"invoice {invoice.number} belongs to another partner",
            field="invoice_id",
            code="invoice.other_partner",
            params={"number": invoice.number},
        )
    return invoice


def check_not_invoiced(order: Document, invoice: Document | None) -> None:
    """An order is invoiced once.

    Raises:
        Conflict: ``invoice`` already bills the order (its id travels with the error).
    """
    if invoice is not None:
        raise Conflict(
            f"order {order.number} was already invoiced by {invoice.number}",
            invoice_id=invoice.id,
            code="order.already_invoiced",
            params={"number": order.number, "invoice": invoice.number},
        )


def check_month_not_invoiced(contract: Document, period: str, invoice: Document | None) -> None:
    """A contract's month is invoiced once.

    Raises:
        Conflict: ``invoice`` already bills that month (its id travels with the error).
    """
    if invoice is not None:
        raise Conflict(
            f"{period} of contract {contract.number} was already invoiced by {invoice.number}",
            invoice_id=invoice.id,
            code="invoice.month_already_invoiced",
            params={"month": period, "number": contract.number, "invoice": invoice.number},
        )


def check_not_posted(duplicate: Document | None) -> None:
    """A supplier's cost document is posted once.

    Raises:
        Conflict: the same kind, supplier and number is already posted as ``duplicate``.
    """
    if duplicate is not None:
        raise Conflict(
            f"this cost document is already posted as {duplicate.number}",
            document_id=duplicate.id,
            code="document.already_posted",
            params={"number": duplicate.number},
        )


InvoiceBasis = Literal["order", "contract", "lines"]


def invoice_basis(*, order_id: object, contract_id: object, partner_id: object, period: str | None) -> InvoiceBasis:
    """What an invoice is issued from: an order, a contract's month, or its own lines for a partner.

    Raises:
        Invalid: not exactly one of them, or a contract without the month billed.
    """
    if sum(bool(x) for x in (order_id, contract_id, partner_id)) != 1:
        raise Invalid(
            "give exactly one of order_id, contract_id (with period), or partner_id (with lines)",
            code="invoice.basis_ambiguous",
        )
    if order_id:
        return "order"
    if contract_id:
        if not period:
            raise Invalid(
                "an invoice from a contract needs the month billed (period, YYYY-MM)",
                field="period",
                code="invoice.month_missing",
            )
        return "contract"
    return "lines"


def check_amount(amount: Decimal, field_name: str, *, positive: bool) -> Decimal:
    """A money amount from a user, rounded to cents.

    Raises:
        Invalid: negative (or zero when ``positive``), too large, or with more than two decimals.
    """
    if amount < 0 or (positive and amount == 0):
        raise Invalid(
            f"{field_name} must be {'positive' if positive else 'zero or more'}",
            field=field_name,
            code="record.not_positive" if positive else "record.not_negative",
        )
    if amount > MAX_MONEY:
        raise Invalid(f"{field_name} is too large", field=field_name, code="record.too_large")
    if round_money(amount) != amount:
        raise Invalid(f"{field_name} has more than two decimals", field=field_name, code="record.two_decimals")
    return round_money(amount)


def new_balance(balance: Decimal, *, invoiced: Decimal = Decimal(0), paid: Decimal = Decimal(0)) -> Decimal:
    """Balance = invoices gross - payments (positive: the client owes)."""
    return round_money(balance + invoiced - paid)
