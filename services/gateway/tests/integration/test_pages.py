from typing import Any

import httpx
import pytest
from litestar import get
from litestar.response import Template
from litestar.testing import AsyncTestClient

from crm_gateway.domain.users import User
from crm_gateway.settings import GatewaySettings
from crm_gateway.ui.api import ApiClient, ApiClients, ApiError
from crm_kit.service import Service


@get("/test-area/partners")
async def partners_page(api: ApiClient) -> Template:
    """A page like any area's: it asks a service that is down and lets the ApiError go."""
    return Template("home/index.html", context={"page": await api.get("/api/partners")})


@pytest.fixture
async def site(gateway_service: Service) -> Any:
    app = gateway_service.app()
    app.register(partners_page)
    async with AsyncTestClient(app=app) as client:
        yield client


async def log_in(site: AsyncTestClient[Any], password: str = "admin-pass-1") -> httpx.Response:
    return await site.post(
        "/login", data={"username": "admin", "password": password, "next": "/test-area/partners?x=1"}
    )


async def test_a_page_visit_without_a_session_goes_to_login_and_back_after_it(site: AsyncTestClient[Any]) -> None:
    first = await site.get("/test-area/partners", params={"x": "1"}, follow_redirects=False)
    assert first.status_code in (302, 303)
    assert first.headers["location"] == "/login?next=%2Ftest-area%2Fpartners%3Fx%3D1"
    answer = await log_in(site)
    assert answer.url.path == "/test-area/partners"


async def test_an_api_error_on_a_page_is_shown_in_the_layout_with_its_message(site: AsyncTestClient[Any]) -> None:
    page = await log_in(site)
    assert page.status_code == 503
    assert "Serviciul nu răspunde acum" in page.text
    assert "/api/partners" in page.text
    assert 'href="/partners"' in page.text  # the navigation is still there


async def test_login_never_redirects_to_another_site(site: AsyncTestClient[Any]) -> None:
    answer = await site.post(
        "/login",
        data={"username": "admin", "password": "admin-pass-1", "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"


async def test_the_api_client_returns_json_and_raises_api_error_with_the_services_detail(
    gateway: AsyncTestClient[Any], gateway_settings: GatewaySettings, admin: dict[str, str]
) -> None:
    # A token is good only for a user who exists (and kept their password): create ana first.
    created = await gateway.post(
        "/api/users",
        json={
            "username": "ana",
            "password": "pass1",
            "role": "agent",
            "staff_id": "6a1d2f3e-0c4b-4e8a-9f5d-1b2c3d4e5f60",
        },
        headers=admin,
    )
    clients: ApiClients = gateway.app.state["api_clients"]
    api = clients.client(User(created.json()["id"], "ana", "agent", "6a1d2f3e-0c4b-4e8a-9f5d-1b2c3d4e5f60"))
    try:
        me = await api.get("/api/users/me")
        assert (me["username"], me["staff_id"]) == ("ana", "6a1d2f3e-0c4b-4e8a-9f5d-1b2c3d4e5f60")
        with pytest.raises(ApiError) as down:
            await api.get("/api/partners", params={"name": None, "kind": "lead"})
        assert down.value.status == 503
        assert "not running" in down.value.detail
        with pytest.raises(ApiError) as forbidden:
            await api.post("/api/users", json={"username": "x", "password": "pass1", "role": "agent"})
        assert forbidden.value.status == 403
    finally:
        await api.aclose()


HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.mark.parametrize(
    ("form_address", "page"),
    [
        (
            "/opportunities/7f1d3c1e-0000-4000-8000-000000000001/stage",
            "/opportunities/7f1d3c1e-0000-4000-8000-000000000001",
        ),
        ("/documents/costs", "/documents"),
        ("/settings/users", "/settings"),
        ("/settings/password", "/settings"),
        ("/documents/invoices", "/documents"),
        ("/documents/payments", "/documents"),
        ("/articles/settings", "/articles"),
        ("/partners/7f1d3c1e-0000-4000-8000-000000000001/dossiers", "/partners/7f1d3c1e-0000-4000-8000-000000000001"),
        ("/campaigns/7f1d3c1e-0000-4000-8000-000000000001/members", "/campaigns/7f1d3c1e-0000-4000-8000-000000000001"),
        ("/tasks/7f1d3c1e-0000-4000-8000-000000000001/resolve", "/tasks/7f1d3c1e-0000-4000-8000-000000000001"),
    ],
)
async def test_a_browser_reloading_a_forms_address_goes_back_to_the_forms_page(
    site: AsyncTestClient[Any], form_address: str, page: str
) -> None:
    answer = await site.get(form_address, headers=HTML, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == page


async def test_an_unknown_address_is_the_apps_page_for_a_browser_and_json_for_the_api(
    site: AsyncTestClient[Any],
) -> None:
    page = await site.get("/nope", headers=HTML)
    api = await site.get("/api/auth/token", headers=HTML)
    assert page.status_code == 404 and "Pagina nu există." in page.text and "status_code" not in page.text
    assert api.status_code == 405 and api.json()["status_code"] == 405


async def test_the_not_found_page_of_a_logged_in_user_has_the_menu_and_a_visitors_has_the_login_link(
    site: AsyncTestClient[Any],
) -> None:
    visitor = await site.get("/nope", headers=HTML)
    assert visitor.status_code == 404 and 'id="error-login"' in visitor.text and "data-nav=" not in visitor.text
    await log_in(site)
    page = await site.get("/nope/deeper", headers=HTML)
    assert page.status_code == 404 and "Pagina nu există." in page.text
    assert 'data-nav="/partners"' in page.text and 'class="username"' in page.text  # the layout of a logged-in user
    assert '<a href="/" id="error-back">' in page.text and 'id="error-login"' not in page.text
    site.cookies.set("crm_lang", "en")
    english = await site.get("/nope", headers=HTML)
    assert "Page not found." in english.text and ">Partners<" in english.text
    # a method the address has no route for (405) is the same page, with the menu
    wrong_method = await site.request("PUT", "/partners", headers=HTML)
    assert wrong_method.status_code == 404 and 'data-nav="/partners"' in wrong_method.text


async def test_a_logged_out_session_cookie_on_an_unknown_address_gets_the_visitors_page(
    site: AsyncTestClient[Any],
) -> None:
    site.cookies.set("crm_session", "not-a-session")
    page = await site.get("/nope", headers=HTML)
    assert page.status_code == 404 and 'id="error-login"' in page.text and "data-nav=" not in page.text
