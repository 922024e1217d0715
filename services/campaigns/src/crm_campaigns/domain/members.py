"""Selecting campaign members (M2): the filter over partner fields and how text is compared."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from crm_kit.errors import Invalid
from crm_kit.search import fold as search_key

PARTNER_KINDS = ("client", "lead", "supplier")
DEFAULT_KINDS = ("client", "lead")
"""Existing (client) and potential (lead) clients; suppliers only when asked for."""


def fold(text: str | None) -> str | None:
    """Text as it is compared: the kit's search key (``Iași`` == ``iasi``); None for no or blank text."""
    if text is None:
        return None
    return search_key(text) or None


def fiscal_digits(code: str | None) -> str | None:
    """A fiscal code (CUI/CIF) compared without its ``RO`` VAT prefix and spaces: ``RO 123`` == ``123``."""
    if code is None:
        return None
    text = "".join(code.split()).upper()
    if text.startswith("RO"):
        text = text[2:]
    return text or None


@dataclass(frozen=True)
class MemberFilter:
    """Which partners to select: every given criterion must hold (AND).

    An empty filter selects every client and lead.
    Text criteria ignore case and diacritics; ``name`` matches a part of the name, the others the whole
    value; ``fiscal_code`` ignores the ``RO`` prefix. Ranges are inclusive. A partner with no turnover
    (or no employee count) never matches a turnover (employees) range.
    """

    name: str | None = None
    fiscal_code: str | None = None
    locality: str | None = None
    county: str | None = None
    activity_domain: str | None = None
    turnover_min: Decimal | None = None
    turnover_max: Decimal | None = None
    employees_min: int | None = None
    employees_max: int | None = None
    kinds: tuple[str, ...] = field(default=DEFAULT_KINDS)

    def __post_init__(self) -> None:
        if not self.kinds:
            raise Invalid("choose at least one partner kind", field="kinds", code="campaign.kinds_missing")
        bad = sorted(set(self.kinds) - set(PARTNER_KINDS))
        if bad:
            raise Invalid(f"unknown partner kind: {', '.join(bad)}", field="kinds", code="record.choose_from_list")
        for low, high, label in (
            (self.turnover_min, self.turnover_max, "turnover"),
            (self.employees_min, self.employees_max, "employees"),
        ):
            if low is not None and low < 0:
                raise Invalid(f"{label}_min cannot be negative", field=f"{label}_min", code="record.not_negative")
            if low is not None and high is not None and low > high:
                raise Invalid(f"{label}_min is above {label}_max", field=f"{label}_min", code="campaign.min_above_max")
        for name in ("turnover_min", "turnover_max"):
            value = getattr(self, name)
            if value is not None and not value.is_finite():
                raise Invalid(f"{name} must be a number", field=name, code="record.not_a_number")

    @property
    def folded_name(self) -> str | None:
        return fold(self.name)

    @property
    def folded_locality(self) -> str | None:
        return fold(self.locality)

    @property
    def folded_county(self) -> str | None:
        return fold(self.county)

    @property
    def folded_domain(self) -> str | None:
        return fold(self.activity_domain)

    @property
    def fiscal(self) -> str | None:
        return fiscal_digits(self.fiscal_code)


@dataclass(frozen=True)
class Partner:
    """A partner as the partner directory last published it (what member filters look at)."""

    partner_id: UUID
    kind: str
    name: str
    fiscal_code: str | None = None
    locality: str | None = None
    county: str | None = None
    turnover: Decimal | None = None
    employees: int | None = None
    activity_domain: str | None = None


@dataclass(frozen=True)
class MatchCount:
    """How many partners a filter selects, and how many of them are members already."""

    matching: int
    already_members: int

    @property
    def would_add(self) -> int:
        return self.matching - self.already_members


@dataclass(frozen=True)
class Member:
    """A campaign member, its partner's details and the opportunity generated for it, if any.

    The details are None until the partner directory publishes the partner.
    """

    partner_id: UUID
    added_at: dt.datetime
    kind: str | None = None
    name: str | None = None
    fiscal_code: str | None = None
    locality: str | None = None
    county: str | None = None
    turnover: Decimal | None = None
    employees: int | None = None
    activity_domain: str | None = None
    requested_at: dt.datetime | None = None
    opportunity_id: UUID | None = None


def check_known(unknown: list[UUID]) -> None:
    """Refuse to add partners the directory has not published (yet).

    Raises:
        Invalid: some ids name no partner (the first 50 are listed).
    """
    if unknown:
        raise Invalid(
            f"{len(unknown)} partner id(s) are not in the partner directory (yet)",
            code="campaign.partners_unknown",
            params={"count": len(unknown)},
            unknown=[str(u) for u in unknown[:50]],
        )
