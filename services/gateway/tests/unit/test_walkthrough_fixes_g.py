"""The seventh walkthrough: a document being generated says so and its page reloads itself until it has a number,
an invoice's refusals beside the part of the form they are about, and a resolved task says it was resolved."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

import pytest
from litestar.response import Redirect, Template

from crm_gateway.ui.api import ApiClient
from crm_gateway.ui.areas.commercial import issue_invoice
from crm_gateway.ui.areas.opportunities import opportunity_detail, opportunity_document
from crm_gateway.ui.areas.tasks import DONE, reopen, resolve

from .pages import ADMIN, flat, render_page

OPP = "2e0e4a5e-0000-4000-8000-000000000005"
GENERATING = {
    "ro": "Documentul se generează; pagina se actualizează singură până primește număr.",
    "en": "The document is being generated; the page refreshes itself until it has its number.",
}


def render(template: str, language: str, **context: Any) -> str:
    return flat(render_page(template, language, user=ADMIN, **context))


# 2. a document just asked of commercial: said, and the page reloads itself until it has its number ----------------

REQUESTED = {"type": "offer", "status": "requested", "document_id": None, "number": None, "net": None}
ISSUED = {**REQUESTED, "status": "issued", "document_id": "4f0e4a5e-0000-4000-8000-000000000006", "number": "OF-7"}


class OpportunityApi:
    """The opportunity page's API: an opportunity with ``documents``; remembers what was posted."""

    def __init__(self, *documents: dict[str, Any]) -> None:
        self.documents = list(documents)
        self.posted: list[str] = []

    async def get(self, path: str, **_: Any) -> Any:
        if path == f"/api/opportunities/{OPP}":
            return {
                "id": OPP,
                "partner_id": "p1",
                "partner_name": "Beta SRL",
                "title": "Imprimante",
                "stage": "offer",
                "closed": False,
                "potential": "10000.00",
                "probability": "30.00",
                "weight": "0.00",
                "weighted_potential": "3000.00",
                "seconds_in_stage": 60,
                "next_stages": ["negotiation", "lost"],
                "documents": self.documents,
                "campaign_name": None,
                "stage_history": {"items": [], "time_in_stage": {}},
            }
        if path == "/api/lost-reasons":
            return {"items": []}
        return {"id": "", "name": ""}

    async def post(self, path: str, **_: Any) -> Any:
        self.posted.append(path)
        return {}


async def detail_page(api: OpportunityApi, requested: str | None) -> Template:
    page = await opportunity_detail.fn(
        api=cast(ApiClient, api), user=ADMIN, opportunity_id=UUID(OPP), requested=requested
    )
    assert isinstance(page, Template)
    return page


async def test_generating_a_document_comes_back_to_the_page_that_follows_it() -> None:
    api = OpportunityApi()
    done = await opportunity_document.fn(
        api=cast(ApiClient, api), user=ADMIN, opportunity_id=UUID(OPP), data={"kind": "offer", "line_article_0": ""}
    )
    assert api.posted == [f"/api/opportunities/{OPP}/offer"]
    assert isinstance(done, Redirect)
    assert done.url == f"/opportunities/{OPP}?requested=offer#documents"


@pytest.mark.parametrize("language", ["ro", "en"])
async def test_an_offer_without_its_number_yet_is_said_to_be_generating_and_the_page_reloads_itself(
    language: str,
) -> None:
    page = await detail_page(OpportunityApi(REQUESTED), "offer")
    html = render("opportunities/detail.html", language, **page.context)
    message = f'<p class="pending" role="status" id="document-generating" data-reload-in="3">{GENERATING[language]}</p>'
    assert message in html  # crm.js reloads the page while it shows this
    assert f'<noscript><meta http-equiv="refresh" content="3; url=/opportunities/{OPP}?requested=offer">' in html


@pytest.mark.parametrize(
    ("documents", "requested"),
    [((ISSUED,), "offer"), ((REQUESTED,), None), ((REQUESTED,), "contract"), ((), "offer")],
    ids=["issued", "not-following", "another-kind", "nothing-asked"],
)
async def test_the_page_stops_reloading_once_the_document_has_its_number_or_when_it_follows_none(
    documents: tuple[dict[str, Any], ...], requested: str | None
) -> None:
    page = await detail_page(OpportunityApi(*documents), requested)
    html = render("opportunities/detail.html", "ro", **page.context)
    assert "data-reload-in" not in html and 'http-equiv="refresh"' not in html


# 3. an invoice's refusals beside the part of the form they are about --------------------------------------------

PARTNER = "1b0e4a5e-0000-4000-8000-000000000001"


class InvoiceApi:
    """The invoice form's API: a partner with neither orders nor contracts; remembers what was posted."""

    def __init__(self) -> None:
        self.posted: list[str] = []

    async def get(self, path: str, **_: Any) -> Any:
        if path == f"/api/partners/{PARTNER}":
            return {"id": PARTNER, "name": "Alfa Trading SRL"}
        return {"items": []}

    async def post(self, path: str, **_: Any) -> Any:
        self.posted.append(path)
        return {"id": "inv-1"}


@pytest.mark.parametrize(
    ("source", "field", "ro", "en"),
    [
        (
            "contract",
            "contract_id",
            "Partenerul nu are contracte: emiteți factura din comandă sau cu linii proprii.",
            "The partner has no contracts: issue the invoice from an order or with its own lines.",
        ),
        (
            "order",
            "order_id",
            "Partenerul nu are comenzi: emiteți factura din contract sau cu linii proprii.",
            "The partner has no orders: issue the invoice from a contract or with its own lines.",
        ),
    ],
)
async def test_an_invoice_from_a_contract_or_an_order_the_partner_has_none_of_says_so_beside_its_list(
    source: str, field: str, ro: str, en: str
) -> None:
    api = InvoiceApi()
    data = {"partner_id": PARTNER, "source": source, "period_month": "", "period_year": "2026"}
    page = await issue_invoice.fn(api=cast(ApiClient, api), data=data)
    assert api.posted == [] and isinstance(page, Template)
    for language, text in (("ro", ro), ("en", en)):
        html = render("commercial/invoice_new.html", language, **page.context)
        assert f'<li data-field="{field}">{text}</li>' in html  # crm.js moves it beside the list of that name
        assert f'name="{field}"' in html
        assert 'data-field="period"' not in html  # not the month: there is nothing to bill a month of


def test_the_lines_of_an_invoice_take_the_error_of_no_line_at_all() -> None:
    html = render(
        "commercial/invoice_new.html",
        "ro",
        chosen={"id": PARTNER, "name": "Alfa Trading SRL"},
        partner_id=PARTNER,
        orders=[],
        contracts=[],
        rows=range(1),
        articles={"line_code_0": {"code": "", "name": ""}},
        period_years=[2026],
        this_year=2026,
        form={},
    )
    assert '<table data-error-for="lines">' in html


# 4. a resolved (or reopened) task says so, as a created one does -------------------------------------------------

TASK = "5a0e4a5e-0000-4000-8000-000000000009"


class TaskApi:
    """The tasks API's resolve and reopen: remembered."""

    def __init__(self) -> None:
        self.posted: list[str] = []

    async def post(self, path: str, **_: Any) -> Any:
        self.posted.append(path)
        return {}


@pytest.mark.parametrize(("action", "done"), [(resolve, "resolved"), (reopen, "reopened")])
async def test_resolving_or_reopening_a_task_comes_back_to_its_page_saying_what_was_done(
    action: Any, done: str
) -> None:
    api = TaskApi()
    back = await action.fn(api=cast(ApiClient, api), task_id=UUID(TASK))
    assert api.posted == [f"/api/tasks/{TASK}/{'resolve' if done == 'resolved' else 'reopen'}"]
    assert isinstance(back, Redirect) and back.url == f"/tasks/{TASK}?done={done}"


@pytest.mark.parametrize(
    ("language", "done", "text"),
    [
        ("ro", "resolved", "Task rezolvat."),
        ("en", "resolved", "Task resolved."),
        ("ro", "reopened", "Task redeschis."),
        ("en", "reopened", "Task reopened."),
    ],
)
def test_the_task_page_says_what_was_done_in_the_users_language(language: str, done: str, text: str) -> None:
    task = {"id": TASK, "title": "Imprimanta", "status": "resolved" if done == "resolved" else "open"}
    html = render("tasks/detail.html", language, task=task, done=DONE[done])
    assert f'<p class="ok" role="status" id="task-done">{text}</p>' in html
    assert 'id="task-done"' not in render("tasks/detail.html", language, task=task, done=DONE.get("bogus"))
