"""What a new user saw on the campaign pages: words broken in the middle of table cells, a fiscal code split
across lines, twelve month labels run together under the chart, the member filter's title in a grid cell and
its county typed freely."""

from __future__ import annotations

import re
from typing import Any

from litestar.plugins.jinja import JinjaTemplateEngine

from crm_gateway.ui import permissions
from crm_gateway.ui.areas.campaigns import chart
from crm_gateway.ui.counties import COUNTIES
from crm_gateway.ui.web import TEMPLATES, Areas, configure_templates

YEAR = [{"month": f"2026-{m:02d}", "value": "100.00"} for m in range(1, 13)]


def render(template: str, language: str = "ro", **context: Any) -> str:
    engine = JinjaTemplateEngine(directory=TEMPLATES)
    configure_templates(engine, Areas(), "Europe/Bucharest", language)
    engine.engine.globals.update(
        may=lambda action: permissions.allowed("manager", action), csrf_field=lambda: "", idempotency_field=lambda: ""
    )
    return re.sub(r"\s+", " ", engine.engine.get_template(template).render(**context).replace("\u00a0", " "))


def campaign_page(
    language: str = "ro", form: dict[str, Any] | None = None, months: list[Any] = YEAR, members: int = 1
) -> str:
    empty = {"items": [], "sum": "0"}
    member = {"partner_id": "p1", "name": "Alfa Trading SRL", "fiscal_code": "RO14399840", "county": "Cluj"}
    results = dict.fromkeys(("realized_cost", "accepted_revenue", "invoiced_revenue"), "0")
    results |= {"roi": None, "estimated_cost": "0", "estimated_revenue": "0", "monthly_return": months}
    return render(
        "campaigns/detail.html",
        language,
        campaign={"id": "c1", "name": "Toamnă", "return_months": len(months)},
        results=results,
        chart=chart(months),
        costs=empty,
        orders=empty,
        invoices=empty,
        returns=empty,
        members={"items": [member] * members, "total": members},
        progress={"requested": 0, "opened": 0, "pending": 0},
        as_of="",
        offset=0,
        page_size=50,
        counties=COUNTIES,
        form=form or {},
    )


def test_twelve_months_are_labelled_by_short_name_with_the_year_written_once() -> None:
    html = campaign_page("ro")
    labels = re.findall(r"data-label>([^<]+)</text>", html)
    assert labels[:12] == [
        "ian.",
        "feb.",
        "mar.",
        "apr.",
        "mai",
        "iun.",
        "iul.",
        "aug.",
        "sept.",
        "oct.",
        "nov.",
        "dec.",
    ]
    assert html.count('class="year">2026</text>') == 1
    english = re.findall(r"data-label>([^<]+)</text>", campaign_page("en"))
    assert english[:3] == ["Jan", "Feb", "Mar"]


def test_a_long_return_period_labels_at_most_twelve_months_and_each_new_year() -> None:
    months = [{"month": f"{2026 + n // 12}-{n % 12 + 1:02d}", "value": "0"} for n in range(36)]
    bars = chart(months)["bars"]
    assert sum(1 for b in bars if b["label"]) == 12  # every third month
    assert [b["year"] for b in bars if b["year"]] == ["2026", "2027", "2028"]
    assert chart(months)["values"] is False and chart(months[:6])["values"] is True  # values only on wide bars


def test_the_members_table_keeps_a_fiscal_code_on_one_line() -> None:
    assert '<td class="nowrap">RO14399840</td>' in campaign_page()


def test_the_member_filter_has_its_title_as_a_legend_and_the_county_is_chosen_from_the_counties() -> None:
    html = campaign_page("ro")
    assert '<legend id="member-filter-title">Filtru membri</legend>' in html
    assert '<select name="county"><option value="">Toate</option><option >Alba</option>' in html
    assert (
        html.count("<option", html.index('name="county"'), html.index("</select>", html.index('name="county"'))) == 43
    )
    assert "<option selected>Cluj</option>" in campaign_page("ro", {"county": "Cluj"})
    # A county typed before there was a list (the API folds case and diacritics) is kept, not lost:
    assert "<option selected>iasi</option>" in campaign_page("ro", {"county": "iasi"})
    assert '<legend id="member-filter-title">Member filter</legend>' in campaign_page("en")


def test_the_campaign_list_scrolls_inside_its_card_and_table_cells_keep_their_words_whole() -> None:
    page = {"items": [{"id": "c1", "name": "Relansare", "starts_on": "2026-01-01", "ends_on": "2026-12-31"}]}
    html = render("campaigns/list.html", "en", page=page | {"total": 1}, name="", offset=0)
    assert '<div class="scroll"><table id="campaigns">' in html
    dates = '<span class="nowrap">Jan 1, 2026</span> \u2013 <span class="nowrap">Dec 31, 2026</span>'
    assert dates in html
    css = (TEMPLATES.parent / "static" / "crm.css").read_text()
    assert "td { overflow-wrap: break-word; }" in css and ".card, th, td { overflow-wrap: anywhere; }" not in css


def test_with_no_members_the_generate_buttons_are_disabled_with_a_hint_and_an_empty_chart_says_no_data_yet() -> None:
    empty_months = [{"month": f"2026-{m:02d}", "value": "0.00"} for m in range(1, 13)]
    html = campaign_page("en", months=empty_months, members=0)
    assert 'id="generate-all" disabled aria-describedby=generate-hint>' in html
    assert 'id="generate-selected" disabled' in html
    assert "The campaign has no members yet" in html
    assert '<p class="muted" id="return-chart-empty">No data yet' in html
    assert "0.00 RON" in html  # amounts with their currency
    full = campaign_page("ro")
    assert "generate-hint" not in full and "return-chart-empty" not in full
    assert "100,00 lei" in full
