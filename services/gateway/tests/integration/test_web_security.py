"""The web-security findings (ASVS L2): login throttling, revocable sessions, CSRF, security headers."""

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from litestar.testing import AsyncTestClient

from crm_gateway.bootstrap import bootstrap
from crm_gateway.settings import GatewaySettings

ADMIN_PASSWORD = "admin-pass-1"  # the conftest's first admin
OWN_ORIGIN = "http://testserver.local"


async def ui_login(client: AsyncTestClient[Any], username: str = "admin", password: str = ADMIN_PASSWORD) -> str:
    """Log in through the form; the session cookie's value (the client keeps it in its jar too)."""
    answer = await client.post("/login", data={"username": username, "password": password}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return str(answer.cookies["crm_session"])


async def csrf_of(client: AsyncTestClient[Any], path: str = "/settings") -> str:
    """The CSRF token the page's forms carry (and its <meta> tag states the same)."""
    html = (await client.get(path)).text
    field = re.search(r'name="csrf_token" value="([^"]+)"', html)
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert field and meta, html[:500]
    assert field.group(1) == meta.group(1)
    return field.group(1)


def session(cookie: str) -> dict[str, str]:
    return {"cookie": f"crm_session={cookie}"}


async def user_count(client: AsyncTestClient[Any], admin: dict[str, str]) -> int:
    return int((await client.get("/api/users", headers=admin)).json()["total"])


# --- login throttling ------------------------------------------------------------------------------------------


async def test_thirty_wrong_passwords_on_the_token_api_lock_the_user_and_then_even_the_right_one_gets_429(
    gateway: AsyncTestClient[Any],
) -> None:
    statuses = []
    for _ in range(30):
        answer = await gateway.post("/api/auth/token", json={"username": "admin", "password": "guess"})
        statuses.append(answer.status_code)
    assert statuses[:5] == [401] * 5
    assert set(statuses[5:]) == {429}
    right = await gateway.post("/api/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert right.status_code == 429
    assert int(right.headers["retry-after"]) > 0
    assert "access_token" not in right.text
    assert "try again" in right.json()["detail"]


async def test_an_unknown_user_is_answered_exactly_like_a_real_one(gateway: AsyncTestClient[Any]) -> None:
    answers: dict[str, list[tuple[int, str, bool]]] = {}
    for username in ("admin", "ghost"):
        answers[username] = []
        for _ in range(7):
            answer = await gateway.post("/api/auth/token", json={"username": username, "password": "guess"})
            answers[username].append(
                (answer.status_code, answer.json()["detail"].split(";")[0], "retry-after" in answer.headers)
            )
    assert answers["admin"] == answers["ghost"]
    assert answers["ghost"][-1] == (429, "too many failed logins", True)


async def test_thirty_wrong_passwords_on_the_login_form_answer_429_with_a_message_and_no_session(
    gateway: AsyncTestClient[Any],
) -> None:
    for _ in range(30):
        answer = await gateway.post("/login", data={"username": "admin", "password": "guess"}, follow_redirects=False)
    assert answer.status_code == 429
    assert int(answer.headers["retry-after"]) > 0
    assert "Prea multe încercări eșuate" in answer.text
    right = await gateway.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD}, follow_redirects=False)
    assert right.status_code == 429
    assert "crm_session" not in right.cookies
    gateway.cookies.set("crm_lang", "en")
    english = await gateway.post("/login", data={"username": "admin", "password": "guess"}, follow_redirects=False)
    assert "Too many failed attempts" in english.text


async def test_many_failures_from_one_address_lock_that_address_for_every_username(
    gateway: AsyncTestClient[Any],
) -> None:
    for n in range(20):
        answer = await gateway.post("/api/auth/token", json={"username": f"user{n}", "password": "guess"})
        assert answer.status_code == 401
    fresh_name = await gateway.post("/api/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert fresh_name.status_code == 429


async def test_a_good_login_clears_the_users_count_of_failures(gateway: AsyncTestClient[Any]) -> None:
    for _ in range(2):
        for _ in range(4):
            wrong = await gateway.post("/api/auth/token", json={"username": "admin", "password": "guess"})
            assert wrong.status_code == 401
        good = await gateway.post("/api/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert good.status_code == 200


# --- revocable sessions -----------------------------------------------------------------------------------------


async def test_the_session_cookie_is_worthless_after_logout(gateway: AsyncTestClient[Any]) -> None:
    cookie = await ui_login(gateway)
    assert (await gateway.get("/api/users/me")).status_code == 200
    token = await csrf_of(gateway)
    out = await gateway.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    gateway.cookies.clear()
    page = await gateway.get("/settings", headers=session(cookie), follow_redirects=False)
    assert page.status_code in (302, 303)
    assert page.headers["location"].startswith("/login")
    api = await gateway.get("/api/users/me", headers=session(cookie))
    assert api.status_code == 401
    assert "session has ended" in api.json()["detail"]


async def test_a_password_change_ends_every_session_and_token_of_the_user(
    gateway: AsyncTestClient[Any], login: Any
) -> None:
    other_browser = await ui_login(gateway)
    gateway.cookies.clear()
    old_token = await login("admin", ADMIN_PASSWORD)
    changed = await gateway.put(
        "/api/users/me/password",
        json={"current_password": ADMIN_PASSWORD, "new_password": "a-new-pass-2"},
        headers=old_token,
    )
    assert changed.status_code == 200, changed.text
    assert (await gateway.get("/api/users/me", headers=session(other_browser))).status_code == 401
    revoked = await gateway.get("/api/users/me", headers=old_token)
    assert revoked.status_code == 401
    assert "revoked" in revoked.json()["detail"]
    fresh = {"authorization": f"Bearer {changed.json()['access_token']}"}
    assert (await gateway.get("/api/users/me", headers=fresh)).status_code == 200
    old_password = await gateway.post("/api/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert old_password.status_code == 401
    assert (await login("admin", "a-new-pass-2"))["authorization"].startswith("Bearer ")


async def test_a_wrong_current_password_changes_nothing(gateway: AsyncTestClient[Any], admin: dict[str, str]) -> None:
    answer = await gateway.put(
        "/api/users/me/password", json={"current_password": "guess", "new_password": "a-new-pass-2"}, headers=admin
    )
    assert answer.status_code == 403
    assert (await gateway.get("/api/users/me", headers=admin)).status_code == 200
    short = await gateway.put(
        "/api/users/me/password", json={"current_password": ADMIN_PASSWORD, "new_password": "x"}, headers=admin
    )
    assert short.status_code == 422
    assert (await gateway.get("/api/users/me", headers=admin)).status_code == 200


async def test_the_settings_page_changes_the_password_and_keeps_only_this_browser_logged_in(
    gateway: AsyncTestClient[Any],
) -> None:
    elsewhere = await ui_login(gateway)
    here = await ui_login(gateway)
    token = await csrf_of(gateway)
    answer = await gateway.post(
        "/settings/password",
        data={"current_password": ADMIN_PASSWORD, "new_password": "a-new-pass-2", "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    renewed = str(answer.cookies["crm_session"])
    assert renewed not in (here, elsewhere)
    gateway.cookies.clear()
    for dead in (here, elsewhere):
        assert (await gateway.get("/api/users/me", headers=session(dead))).status_code == 401
    assert (await gateway.get("/api/users/me", headers=session(renewed))).status_code == 200


# --- CSRF -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://evil.example"},
        {"origin": "http://testserver.local:8081"},  # same site, another port: SameSite=Lax lets the cookie through
        {"origin": "null"},
        {"referer": "http://evil.example/page"},
    ],
)
async def test_a_form_post_from_another_origin_is_refused_and_stores_nothing(
    gateway: AsyncTestClient[Any], admin: dict[str, str], headers: dict[str, str]
) -> None:
    await ui_login(gateway)
    token = await csrf_of(gateway)
    form = {"username": "mallory", "password": "mallory-pass", "role": "admin", "csrf_token": token}
    answer = await gateway.post("/settings/users", data=form, headers=headers, follow_redirects=False)
    assert answer.status_code == 403
    assert "Formularul a expirat" in answer.text
    assert await user_count(gateway, admin) == 1


async def test_a_form_post_from_the_gateways_own_origin_with_the_token_works(
    gateway: AsyncTestClient[Any], admin: dict[str, str]
) -> None:
    await ui_login(gateway)
    form = {"username": "ana", "password": "ana-pass", "role": "agent", "csrf_token": await csrf_of(gateway)}
    answer = await gateway.post("/settings/users", data=form, headers={"origin": OWN_ORIGIN}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert await user_count(gateway, admin) == 2


@pytest.mark.parametrize("token", [None, "", "0" * 64])
async def test_a_form_post_without_the_right_csrf_token_is_refused_and_stores_nothing(
    gateway: AsyncTestClient[Any], admin: dict[str, str], token: str | None
) -> None:
    await ui_login(gateway)
    form = {"username": "mallory", "password": "mallory-pass", "role": "admin"}
    if token is not None:
        form["csrf_token"] = token
    answer = await gateway.post("/settings/users", data=form, follow_redirects=False)
    assert answer.status_code == 403
    assert await user_count(gateway, admin) == 1


async def test_another_sessions_csrf_token_does_not_fit(gateway: AsyncTestClient[Any], admin: dict[str, str]) -> None:
    await ui_login(gateway)
    foreign = await csrf_of(gateway)
    await ui_login(gateway)  # a new session, a new token
    form = {"username": "mallory", "password": "mallory-pass", "role": "admin", "csrf_token": foreign}
    answer = await gateway.post("/settings/users", data=form, follow_redirects=False)
    assert answer.status_code == 403
    assert await user_count(gateway, admin) == 1


async def test_every_ui_write_route_refuses_a_session_request_without_the_token(gateway: AsyncTestClient[Any]) -> None:
    await ui_login(gateway)
    writes = [
        (method, re.sub(r"\{[^}]+:uuid\}", str(uuid4()), re.sub(r"\{[^}]+:(str|int|path)\}", "1", route.path)))
        for route in gateway.app.routes
        if not route.path.startswith(("/api", "/static")) and route.path != "/login"
        for method in sorted(route.methods & {"POST", "PUT", "PATCH", "DELETE"})
    ]
    assert ("POST", "/settings/users") in writes
    assert len(writes) > 30
    for method, path in writes:
        answer = await gateway.request(method, path, data={"x": "1"}, follow_redirects=False)
        assert answer.status_code == 403, (method, path, answer.status_code)


async def test_a_cookie_write_to_the_api_as_text_plain_is_refused_and_never_forwarded(
    gateway: AsyncTestClient[Any],
) -> None:
    await ui_login(gateway)
    # /api/lost-reasons belongs to a service that is down here: 503 would mean the request was forwarded.
    answer = await gateway.post("/api/lost-reasons", content='{"name": "x"}', headers={"content-type": "text/plain"})
    assert answer.status_code == 403
    token = await csrf_of(gateway)
    with_token = await gateway.post(
        "/api/lost-reasons", content='{"name": "x"}', headers={"content-type": "text/plain", "x-csrf-token": token}
    )
    assert with_token.status_code == 403


async def test_a_cookie_write_to_the_api_needs_json_and_the_csrf_header(
    gateway: AsyncTestClient[Any], admin: dict[str, str]
) -> None:
    await ui_login(gateway)
    body = {"username": "ana", "password": "ana-pass", "role": "agent"}
    without = await gateway.post("/api/users", json=body)
    assert without.status_code == 403
    assert "X-CSRF-Token" in without.json()["detail"]
    form = await gateway.post("/api/users", data=body, headers={"x-csrf-token": await csrf_of(gateway)})
    assert form.status_code == 403
    assert await user_count(gateway, admin) == 1
    good = await gateway.post("/api/users", json=body, headers={"x-csrf-token": await csrf_of(gateway)})
    assert good.status_code == 201, good.text
    assert await user_count(gateway, admin) == 2


async def test_a_bearer_api_call_needs_no_csrf_token(gateway: AsyncTestClient[Any], admin: dict[str, str]) -> None:
    gateway.cookies.clear()
    body = {"username": "ana", "password": "ana-pass", "role": "agent"}
    assert (await gateway.post("/api/users", json=body, headers=admin)).status_code == 201


# --- headers and cookies ----------------------------------------------------------------------------------------


def assert_security_headers(headers: Any) -> None:
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


async def test_pages_error_pages_and_the_login_form_carry_the_security_headers(gateway: AsyncTestClient[Any]) -> None:
    assert_security_headers((await gateway.get("/login")).headers)
    await ui_login(gateway)
    assert_security_headers((await gateway.get("/settings")).headers)
    assert_security_headers((await gateway.get("/no-such-page")).headers)
    refused = await gateway.post("/settings/users", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert_security_headers(refused.headers)
    assert_security_headers((await gateway.get("/static/crm.js")).headers)


async def test_a_page_fetched_for_an_iframe_may_be_framed_by_the_gateway_only(gateway: AsyncTestClient[Any]) -> None:
    framed = (await gateway.get("/login", headers={"sec-fetch-dest": "iframe"})).headers
    assert "frame-ancestors 'self'" in framed["content-security-policy"]
    assert "frame-ancestors 'none'" not in framed["content-security-policy"]
    assert framed["x-frame-options"] == "SAMEORIGIN"


async def test_a_blob_is_served_private_and_never_sniffed(gateway: AsyncTestClient[Any], admin: dict[str, str]) -> None:
    stored = await gateway.post("/api/blobs", files={"data": ("a.html", b"<script>alert(1)</script>")}, headers=admin)
    assert stored.status_code == 201, stored.text
    blob = await gateway.get(f"/api/blobs/{stored.json()['sha256']}", headers=admin)
    assert blob.status_code == 200
    assert blob.headers["cache-control"].startswith("private")
    assert blob.headers["x-content-type-options"] == "nosniff"
    assert blob.headers["content-type"] == "application/octet-stream"


async def test_the_session_cookie_is_not_secure_on_plain_http(gateway: AsyncTestClient[Any]) -> None:
    answer = await gateway.post(
        "/login", data={"username": "admin", "password": ADMIN_PASSWORD}, follow_redirects=False
    )
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("crm_session="))
    assert "httponly" in cookie.lower()
    assert "secure" not in cookie.lower()
    assert "strict-transport-security" not in answer.headers


@pytest.fixture
async def https_gateway(gateway_settings: GatewaySettings, tmp_path: Path) -> AsyncIterator[AsyncTestClient[Any]]:
    settings = gateway_settings.model_copy(update={"public_url": "https://crm.example.com"})
    service = bootstrap(settings)
    await service.migrate()
    async with AsyncTestClient(app=service.app(), base_url="https://crm.example.com") as client:
        yield client
    await service.db.dispose()


async def test_behind_https_the_cookies_are_secure_and_the_public_origin_is_accepted(
    https_gateway: AsyncTestClient[Any],
) -> None:
    answer = await https_gateway.post(
        "/login", data={"username": "admin", "password": ADMIN_PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 303
    for cookie in answer.headers.get_list("set-cookie"):
        assert "secure" in cookie.lower(), cookie
    assert answer.headers["strict-transport-security"].startswith("max-age=")
    token = await csrf_of(https_gateway)
    out = await https_gateway.post(
        "/logout", data={"csrf_token": token}, headers={"origin": "https://crm.example.com"}, follow_redirects=False
    )
    assert out.status_code == 303


async def test_sessions_versions_and_lockouts_work_on_sqlite_and_postgresql(
    gateway_settings: GatewaySettings, database_url: str
) -> None:
    service = bootstrap(gateway_settings.model_copy(update={"database_url": database_url}))
    await service.migrate()
    try:
        async with AsyncTestClient(app=service.app()) as client:
            for _ in range(6):
                locked = await client.post("/api/auth/token", json={"username": "nobody", "password": "guess"})
            assert locked.status_code == 429
            cookie = await ui_login(client)
            token = (
                await client.post("/api/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD})
            ).json()["access_token"]
            out = await client.post("/logout", data={"csrf_token": await csrf_of(client)}, follow_redirects=False)
            assert out.status_code == 303
            client.cookies.clear()
            assert (await client.get("/api/users/me", headers=session(cookie))).status_code == 401
            changed = await client.put(
                "/api/users/me/password",
                json={"current_password": ADMIN_PASSWORD, "new_password": "a-new-pass-2"},
                headers={"authorization": f"Bearer {token}"},
            )
            assert changed.status_code == 200
            assert (await client.get("/api/users/me", headers={"authorization": f"Bearer {token}"})).status_code == 401
    finally:
        await service.db.dispose()
