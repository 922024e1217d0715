"""CSV import rules: columns in Romanian or English, either delimiter, per-row errors, repeats within a file."""

from datetime import UTC, datetime
from itertools import count

import pytest

from crm_kit.errors import Invalid
from crm_partners.domain.imports import check_against_directory, check_rows, read_rows, repeated_in_file
from crm_partners.domain.partners import build_partner

NOW = datetime(2026, 3, 2, tzinfo=UTC)
_ids = count()


def ids() -> str:
    return f"00000000-0000-7000-8000-{next(_ids):012d}"


def build(data):  # type: ignore[no-untyped-def]
    return build_partner(data, partner_id=ids(), now=NOW, new_id=ids)


def test_romanian_headers_and_semicolons_are_read() -> None:
    rows = read_rows("\ufeffDenumire;CUI;Județ;Email\nAlfa;14399840;CJ;a@alfa.ro\n\n", max_rows=10)
    assert rows == [(2, {"name": "Alfa", "fiscal_code": "14399840", "county": "CJ", "emails": "a@alfa.ro"})]


def test_a_file_without_a_name_column_or_with_unknown_columns_or_too_many_rows_is_refused() -> None:
    with pytest.raises(Invalid, match="no name column"):
        read_rows("cui,judet\n1,2\n", max_rows=10)
    with pytest.raises(Invalid, match="unknown columns: culoare"):
        read_rows("name,culoare\nA,rosu\n", max_rows=10)
    with pytest.raises(Invalid, match="more than 1 rows"):
        read_rows("name\nA\nB\n", max_rows=1)


def test_each_bad_row_is_named_with_its_line_and_field() -> None:
    rows = read_rows(
        "name,fiscal_code,county,emails\nA,14399841,,a@x.ro\nB,,Narnia,b@x.ro\nC,,,a@x.ro\nD,,,d@x.ro\n", max_rows=10
    )
    built, errors = check_rows(rows, build)
    errors += repeated_in_file(built)
    assert [(e.row, e.field) for e in errors] == [(2, "fiscal_code"), (3, "county")]
    assert [line for line, _ in built] == [4, 5]
    # C reuses the address of row A, which was refused; a repeat of an accepted row is an error:
    rows2 = read_rows("name,emails\nA,a@x.ro\nB,A@X.RO\n", max_rows=10)
    built2, _ = check_rows(rows2, build)
    assert [(e.row, e.message) for e in repeated_in_file(built2)] == [(3, "a@x.ro is also on line 2")]


def test_rows_whose_address_or_cui_is_already_in_the_directory_are_errors() -> None:
    built, _ = check_rows(read_rows("name,fiscal_code,emails\nA,14399840,a@x.ro\n", max_rows=10), build)
    errors = check_against_directory(
        built, email_owners={"a@x.ro": "P1"}, fiscal_owners={"14399840": "P2"}, known_staff=set()
    )
    assert [(e.row, e.field) for e in errors] == [(2, "emails"), (2, "fiscal_code")]
