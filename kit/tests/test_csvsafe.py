"""CSV cells: text that could start a formula is quoted; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from crm_kit.csvsafe import csv_text, safe_cell


def test_text_starting_like_a_formula_gets_a_quote_in_front() -> None:
    for text in ("=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "-cmd"):
        assert safe_cell(text) == "'" + text


def test_numbers_and_ordinary_text_are_left_as_they_are() -> None:
    assert [safe_cell(v) for v in (-12, Decimal("-12.50"), -0.5, "-12.50", "+3", "Ofertă", None, True)] == [
        -12,
        Decimal("-12.50"),
        -0.5,
        "-12.50",
        "+3",
        "Ofertă",
        "",
        True,
    ]


def test_a_whole_document_reads_back_with_the_quoted_cells() -> None:
    text = csv_text(["title", "amount"], [['=HYPERLINK("http://x/","y")', Decimal("-1.5")]])
    assert list(csv.reader(io.StringIO(text))) == [["title", "amount"], ['\'=HYPERLINK("http://x/","y")', "-1.5"]]
