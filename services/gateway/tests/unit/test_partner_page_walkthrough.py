"""What a new user missed on the partner page: actions to open an opportunity or a task for the partner, the
campaigns it is in (by name), campaign history entries that name the campaign, and one way to write sites and
contacts."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from litestar.plugins.jinja import JinjaTemplateEngine

from crm_gateway.ui import permissions
from crm_gateway.ui.api import ApiError
from crm_gateway.ui.areas.opportunities import opportunity_list
from crm_gateway.ui.areas.partners import (
    _form_of,
    _partner_page,
    contacts_text,
    parse_contacts,
    parse_sites,
    sites_text,
)
from crm_gateway.ui.web import TEMPLATES, Areas, configure_templates

PARTNER = "0190a1b2-0000-7000-8000-000000000001"
AUTUMN = "0190a1b2-0000-7000-8000-0000000000c1"
SPRING = "0190a1b2-0000-7000-8000-0000000000c2"
ORIGIN = "0190a1b2-0000-7000-8000-0000000000c3"


class Api:
    """GETs answered from a dict by path (404 when missing); the query of each read is kept."""

    def __init__(self, records: dict[str, Any]) -> None:
        self.records = records
        self.asked: list[tuple[str, dict[str, Any] | None]] = []

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        self.asked.append((path, params))
        if path not in self.records:
            raise ApiError(404, f"no {path}")
        return self.records[path]


def records(history: list[dict[str, Any]] | None = None, **partner: Any) -> dict[str, Any]:
    items = history or []
    return {
        f"/api/partners/{PARTNER}": {"id": PARTNER, "name": "Beta SRL", "kind": "client", "sites": [], "contacts": []}
        | partner,
        f"/api/partners/{PARTNER}/history": {"items": items, "total": len(items)},
        "/api/dossiers": {"items": [], "total": 0},
        "/api/campaigns": {"items": [{"id": AUTUMN, "name": "Toamnă Brașov"}], "total": 1},
        f"/api/campaigns/{SPRING}": {"id": SPRING, "name": "Primăvara 2026"},
        f"/api/campaigns/{ORIGIN}": {"id": ORIGIN, "name": "Târg Cluj"},
    }


def render(template: str, language: str = "ro", *, role: str = "agent", **context: Any) -> str:
    engine = JinjaTemplateEngine(directory=TEMPLATES)
    configure_templates(engine, Areas(), "Europe/Bucharest", language)
    engine.engine.globals.update(
        may=lambda action: permissions.allowed(role, action), csrf_field=lambda: "", idempotency_field=lambda: ""
    )
    html = engine.engine.get_template(template).render(**context)
    return re.sub(r"\s+", " ", html.replace("\u00a0", " "))


async def page(api: Api, language: str = "ro", role: str = "agent") -> str:
    found = await _partner_page(api, UUID(PARTNER), kind=None, offset=0)  # type: ignore[arg-type]
    return render("partners/detail.html", language, role=role, **found.context)


# -- 1. new opportunity / new task from the partner page -------------------------------------------------------


async def test_every_role_that_may_open_them_gets_new_opportunity_and_new_task_for_this_partner() -> None:
    for role in ("admin", "manager", "agent"):
        html = await page(Api(records()), role=role)
        assert f'href="/opportunities?partner_id={PARTNER}#new-opportunity" id="new-opportunity-for-partner"' in html
        assert f'href="/tasks/new?partner_id={PARTNER}" id="new-task-for-partner"' in html
    english = await page(Api(records()), "en")
    assert ">New opportunity</a>" in english and ">New task</a>" in english


def test_the_actions_follow_the_permission_table_mirroring_the_services_guards() -> None:
    for action, api in (("opportunity.write", "POST /api/opportunities"), ("task.write", "POST /api/tasks")):
        assert permissions.PERMISSIONS[action].api == api
        assert not permissions.allowed("guest", action)


async def test_the_opportunity_form_opened_for_a_partner_shows_its_name_and_holds_its_id() -> None:
    api = Api(
        {
            "/api/opportunities": {"items": [], "total": 0},
            f"/api/partners/{PARTNER}": {"id": PARTNER, "name": "Beta SRL"},
        }
    )
    found = await opportunity_list.fn(api=api, partner_id=PARTNER)  # type: ignore[arg-type]
    assert found.context["partner"] == {"id": PARTNER, "name": "Beta SRL"}
    html = render(
        "opportunities/list.html",
        page={"items": [], "total": 0},
        offset=0,
        stages=(),
        **{k: v for k, v in found.context.items() if k not in ("page", "offset", "stages")},
    )
    assert 'value="Beta SRL"' in html and f'name="partner_id" value="{PARTNER}"' in html
    assert f'value="{PARTNER}"' in html and 'id="partner-filter"' in html
    assert (
        "/api/opportunities",
        {"stage": None, "partner_id": PARTNER, "campaign_id": None, "title": None, "limit": 50, "offset": 0},
    ) in api.asked


# -- 2. the campaigns a partner is in ----------------------------------------------------------------------------


async def test_a_client_that_is_a_campaign_member_shows_the_campaign_by_name_linked() -> None:
    api = Api(records())
    html = await page(api)
    assert ("/api/campaigns", {"partner_id": PARTNER, "limit": 100}) in api.asked
    assert "Campanie asociată" in html
    assert f'<dd id="partner-campaigns"><a href="/campaigns/{AUTUMN}">Toamnă Brașov</a></dd>' in html


async def test_a_leads_own_campaign_comes_first_by_name_then_the_campaigns_it_is_a_member_of() -> None:
    html = await page(Api(records(kind="lead", campaign_id=ORIGIN)), "en")
    assert "Associated campaigns" in html
    assert f'<a href="/campaigns/{ORIGIN}">Târg Cluj</a>, <a href="/campaigns/{AUTUMN}">Toamnă Brașov</a>' in html
    assert f">{ORIGIN}<" not in html


async def test_a_partner_in_no_campaign_shows_no_campaign_row_and_the_page_stands_when_campaigns_is_down() -> None:
    data = records()
    del data["/api/campaigns"]
    html = await page(Api(data))
    assert "partner-campaigns" not in html and "Beta SRL" in html


# -- 3. history entries name the campaign -----------------------------------------------------------------------


def membership(type_: str, campaign: str, **details: Any) -> dict[str, Any]:
    verb = "adăugat în" if type_ == "CampaignMembersAdded" else "scos din"
    return {
        "kind": "campaign",
        "type": type_,
        "title": f"Partener {verb} campanie",
        "occurred_at": None,
        "ref_id": campaign,
        "link": f"/campaigns/{campaign}",
        "details": details,
    }


async def test_a_campaign_history_entry_names_the_campaign_in_the_readers_language() -> None:
    history = [
        membership("CampaignMembersAdded", AUTUMN, campaign_name="Toamnă Brașov"),
        membership("CampaignMemberRemoved", AUTUMN, campaign_name="Toamnă Brașov"),
    ]
    romanian = await page(Api(records(history)))
    assert "Partener adăugat în campania Toamnă Brașov" in romanian
    assert "Partener scos din campania Toamnă Brașov" in romanian
    english = await page(Api(records(history)), "en")
    assert "Partner added to the campaign Toamnă Brașov" in english
    assert "Partner removed from the campaign Toamnă Brașov" in english


async def test_an_entry_recorded_before_events_carried_the_name_is_named_by_asking_the_campaign_once() -> None:
    history = [membership("CampaignMembersAdded", SPRING), membership("CampaignMemberRemoved", SPRING)]
    api = Api(records(history))
    html = await page(api)
    assert html.count("campania Primăvara 2026") == 2
    assert [p for p, _ in api.asked].count(f"/api/campaigns/{SPRING}") == 1
    gone = "0190a1b2-0000-7000-8000-0000000000ff"
    assert "Partener adăugat în campanie" in await page(Api(records([membership("CampaignMembersAdded", gone)])))


# -- 4. sites and contacts: one separator, one hint -------------------------------------------------------------


def test_sites_and_contacts_are_written_alike_fields_by_semicolon_several_emails_by_comma() -> None:
    sites = parse_sites("Sediu central; a@x.ro, b@x.ro\nDepozit: c@x.ro\nPunct de lucru")
    assert sites == [
        {"name": "Sediu central", "emails": ["a@x.ro", "b@x.ro"]},
        {"name": "Depozit", "emails": ["c@x.ro"]},  # the older "name: emails" still reads
        {"name": "Punct de lucru", "emails": []},
    ]
    [contact] = parse_contacts("Ion Pop; director; ion@x.ro; 0722 000 111")
    assert contact == {"name": "Ion Pop", "role": "director", "email": "ion@x.ro", "phone": "0722 000 111"}
    partner = {"sites": sites[:1], "contacts": [contact]}
    assert sites_text(partner) == "Sediu central; a@x.ro, b@x.ro"
    assert contacts_text(partner) == "Ion Pop; director; ion@x.ro; 0722 000 111"
    assert parse_sites(_form_of({**partner, "name": "Beta"})["sites"]) == sites[:1]


def test_the_form_hints_and_the_page_show_sites_and_contacts_the_same_way() -> None:
    form = render(
        "partners/form.html",
        "en",
        partner=None,
        form={},
        kinds={"client": "Client"},
        counties=(),
        reps={f: {"id": "", "name": ""} for f in ("sales_rep_staff_id", "service_rep_staff_id")},
        campaign={"id": "", "name": ""},
    )
    assert 'placeholder="One site per line: site name; email1, email2"' in form
    assert 'placeholder="One person per line: name; role; email; phone"' in form
    assert "fields separated by “;”, several emails by “,”" in form
    detail = render(
        "partners/detail.html",
        partner={
            "id": PARTNER,
            "name": "Beta",
            "sites": [{"name": "Sediu central", "emails": ["a@x.ro", "b@x.ro"]}],
            "contacts": [{"name": "Ion Pop", "role": "director", "email": "ion@x.ro", "phone": "0722 000 111"}],
        },
        staff={},
        history={"items": [], "total": 0},
        history_kinds={},
        offset=0,
        page_size=30,
        campaigns=[],
    )
    assert (
        '<strong>Sediu central</strong> · <a href="mailto:a@x.ro">a@x.ro</a>, <a href="mailto:b@x.ro">b@x.ro</a>'
        in detail
    )
    assert (
        '<strong>Ion Pop</strong> · director · <a href="mailto:ion@x.ro">ion@x.ro</a> · '
        '<a href="tel:0722000111">0722 000 111</a>' in detail
    )


# -- 5. the CSV import: friendlier columns, per-row errors in the reader's language -----------------------------


REJECTED = {
    "id": "0190a1b2-0000-7000-8000-0000000000d1",
    "file_name": "parteneri.csv",
    "status": "rejected",
    "total_rows": 3,
    "processed_rows": 3,
    "imported": 0,
    "message": "2 of 3 rows have errors; nothing was imported",
    "errors": [
        {
            "row": 2,
            "field": "sales_rep",
            "message": "no staff member with the email, login or name Maria Ionescu",
            "code": "partner_import.staff_not_found",
            "params": {"value": "Maria Ionescu"},
        },
        {
            "row": 3,
            "field": "service_rep",
            "message": "2 staff members are named Ana Pop; give the email",
            "code": "partner_import.staff_ambiguous",
            "params": {"value": "Ana Pop", "count": 2},
        },
        {"row": 3, "field": "county", "message": "an older error without a code"},
    ],
}


def import_page(language: str) -> str:
    return render("partners/import.html", language, imports={"items": []}, current=REJECTED)


def test_an_import_row_error_says_which_staff_name_was_not_found_in_the_readers_language() -> None:
    romanian = import_page("ro")
    assert "Nu există în personal cineva cu emailul, utilizatorul sau numele „Maria Ionescu”." in romanian
    assert "2 colegi din personal se numesc „Ana Pop”; scrieți emailul celui dorit." in romanian
    assert "an older error without a code" in romanian
    assert "2 din 3 rânduri au erori; nu s-a importat nimic." in romanian
    english = import_page("en")
    assert "No staff member has the email, login or name “Maria Ionescu”." in english
    assert "2 of 3 rows have errors; nothing was imported." in english


def test_a_finished_import_fills_its_progress_bar_and_a_running_one_shows_how_far_it_is() -> None:
    assert 'id="bar" class="bad" style="width: 100%"' in import_page("ro")  # 3 of 3 checked, refused: done
    imported = REJECTED | {"status": "imported", "imported": 3, "errors": []}
    html = render("partners/import.html", "ro", imports={"items": []}, current=imported)
    assert 'id="bar" class="" style="width: 100%"' in html
    checking = REJECTED | {"status": "validating", "processed_rows": 3, "total_rows": 6, "errors": []}
    html = render("partners/import.html", "ro", imports={"items": []}, current=checking)
    assert 'style="width: 25%"' in html  # half the bar for checking, half for writing


def test_a_row_whose_address_is_taken_links_the_other_partner_by_name_in_both_languages() -> None:
    owner = "0190a1b2-0000-7000-8000-0000000000e1"
    taken = {
        "row": 2,
        "field": "emails",
        "message": "office@alfa.ro already belongs to partner Alfa & Co",
        "code": "partner.email_taken",
        "params": {"email": "office@alfa.ro", "owner": "Alfa & Co", "owner_id": owner},
    }
    current = REJECTED | {"errors": [taken]}
    link = f'<a href="/partners/{owner}">Alfa &amp; Co</a>'
    ro = render("partners/import.html", "ro", imports={"items": []}, current=current)
    assert f"Adresa office@alfa.ro aparține deja partenerului {link}." in ro
    en = render("partners/import.html", "en", imports={"items": []}, current=current)
    assert f"The address office@alfa.ro already belongs to partner {link}." in en


def test_the_import_hint_says_the_separators_in_words_without_markdown_backticks() -> None:
    assert "`" not in import_page("ro") and "`" not in import_page("en")
    assert "Coloanele sunt separate prin virgulă (,) sau punct și virgulă (;)." in import_page("ro")
    assert "Columns are separated by commas (,) or semicolons (;)." in import_page("en")


def test_the_import_page_documents_staff_by_email_or_name_and_keeps_the_id_columns_as_an_alternative() -> None:
    romanian = import_page("ro")
    assert "reprezentant vanzari, reprezentant service: emailul, utilizatorul sau numele colegului" in romanian
    assert "sales_rep_staff_id / service_rep_staff_id" in romanian
    assert "the colleague&#39;s email, login or name" in import_page("en")


async def test_a_partner_without_sites_or_contacts_says_none_yet_under_each_heading() -> None:
    english = await page(Api(records()), "en")
    assert '<p class="muted" id="no-sites">No sites yet.</p>' in english
    assert '<p class="muted" id="no-contacts">No contact persons yet.</p>' in english
    romanian = await page(Api(records()), "ro")
    assert "Niciun sediu încă." in romanian and "Nicio persoană de contact încă." in romanian
    full = await page(Api(records(sites=[{"name": "Sediu", "emails": []}], contacts=[{"name": "Ion"}])))
    assert 'id="no-sites"' not in full and 'id="no-contacts"' not in full
