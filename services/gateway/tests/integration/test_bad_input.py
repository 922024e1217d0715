"""Odd input at the gateway: every one a clear 4xx that stores nothing, never a 5xx or an httpx error."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from crm_gateway.settings import GatewaySettings

ADMIN_PASSWORD = "admin-pass-1"  # the fixture gateway's first admin (tests/conftest.py)
DEEP = b"[" * 65 + b"]" * 65


async def test_a_json_body_nested_too_deep_is_a_400_on_the_open_token_route_without_a_token(
    gateway: AsyncTestClient[Any],
) -> None:
    nested = b'{"username": "admin", "password": ' + DEEP + b"}"
    response = await gateway.post("/api/auth/token", content=nested, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert "64 levels" in response.json()["detail"]
    # Deep enough to exhaust the decoder's recursion (a RecursionError, a 500, before the guard).
    very_deep = await gateway.post(
        "/api/auth/token", content=b"[" * 100_000 + b"]" * 100_000, headers={"content-type": "application/json"}
    )
    assert very_deep.status_code == 400, very_deep.text
    # Without a content type Litestar still decodes JSON: the guard checks such a body too.
    bare = await gateway.post("/api/auth/token", content=nested)
    assert bare.status_code == 400, bare.text
    # The bound is not a ban on nesting: a normal login still works.
    normal = await gateway.post("/api/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert normal.status_code == 200, normal.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/tasks/%01",
        "/api/tasks/a%00b",
        "/api/tasks/%7F",
        "/api/tasks/a%2Fb",
        "/api/tasks/a%5cb",
        "/api/tasks/%2e%2e/users",
        "/api/tasks?q=%0a",
    ],
)
async def test_a_control_character_or_an_encoded_separator_in_a_proxied_path_is_a_400(
    gateway: AsyncTestClient[Any], admin: dict[str, str], path: str
) -> None:
    response = await gateway.get(path, headers=admin)
    # The tasks service is down in this fixture: reaching it would be a 503, so a 400 means it was never called.
    assert response.status_code == 400, response.text
    assert response.json()["detail"]


async def test_a_text_field_where_the_blob_belongs_is_a_400_and_nothing_is_stored(
    gateway: AsyncTestClient[Any], admin: dict[str, str], gateway_settings: GatewaySettings
) -> None:
    as_text = await gateway.post("/api/blobs", data={"data": "not a file"}, headers=admin)
    assert as_text.status_code == 400, as_text.text
    no_file = await gateway.post("/api/blobs", files={"other": ("a.txt", b"x")}, headers=admin)
    assert no_file.status_code == 400, no_file.text
    blobs = gateway_settings.blob_dir
    assert not blobs.exists() or not [p for p in blobs.rglob("*") if p.is_file()]


async def test_an_offset_beyond_the_bound_is_a_400_naming_it_on_the_users_list(
    gateway: AsyncTestClient[Any], admin: dict[str, str]
) -> None:
    response = await gateway.get("/api/users", params={"offset": "99999999999999999999"}, headers=admin)
    assert response.status_code == 400, response.text
    assert "offset" in response.text


async def test_the_api_schema_requires_the_bearer_token_everywhere_but_on_the_open_routes(
    gateway: AsyncTestClient[Any], admin: dict[str, str]
) -> None:
    doc = (await gateway.get("/api/schema/openapi.json")).json()
    schemes = doc["components"]["securitySchemes"]
    assert [s["scheme"] for s in schemes.values()] == ["bearer"]
    # An empty requirement: "no token" said explicitly (Redocly's security-defined rule).
    assert doc["paths"]["/api/auth/token"]["post"]["security"] == []
    assert doc["paths"]["/api/schema"]["get"]["security"] == []
    for path in ("/api/users", "/api/blobs"):
        for operation in doc["paths"][path].values():
            assert operation["security"] == [{name: []} for name in schemes], path


async def test_the_interactive_api_page_is_served_without_a_token_from_the_gateways_own_files(
    gateway: AsyncTestClient[Any],
) -> None:
    page = await gateway.get("/api/schema/docs")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "/api/schema/openapi.json" in (await gateway.get("/static/api-docs.js")).text
    for asset in ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/api-docs.js"):
        assert f'src="{asset}"' in page.text
        assert (await gateway.get(asset)).status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
