"""Domain errors may carry a machine code and its params in the problem body; old raises keep working."""

from litestar import Litestar, get
from litestar.testing import TestClient

from crm_kit.errors import Conflict, Invalid
from crm_kit.http import EDGE_EXCEPTION_HANDLERS


@get("/old", sync_to_thread=False)
def old_style() -> None:
    raise Invalid("kind must be one of client, lead", field="kind")


@get("/coded", sync_to_thread=False)
def coded() -> None:
    raise Conflict(
        "fiscal code 123 is already partner Alfa", code="partner.fiscal_code_taken", params={"owner": "Alfa"}
    )


def _client() -> TestClient[Litestar]:
    return TestClient(Litestar([old_style, coded], exception_handlers=dict(EDGE_EXCEPTION_HANDLERS)))


def test_a_raise_with_text_only_answers_as_before() -> None:
    with _client() as client:
        response = client.get("/old")
    assert response.status_code == 422
    assert response.json() == {
        "status_code": 422,
        "detail": "kind must be one of client, lead",
        "extra": {"field": "kind"},
    }


def test_a_code_and_its_params_travel_in_the_problem_body() -> None:
    with _client() as client:
        response = client.get("/coded")
    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == "fiscal code 123 is already partner Alfa"
    assert body["extra"] == {"code": "partner.fiscal_code_taken", "params": {"owner": "Alfa"}}
