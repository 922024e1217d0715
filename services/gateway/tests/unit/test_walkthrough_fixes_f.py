"""The sixth walkthrough: amounts with their currency on every sales page, refusals beside the recipients, the
articles' VAT rates as people know them, and a resolved task that keeps its client's balance."""

from __future__ import annotations

import re
from typing import Any

import pytest

from crm_gateway.ui import problems
from crm_gateway.ui.api import ApiError

from .pages import ADMIN, flat, render_page

AMOUNT = {"ro": "1.250,50 lei", "en": "1,250.50 RON"}


def render(template: str, language: str, **context: Any) -> str:
    return flat(render_page(template, language, user=ADMIN, **context))


def numbers(html: str) -> list[str]:
    """The text of every numeric cell holding an amount (digits with decimals): each must carry its currency."""
    cells = re.findall(r'<t[dh] class="num"[^>]*>([^<]*)</t[dh]>', html)
    return [c for c in cells if re.search(r"\d[.,]\d\d", c)]


# 2. money with its currency: pipeline, opportunities list, offer page, document page -------------------------------


def _stage(stage: str, count: int) -> dict[str, Any]:
    return {"stage": stage, "count": count, "potential": "1250.50", "weighted_potential": "1250.50", "weight": "100"}


@pytest.mark.parametrize("language", ["ro", "en"])
def test_the_pipeline_shows_every_amount_with_its_currency(language: str) -> None:
    open_total = {"count": 1, "potential": "1250.50", "weighted_potential": "1250.50"}
    summary = {"stages": [_stage("new", 1), _stage("lost", 0)], "currency": "RON", "open": open_total}
    html = render("opportunities/pipeline.html", language, summary=summary, widest=1)
    funnel = html[html.index('class="card funnel"') : html.index("</section>")]
    assert funnel.count(AMOUNT[language]) == 3  # potential and weighted of 'new'; only the potential of 'lost'
    assert numbers(html) == [AMOUNT[language]] * 6


@pytest.mark.parametrize("language", ["ro", "en"])
def test_the_opportunities_list_shows_potentials_with_their_currency(language: str) -> None:
    item = {
        "id": "o1",
        "title": "Alfa",
        "partner_name": "Alfa SRL",
        "stage": "new",
        "potential": "1250.50",
        "weighted_potential": "1250.50",
        "currency": "RON",
        "expected_signing_on": None,
    }
    html = render(
        "opportunities/list.html",
        language,
        page={"items": [item], "total": 1},
        offset=0,
        filters={},
        partner={},
        stages=(),
        campaigns=[],
        me=None,
        form={},
    )
    assert numbers(html) == [AMOUNT[language], AMOUNT[language]]


@pytest.mark.parametrize("language", ["ro", "en"])
def test_the_offer_page_shows_its_lines_and_totals_with_the_currency(language: str) -> None:
    line = {"article_code": "SRV", "description": "Instalare", "qty": "1", "unit": "h", "price": "1250.50"}
    offer = {
        "document_id": "d1",
        "number": "OF-1",
        "decision": "accepted",
        "lines": [{**line, "net": "1250.50"}],
        "net": "1250.50",
        "vat": "1250.50",
        "gross": "1250.50",
        "currency": "RON",
    }
    opp = {"id": "o1", "title": "Alfa", "stage": "offer", "closed": False, "documents": [], "partner_id": "p1"}
    html = render("opportunities/offer.html", language, opp=opp, offer=offer, reasons=[], error=None, form={})
    assert numbers(html) == [AMOUNT[language]] * 5


@pytest.mark.parametrize("language", ["ro", "en"])
def test_the_document_page_shows_its_lines_with_the_currency(language: str) -> None:
    line = {"article_code": "SRV", "description": "Instalare", "unit": "h", "qty": "1", "vat_rate": "21"}
    doc = {
        "id": "d1",
        "type": "invoice",
        "number": "F-1",
        "partner_id": "p1",
        "status": "issued",
        "net": "1250.50",
        "vat": "1250.50",
        "gross": "1250.50",
        "currency": "RON",
        "source": {},
        "lines": [{**line, "price": "1250.50", "net": "1250.50", "vat": "1250.50"}],
    }
    context = {"partner": {}, "opportunity_titles": {}, "campaign_names": {}, "document_numbers": {}, "reasons": {}}
    html = render("commercial/document.html", language, doc=doc, **context)
    lines = html[html.index('id="lines"') :]
    assert numbers(lines) == [AMOUNT[language]] * 3


# 3. a refusal about the recipients goes beside them, not at the top of the form -----------------------------------


NO_RECIPIENT = {
    "email.no_recipient": {"ro": "Emailul nu are destinatar", "en": "The email has no recipient"},
    "task.broadcast_no_recipients": {"ro": "Lansarea are nevoie", "en": "A broadcast needs at least one"},
}


def _refusal(code: str, **extra: Any) -> ApiError:
    return ApiError(422, "no recipient", {"code": code, "params": {}, **extra})


def test_a_refusal_without_a_field_is_placed_beside_the_field_the_page_names_for_its_code() -> None:
    error = _refusal("email.no_recipient")
    assert problems.field_errors("ro", error) == []  # alone it names no field: it stays at the top of the page
    placed = problems.field_errors("en", error, {"email.no_recipient": "recipients"})
    assert [f.field for f in placed] == ["recipients"] and placed[0].message.startswith("The email has no recipient")
    assert problems.message("en", error, beside={"email.no_recipient": "recipients"}) == "Check the marked fields."
    other = _refusal("email.too_large")  # a refusal about something else is not put beside the recipients
    assert problems.field_errors("en", other, {"email.no_recipient": "recipients"}) == []


def _field_list(html: str) -> dict[str, str]:
    return dict(re.findall(r'<li data-field="([^"]+)">([^<]*)</li>', html))


@pytest.mark.parametrize("language", ["ro", "en"])
def test_the_new_email_form_puts_a_missing_or_addressless_recipient_beside_the_recipients(language: str) -> None:
    context = {"document_id": "", "document": None, "partner_id": "", "partner": None, "staff": [], "articles": []}
    html = render("notifier/compose.html", language, error=_refusal("email.no_recipient"), form={}, **context)
    fields = _field_list(html)
    assert list(fields) == ["recipients"] and fields["recipients"].startswith(
        NO_RECIPIENT["email.no_recipient"][language]
    )
    assert '<legend data-error-for="recipients">' in html
    bad = ApiError(422, "x", {"code": "record.email_invalid", "params": {"email": "ana@"}, "field": "address"})
    assert list(_field_list(render("notifier/compose.html", language, error=bad, form={}, **context))) == ["address"]
    assert 'name="addresses" data-error-for="address to_addresses"' in html


@pytest.mark.parametrize("language", ["ro", "en"])
def test_the_broadcast_form_puts_no_recipient_beside_the_people_and_keeps_what_was_ticked(language: str) -> None:
    staff = [{"id": "s1", "name": "Ana"}, {"id": "s2", "name": "Ion"}]
    html = render(
        "tasks/broadcasts.html",
        language,
        casts=[],
        staff=staff,
        categories=["IT", "IT-support"],
        form={"title": "Inventar"},
        ticked={"staff_ids": ["s2"], "categories": ["IT-support"]},
        error=_refusal("task.broadcast_no_recipients"),
    )
    fields = _field_list(html)
    expected = NO_RECIPIENT["task.broadcast_no_recipients"][language]
    assert list(fields) == ["recipients"] and fields["recipients"].startswith(expected)
    assert '<legend data-error-for="recipients">' in html
    assert 'value="s2" checked' in html and 'value="s1" >' in html
    assert 'value="IT-support" checked' in html and 'value="IT" >' in html


# 4. the VAT rates as people know them, under a header for every column; filter labels on one line ---------------


RATES = [
    {"code": "S21", "rate": "21", "name": "Cota standard", "active": True},
    {"code": "R11", "rate": "11", "name": "Cota redusă", "active": True},
    {"code": "Z0", "rate": "0", "name": "Scutit", "active": False},
]


@pytest.mark.parametrize(
    ("language", "headers", "names"),
    [
        ("ro", ["Cotă TVA", "Denumire", "Activă"], ["Cota standard", "Cota redusă", "Scutit / cota zero"]),
        ("en", ["VAT rate", "Name", "Active"], ["Standard rate", "Reduced rate", "Exempt / zero rate"]),
    ],
)
def test_the_vat_rates_show_the_rate_and_its_name_not_its_code_under_a_header_per_column(
    language: str, headers: list[str], names: list[str]
) -> None:
    html = render("commercial/articles.html", language, articles={"items": []}, rates=RATES, settings={}, form={}, q="")
    table = html[html.index('id="vat-rates"') : html.index("</table>", html.index('id="vat-rates"'))]
    assert re.findall(r"<th[^>]*>([^<]*)</th>", table) == headers
    rows = re.findall(r"<tr data-code=\"\w+\"><td class=\"num\">([^<]*)</td><td>([^<]*)</td> <td>([^<]*)</td>", table)
    assert rows == [("21%", names[0], "✓"), ("11%", names[1], "✓"), ("0%", names[2], "—")]
    assert not re.search(r">\s*(S21|R11|Z0)\s*<", table)


def test_the_partner_filters_keep_each_label_on_one_line() -> None:
    html = render(
        "partners/list.html", "ro", page={"items": [], "total": 0}, kinds={}, counties=[], filters={}, offset=0
    )
    assert re.search(r"form\.filters label \{[^}]*white-space: nowrap", html)


# 5. a resolved task keeps showing its client's balance ---------------------------------------------------------


@pytest.mark.parametrize("language", ["ro", "en"])
def test_a_resolved_task_shows_its_clients_balance_not_a_dash(language: str) -> None:
    task = {"id": "t1", "title": "Imprimanta", "status": "resolved", "partner_id": "p1", "source": "manual"}
    balance = {"balance": "1250.50", "balance_currency": "RON"}
    html = render("tasks/detail.html", language, task=task, checks=None, balance=balance)
    assert f'<dd id="task-balance">{AMOUNT[language]}</dd>' in html
    assert 'id="task-availability"' not in html  # no checks for a resolved task: only the balance
