"""Errors as a person reads them: by code in their language, by field beside the field, kit texts translated."""

from crm_gateway.ui import problems
from crm_gateway.ui.api import ApiError

PYDANTIC_400 = ApiError(
    400,
    "Validation failed for POST /api/partners",
    [
        {"message": "Input should be a valid integer, unable to parse string as an integer", "key": "employees"},
        {"message": "Input should be a valid integer, unable to parse string as an integer", "key": "employees"},
        {"message": "String should have at most 300 characters", "key": "name"},
    ],
)


def test_a_validation_error_names_each_field_once_in_the_users_language() -> None:
    assert problems.field_errors("ro", PYDANTIC_400) == [
        problems.FieldError("employees", "Introduceți un număr întreg."),
        problems.FieldError("name", "Cel mult 300 caractere."),
    ]
    assert [f.message for f in problems.field_errors("en", PYDANTIC_400)] == [
        "Enter a whole number.",
        "At most 300 characters.",
    ]
    assert problems.message("en", PYDANTIC_400) == "Check the marked fields."
    assert "Validation failed" not in problems.message("ro", PYDANTIC_400)


def test_a_coded_error_is_shown_by_its_code_with_its_params_and_an_unknown_code_by_its_text() -> None:
    coded = ApiError(
        409,
        "fiscal code 14399840 is already partner 5d1c",
        {"code": "partner.fiscal_code_taken", "params": {"fiscal_code": "14399840", "owner": "Alfa SRL"}},
    )
    assert problems.message("ro", coded) == "CUI-ul 14399840 aparține deja partenerului Alfa SRL."
    assert problems.message("en", coded) == "Fiscal code 14399840 already belongs to partner Alfa SRL."
    unknown = ApiError(409, "something new", {"code": "partner.something_new", "params": {}})
    assert problems.message("en", unknown) == "something new"


def test_a_domain_error_naming_fields_puts_each_message_beside_its_field() -> None:
    error = ApiError(
        409,
        "fiscal code taken",
        {"errors": [{"field": "fiscal_code", "message": "fiscal code 1 is already partner X"}]},
    )
    assert problems.field_errors("en", error) == [
        problems.FieldError("fiscal_code", "fiscal code 1 is already partner X")
    ]


def test_texts_every_service_answers_through_the_kit_are_translated() -> None:
    denied = ApiError(403, "this action needs the role admin or manager")
    assert problems.message("ro", denied) == "Această acțiune cere rolul administrator sau manager."
    assert problems.message("en", denied) == "This action needs the role administrator or manager."
    assert problems.message("en", ApiError(422, "Alegeți un fișier CSV.")) == "Choose a CSV file."
    assert problems.message("en", ApiError(409, "an English rule text")) == "an English rule text"
