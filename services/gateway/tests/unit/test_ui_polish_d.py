"""Walkthrough polish: amounts carry their currency, an import's count takes its plural form, empty tables and pages
past a list's end say so (and lead back), in both languages."""

from typing import Any

from crm_gateway.ui import notes

from .pages import flat, render_page


def render(template: str, language: str = "ro", **context: Any) -> str:
    return flat(render_page(template, language, **context))


def partner_list(language: str, items: list[dict[str, Any]], total: int, offset: int) -> str:
    return render(
        "partners/list.html",
        language,
        page={"items": items, "total": total},
        offset=offset,
        page_size=50,
        query="kind=lead",
        filters={},
        kinds={"client": "Client", "lead": "Lead"},
        counties=[],
    )


def test_the_partner_list_shows_turnover_with_its_currency() -> None:
    row = {"id": "p1", "name": "Beta", "kind": "client", "turnover": "2500000.00"}
    assert "2.500.000,00 lei" in partner_list("ro", [row], 1, 0)
    assert "2,500,000.00 RON" in partner_list("en", [row], 1, 0)


def test_the_partner_page_shows_turnover_and_potentials_with_their_currency() -> None:
    partner = {
        "id": "p1",
        "name": "Beta",
        "sites": [],
        "contacts": [],
        "turnover": "2500000.00",
        "opportunities": [{"opportunity_id": "o1", "title": "ERP", "stage": "new", "potential": "54000.00"}],
    }
    html = render(
        "partners/detail.html",
        partner=partner,
        staff={},
        history={"items": [], "total": 0},
        history_kinds={},
        offset=0,
        page_size=50,
    )
    assert "2.500.000,00 lei" in html and "54.000,00 lei" in html


def test_a_page_past_the_end_says_so_and_leads_to_the_last_page() -> None:
    ro = partner_list("ro", [], 120, 500)
    assert "Niciun partener." not in ro and "Nu mai sunt rânduri aici." in ro
    assert '<a href="?kind=lead&amp;offset=100" rel="prev" class="pager-back">\u2039 Ultima pagină</a>' in ro
    assert "Nothing more here." in partner_list("en", [], 120, 500)
    assert "Niciun partener." in partner_list("ro", [], 0, 0) and 'id="pager"' not in partner_list("ro", [], 0, 0)


def test_empty_recent_imports_and_categories_say_none_yet() -> None:
    imports = render("partners/import.html", imports={"items": []}, current=None)
    assert 'id="no-imports"' in imports and "Niciun import încă." in imports
    dossiers = render(
        "dossiers/list.html",
        "en",
        categories=[],
        page={"items": [], "total": 0},
        offset=0,
        filter_partner={},
        form_partner={},
        partner_names={},
    )
    assert 'id="no-categories"' in dossiers and "No dossiers yet." in dossiers


def test_an_import_count_takes_its_plural_form() -> None:
    assert notes.import_message("ro", "1 partners imported") == "1 partener importat."
    assert notes.import_message("ro", "3 partners imported") == "3 parteneri importați."
    assert notes.import_message("ro", "25 partners imported") == "25 de parteneri importați."
    assert notes.import_message("en", "1 partners imported") == "1 partner imported."
    assert notes.import_message("en", "1200 partners imported") == "1,200 partners imported."
