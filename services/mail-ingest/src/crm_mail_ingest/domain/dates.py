"""Dates as mail clients write them: RFC 5322, and Outlook's localised English and Romanian forms."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime

_MONTHS = {
    # English
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
    # Romanian (compared without diacritics)
    "ianuarie": 1, "februarie": 2, "martie": 3, "aprilie": 4, "mai": 5, "iunie": 6, "iulie": 7,
    "septembrie": 9, "octombrie": 10, "noiembrie": 11, "decembrie": 12,
    "ian": 1, "iun": 6, "iul": 7, "noi": 11,
}  # fmt: skip

_WEEKDAYS = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mon", "tue", "wed", "thu", "fri", "sat", "sun",
    "luni", "marti", "miercuri", "joi", "vineri", "sambata", "duminica",
}  # fmt: skip

_TIME = re.compile(
    r"(?<![\d.])(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>a\.?\s?m\.?|p\.?\s?m\.?)?(?![a-z])",
    re.IGNORECASE,
)
_NUMERIC_DATE = re.compile(r"(?P<a>\d{1,4})[./-](?P<b>\d{1,2})[./-](?P<c>\d{2,4})")
_OFFSET = re.compile(r"(?:GMT|UTC)?\s*(?P<sign>[+-])(?P<hh>\d{2}):?(?P<mm>\d{2})\b")


def _fold(text: str) -> str:
    """Lower case without diacritics (``Sâmbătă`` -> ``sambata``), for month and weekday names."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def parse_date(text: str, local_tz: tzinfo) -> datetime | None:
    """A mail date as a tz-aware UTC datetime, or None when the text is not a date we know.

    Accepts RFC 5322 (``Mon, 3 Mar 2025 10:15:00 +0200``), Outlook's English
    (``Monday, March 3, 2025 10:15 PM``, ``3 March 2025 22:15``) and Romanian
    (``luni, 3 martie 2025 10:15``, with ``a.m.``/``p.m.`` too) long forms, and numeric
    ``3.3.2025 22:15`` / ``2025-03-03 22:15`` forms. Dates without an offset are local
    time in ``local_tz`` (the exporting client's zone).
    """
    text = " ".join(text.split())[:200]
    if not text:
        return None
    rfc = _rfc(text)
    if rfc is not None:
        return rfc
    folded = _fold(text)
    time_match = _TIME.search(folded)
    hour = minute = second = 0
    rest = folded
    if time_match:
        hour, minute = int(time_match["h"]), int(time_match["m"])
        second = int(time_match["s"] or 0)
        ampm = (time_match["ampm"] or "").replace(".", "").replace(" ", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        rest = folded[: time_match.start()] + " " + folded[time_match.end() :]
    offset_match = _OFFSET.search(rest)
    tz: tzinfo = local_tz
    if offset_match:
        from datetime import timedelta, timezone

        sign = -1 if offset_match["sign"] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(offset_match["hh"]), minutes=int(offset_match["mm"])))
        rest = rest[: offset_match.start()] + " " + rest[offset_match.end() :]
    ymd = _numeric(rest) or _words(rest)
    if ymd is None:
        return None
    try:
        local = datetime(ymd[0], ymd[1], ymd[2], hour, minute, second, tzinfo=tz)
    except ValueError:
        return None
    return local.astimezone(UTC)


def _rfc(text: str) -> datetime | None:
    if not re.search(r"\d{1,2}:\d{2}(:\d{2})?\s+([+-]\d{4}|GMT|UT|[A-Z]{3})\b", text):
        return None
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if value.tzinfo is None:
        return None
    return value.astimezone(UTC)


def _numeric(text: str) -> tuple[int, int, int] | None:
    match = _NUMERIC_DATE.search(text)
    if not match:
        return None
    a, b, c = match["a"], match["b"], match["c"]
    if len(a) == 4:
        return int(a), int(b), int(c)
    year = int(c) + (2000 if len(c) == 2 else 0)
    first, second = int(a), int(b)
    if "/" in match.group(0) and first <= 12:
        # US style m/d/yyyy, as an English Outlook writes it.
        return year, first, second
    return year, second, first


def _words(text: str) -> tuple[int, int, int] | None:
    tokens = [t for t in re.split(r"[\s,]+", text) if t and t.strip(".") not in _WEEKDAYS]
    month = year = day = None
    for token in tokens:
        word = token.strip(".")
        if word in _MONTHS and month is None:
            month = _MONTHS[word]
        elif word.isdigit() and len(word) == 4 and year is None:
            year = int(word)
        elif word.isdigit() and len(word) <= 2 and day is None:
            day = int(word)
    if month is None or year is None or day is None:
        return None
    return year, month, day
