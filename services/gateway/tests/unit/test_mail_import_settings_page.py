"""C4's page: an admin sees and changes the import folder and the default export format, in Romanian and English."""

from __future__ import annotations

import re
from typing import Any, cast

import pytest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template

from crm_gateway.domain.users import User
from crm_gateway.ui import permissions
from crm_gateway.ui.api import ApiClient, ApiError
from crm_gateway.ui.areas import mail_import_settings as page
from crm_gateway.ui.areas.settings import SECTIONS
from crm_gateway.ui.web import TEMPLATES, Areas, configure_templates

SAVED = {
    "folder": "/srv/crm/mail-inbox",
    "export_format": "thunderbird",
    "saved": True,
    "updated_at": "2026-03-02T09:00:00Z",
    "updated_by": "ana",
}
ADMIN = User(id="u-1", username="ana", role="admin", staff_id=None)

REFUSED = ApiError(
    422,
    "the folder /srv/lipsa does not exist on the mail-ingest host; create it first",
    {
        "code": "mail_import.folder_not_found",
        "params": {"folder": "/srv/lipsa"},
        "errors": [
            {
                "field": "folder",
                "message": "the folder /srv/lipsa does not exist on the mail-ingest host; create it first",
                "code": "mail_import.folder_not_found",
                "params": {"folder": "/srv/lipsa"},
            }
        ],
    },
)


def render(language: str, **context: Any) -> str:
    engine = JinjaTemplateEngine(directory=TEMPLATES)
    configure_templates(engine, Areas(), "Europe/Bucharest", language)
    values = {"formats": ("auto", "outlook", "thunderbird", "eml"), "error": None, "saved": False, **context}
    return engine.engine.get_template("mail_imports/settings.html").render(**values)


def options(html: str) -> list[tuple[str, str, bool]]:
    found = re.findall(r'<option value="(\w+)" (selected)?>([^<]+)</option>', html)
    return [(value, text, bool(selected)) for value, selected, text in found]


def test_the_page_shows_the_saved_folder_and_the_formats_by_name_in_romanian() -> None:
    html = render("ro", settings=SAVED)
    assert "Director import emailuri" in html and "Format export implicit" in html
    assert 'name="folder" id="folder" value="/srv/crm/mail-inbox"' in html
    assert options(html) == [
        ("auto", "Automat (recunoscut pentru fiecare fișier)", False),
        ("outlook", "Outlook (Text only)", False),
        ("thunderbird", "Thunderbird (text simplu)", True),
        ("eml", "Fișier .eml (MIME)", False),
    ]
    assert "Salvat de ana la 02.03.2026 11:00" in html


def test_the_page_reads_in_english_and_says_when_nothing_was_saved_yet() -> None:
    html = render("en", settings={**SAVED, "export_format": "auto", "saved": False, "updated_at": None})
    assert "Email import folder" in html and "Default export format" in html
    assert [(text, selected) for _, text, selected in options(html)] == [
        ("Automatic (recognised per file)", True),
        ("Outlook (Text only)", False),
        ("Thunderbird (plain text)", False),
        (".eml file (MIME)", False),
    ]
    assert "Nothing saved yet: the service&#39;s configured values apply." in html


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ro", "Directorul /srv/lipsa nu există pe serverul de import; creați-l întâi."),
        ("en", "The folder /srv/lipsa does not exist on the import server; create it first."),
    ],
)
def test_a_refused_folder_is_named_beside_its_field_in_the_users_language(language: str, text: str) -> None:
    html = render(language, settings={**SAVED, "folder": "/srv/lipsa"}, error=REFUSED)
    assert f'<li data-field="folder">{text}</li>' in html
    assert 'value="/srv/lipsa"' in html  # what was typed stays in the form


class FakeApi:
    """The calls a page makes to the API; a PUT answers ``refusal`` when one is set."""

    def __init__(self, refusal: ApiError | None = None) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.refusal = refusal

    async def get(self, path: str, **_: Any) -> Any:
        self.calls.append(("GET", path, None))
        return SAVED

    async def put(self, path: str, json: Any = None, **_: Any) -> Any:
        self.calls.append(("PUT", path, json))
        if self.refusal is not None:
            raise self.refusal
        return {**SAVED, **json}


@pytest.mark.parametrize("role", ["manager", "agent"])
async def test_someone_who_is_not_an_admin_gets_403_and_no_service_is_asked(role: str) -> None:
    api = FakeApi()
    user = User(id="u-2", username="ion", role=role, staff_id=None)
    with pytest.raises(ApiError) as shown:
        await page.import_settings.fn(api=cast(ApiClient, api), user=user)
    with pytest.raises(ApiError):
        await page.save_import_settings.fn(api=cast(ApiClient, api), user=user, data={"folder": "/srv/x"})
    assert shown.value.status == 403 and api.calls == []


async def test_a_saved_change_goes_to_the_service_trimmed_and_comes_back_to_the_page() -> None:
    api = FakeApi()
    form = {"folder": "  /srv/nou  ", "export_format": "eml"}
    answer = await page.save_import_settings.fn(api=cast(ApiClient, api), user=ADMIN, data=form)
    assert isinstance(answer, Redirect) and answer.url == "/settings/mail-import?saved=1"
    assert api.calls == [("PUT", "/api/mail-import-settings", {"folder": "/srv/nou", "export_format": "eml"})]


async def test_a_refused_change_shows_the_form_again_with_what_was_typed_and_the_services_status() -> None:
    api = FakeApi(refusal=REFUSED)
    form = {"folder": "/srv/lipsa", "export_format": "eml"}
    answer = await page.save_import_settings.fn(api=cast(ApiClient, api), user=ADMIN, data=form)
    assert isinstance(answer, Template) and answer.status_code == 422
    context = answer.context
    assert (context["settings"]["folder"], context["settings"]["export_format"]) == ("/srv/lipsa", "eml")
    assert context["settings"]["updated_by"] == "ana" and context["error"] is REFUSED


def test_the_settings_page_leads_admins_only_to_the_c4_page() -> None:
    [c4] = [s for s in SECTIONS if s[0] == "C4"]
    assert (c4[2], c4[3]) == ("/settings/mail-import", "mail_import_settings.write")
    assert permissions.allowed("admin", "mail_import_settings.write")
    assert not permissions.allowed("manager", "mail_import_settings.write")
