"""Every error code the services raise has its text in both catalogues, and a refusal reads in the user's language."""

import re
from pathlib import Path

import pytest

from crm_gateway.ui import i18n, problems
from crm_gateway.ui.api import ApiError
from crm_gateway.ui.error_codes import ERROR_CODES

SERVICES = Path(__file__).resolve().parents[3]
CODE = re.compile(r"""(?:\bcode=|["']code["']:\s*)["']([a-z_]+\.[a-z_]+)["']""")


def _raised_codes() -> set[str]:
    return {code for path in SERVICES.glob("*/src/**/*.py") for code in CODE.findall(path.read_text(encoding="utf-8"))}


def test_the_services_raise_coded_errors_the_scan_can_see() -> None:
    assert {"partner.fiscal_code_taken", "record.not_found", "task.not_open"} <= _raised_codes()


def test_every_code_the_services_raise_is_listed_for_the_catalogues() -> None:
    assert sorted(_raised_codes() - set(ERROR_CODES)) == []


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_code_the_services_raise_has_a_text_in_the_catalogue(language: str) -> None:
    assert sorted(c for c in _raised_codes() if i18n.pgettext(language, "error", c) == c) == []


TAKEN = ApiError(
    409,
    "fiscal code RO18547290 is already partner Alfa SRL",
    {
        "code": "partner.fiscal_code_taken",
        "params": {"fiscal_code": "RO18547290", "owner": "Alfa SRL"},
        "errors": [
            {
                "field": "fiscal_code",
                "message": "fiscal code RO18547290 is already partner Alfa SRL",
                "code": "partner.fiscal_code_taken",
                "params": {"fiscal_code": "RO18547290", "owner": "Alfa SRL"},
            }
        ],
    },
)


def test_a_taken_fiscal_code_names_the_other_partner_in_romanian_beside_its_field_in_the_romanian_ui() -> None:
    assert problems.message("ro", TAKEN) == "Verificați câmpurile marcate."
    assert problems.field_errors("ro", TAKEN) == [
        problems.FieldError("fiscal_code", "CUI-ul RO18547290 aparține deja partenerului Alfa SRL.")
    ]


def test_a_taken_fiscal_code_reads_in_english_in_the_english_ui() -> None:
    assert (
        problems.field_errors("en", TAKEN)[0].message == "Fiscal code RO18547290 already belongs to partner Alfa SRL."
    )
    assert problems.message("en", TAKEN) == "Check the marked fields."


def test_a_coded_error_naming_no_field_is_shown_once_at_the_top_in_each_language() -> None:
    closed = ApiError(
        409,
        "cannot move from 'new' to 'sale'",
        {"code": "opportunity.stage_not_allowed", "params": {"stage": "sale"}, "stage": "new"},
    )
    assert problems.message("ro", closed) == "Din etapa curentă nu se poate trece în Vânzare."
    assert problems.message("en", closed) == "The opportunity cannot move to Sale from its current stage."


def test_a_record_not_found_reads_in_each_language_not_as_the_services_english_text() -> None:
    gone = ApiError(404, "no partner 5d1c0000-0000-0000-0000-000000000000", {"code": "record.not_found", "params": {}})
    assert problems.message("ro", gone) == "Nu a fost găsit."
    assert problems.message("en", gone) == "Not found."


def test_a_field_error_with_params_is_shown_beside_its_field_in_each_language() -> None:
    wrong = ApiError(
        422,
        "the partner cannot be saved: fiscal code '14399841' has a wrong check digit (expected 0)",
        {
            "code": "record.fields_invalid",
            "params": {},
            "errors": [
                {
                    "field": "fiscal_code",
                    "message": "fiscal code '14399841' has a wrong check digit (expected 0)",
                    "code": "partner.fiscal_code_check_digit",
                    "params": {"fiscal_code": "14399841", "expected": 0},
                }
            ],
        },
    )
    assert problems.field_errors("ro", wrong) == [
        problems.FieldError("fiscal_code", "CUI-ul 14399841 are cifra de control greșită (ar fi 0).")
    ]
    assert problems.field_errors("en", wrong)[0].message == "Fiscal code 14399841 has a wrong check digit (expected 0)."
    assert problems.message("ro", wrong) == "Verificați câmpurile marcate."
