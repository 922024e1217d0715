"""VAT per line rounded half-up, totals, numbering, contract terms and offer decisions (pure domain)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

import pytest

from crm_commercial.domain import documents as d
from crm_commercial.domain.articles import Article, ArticleScope, VatRate, validate_article
from crm_kit.errors import Conflict, Invalid

D = Decimal
ARTICLES = {
    "A21": Article("A21", "Licență anuală", "buc", D("0.50"), D("21")),
    "B11": Article("B11", "Carte tehnică", "buc", D("1.50"), D("11")),
    "Z0": Article("Z0", "Export servicii", "ora", D("100.00"), D("0")),
}
ids = (str(n) for n in count())


def price(*lines: d.LineRequest, scope: ArticleScope | None = None) -> list[d.Line]:
    return d.price_lines(lines, ARTICLES, scope or ArticleScope(), lambda: next(ids))


def test_vat_is_rounded_half_up_per_line_not_bankers_rounding() -> None:
    (a,) = price(d.LineRequest("A21", D(1)))
    (b,) = price(d.LineRequest("B11", D(1)))
    assert (a.net, a.vat) == (D("0.50"), D("0.11"))  # 0.105 -> 0.11 (banker's would say 0.10)
    assert (b.net, b.vat) == (D("1.50"), D("0.17"))  # 0.165 -> 0.17 (banker's would say 0.16)


def test_totals_add_the_lines_vat_rather_than_taxing_the_total() -> None:
    lines = price(*(d.LineRequest("A21", D(1)) for _ in range(3)))
    totals = d.totals(lines)
    assert (totals.net, totals.vat, totals.gross) == (D("1.50"), D("0.33"), D("1.83"))  # not 0.315 -> 0.32


def test_a_worked_invoice_with_three_rates_and_a_negotiated_price() -> None:
    lines = price(
        d.LineRequest("A21", D("3"), price=D("33.33")),
        d.LineRequest("B11", D("2.5")),
        d.LineRequest("Z0", D("1.25")),
    )
    assert [(x.net, x.vat) for x in lines] == [
        (D("99.99"), D("21.00")),  # 20.9979
        (D("3.75"), D("0.41")),  # 0.4125
        (D("125.00"), D("0.00")),
    ]
    totals = d.totals(lines)
    assert (totals.net, totals.vat, totals.gross) == (D("228.74"), D("21.41"), D("250.15"))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (d.LineRequest("A21", D("-1")), "quantity must be positive"),
        (d.LineRequest("A21", D("0")), "quantity must be positive"),
        (d.LineRequest("NOPE", D("1")), "unknown article 'NOPE'"),
        (d.LineRequest("A21", D("1"), price=D("-0.01")), "price cannot be negative"),
        (d.LineRequest("A21", D("0.00001")), "more than four decimals"),
    ],
)
def test_bad_lines_are_refused_with_a_message_naming_the_line(line: d.LineRequest, message: str) -> None:
    with pytest.raises(Invalid, match=message) as err:
        price(d.LineRequest("B11", D(1)), line)
    assert err.value.message.startswith("line 2:")


def test_articles_outside_the_picker_list_are_refused_when_the_scope_is_a_list() -> None:
    scope = ArticleScope("list", frozenset({"B11"}))
    with pytest.raises(Invalid, match="not in the article picker list"):
        price(d.LineRequest("A21", D(1)), scope=scope)
    assert price(d.LineRequest("B11", D(1)), scope=scope)[0].article_code == "B11"


def test_an_article_vat_rate_must_come_from_the_catalogue() -> None:
    rates = [VatRate("S21", D("21"), "standard"), VatRate("R11", D("11"), "redusă"), VatRate("Z0", D("0"), "zero")]
    with pytest.raises(Invalid, match=r"VAT rate 19% is not in the catalogue \(0, 11, 21\)"):
        validate_article(Article("X", "Vechi", "buc", D(1), D("19")), rates)
    assert validate_article(Article("X", "Nou", "buc", D(1), D("21.00")), rates).vat_rate == D(21)


def test_numbers_are_series_year_and_six_digits() -> None:
    assert d.document_number("offer", 2026, 123) == "OF-2026-000123"
    assert d.document_number("invoice", 2026, 1) == "FCT-2026-000001"


def test_a_subscription_runs_whole_months_and_bills_its_lines_monthly() -> None:
    lines = price(d.LineRequest("Z0", D(2)))
    terms = d.contract_terms("subscription", date(2026, 1, 31), 12, None, lines)
    assert terms.ends_on == date(2027, 1, 30)
    assert terms.monthly_value == D("200.00")
    with pytest.raises(Invalid, match="needs its duration in months"):
        d.contract_terms("subscription", date(2026, 1, 1), None, None, lines)


def test_a_contract_month_outside_the_contract_cannot_be_invoiced() -> None:
    lines = tuple(price(d.LineRequest("Z0", D(1))))
    contract = d.Document(
        "c", "contract", "CTR-2026-000001", "p", date(2026, 1, 1), lines, D(100), D(0), "RON",
        starts_on=date(2026, 2, 15), ends_on=date(2026, 5, 14),
    )  # fmt: skip
    d.check_contract_month(contract, "2026-02")
    d.check_contract_month(contract, "2026-05")
    with pytest.raises(Invalid, match="outside contract"):
        d.check_contract_month(contract, "2026-06")
    with pytest.raises(Invalid, match="YYYY-MM"):
        d.check_contract_month(contract, "2026-13")
    assert contract.is_active_on(date(2026, 3, 1))
    assert not contract.is_active_on(date(2026, 5, 15))
    assert contract.covers("Z0")
    assert not contract.covers("A21")


def test_an_offer_is_decided_once() -> None:
    offer = d.Document("o", "offer", "OF-2026-000001", "p", date(2026, 1, 1), (), D(0), D(0), "RON")
    assert d.decide_offer(offer, "accepted") == "accepted"
    accepted = d.Document(
        "o",
        "offer",
        "OF-2026-000001",
        "p",
        date(2026, 1, 1),
        (),
        D(0),
        D(0),
        "RON",
        status="accepted",
        decided_at=datetime(2026, 1, 2, 12, 5, tzinfo=UTC),
        decided_by="ana",
    )
    with pytest.raises(Conflict, match="OF-2026-000001 was already accepted at 2026-01-02 14:05 by ana"):
        d.decide_offer(accepted, "accepted", ZoneInfo("Europe/Bucharest"))
    with pytest.raises(Conflict, match="already accepted"):
        d.decide_offer(accepted, "rejected")
