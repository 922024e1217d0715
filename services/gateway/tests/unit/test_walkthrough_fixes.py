"""What a new user found on the pages: one clear message for a missing partner, no action a role may not use."""

from __future__ import annotations

from typing import Any, cast
from uuid import uuid4

import pytest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template

from crm_gateway.auth.sessions import Session
from crm_gateway.domain.users import User
from crm_gateway.ui.api import ApiClient, ApiError
from crm_gateway.ui.areas import partners
from crm_gateway.ui.web import TEMPLATES, Areas, configure_templates


class PageRequest:
    """What a template reads of a request: its path, the language cookie and the session's user."""

    def __init__(self, role: str, language: str, path: str = "/") -> None:
        user = User(id="u-1", username="ana", role=role, staff_id=None)
        self.scope = {"state": {"crm_session": Session(user, "csrf")}}
        self.cookies = {"crm_lang": language}
        self.url = type("Url", (), {"path": path, "query": ""})()


def render(template: str, *, role: str = "admin", language: str = "ro", **context: Any) -> str:
    engine = JinjaTemplateEngine(directory=TEMPLATES)
    configure_templates(engine, Areas(), "Europe/Bucharest", language)
    request = PageRequest(role, language)
    return engine.engine.get_template(template).render(request=request, **context)


class MissingRecords:
    """An API client whose every record is gone (the service answers 404 as it does)."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def get(self, path: str, **_: Any) -> Any:
        self.paths.append(path)
        raise ApiError(404, "not found", {"code": "record.not_found", "params": {}})


@pytest.mark.parametrize(
    ("language", "text", "back"),
    [("ro", "Partenerul nu există.", "Înapoi la parteneri"), ("en", "Partner not found.", "Back to partners")],
)
async def test_a_missing_partner_says_so_once_by_name_with_a_link_back(language: str, text: str, back: str) -> None:
    api = MissingRecords()
    partner_id = uuid4()
    page = await partners.partner_detail.fn(api=cast(ApiClient, api), partner_id=partner_id, kind=None, offset=0)
    assert isinstance(page, Template) and page.status_code == 404 and page.template_name == "error.html"
    assert api.paths == [f"/api/partners/{partner_id}"]
    html = render("error.html", language=language, **page.context)
    assert html.count(text) == 1 and "Not found." not in html and "Nu a fost găsit." not in html
    assert f'<a href="/partners" id="error-back">{back}</a>' in html


def test_a_missing_record_elsewhere_says_not_found_once() -> None:
    html = render("error.html", status=404, error=ApiError(404, "x", {"code": "record.not_found", "params": {}}))
    assert html.count("Nu a fost găsit.") == 1


ARTICLES = {"items": [{"code": "A1", "name": "Hârtie", "unit": "buc", "price": "10", "vat_rate": "19", "photos": []}]}


@pytest.mark.parametrize(("role", "shown"), [("agent", False), ("manager", True), ("admin", True)])
def test_the_edit_link_of_an_article_is_shown_only_to_who_may_change_articles(role: str, shown: bool) -> None:
    html = render(
        "commercial/articles.html", role=role, articles=ARTICLES, rates=[], settings={}, error=None, form={}, q=""
    )
    assert ('href="/articles?edit=A1"' in html) is shown
