"""Articles, the VAT rates catalogue and the article picker scope (C5)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from crm_commercial.domain.text import Search, fold, starts_words
from crm_kit.errors import Conflict, Invalid

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,39}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

Scope = Literal["all", "list"]


@dataclass(frozen=True)
class VatRate:
    """One rate of the catalogue (e.g. standard 21%, reduced 11%, zero 0%)."""

    code: str
    rate: Decimal
    name: str
    active: bool = True


@dataclass(frozen=True)
class Article:
    """An article of the catalogue (nomenclator articole)."""

    code: str
    name: str
    unit: str
    price: Decimal
    vat_rate: Decimal
    photos: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArticleScope:
    """Which articles generated documents may pick (C5): all, or a chosen list."""

    scope: Scope = "all"
    article_codes: frozenset[str] = field(default_factory=frozenset)

    def allows(self, code: str) -> bool:
        """Whether a generated document may pick the article ``code``."""
        return self.scope == "all" or code in self.article_codes

    def picker_codes(self) -> frozenset[str] | None:
        """The codes the article picker offers: the chosen list, or None for every article."""
        return self.article_codes if self.scope == "list" else None


def article_matches(article: Article, q: Search) -> bool:
    """Whether a picker offers the article for ``q``: its code starts with the query, or its name has each word."""
    return article.code.lower().startswith(q.text) or starts_words(fold(article.name), q.words)


def validate_article(article: Article, rates: Iterable[VatRate]) -> Article:
    """Check an article against the rules and the VAT catalogue; returns it with a normalised price.

    Raises:
        Invalid: bad code, empty name or unit, negative price, a VAT rate not in the catalogue, a bad photo address.
    """
    if not _CODE.match(article.code):
        raise Invalid("article code: 1-40 letters, digits, '.', '_' or '-'", field="code", code="article.code_format")
    if not article.name.strip():
        raise Invalid("the article needs a name", field="name", code="article.name_missing")
    if not article.unit.strip():
        raise Invalid("the article needs a unit of measure", field="unit", code="article.unit_missing")
    if article.price < 0:
        raise Invalid("the price cannot be negative", field="price", code="record.not_negative")
    active = sorted({r.rate for r in rates if r.active})
    if article.vat_rate not in active:
        allowed = ", ".join(f"{r.normalize():f}" for r in active)
        raise Invalid(
            f"VAT rate {article.vat_rate.normalize():f}% is not in the catalogue ({allowed})",
            field="vat_rate",
            code="article.vat_rate_unknown",
            params={"rate": f"{article.vat_rate.normalize():f}", "allowed": allowed},
        )
    for photo in article.photos:
        if not _SHA256.match(photo):
            raise Invalid(
                "a photo is a blob address: 64 lowercase hex digits (sha256)",
                field="photos",
                code="article.photo_invalid",
            )
    return article


def validate_scope(scope: ArticleScope, known_codes: Iterable[str]) -> ArticleScope:
    """Check a picker scope: a list scope names only known articles.

    Raises:
        Invalid: an unknown scope or unknown article codes.
    """
    if scope.scope not in ("all", "list"):
        raise Invalid(
            "scope is 'all' or 'list'", field="scope", code="record.choose_from_list", params={"value": scope.scope}
        )
    unknown = sorted(scope.article_codes - set(known_codes))
    if unknown:
        raise Invalid(
            f"unknown articles in the picker list: {', '.join(unknown)}",
            field="article_codes",
            code="article.unknown",
            params={"codes": ", ".join(unknown)},
        )
    return scope


def check_vat_rate(rate: VatRate, catalogue: Iterable[VatRate], articles_using: int) -> VatRate:
    """Check a rate to add or change: a percentage, named, not a second code for the same percentage.

    Args:
        rate: the rate as asked for.
        catalogue: the rates already in the catalogue.
        articles_using: how many articles use ``rate.rate`` (a rate in use cannot be retired).

    Raises:
        Invalid: not a percentage from 0 to 99.99, or without a code or a name.
        Conflict: the percentage is already another code's, or articles still use a rate being retired.
    """
    if rate.rate < 0 or rate.rate >= 100:
        raise Invalid("a VAT rate is a percentage from 0 to 99.99", field="rate", code="vat_rate.range")
    if not rate.code.strip() or not rate.name.strip():
        raise Invalid("a VAT rate needs a code and a name", field="code", code="vat_rate.code_or_name_missing")
    same = [r for r in catalogue if r.rate == rate.rate and r.code != rate.code]
    percent = f"{rate.rate.normalize():f}"
    if same:
        raise Conflict(
            f"the rate {rate.rate}% is already in the catalogue as {same[0].code}",
            code="vat_rate.taken",
            params={"rate": percent, "code": same[0].code},
        )
    if not rate.active and articles_using:
        raise Conflict(
            f"articles still use {rate.rate}%: change them before retiring the rate",
            code="vat_rate.in_use",
            params={"rate": percent, "articles": articles_using},
        )
    return rate
