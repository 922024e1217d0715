"""Money, numbers, dates and times the way a Romanian or English reader writes them (crm_kit.formatting)."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from crm_kit import formatting

BUCHAREST = ZoneInfo("Europe/Bucharest")


def test_money_is_written_with_lei_in_romanian_and_the_code_in_english() -> None:
    assert formatting.money(Decimal("1250.5")) == "1.250,50\u00a0lei"
    assert formatting.money("1250.5", "RON", "en") == "1,250.50\u00a0RON"
    assert formatting.money("-3", "EUR", "ro") == "-3,00\u00a0EUR"
    assert formatting.money("1250.5", None, "ro") == "1.250,50"


def test_what_is_not_an_amount_is_shown_as_it_came() -> None:
    assert formatting.money(None) == ""
    assert formatting.money("") == ""
    assert formatting.money("abc") == "abc"
    assert formatting.number("NaN") == "NaN"


def test_numbers_and_percentages_use_the_locale_separators() -> None:
    assert formatting.number("12345.678") == "12.345,678"
    assert formatting.number("3", "en", decimals=2) == "3.00"
    assert formatting.percent("1.0") == "100%"
    assert formatting.percent("0.2534", "en") == "25.3%"


def test_dates_are_day_month_year_in_romanian() -> None:
    assert formatting.date("2026-12-03") == "03.12.2026"
    assert formatting.date(date(2026, 12, 3), "en") == "Dec 3, 2026"


def test_times_are_shown_in_the_zone_given_summer_and_winter() -> None:
    assert formatting.datetime(datetime(2025, 7, 1, 9, 30, tzinfo=UTC), BUCHAREST) == "01.07.2025 12:30"
    assert formatting.datetime("2025-01-15T09:30:00Z", "Europe/Bucharest") == "15.01.2025 11:30"
    assert formatting.datetime("2025-01-15T09:30:00Z", "Europe/Lisbon") == "15.01.2025 09:30"
    # A UTC moment late in the evening is already the next day in Bucharest.
    assert formatting.date("2026-12-03T23:30:00Z", "ro", BUCHAREST) == "04.12.2026"


def test_a_datetime_local_field_is_read_as_wall_time_of_the_zone() -> None:
    assert formatting.local_input_to_utc("2026-07-01T10:00", BUCHAREST) == "2026-07-01T10:00:00+03:00"
    assert formatting.local_input_to_utc("2026-01-01T10:00", "Europe/Lisbon") == "2026-01-01T10:00:00+00:00"
    assert formatting.local_input_to_utc("abc", BUCHAREST) == "abc"
    assert formatting.local_input("2026-07-01T07:00:00Z", BUCHAREST) == "2026-07-01T10:00"


def test_a_month_is_its_short_name_and_year_in_each_locale_and_other_text_stays() -> None:
    assert formatting.month("2026-12", "ro") == "dec. 2026"
    assert formatting.month("2026-12", "en") == "Dec 2026"
    assert formatting.month(date(2027, 1, 15), "en") == "Jan 2027"
    assert formatting.month("2026-13", "ro") == "2026-13"
    assert formatting.month(None, "ro") == ""


def test_the_currency_name_after_an_amount_is_lei_for_ron_in_romanian_only() -> None:
    assert formatting.currency_name("RON", "ro") == "lei"
    assert formatting.currency_name("ron", "en") == "RON"
    assert formatting.currency_name("EUR", "ro") == "EUR"
