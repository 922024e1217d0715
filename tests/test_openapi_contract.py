"""contracts/openapi.json is a contract another team can build on: valid, current, every error answer documented."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import jsonschema
import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from crm_gateway import contract as openapi
from crm_gateway.api.openapi import EXAMPLES, document, secured
from crm_kit.errors import NotFound
from crm_kit.http import domain_error_handler

DOC: dict[str, Any] = json.loads(openapi.OUTPUT.read_text())
METHODS = ("get", "put", "post", "delete", "patch")


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, item in DOC["paths"].items() for m, op in item.items() if m in METHODS]


def test_the_committed_document_is_what_the_apps_generate_today() -> None:
    assert openapi.render() == openapi.OUTPUT.read_text(), "run `make openapi` and commit contracts/openapi.json"


def test_the_document_is_valid_openapi_3_1() -> None:
    assert DOC["openapi"].startswith("3.1")
    validate(DOC)


def test_a_decimal_default_has_the_type_its_schema_declares() -> None:
    campaign = DOC["components"]["schemas"]["CampaignIn"]["properties"]
    for name in ("estimated_cost", "estimated_revenue"):
        assert campaign[name]["type"] == "number"
        assert campaign[name]["default"] == 0


def test_the_schema_litestar_gives_is_invalid_until_the_finishing_step_types_its_defaults(tmp_path: Path) -> None:
    """The finding itself: CampaignIn's ``type: number`` decimals come with the string default ``'0'``."""
    campaigns = json.loads(json.dumps(openapi.app_schema("campaigns", tmp_path), default=str))
    assert campaigns["components"]["schemas"]["CampaignIn"]["properties"]["estimated_cost"]["default"] == "0"
    with pytest.raises(OpenAPIValidationError):
        validate(campaigns)
    gateway_only: dict[str, Any] = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}
    validate(document(gateway_only, {"campaigns": openapi.app_schema("campaigns", tmp_path)}))


@pytest.mark.parametrize(("method", "path", "op"), operations(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_operation_documents_the_errors_it_can_answer(method: str, path: str, op: dict[str, Any]) -> None:
    answers = op["responses"]
    expected = {"400"}
    if op["security"]:
        expected |= {"401", "403"}
    query = [p for p in op.get("parameters", []) if p["in"] == "query"]
    if "{" in path or method != "get" or any(p["name"].endswith("_id") for p in query):
        expected.add("404")
    if method != "get":
        expected |= {"409", "422"}
    if query:
        expected.add("422")
    if "requestBody" in op:
        expected.add("413")
    assert expected <= set(answers), f"{method.upper()} {path} lacks {sorted(expected - set(answers))}"
    for status, answer in answers.items():
        if status.startswith(("4", "5")):
            assert answer["$ref"].startswith("#/components/responses/"), f"{method} {path} {status}"


def test_the_token_exchange_documents_wrong_credentials_and_the_rate_limit() -> None:
    answers = DOC["paths"]["/api/auth/token"]["post"]["responses"]
    assert {"401", "429"} <= set(answers)
    assert "429" in DOC["paths"]["/api/users/me/password"]["put"]["responses"]
    assert DOC["paths"]["/api/auth/token"]["post"]["security"] == []
    assert "Retry-After" in DOC["components"]["responses"]["TooManyRequests"]["headers"]


def test_a_route_forwarded_to_a_service_documents_503_and_the_gateways_own_do_not() -> None:
    assert "503" in DOC["paths"]["/api/partners"]["post"]["responses"]
    assert "503" not in DOC["paths"]["/api/users"]["post"]["responses"]


def test_every_error_response_is_the_problem_body_the_handlers_send() -> None:
    problem = DOC["components"]["schemas"]["Problem"]
    for response in DOC["components"]["responses"].values():
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    sent = domain_error_handler(cast(Any, None), NotFound("no such partner")).content
    jsonschema.Draft202012Validator(problem).validate(sent)


@pytest.mark.parametrize(("method", "path"), sorted(EXAMPLES))
def test_the_main_create_routes_carry_an_example_their_schema_accepts(method: str, path: str) -> None:
    media = DOC["paths"][path][method]["requestBody"]["content"]["application/json"]
    schema = {**media["schema"], "components": DOC["components"]}
    jsonschema.Draft202012Validator(schema).validate(media["example"])


def test_secured_still_leaves_the_open_paths_without_a_token() -> None:
    doc = secured({"paths": {"/api/schema": {"get": {}}, "/api/partners": {"get": {}}}})
    assert doc["paths"]["/api/schema"]["get"]["security"] == []
    assert doc["paths"]["/api/partners"]["get"]["security"] == [{"bearerAuth": []}]
