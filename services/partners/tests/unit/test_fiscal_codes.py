"""CUI/CIF validation with the check digit (control key 753217532)."""

import pytest

from crm_partners.domain.fiscal import InvalidFiscalCode, check_digit, parse_fiscal_code


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("14399840", "14399840"),
        ("RO14399840", "RO14399840"),
        (" ro 1439 9840 ", "RO14399840"),
        ("18547290", "18547290"),
    ],
)
def test_a_valid_cui_is_accepted_with_or_without_ro_and_spaces(raw: str, normal: str) -> None:
    assert str(parse_fiscal_code(raw)) == normal


def test_the_ro_prefix_marks_a_vat_payer_but_the_digits_identify_the_company() -> None:
    assert parse_fiscal_code("RO14399840").vat_payer
    assert parse_fiscal_code("RO14399840").digits == parse_fiscal_code("14399840").digits


def test_a_control_sum_of_ten_gives_check_digit_zero() -> None:
    key = "753217532"
    body = next(
        str(n)
        for n in range(10, 100000)
        if sum(int(d) * int(k) for d, k in zip(str(n).rjust(9, "0"), key, strict=True)) * 10 % 11 == 10
    )
    assert check_digit(body) == 0
    assert str(parse_fiscal_code(body + "0")) == body + "0"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("14399841", "wrong check digit"),
        ("RO14399849", "wrong check digit"),
        ("1439984O", "digits"),
        ("12345678901", "2 to 10 digits"),
        ("1", "2 to 10 digits"),
        ("", "2 to 10 digits"),
        ("04399840", "cannot start with 0"),
        ("DE14399840", "digits"),
        ("١٤٣٩٩٨٤٠", "digits"),
    ],
)
def test_a_cui_with_a_wrong_check_digit_or_shape_is_refused_with_the_reason(raw: str, why: str) -> None:
    with pytest.raises(InvalidFiscalCode, match=why):
        parse_fiscal_code(raw)
