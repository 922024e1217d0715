"""Money, numbers, percentages, dates and times the way a person reads them, in their locale (Babel).

One formatter for every place that shows a figure to a person (the web UI now; printouts and emails next):
Romanian ``1.250,50 lei``, ``03.12.2026``, ``03.12.2026 14:05``; English ``1,250.50 RON``, ``Dec 3, 2026``.
Times are shown in the zone the caller passes (the configured ``CRM_GATEWAY_TIMEZONE`` for the UI), never a
zone written into the code. A value that is not a number or a date comes back as text, unchanged.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal, format_percent

DEFAULT_LOCALE = "ro"
DEFAULT_CURRENCY = "RON"
_SYMBOLS = {("ro", "RON"): "lei"}
"""Currency names people write after the amount, where the locale's own symbol is the ISO code."""


def _language(locale: str | None) -> str:
    return (locale or DEFAULT_LOCALE).replace("-", "_").split("_")[0] or DEFAULT_LOCALE


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def money(value: Any, currency: str | None = DEFAULT_CURRENCY, locale: str | None = DEFAULT_LOCALE) -> str:
    """An amount with two decimals and its currency: ``1.250,50 lei`` (ro), ``1,250.50 RON`` (en).

    Args:
        value: a Decimal, number or numeric text; None or '' gives ''.
        currency: the ISO code (RON by default); None or '' leaves the currency out.
        locale: ``ro`` or ``en`` (or any Babel locale).
    """
    amount = _decimal(value)
    if amount is None:
        return "" if value is None or value == "" else str(value)
    language = _language(locale)
    text = format_decimal(amount, format="#,##0.00", locale=language, decimal_quantization=True)
    if not currency:
        return text
    return f"{text}\u00a0{currency_name(currency, language)}"


def currency_name(currency: str, locale: str | None = DEFAULT_LOCALE) -> str:
    """The name written after an amount in ``currency``: ``lei`` for RON in Romanian, else the ISO code."""
    return _SYMBOLS.get((_language(locale), currency.upper()), currency.upper())


def number(value: Any, locale: str | None = DEFAULT_LOCALE, decimals: int | None = None) -> str:
    """A number with the locale's separators: ``1.250,5`` (ro); ``decimals`` fixes the count of decimals."""
    amount = _decimal(value)
    if amount is None:
        return "" if value is None or value == "" else str(value)
    fixed = "#,##0." + "0" * decimals if decimals else "#,##0"
    pattern = "#,##0.###" if decimals is None else fixed
    return format_decimal(amount, format=pattern, locale=_language(locale), decimal_quantization=decimals is not None)


def percent(value: Any, locale: str | None = DEFAULT_LOCALE, decimals: int = 1) -> str:
    """A ratio as a percentage: ``1.25`` -> ``125 %`` (ro), ``125%`` (en); at most ``decimals`` decimals."""
    ratio = _decimal(value)
    if ratio is None:
        return "" if value is None or value == "" else str(value)
    pattern = "#,##0" + ("." + "#" * decimals if decimals > 0 else "") + "%"
    return format_percent(ratio, format=pattern, locale=_language(locale))


def _parse(value: Any) -> dt.date | dt.datetime | None:
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if len(text) == len("2025-01-31"):
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _date_format(language: str) -> str:
    # Romanian people write 03.12.2026 (Babel's "short"); the English short form (12/3/26) is ambiguous.
    return "short" if language == "ro" else "medium"


def date(value: Any, locale: str | None = DEFAULT_LOCALE, zone: str | dt.tzinfo | None = None) -> str:
    """A date: ``03.12.2026`` (ro), ``Dec 3, 2026`` (en); a datetime is first moved into ``zone``."""
    parsed = _parse(value)
    if parsed is None:
        return "" if value is None or value == "" else str(value)
    if isinstance(parsed, dt.datetime):
        parsed = _in_zone(parsed, zone).date()
    language = _language(locale)
    return format_date(parsed, _date_format(language), locale=language)


def month(value: Any, locale: str | None = DEFAULT_LOCALE) -> str:
    """A calendar month (``2026-12``, or a date in it): ``dec. 2026`` (ro), ``Dec 2026`` (en); other text as is."""
    if isinstance(value, dt.date):
        first = value.replace(day=1) if not isinstance(value, dt.datetime) else value.date().replace(day=1)
    else:
        try:
            year, number = str(value).strip()[:7].split("-")
            first = dt.date(int(year), int(number), 1)
        except ValueError:
            return "" if value is None else str(value)
    return format_date(first, "MMM y", locale=_language(locale))


def datetime(value: Any, zone: str | dt.tzinfo | None = None, locale: str | None = DEFAULT_LOCALE) -> str:
    """A moment in ``zone``: ``03.12.2026 14:05`` (ro), ``Dec 3, 2026 2:05 PM`` (en); a plain date as ``date``.

    A datetime without an offset is taken as UTC (the services store and send UTC).
    """
    parsed = _parse(value)
    if parsed is None:
        return "" if value is None or value == "" else str(value)
    if not isinstance(parsed, dt.datetime):
        return date(parsed, locale)
    local = _in_zone(parsed, zone)
    language = _language(locale)
    return (
        f"{format_date(local, _date_format(language), locale=language)} {format_time(local, 'short', locale=language)}"
    )


def _in_zone(moment: dt.datetime, zone: str | dt.tzinfo | None) -> dt.datetime:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    if zone is None:
        return aware
    return aware.astimezone(zone if isinstance(zone, dt.tzinfo) else ZoneInfo(zone))


def local_input_to_utc(value: str | None, zone: str | dt.tzinfo) -> str | None:
    """A ``datetime-local`` form value (wall time in ``zone``) as ISO-8601 with its offset; bad text as is."""
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone if isinstance(zone, dt.tzinfo) else ZoneInfo(zone))
    return moment.isoformat()


def local_input(value: Any, zone: str | dt.tzinfo) -> str:
    """A moment as the value of a ``datetime-local`` field (``2026-12-03T14:05``) in ``zone``; '' when none."""
    parsed = _parse(value)
    if not isinstance(parsed, dt.datetime):
        return ""
    return _in_zone(parsed, zone).strftime("%Y-%m-%dT%H:%M")
