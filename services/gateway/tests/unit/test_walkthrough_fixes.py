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
from crm_gateway.ui.areas import commercial, dossiers, mail_imports, notifier, partners
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
    assert api.paths[0] == f"/api/partners/{partner_id}"  # its history and dossiers are read alongside it
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


PARTNER = "5a0e4a5e-0000-4000-8000-000000000001"
EMAILS = {
    "items": [
        {
            "id": "e1",
            "created_at": None,
            "recipient": "ion@beta.ro",
            "subject": "Oferta",
            "partner_id": PARTNER,
            "status": "pending",
            "attempts": 2,
            "server": "settings",
            "sent_at": None,
            "error": "attempt 2 failed, will retry: [Errno 111] Connection refused",
        },
        {
            "id": "e2",
            "created_at": None,
            "recipient": "x@y.ro",
            "subject": "S",
            "partner_id": None,
            "status": "failed",
            "attempts": 1,
            "server": "smtp-firma",
            "sent_at": None,
            "error": "550 5.1.1 mailbox unavailable",
        },
    ],
    "total": 2,
}


class Partners:
    """An API client that knows one partner (Beta SRL) and the email log above; it records what it is asked."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def get(self, path: str, **_: Any) -> Any:
        self.paths.append(path)
        if path == "/api/emails":
            return EMAILS
        if path == f"/api/partners/{PARTNER}":
            return {"id": PARTNER, "name": "Beta SRL"}
        raise ApiError(404, "not found")


async def test_the_email_log_filters_by_a_partner_picker_and_names_each_rows_partner() -> None:
    api = Partners()
    page = await notifier.email_log.fn(
        api=cast(ApiClient, api), status=None, partner_id=PARTNER, email_id=None, offset=0
    )
    assert page.context["filter_partner"] == {"id": PARTNER, "name": "Beta SRL"}
    assert page.context["partner_names"] == {PARTNER: "Beta SRL"}
    assert api.paths.count(f"/api/partners/{PARTNER}") == 2  # the filter and the one partner of the rows, no list
    html = render("notifier/emails.html", **page.context)
    assert "Partener (id)" not in html and 'id="email-filter-partner"' in html
    assert f'<a href="/partners/{PARTNER}" class="email-partner">Beta SRL</a>' in html


@pytest.mark.parametrize(
    ("language", "retry", "refused", "server"),
    [
        (
            "ro",
            "Încercarea 2 nu a reușit; se reîncearcă automat.",
            "Serverul de email l-a refuzat.",
            "Server implicit (configurare)",
        ),
        (
            "en",
            "Attempt 2 failed; it is retried automatically.",
            "The mail server refused it.",
            "Default server (settings)",
        ),
    ],
)
def test_the_email_log_explains_each_note_in_the_users_language_and_keeps_the_technical_text_as_tooltip(
    language: str, retry: str, refused: str, server: str
) -> None:
    context = {"page": EMAILS, "status": "", "partner_id": "", "email_id": "", "statuses": [], "offset": 0}
    html = render(
        "notifier/emails.html", language=language, **context, page_size=50, filter_partner={}, partner_names={}
    )
    assert f'title="attempt 2 failed, will retry: [Errno 111] Connection refused">{retry}</td>' in html
    assert f'title="550 5.1.1 mailbox unavailable">{refused}</td>' in html
    assert f"<td>{server}</td>" in html and "<td>smtp-firma</td>" in html and "<td>settings</td>" not in html


def test_table_headers_never_break_inside_a_word() -> None:
    css = (TEMPLATES.parent / "static" / "crm.css").read_text()
    assert "th { overflow-wrap: normal; word-break: keep-all; hyphens: none; }" in css


@pytest.mark.parametrize(("language", "none"), [("ro", "Fără criptare"), ("en", "No encryption")])
def test_the_mail_servers_page_names_the_tls_modes(language: str, none: str) -> None:
    servers = [{"id": "s1", "name": "firma", "host": "smtp.firma.ro", "port": 25, "tls_mode": "none"}]
    context = {"servers": servers, "mine": {}, "report": None, "error": None, "is_admin": True}
    html = render("notifier/servers.html", language=language, **context)
    assert f"<td>{none}</td>" in html
    assert '<option value="starttls">STARTTLS</option><option value="tls">TLS</option>' in html
    assert f'<option value="none">{none}</option>' in html


STAFF = "3c0e4a5e-0000-4000-8000-000000000002"
TASK = "9d0e4a5e-0000-4000-8000-000000000003"
FIRST = "1b0e4a5e-0000-4000-8000-000000000004"
OPPORTUNITY = "2e0e4a5e-0000-4000-8000-000000000005"
RECORDS: dict[str, dict[str, Any]] = {
    f"/api/partners/{PARTNER}": {"id": PARTNER, "name": "Beta SRL"},
    f"/api/staff/{STAFF}": {"id": STAFF, "name": "Ana Pop"},
    f"/api/tasks/{TASK}": {"id": TASK, "title": "Răspuns la cererea Beta"},
    f"/api/opportunities/{OPPORTUNITY}": {"id": OPPORTUNITY, "title": "Imprimante etaj 2"},
}


class Records:
    """An API client that answers the records above and a collection page given per path; it records each path."""

    def __init__(self, pages: dict[str, Any]) -> None:
        self.pages = pages
        self.paths: list[str] = []

    async def get(self, path: str, **_: Any) -> Any:
        self.paths.append(path)
        if path in self.pages:
            return self.pages[path]
        if path in RECORDS:
            return RECORDS[path]
        raise ApiError(404, "not found")


def test_the_users_table_names_each_users_staff_member() -> None:
    users = {"items": [{"username": "ion", "role": "agent", "staff_id": STAFF}, {"username": "ana", "role": "admin"}]}
    staff = [{"id": STAFF, "name": "Ana Pop"}]
    context = {"users": users, "staff": staff, "sections": [], "is_admin": True, "error": None, "form": {}}
    html = render("settings/index.html", language="en", **context)
    assert "<th>Staff member</th>" in html and "staff_id</th>" not in html
    assert '<td class="user-staff">Ana Pop</td>' in html and f"<code>{STAFF}</code>" not in html


async def test_an_import_entry_names_its_responsible_and_links_the_import_it_duplicates() -> None:
    entry = {
        "id": "i2",
        "file_name": "b.eml",
        "status": "duplicate",
        "responsible_staff_id": STAFF,
        "reason": f"duplicate of a.eml (import {FIRST})",
        "attachments": [],
    }
    api = Records({"/api/mail-imports/i2": entry})
    page = await mail_imports.import_entry.fn(api=cast(ApiClient, api), import_id="i2")
    html = render("mail_imports/detail.html", **page.context)
    assert '<dd id="import-responsible">Ana Pop</dd>' in html
    assert f'Duplicat al importului <a href="/mail-imports/{FIRST}" class="first-import">a.eml</a>' in html
    assert f"(import {FIRST})" not in html


async def test_the_import_log_names_each_rows_task_by_its_title_and_asks_only_for_the_shown_tasks() -> None:
    rows = [
        {"id": "i1", "file_name": "a.eml", "status": "imported", "task_id": TASK, "reason": None},
        {"id": "i3", "file_name": "c.eml", "status": "imported", "task_id": TASK, "reason": None},
        {"id": "i4", "file_name": "d.eml", "status": "imported", "task_id": FIRST, "reason": None},
    ]
    api = Records({"/api/mail-imports": {"items": rows, "total": 3}})
    page = await mail_imports.import_log.fn(api=cast(ApiClient, api), status=None, offset=0, done=None)
    assert sorted(api.paths) == sorted(["/api/mail-imports", f"/api/tasks/{TASK}", f"/api/tasks/{FIRST}"])
    html = render("mail_imports/list.html", language="en", **page.context)
    assert html.count(f'<a href="/tasks/{TASK}" class="import-task">Răspuns la cererea Beta</a>') == 2
    assert f'<a href="/tasks/{FIRST}" class="import-task">Open</a>' in html  # a task the user may not read


async def test_the_dossier_list_names_each_rows_partner() -> None:
    dossier = {"id": "d1", "name": "Contracte", "category": "c", "partner_id": PARTNER, "documents": 0, "bytes": 0}
    pages = {"/api/dossiers": {"items": [dossier], "total": 1}, "/api/dossiers/categories": {"items": []}}
    api = Records(pages)
    page = await dossiers.dossier_list.fn(api=cast(ApiClient, api), partner_id=None, category=None, offset=0)
    html = render("dossiers/list.html", **page.context)
    assert f'<a href="/partners/{PARTNER}" class="dossier-partner">Beta SRL</a>' in html


async def test_an_offer_names_its_opportunity_by_title() -> None:
    doc_id = uuid4()
    source = {"opportunity_id": OPPORTUNITY}
    doc = {"id": str(doc_id), "partner_id": PARTNER, "kind": "offer", "number": "OF-1", "lines": [], "source": source}
    api = Records({f"/api/documents/{doc_id}": doc})
    page = await commercial.document_page.fn(api=cast(ApiClient, api), document_id=doc_id)
    assert page.context["opportunity_titles"] == {OPPORTUNITY: "Imprimante etaj 2"}
    html = render("commercial/document.html", **page.context)
    assert f'<a href="/opportunities/{OPPORTUNITY}" id="document-opportunity">Imprimante etaj 2</a>' in html


def lost_opportunity(language: str, code: str, history: list[dict[str, Any]]) -> str:
    return render(
        "opportunities/detail.html",
        language=language,
        opp={
            "id": "o1",
            "partner_id": PARTNER,
            "title": "T",
            "stage": "lost",
            "closed": True,
            "seconds_in_stage": 60,
            "lost_reason_code": code,
            "lost_note": "",
            "stage_history": {"items": history, "time_in_stage": {}},
            "next_stages": [],
            "documents": [],
        },
        line_rows=range(0),
        error=None,
        reasons=[{"code": "competitor", "text": "Concurența"}],
        form={},
        delegate={},
    )


@pytest.mark.parametrize(("language", "text"), [("ro", "Concurent prezent"), ("en", "Competitor present")])
def test_a_lost_opportunity_names_its_reason_as_the_history_does(language: str, text: str) -> None:
    html = lost_opportunity(language, "competitor", [])
    assert f'<td colspan="3" id="lost-reason">{text}</td>' in html


def test_a_lost_opportunity_names_a_companys_own_retired_reason_by_the_text_its_history_keeps() -> None:
    entered = {"stage": "new", "entered_at": None, "seconds_in_stage": 1, "potential": "0", "probability": "0"}
    history = [
        {**entered, "reason_code": None, "reason_text": None, "weighted_potential": "0"},
        {**entered, "stage": "lost", "reason_code": "merger", "reason_text": "Fuziune", "weighted_potential": "0"},
    ]
    html = lost_opportunity("en", "merger", history)
    assert '<td colspan="3" id="lost-reason">Fuziune</td>' in html
