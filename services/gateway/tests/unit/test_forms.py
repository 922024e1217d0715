"""The one form reader of the web UI: every area reads blank, repeated and Romanian-typed fields the same way."""

from __future__ import annotations

from litestar.datastructures import UploadFile

from crm_gateway.ui.forms import many, number, text, whole


def test_a_blank_or_missing_field_reads_as_none() -> None:
    assert text({"name": "   "}, "name") is None
    assert text({}, "name") is None


def test_a_repeated_field_reads_as_its_last_value_trimmed() -> None:
    assert text({"name": ["first", "  last "]}, "name") == "last"


def test_a_file_upload_is_not_read_as_text() -> None:
    upload = UploadFile(content_type="text/csv", filename="a.csv", file_data=b"x")
    assert text({"file": upload}, "file") is None
    assert many({"file": [upload, "kept"]}, "file") == ["kept"]


def test_many_keeps_every_non_blank_value_in_form_order() -> None:
    assert many({"ids": ["b", " ", "a "]}, "ids") == ["b", "a"]
    assert many({"ids": "one"}, "ids") == ["one"]
    assert many({}, "ids") == []


def test_a_number_typed_the_romanian_way_reaches_the_api_as_a_plain_decimal() -> None:
    assert number("1.250,50") == "1250.50"
    assert number("1 250.50") == "1250.50"
    assert number(None) is None


def test_a_number_that_is_not_one_goes_to_the_api_as_typed_so_that_the_api_names_the_field() -> None:
    assert number("a lot") == "a lot"


def test_whole_reads_a_count_and_passes_anything_else_through() -> None:
    assert whole("12") == 12
    assert whole(None) == 0
    assert whole("twelve") == "twelve"
