"""A browser never sees raw JSON: an unknown address or a form's address opened by GET gets a page; /api keeps JSON."""

from __future__ import annotations

from uuid import UUID

import pytest
from litestar import Litestar, get, post
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from litestar.testing import TestClient

from crm_gateway.ui.web import TEMPLATES, Areas, configure_templates, http_error_page

HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
OPPORTUNITY = "7f1d3c1e-0000-4000-8000-000000000001"


@get("/opportunities/{opportunity_id:uuid}", sync_to_thread=False)
def opportunity(opportunity_id: UUID) -> str:
    return "the opportunity"


@post("/opportunities/{opportunity_id:uuid}/stage", sync_to_thread=False)
def change_stage(opportunity_id: UUID) -> str:
    return "moved"


@post("/orphans/submit", sync_to_thread=False)
def orphan_form() -> str:
    return "stored"


@get("/api/things", sync_to_thread=False)
def api_things() -> list[str]:
    return []


def client(language: str = "ro") -> TestClient[Litestar]:
    app = Litestar(
        [opportunity, change_stage, orphan_form, api_things],
        exception_handlers={404: http_error_page, 405: http_error_page},
        template_config=TemplateConfig(
            directory=TEMPLATES,
            engine=JinjaTemplateEngine,
            engine_callback=lambda engine: configure_templates(engine, Areas(), "Europe/Bucharest", language),
        ),
    )
    return TestClient(app)


@pytest.mark.parametrize(
    ("language", "text", "login"), [("ro", "Pagina nu există.", "Autentificare"), ("en", "Page not found.", "Log in")]
)
def test_an_unknown_address_in_a_browser_is_a_translated_page_with_a_login_link_for_a_visitor(
    language: str, text: str, login: str
) -> None:
    with client(language) as browser:
        answer = browser.get("/nope", headers=HTML)
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
    assert f'<p id="error-message">{text}</p>' in answer.text
    assert f'<a href="/login" id="error-login">{login}</a>' in answer.text
    assert "data-nav=" not in answer.text  # no session, no menu
    assert "status_code" not in answer.text


def test_reloading_a_forms_address_goes_back_to_the_forms_page_and_stores_nothing() -> None:
    with client() as browser:
        answer = browser.get(f"/opportunities/{OPPORTUNITY}/stage", headers=HTML, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"/opportunities/{OPPORTUNITY}"


def test_a_forms_address_without_a_page_above_it_is_the_not_found_page() -> None:
    with client("en") as browser:
        answer = browser.get("/orphans/submit", headers=HTML, follow_redirects=False)
    assert answer.status_code == 404 and '<p id="error-message">Page not found.</p>' in answer.text


def test_the_api_and_a_client_not_asking_for_html_keep_the_json_problem() -> None:
    with client() as browser:
        unknown = browser.get("/api/nope", headers=HTML)
        wrong_method = browser.post("/api/things")
        no_html = browser.get(f"/opportunities/{OPPORTUNITY}/stage", headers={"accept": "application/json"})
    assert unknown.status_code == 404 and unknown.json()["status_code"] == 404
    assert wrong_method.status_code == 405 and wrong_method.json()["status_code"] == 405
    assert no_html.status_code == 405 and no_html.json()["status_code"] == 405
