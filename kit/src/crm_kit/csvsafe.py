"""CSV that a spreadsheet shows as text and never runs as a formula (OWASP "CSV injection")."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

# A cell starting with one of these is read as a formula by Excel, LibreOffice or Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# A plain number such as "-12.50" stays as it is: a spreadsheet reads it as a number and there is no
# formula in it to run, while a quote in front would turn every negative amount into text.
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def safe_cell(value: object) -> object:
    """``value`` as a CSV cell: None is empty; text that could start a formula gets a ``'`` in front.

    Numbers (``int``, ``float``, ``Decimal``, and text that is exactly a plain number) are left as they are.
    """
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A whole CSV document (header line first), every cell passed through :func:`safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(c) for c in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return out.getvalue()
