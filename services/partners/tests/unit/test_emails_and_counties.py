"""Email normalisation (case-insensitive matching) and the 41 counties plus Bucharest."""

import pytest

from crm_partners.domain.counties import COUNTIES, UnknownCounty, county_name
from crm_partners.domain.emails import InvalidEmail, normalise_email, split_emails
from crm_partners.domain.text import fold


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("Office@Acme.RO", "office@acme.ro"),
        ("  ana.pop@firma.ro ", "ana.pop@firma.ro"),
        ("<VANZARI@firma.com>", "vanzari@firma.com"),
        ("a+tag@sub.firma.ro", "a+tag@sub.firma.ro"),
    ],
)
def test_an_address_is_stored_trimmed_and_lower_case_so_any_spelling_matches(raw: str, normal: str) -> None:
    assert normalise_email(raw) == normal


@pytest.mark.parametrize(
    "raw",
    ["ana", "ana@", "@firma.ro", "ana@firma", "a b@firma.ro", "ana@firma.ro\r\nBcc: x@y.ro", "a@@b.ro", "a..b@c.ro"],
)
def test_text_that_is_not_one_address_is_refused(raw: str) -> None:
    with pytest.raises(InvalidEmail):
        normalise_email(raw)


def test_a_cell_with_several_addresses_is_split_on_semicolons_commas_and_spaces() -> None:
    assert split_emails("a@x.ro; b@x.ro,c@x.ro  d@x.ro") == ["a@x.ro", "b@x.ro", "c@x.ro", "d@x.ro"]


def test_there_are_41_counties_and_bucharest() -> None:
    assert len(COUNTIES) == 42
    assert "București" in COUNTIES.values()


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Iași", "Iași"),
        ("iasi", "Iași"),
        ("IS", "Iași"),
        ("Timiş", "Timiș"),
        ("bistrita nasaud", "Bistrița-Năsăud"),
        ("Bistrița-Năsăud", "Bistrița-Năsăud"),
        ("Municipiul București", "București"),
        ("b", "București"),
        ("satu mare", "Satu Mare"),
        ("CARAS-SEVERIN", "Caraș-Severin"),
    ],
)
def test_a_county_is_recognised_with_or_without_diacritics_or_by_plate_code(raw: str, name: str) -> None:
    assert county_name(raw) == name


@pytest.mark.parametrize("raw", ["Atlantida", "Transilvania", "XX", ""])
def test_an_unknown_county_is_refused(raw: str) -> None:
    with pytest.raises(UnknownCounty, match="unknown county"):
        county_name(raw)


def test_folding_treats_cedilla_and_comma_letters_alike() -> None:
    assert fold("Şcoala  Ţării") == fold("școala țării") == "scoala tarii"
