"""Documents generated from an opportunity (O4, O5): offers, client orders, contracts, and offer decisions."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Final, Literal, get_args
from uuid import UUID

from crm_kit.errors import Conflict, Invalid
from crm_opportunities.domain.stages import Stage, can_move

DocumentKind = Literal["offer", "order", "contract"]
DOCUMENT_KINDS: Final[tuple[DocumentKind, ...]] = get_args(DocumentKind)

OfferDecision = Literal["open", "accepted", "rejected"]
AcceptThen = Literal["order", "contract", "both"]

DOCUMENT_STAGE: Final[dict[DocumentKind, Stage]] = {"offer": "offer", "order": "negotiation", "contract": "negotiation"}
"""The stage at which each document is generated (O4): the offer at 'offer', orders and contracts at 'negotiation'."""

LATER_OPEN: Final[dict[Stage, tuple[Stage, ...]]] = {"offer": ("negotiation",), "negotiation": ()}
"""Open stages past a document's own stage where it may still be generated (a new offer while negotiating)."""

MAX_QTY: Final = Decimal("1e9")
MAX_PRICE: Final = Decimal("1e12")
"""Bounds that keep every line value exact at two decimals."""

NAMES: Final[dict[DocumentKind, str]] = {"offer": "an offer", "order": "a client order", "contract": "a contract"}


@dataclass(frozen=True)
class Article:
    """An article of the catalogue, as commercial last published it (the picker's scope, C5)."""

    code: str
    name: str
    unit: str
    price: Decimal
    vat_rate: Decimal


@dataclass(frozen=True)
class Line:
    """A requested document line: an article, a quantity, and a price (null = the article's list price)."""

    article_code: str
    qty: Decimal
    price: Decimal | None = None
    description: str | None = None
    unit: str | None = None
    vat_rate: Decimal | None = None

    @property
    def net(self) -> Decimal | None:
        return None if self.price is None else (self.qty * self.price).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Document:
    """A document asked of commercial for an opportunity, and what commercial issued for it."""

    id: UUID
    opportunity_id: UUID
    kind: DocumentKind
    request_id: UUID | None
    requested_at: datetime
    requested_by: str | None
    lines: tuple[Line, ...]
    document_id: UUID | None = None
    number: str | None = None
    issued_on: date | None = None
    net: Decimal | None = None
    vat: Decimal | None = None
    gross: Decimal | None = None
    currency: str = "RON"
    printout_sha256: str | None = None
    valid_until: date | None = None
    from_offer_id: UUID | None = None
    decision: OfferDecision | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason_code: str | None = None
    note: str | None = None
    refusal: str | None = None

    @property
    def issued(self) -> bool:
        return self.document_id is not None

    @property
    def status(self) -> str:
        """requested, issued, or refused (commercial could not issue it as asked)."""
        if self.issued:
            return "issued"
        return "refused" if self.refusal else "requested"


def target_stage(current: Stage, kind: DocumentKind) -> Stage | None:
    """The stage an opportunity moves to when a document is generated (None: it stays).

    Raises:
        Conflict: the document is not generated at the current stage.
    """
    wanted = DOCUMENT_STAGE[kind]
    if current == wanted or current in LATER_OPEN.get(wanted, ()):
        return None
    if can_move(current, wanted):
        return wanted
    closed = current in ("sale", "lost")
    raise Conflict(
        f"{NAMES[kind]} is generated at the '{wanted}' stage; the opportunity is at '{current}'"
        + (" and closed" if closed else ": move it forward first"),
        stage=current,
        document=kind,
        code="opportunity.closed_to_documents" if closed else "opportunity.document_needs_stage",
        # A param named "stage" is shown by its name in the user's language: the closed stage, or the one to reach.
        params={"document_kind": kind, "stage": current}
        if closed
        else {"document_kind": kind, "stage": wanted, "current": current},
    )


def check_lines(lines: list[Line], catalogue: dict[str, Article]) -> tuple[Line, ...]:
    """Lines that name catalogue articles with positive quantities, completed from the catalogue.

    Raises:
        Invalid: no lines, an unknown article, a bad quantity or price.
    """
    if not lines:
        raise Invalid(
            "a document needs at least one line (article_code, qty)", field="lines", code="document.lines_missing"
        )
    if len(lines) > 500:
        raise Invalid(
            "a document has at most 500 lines", field="lines", code="document.too_many_lines", params={"limit": 500}
        )
    checked = []
    for n, line in enumerate(lines, start=1):
        article = catalogue.get(line.article_code)
        if article is None:
            raise Invalid(
                f"line {n}: the article '{line.article_code}' is not in the article catalogue",
                field="lines",
                line=n,
                code="document.line_article_unknown",
                params={"line": n, "code": line.article_code},
            )
        if not line.qty.is_finite() or line.qty <= 0:
            raise Invalid(
                f"line {n}: the quantity must be greater than zero",
                field="lines",
                line=n,
                code="document.line_qty_not_positive",
                params={"line": n, "qty": str(line.qty)},
            )
        if line.qty >= MAX_QTY:
            raise Invalid(
                f"line {n}: the quantity is too large",
                field="lines",
                line=n,
                code="document.line_qty_too_large",
                params={"line": n},
            )
        if line.price is not None and (not line.price.is_finite() or line.price < 0):
            raise Invalid(
                f"line {n}: the price cannot be negative",
                field="lines",
                line=n,
                code="document.line_price_negative",
                params={"line": n, "price": str(line.price)},
            )
        if line.price is not None and line.price >= MAX_PRICE:
            raise Invalid(
                f"line {n}: the price is too large",
                field="lines",
                line=n,
                code="document.line_price_too_large",
                params={"line": n},
            )
        checked.append(
            replace(
                line,
                description=line.description or article.name,
                unit=article.unit,
                vat_rate=article.vat_rate,
                price=line.price if line.price is not None else article.price,
            )
        )
    return tuple(checked)


def decide_offer(
    offer: Document,
    decision: Literal["accepted", "rejected"],
    *,
    by: str | None,
    now: datetime,
    reason_code: str | None = None,
    note: str | None = None,
) -> Document:
    """The offer marked accepted or rejected; each offer is decided once.

    Raises:
        Conflict: not an offer, not issued yet, or already decided.
    """
    if offer.kind != "offer":
        raise Conflict(
            "only offers are accepted or rejected", code="offer.not_an_offer", params={"number": offer.number or ""}
        )
    if not offer.issued:
        raise Conflict("the offer has not been issued by commercial yet", code="offer.not_issued_yet")
    if offer.decision in ("accepted", "rejected"):
        raise already_decided(offer.number, offer.decision, offer.decided_at, offer.decided_by)
    return replace(
        offer,
        decision=decision,
        decided_at=now,
        decided_by=by,
        reason_code=reason_code,
        note=(note or "").strip() or None,
    )


def already_decided(number: str | None, decision: str | None, at: datetime | None, by: str | None) -> Conflict:
    """What a request that lost the race to decide an offer is told: what happened, when and by whom."""
    text = f"the offer {number} was already {decision}"
    when = ""
    if at is not None:
        when = f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        text += f" at {when}"
    if by:
        text += f" by {by}"
    params: dict[str, object] = {"number": number or "", "offer_decision": decision or ""}
    if when and by:
        params |= {"at": when, "by": by}
        return Conflict(text, code="offer.already_decided_by", params=params, decision=decision)
    return Conflict(text, code="offer.already_decided", params=params, decision=decision)


@dataclass(frozen=True)
class ContractTerms:
    """What a contract request says besides its lines."""

    kind: Literal["subscription", "commercial"]
    starts_on: date
    months: int | None = None
    monthly_value: Decimal | None = None

    def __post_init__(self) -> None:
        if self.months is not None and not 1 <= self.months <= 600:
            raise Invalid(
                "a contract runs between 1 and 600 months",
                field="months",
                code="contract.months_range",
                params={"limit": 600},
            )
        if self.monthly_value is not None and (not self.monthly_value.is_finite() or self.monthly_value < 0):
            raise Invalid(
                "the monthly value cannot be negative", field="monthly_value", code="contract.monthly_value_negative"
            )
        if self.monthly_value is not None and self.monthly_value >= MAX_PRICE:
            raise Invalid(
                "the monthly value is too large", field="monthly_value", code="contract.monthly_value_too_large"
            )
        if self.kind == "subscription" and self.months is None:
            raise Invalid(
                "a subscription contract needs its duration in months", field="months", code="contract.months_missing"
            )


@dataclass(frozen=True)
class TermsRequest:
    """Contract terms as a user asks for them: a commercial contract starting on the day asked, unless told."""

    kind: Literal["subscription", "commercial"] = "commercial"
    starts_on: date | None = None
    months: int | None = None
    monthly_value: Decimal | None = None

    def on(self, today: date) -> ContractTerms:
        """The terms, checked, for a request made ``today``.

        Raises:
            Invalid: see ``ContractTerms``.
        """
        return ContractTerms(
            kind=self.kind, starts_on=self.starts_on or today, months=self.months, monthly_value=self.monthly_value
        )
