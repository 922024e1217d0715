import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from crm_gateway.auth.middleware import OPEN_API_PATHS, SESSION_COOKIE
from crm_gateway.auth.tokens import ACCESS, SESSION, TokenIssuer
from crm_gateway.domain.users import User
from crm_gateway.settings import GatewaySettings

OPEN = OPEN_API_PATHS
PUBLISHED_DEV_SECRETS = ["dev-only-gateway-token-secret-change-me", "dev-only-identity-secret-change-me"]


def api_routes(app: Litestar) -> list[tuple[str, str]]:
    """Every (method, concrete path) under /api, path parameters filled with plausible values."""
    found = []
    for route in app.routes:
        if not route.path.startswith("/api") or route.path in OPEN:
            continue
        path = re.sub(r"\{sha256:str\}", "0" * 64, route.path)
        path = re.sub(r"\{segment:str\}", "partners", path)
        path = re.sub(r"\{rest:path\}", "x/y", path)
        path = re.sub(r"\{[^}]+\}", "1", path)
        for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
            found.append((method, path))
    return found


async def test_every_api_route_but_token_and_health_needs_a_valid_token(
    gateway: AsyncTestClient[Any], gateway_settings: GatewaySettings
) -> None:
    admin = User(id="x", username="admin", role="admin", staff_id=None)
    forged = TokenIssuer("an-attacker-secret-that-is-32-bytes-long", timedelta(hours=8)).issue(admin)
    expired = TokenIssuer(gateway_settings.token_secret, timedelta(hours=8)).issue(
        admin, now=datetime.now(UTC) - timedelta(hours=9)
    )
    routes = api_routes(gateway.app)
    assert ("POST", "/api/users") in routes
    assert ("GET", "/api/users/me") in routes
    assert ("GET", "/api/messages/stream") in routes
    assert ("DELETE", "/api/partners/x/y") in routes
    for method, path in routes:
        for headers in (
            {},
            {"authorization": f"Bearer {forged}"},
            {"authorization": f"Bearer {expired}"},
            {"authorization": "Basic YWRtaW46YWRtaW4="},
        ):
            response = await gateway.request(method, path, headers=headers)
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.json()["detail"]
    assert (
        "expired"
        in (await gateway.get("/api/users/me", headers={"authorization": f"Bearer {expired}"})).json()["detail"]
    )
    assert (await gateway.get("/api/healthz")).status_code == 200
    assert (await gateway.get("/healthz")).status_code == 200


@pytest.mark.parametrize("published", PUBLISHED_DEV_SECRETS)
async def test_a_bearer_token_or_session_cookie_signed_with_a_published_dev_secret_is_refused(
    gateway: AsyncTestClient[Any], gateway_settings: GatewaySettings, admin: dict[str, str], published: str
) -> None:
    assert gateway_settings.token_secret != published
    me = (await gateway.get("/api/users/me", headers=admin)).json()
    forger = TokenIssuer(published, timedelta(hours=8))
    as_admin = User(id=me["id"], username="admin", role="admin", staff_id=None)
    bearer = {"authorization": f"Bearer {forger.issue(as_admin, ACCESS)}"}
    assert (await gateway.get("/api/users/me", headers=bearer)).status_code == 401
    created = await gateway.post(
        "/api/users", json={"username": "eve", "password": "eve-pass", "role": "admin"}, headers=bearer
    )
    assert created.status_code == 401
    gateway.cookies.set(SESSION_COOKIE, forger.issue(as_admin, SESSION))
    try:
        assert (await gateway.get("/api/users/me")).status_code == 401
        page = await gateway.get("/", follow_redirects=False)
        assert page.status_code in (302, 303) and "/login" in page.headers["location"]
    finally:
        gateway.cookies.clear()
    assert [u["username"] for u in (await gateway.get("/api/users", headers=admin)).json()["items"]] == ["admin"]


async def test_the_first_admin_logs_in_and_sees_who_they_are(
    gateway: AsyncTestClient[Any], admin: dict[str, str]
) -> None:
    me = (await gateway.get("/api/users/me", headers=admin)).json()
    assert (me["username"], me["role"], me["staff_id"]) == ("admin", "admin", None)


async def test_a_wrong_password_gets_no_token(gateway: AsyncTestClient[Any]) -> None:
    for username, password in (("admin", "nope"), ("ghost", "admin-pass-1")):
        response = await gateway.post("/api/auth/token", json={"username": username, "password": password})
        assert response.status_code == 401
        assert response.json()["detail"] == "wrong username or password"
        assert "access_token" not in response.text


STAFF_ID = "0b5f3f0e-6d8a-4c47-9a57-2a4f6f1f3c11"


async def test_a_user_linked_to_a_staff_id_that_is_not_a_uuid_is_refused_with_400(
    gateway: AsyncTestClient[Any], admin: dict[str, str]
) -> None:
    body = {"username": "ana", "password": "ana-pass", "role": "agent", "staff_id": "s-7"}
    refused = await gateway.post("/api/users", json=body, headers=admin)
    assert refused.status_code == 400, refused.text
    listing = (await gateway.get("/api/users", headers=admin)).json()
    assert [u["username"] for u in listing["items"]] == ["admin"]


async def test_an_admin_creates_users_and_an_agent_may_not(
    gateway: AsyncTestClient[Any], admin: dict[str, str], login: Any
) -> None:
    created = await gateway.post(
        "/api/users",
        json={"username": "ana", "password": "ana-pass", "role": "agent", "staff_id": STAFF_ID},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert created.json()["staff_id"] == STAFF_ID
    assert "password" not in created.text

    agent = await login("ana", "ana-pass")
    assert (await gateway.get("/api/users/me", headers=agent)).json()["staff_id"] == STAFF_ID
    forbidden = await gateway.post(
        "/api/users", json={"username": "eve", "password": "eve-pass", "role": "admin"}, headers=agent
    )
    assert forbidden.status_code == 403
    assert "admin" in forbidden.json()["detail"]
    assert (await gateway.get("/api/users", headers=agent)).status_code == 403
    listing = (await gateway.get("/api/users", headers=admin)).json()
    assert [u["username"] for u in listing["items"]] == ["admin", "ana"]
    assert listing["total"] == 2


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"username": "bob"}, 400, "password"),
        ({"username": "bob", "password": "bob-pass", "role": "boss"}, 422, "role must be one of"),
        ({"username": "b o b", "password": "bob-pass", "role": "agent"}, 422, "username"),
        ({"username": "admin", "password": "bob-pass", "role": "agent"}, 409, "taken"),
        ("not json at all", 400, ""),
    ],
)
async def test_a_bad_user_body_gets_a_clear_4xx_and_creates_nothing(
    gateway: AsyncTestClient[Any], admin: dict[str, str], body: Any, status: int, message: str
) -> None:
    kwargs: dict[str, Any] = {"content": body} if isinstance(body, str) else {"json": body}
    response = await gateway.post("/api/users", headers={**admin, "content-type": "application/json"}, **kwargs)
    assert response.status_code == status, response.text
    assert message in str(response.json())
    assert (await gateway.get("/api/users", headers=admin)).json()["total"] == 1


async def test_a_bad_token_request_gets_a_4xx(gateway: AsyncTestClient[Any]) -> None:
    response = await gateway.post("/api/auth/token", json={"username": "admin"})
    assert response.status_code == 400
    assert "password" in str(response.json())


async def test_a_service_that_is_down_answers_503_with_a_clear_message(
    gateway: AsyncTestClient[Any], admin: dict[str, str]
) -> None:
    response = await gateway.get("/api/partners", params={"name": "x"}, headers=admin)
    assert response.status_code == 503
    assert "/api/partners" in response.json()["detail"]
    assert "not reachable" in response.json()["detail"]


async def test_a_path_no_service_owns_is_404(gateway: AsyncTestClient[Any], admin: dict[str, str]) -> None:
    response = await gateway.get("/api/nothing-here/1", headers=admin)
    assert response.status_code == 404
    assert "no service serves /api/nothing-here/1" in response.json()["detail"]


async def test_an_uploaded_file_is_stored_once_by_its_hash_and_read_back(
    gateway: AsyncTestClient[Any], admin: dict[str, str]
) -> None:
    first = await gateway.post("/api/blobs", files={"data": ("offer.pdf", b"%PDF-1.4 hello")}, headers=admin)
    assert first.status_code == 201, first.text
    again = await gateway.post("/api/blobs", files={"data": ("copy.pdf", b"%PDF-1.4 hello")}, headers=admin)
    assert first.json() == again.json()
    assert first.json()["size"] == 14
    back = await gateway.get(f"/api/blobs/{first.json()['sha256']}", headers=admin)
    assert back.content == b"%PDF-1.4 hello"


async def test_a_blob_too_large_or_a_bad_address_is_a_clear_4xx(
    gateway: AsyncTestClient[Any], admin: dict[str, str]
) -> None:
    too_big = await gateway.post("/api/blobs", files={"data": ("big.bin", b"x" * (65 * 1024))}, headers=admin)
    assert too_big.status_code in (400, 413)
    assert "too large" in too_big.json()["detail"]
    assert (await gateway.get("/api/blobs/..%2F..%2Fetc%2Fpasswd", headers=admin)).status_code in (400, 404)
    assert (await gateway.get("/api/blobs/" + "a" * 64, headers=admin)).status_code == 404
