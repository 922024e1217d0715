"""What a new user found on the third walkthrough: a documents page that says to choose a partner, a billed month
chosen from lists and checked, the issuer of an imported email's task, and a missing partner's edit page."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template

from crm_gateway.api.stream import KEEPALIVE
from crm_gateway.ui import notes
from crm_gateway.ui.api import ApiError
from crm_gateway.ui.areas.commercial import invoice_period, issue_invoice
from crm_gateway.ui.areas.partners import partner_edit, partner_save
from crm_gateway.ui.areas.tasks import _csv_cell
from crm_gateway.ui.problems import field_errors
from crm_gateway.ui.web import TEMPLATES, Areas, configure_templates

PARTNER = "0190a1b2-0000-7000-8000-000000000001"
CONTRACT = "0190a1b2-0000-7000-8000-000000000009"


def render(template: str, language: str = "ro", **context: Any) -> str:
    engine = JinjaTemplateEngine(directory=TEMPLATES)
    configure_templates(engine, Areas(), "Europe/Bucharest", language)
    return engine.engine.get_template(template).render(**context)


class Api:
    """GETs answered from a dict (404 when missing); POSTs recorded."""

    def __init__(self, records: dict[str, Any] | None = None) -> None:
        self.records = records or {}
        self.posted: list[tuple[str, Any]] = []

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        if path not in self.records:
            raise ApiError(404, f"no {path}")
        return self.records[path]

    async def post(self, path: str, json: Any = None, **_: Any) -> Any:
        self.posted.append((path, json))
        return {"id": "inv-1"}

    async def patch(self, path: str, json: Any = None) -> Any:
        self.posted.append((path, json))
        return {}


# 1. /documents without a partner -------------------------------------------------------------------------------


def documents(language: str, partner_id: str = "") -> str:
    return render(
        "commercial/documents.html",
        language,
        chosen={"id": partner_id, "name": "Beta SRL" if partner_id else ""},
        partner_id=partner_id,
        partner={"id": partner_id, "name": "Beta SRL"} if partner_id else None,
        doc_type="",
        doc_types=(),
        documents={"items": [], "total": 0},
        balance=None,
        form={},
    )


@pytest.mark.parametrize(("language", "hint"), [("ro", "Alegeți un partener"), ("en", "Choose a partner")])
def test_the_documents_page_without_a_partner_says_to_choose_one(language: str, hint: str) -> None:
    html = documents(language)
    assert re.search(rf'<p class="muted" id="partner-hint">{hint}', html)
    assert 'id="documents"' not in html
    assert 'id="partner-hint"' not in documents(language, PARTNER)


def test_the_invoice_page_without_a_partner_says_to_choose_one() -> None:
    html = render("commercial/invoice_new.html", "en", chosen={"id": "", "name": ""}, partner_id="", form={})
    assert 'id="partner-hint">Choose the partner you are invoicing' in html


def test_the_live_streams_keepalive_is_a_comment_with_no_data_the_browser_would_parse() -> None:
    assert KEEPALIVE.encode() == b": keepalive\r\n\r\n"


def test_the_pages_read_fetch_answers_and_stream_events_that_are_empty_or_not_json_without_failing() -> None:
    crm = (TEMPLATES.parent / "static" / "crm.js").read_text()
    picker = (TEMPLATES.parent / "static" / "picker.js").read_text()
    assert "JSON.parse(event.data)" not in crm and crm.count("crm.parseJson(event.data)") == 3
    assert "response.json()" not in picker and "window.crm.readJson(response)" in picker


# 2. the billed month of a contract invoice ---------------------------------------------------------------------


def invoice_form(language: str, **form: Any) -> str:
    return render(
        "commercial/invoice_new.html",
        language,
        chosen={"id": PARTNER, "name": "Beta SRL"},
        partner_id=PARTNER,
        orders=[],
        contracts=[{"id": CONTRACT, "number": "CTR-1", "starts_on": "2024-05-01", "ends_on": None}],
        rows=range(1),
        articles={"line_code_0": {"code": "", "name": ""}},
        period_years=[2024, 2025, 2026, 2027],
        this_year=2026,
        form=form,
    )


def test_the_billed_month_is_a_list_of_month_names_and_a_list_of_years_not_a_text_box() -> None:
    html = invoice_form("ro")
    assert 'name="period"' not in html
    assert re.search(r'<select name="period_month" data-error-for="period"><option value="">—</option>', html)
    assert '<option value="3" >martie</option>' in html
    assert '<option value="2026" selected>2026</option>' in html  # this year, until the user chooses
    english = invoice_form("en", period_month="12", period_year="2024")
    assert '<option value="12" selected>December</option>' in english
    assert '<option value="2024" selected>2024</option>' in english


@pytest.mark.parametrize(
    ("form", "period"),
    [
        ({"period_month": "3", "period_year": "2026"}, "2026-03"),
        ({"period_month": "12", "period_year": "2025"}, "2025-12"),
    ],
)
def test_a_chosen_month_and_year_are_the_api_period(form: dict[str, str], period: str) -> None:
    assert invoice_period(form) == (period, None)


@pytest.mark.parametrize(
    ("form", "ro", "en"),
    [
        ({"period_year": "2026"}, "Alegeți luna și anul facturate.", "Choose the month and the year billed."),
        ({"period_month": "13", "period_year": "2026"}, "Alegeți luna și anul din liste.", "Choose the month and"),
        ({"period_month": "3", "period_year": "26"}, "Alegeți luna și anul din liste.", "Choose the month and"),
        ({"period_month": "martie", "period_year": "2026"}, "Alegeți luna și anul din liste.", "Choose the month and"),
    ],
)
def test_a_missing_or_bad_month_is_a_field_error_in_the_users_language(form: dict[str, str], ro: str, en: str) -> None:
    period, error = invoice_period(form)
    assert period is None and error is not None and error.status == 422
    [romanian] = field_errors("ro", error)
    [english] = field_errors("en", error)
    assert (romanian.field, romanian.message) == ("period", ro)
    assert english.message.startswith(en)


async def test_a_contract_invoice_with_a_bad_month_is_refused_on_the_form_and_never_sent() -> None:
    api: Any = Api({f"/api/partners/{PARTNER}": {"id": PARTNER, "name": "Beta SRL"}, "/api/documents": {"items": []}})
    api.records["/api/contracts"] = {"items": []}
    data = {
        "partner_id": PARTNER,
        "source": "contract",
        "contract_id": CONTRACT,
        "period_month": "",
        "period_year": "2026",
    }
    page = await issue_invoice.fn(api=api, data=data)
    assert isinstance(page, Template) and page.template_name == "commercial/invoice_new.html"
    assert page.context["error"].extra["errors"][0]["field"] == "period"
    assert api.posted == []
    sent = await issue_invoice.fn(api=api, data={**data, "period_month": "4"})
    assert api.posted == [("/api/invoices", {"contract_id": CONTRACT, "period": "2026-04"})]
    assert sent.url == "/documents/inv-1"  # type: ignore[union-attr]


# 3. the issuer of an imported email's task ---------------------------------------------------------------------


@pytest.mark.parametrize(("language", "name"), [("ro", "Import eMail"), ("en", "Email import")])
def test_an_imported_emails_task_is_issued_by_the_mail_import_in_both_languages(language: str, name: str) -> None:
    task = {"id": "t1", "title": "Cerere service", "source": "email", "creator_name": None}
    assert notes.issuer(language, task) == name
    assert f'<dd id="task-issuer">{name}</dd>' in render("tasks/detail.html", language, task=task)
    assert _csv_cell("creator_name", task, ZoneInfo("Europe/Bucharest"), language) == name  # the report's export


def test_a_task_a_person_issued_keeps_their_name_and_a_follow_up_without_one_stays_blank() -> None:
    assert notes.issuer("en", {"source": "email", "creator_name": "Dana Marinescu"}) == "Dana Marinescu"
    assert notes.issuer("en", {"source": "follow_up", "creator_name": None}) == ""


# 4. editing a partner that does not exist ----------------------------------------------------------------------


@pytest.mark.parametrize("handler", ["edit", "save"])
async def test_editing_a_missing_partner_says_it_does_not_exist_with_a_link_to_the_list(handler: str) -> None:
    api: Any = Api()
    if handler == "edit":
        page = await partner_edit.fn(api=api, partner_id=UUID(PARTNER))
    else:
        page = await partner_save.fn(api=api, partner_id=UUID(PARTNER), data={"name": "X"})
    assert page.template_name == "error.html" and page.status_code == 404
    assert page.context["message"] == "Partenerul nu există."
    assert (page.context["back"], page.context["back_label"]) == ("/partners", "Înapoi la parteneri")
    assert api.posted == []


async def test_editing_a_partner_the_service_cannot_read_now_still_shows_that_error() -> None:
    class Down(Api):
        async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
            raise ApiError(503, "down")

    with pytest.raises(ApiError) as refused:
        await partner_edit.fn(api=Down(), partner_id=UUID(PARTNER))
    assert refused.value.status == 503
