"""The pure rules: dates and months, text folding for member filters, ROI, attribution."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import uuid4

import pytest

from crm_campaigns.domain.campaigns import amend, months_from, new_campaign, parse_month
from crm_campaigns.domain.members import MemberFilter, fiscal_digits, fold
from crm_campaigns.domain.results import Measure, Via, campaign_of_document, invoice_month, results, roi
from crm_kit.errors import Invalid

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def campaign(**changes: object):
    values = {
        "name": " Vară ",
        "starts_on": dt.date(2026, 11, 15),
        "ends_on": dt.date(2027, 1, 31),
        "objective": "",
        "segment": None,
        "estimated_cost": Decimal("1000.00"),
        "estimated_revenue": Decimal("3000"),
        "return_months": 4,
    } | changes
    return new_campaign(uuid4(), now=NOW, **values)  # type: ignore[arg-type]


def test_the_return_window_starts_in_the_start_month_and_crosses_the_year() -> None:
    assert campaign().return_window() == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert months_from(dt.date(2026, 12, 31), 1) == ["2026-12"]


def test_a_campaign_is_trimmed_and_its_rules_checked() -> None:
    c = campaign()
    assert (c.name, c.objective) == ("Vară", None)
    with pytest.raises(Invalid, match="cannot end before"):
        campaign(ends_on=dt.date(2026, 11, 14))
    with pytest.raises(Invalid, match="more than two decimals"):
        campaign(estimated_cost=Decimal("1.005"))
    with pytest.raises(Invalid, match="return_months"):
        amend(c, {"return_months": 0}, NOW)
    with pytest.raises(Invalid, match="cannot be changed"):
        amend(c, {"id": uuid4()}, NOW)
    assert amend(c, {"segment": "HoReCa"}, NOW).segment == "HoReCa"


def test_months_are_written_as_year_and_month() -> None:
    assert parse_month("2026-02") == "2026-02"
    with pytest.raises(Invalid, match="YYYY-MM"):
        parse_month("02/2026")


def test_text_is_compared_without_case_or_romanian_diacritics_old_or_new() -> None:
    assert fold("  IAȘI ") == fold("iasi") == fold("Iaşi")  # comma-below, plain and cedilla forms
    assert fold("Bistrița-Năsăud") == "bistrita-nasaud"
    assert fold("   ") is None
    assert fiscal_digits("RO 123 456") == fiscal_digits("123456") == "123456"


def test_a_filter_refuses_inverted_ranges_and_unknown_kinds() -> None:
    with pytest.raises(Invalid, match="employees_min is above"):
        MemberFilter(employees_min=10, employees_max=9)
    with pytest.raises(Invalid, match="at least one partner kind"):
        MemberFilter(kinds=())
    assert MemberFilter().kinds == ("client", "lead")


def test_roi_is_invoiced_revenue_minus_cost_over_cost_to_four_decimals() -> None:
    assert roi(Decimal("6500.00"), Decimal("2000.00")) == Decimal("2.2500")
    assert roi(Decimal("1500.00"), Decimal("1550.50")) == Decimal("-0.0326")
    assert roi(Decimal("1"), Decimal("3")) == Decimal("-0.6667")
    assert roi(Decimal("100"), Decimal("0")) is None


def test_results_list_every_month_of_the_validity_and_ignore_later_months() -> None:
    r = results(
        campaign(),
        {Measure.COST: Decimal("400"), Measure.INVOICED: Decimal("1000.005")},
        {"2026-12": Decimal("250"), "2027-06": Decimal("999")},
        None,
    )
    assert [(m.month, m.value) for m in r.monthly_return] == [
        ("2026-11", Decimal("0.00")),
        ("2026-12", Decimal("250.00")),
        ("2027-01", Decimal("0.00")),
        ("2027-02", Decimal("0.00")),
    ]
    assert (r.realized_cost, r.accepted_revenue, r.invoiced_revenue) == (
        Decimal("400.00"),
        Decimal("0.00"),
        Decimal("1000.01"),
    )


def test_an_invoice_counts_in_the_contract_month_it_bills_else_its_issue_month() -> None:
    assert invoice_month(dt.date(2026, 3, 2), "2026-02") == "2026-02"
    assert invoice_month(dt.date(2026, 3, 2), None) == "2026-03"
    assert invoice_month(dt.date(2026, 3, 2), "garbage") == "2026-03"


def test_a_document_belongs_to_its_own_campaign_before_its_opportunitys() -> None:
    own, via_opportunity, unknown = uuid4(), uuid4(), uuid4()
    known = {own, via_opportunity}
    assert campaign_of_document(own, via_opportunity, known) == (own, Via.DOCUMENT)
    assert campaign_of_document(unknown, via_opportunity, known) == (via_opportunity, Via.OPPORTUNITY)
    assert campaign_of_document(None, None, known) is None
