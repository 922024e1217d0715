"""What a new user found on the walkthrough: figures, dates and counts in the reader's language, pagers that say where
you are, filters that cannot add everyone by accident, and pages that do not show codes."""

import re
from types import SimpleNamespace
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from litestar.datastructures import MultiDict
from litestar.plugins.jinja import JinjaTemplateEngine

from crm_gateway.ui import problems
from crm_gateway.ui.areas.campaigns import chart, member_add, member_count
from crm_gateway.ui.areas.settings import SECTIONS
from crm_gateway.ui.areas.tasks import tracking_page
from crm_gateway.ui.web import TEMPLATES, Areas, configure_templates


def render(template: str, language: str = "ro", *, writer: bool = False, **context: Any) -> str:
    """A page as a reader of ``language`` sees it; a ``writer`` may do every action (the forms show)."""
    engine = JinjaTemplateEngine(directory=TEMPLATES)
    configure_templates(engine, Areas(), "Europe/Bucharest", language)
    if writer:
        engine.engine.globals["may"] = lambda action: True
    return engine.engine.get_template(template).render(**context)


def squeeze(html: str) -> str:
    """The page's text with its whitespace (and Babel's non-breaking spaces) as single spaces."""
    return re.sub(r"\s+", " ", html.replace("\u00a0", " ").replace("\u202f", " "))


def partner_history(language: str, *entries: dict[str, Any]) -> str:
    items = [{"kind": "opportunity", "occurred_at": None, "link": None, "details": {}, **e} for e in entries]
    return squeeze(
        render(
            "partners/detail.html",
            language,
            partner={"id": "p1", "name": "Beta", "sites": [], "contacts": []},
            staff={},
            history={"items": items, "total": len(items)},
            history_kinds={"opportunity": "Oportunitate", "offer": "Ofertă"},
            offset=0,
            page_size=50,
        )
    )


FOLLOW_UP = {
    "type": "FollowUpScheduled",
    "title": "Urmărire programată 2026-12-20 10:00 UTC: Imprimante",
    "details": {"follow_up_at": "2026-12-20T10:00:00+00:00", "title": "Imprimante"},
}
OFFER = {
    "kind": "offer",
    "type": "OfferIssued",
    "title": "Ofertă OF-1: 150.00 RON fără TVA",
    "details": {"number": "OF-1", "net": "150.00", "currency": "RON"},
}


def test_a_history_entry_is_written_from_its_values_in_the_readers_language_and_zone() -> None:
    english = partner_history("en", FOLLOW_UP, OFFER)
    assert "Follow-up scheduled Dec 20, 2026 12:00 PM: Imprimante" in english
    assert "Offer OF-1: 150.00 RON net of VAT" in english
    romanian = partner_history("ro", FOLLOW_UP, OFFER)
    assert "Urmărire programată 20.12.2026 12:00: Imprimante" in romanian
    assert "Ofertă OF-1: 150,00 lei fără TVA" in romanian
    assert "UTC" not in romanian and "150.00" not in romanian


def test_an_older_history_entry_without_values_still_reads_in_the_readers_locale() -> None:
    old_follow_up = {**FOLLOW_UP, "details": {}}
    old_offer = {**OFFER, "details": {}}
    opened = {"type": "OpportunityOpened", "title": "Oportunitate deschisă: Servere, 54000.00 RON"}
    romanian = partner_history("ro", old_follow_up, old_offer, opened)
    assert "Urmărire programată 20.12.2026 12:00: Imprimante" in romanian
    assert "Ofertă OF-1: 150,00 lei fără TVA" in romanian
    assert "Oportunitate deschisă: Servere, 54.000,00 lei" in romanian
    assert "Follow-up scheduled Dec 20, 2026 12:00 PM: Imprimante" in partner_history("en", old_follow_up)


def test_a_redacted_history_entry_shows_only_its_hidden_title() -> None:
    hidden = {"type": "PaymentReceived", "title": "Task al altui coleg", "details": {"hidden": True, "amount": "5"}}
    assert "Task al altui coleg" in partner_history("ro", hidden)


def task_page(language: str, **task: Any) -> str:
    return squeeze(render("tasks/detail.html", language, task={"id": "t1", "title": "Imprimanta", **task}, checks=None))


def test_the_task_page_says_there_is_no_contract_and_no_balance_instead_of_leaving_them_blank() -> None:
    html = task_page("ro", partner_id="p1")
    assert re.search(r'<dd id="task-contract">niciunul</dd>', html)
    assert '<dt>Sold client</dt><dd id="task-balance">—</dd>' in html
    assert re.search(r'<dd id="task-contract">none</dd>', task_page("en", partner_id="p1"))


def test_the_task_form_check_writes_the_balance_with_the_locales_separators_and_currency_name() -> None:
    html = render("tasks/form.html", "ro", form={}, staff=[], services=[], partner={"id": "", "name": ""})
    assert '"RON": "lei"' in html
    script = (TEMPLATES.parent / "static" / "task-form.js").read_text()
    assert "money(body.balance, body.balance_currency)" in script
    assert 'body.balance + " "' not in script


MONTHS = [{"month": "2026-12", "value": "0.00"}, {"month": "2027-01", "value": "120.50"}]


def campaign_page(language: str) -> str:
    facts = {
        "items": [
            {
                "document_id": "d1",
                "number": "FA-1",
                "kind": "purchase_invoice",
                "effective_on": "2026-12-05",
                "month": "2026-12",
                "net": "1500.00",
                "via": "document",
            }
        ],
        "sum": "1500.00",
    }
    empty = {"items": [], "sum": "0"}
    results = {
        "realized_cost": "1500",
        "accepted_revenue": "0",
        "invoiced_revenue": "0",
        "roi": None,
        "estimated_cost": "0",
        "estimated_revenue": "0",
        "monthly_return": MONTHS,
    }
    return squeeze(
        render(
            "campaigns/detail.html",
            language,
            writer=True,
            campaign={"id": "c1", "name": "Walk", "return_months": 2},
            results=results,
            chart=chart(MONTHS),
            costs=facts,
            orders=empty,
            invoices=empty,
            returns=empty,
            members={"items": [], "total": 0},
            progress={"requested": 0, "opened": 0, "pending": 0},
            as_of="",
            offset=0,
            page_size=50,
            form={},
        )
    )


def test_campaign_months_read_as_month_and_year_in_the_chart_the_table_and_the_month_choice() -> None:
    html = campaign_page("ro")
    assert '<tr data-month="2026-12"><td>dec. 2026</td>' in html
    assert 'text-anchor="middle" data-label>ian.</text>' in html  # the chart: short month, the year under it
    assert 'text-anchor="middle" class="year">2027</text>' in html
    assert '<option value="2027-01">ian. 2027</option>' in html
    assert ">2026-12<" not in html
    assert '<option value="2026-12">Dec 2026</option>' in campaign_page("en")


def test_a_campaign_cost_says_how_it_came_in_words_and_keeps_its_words_and_dates_whole() -> None:
    html = campaign_page("en")
    assert '<td data-via="document">from the document</td>' in html
    assert '<td class="nowrap">Dec 5, 2026</td><td class="nowrap">Dec 2026</td>' in html
    assert ".facts th, .facts td { overflow-wrap: normal; min-width: 0; }" in html
    assert '<td data-via="document">din document</td>' in campaign_page("ro")


def dossier_page(language: str, documents: int, size: int) -> str:
    dossier = {"id": "d1", "name": "Contracte", "category": "contract", "documents": documents, "bytes": size}
    return squeeze(render("dossiers/detail.html", language, dossier={**dossier, "items": []}, partner=None))


def test_a_dossier_counts_its_documents_with_plural_forms_and_its_size_in_the_locale() -> None:
    assert "· 1 document, 13,5 KB" in dossier_page("ro", 1, 13824)
    assert "· 2 documente, 13,5 KB" in dossier_page("ro", 2, 13824)
    assert "· 20 de documente, 1,5 MB" in dossier_page("ro", 20, 1572864)
    assert "· 1 document, 13.5 KB" in dossier_page("en", 1, 13824)
    assert "· 2 documents, 512 B" in dossier_page("en", 2, 512)


def partner_list(language: str, total: int, offset: int) -> str:
    page = {"items": [{"id": "p1", "name": "Beta", "kind": "lead"}], "total": total}
    return render(
        "partners/list.html",
        language,
        page=page,
        offset=offset,
        page_size=50,
        query="kind=lead",
        filters={},
        kinds={"client": "Client", "lead": "Lead"},
        counties=[],
    )


def test_a_list_pager_says_which_rows_of_how_many_and_links_to_the_pages_around() -> None:
    first = squeeze(partner_list("ro", 605, 0))
    assert '<span class="pager-range">1\u201350 din 605</span>' in first
    assert '<a href="?kind=lead&amp;offset=50" rel="next"' in first and 'rel="prev"' not in first
    middle = squeeze(partner_list("en", 1605, 50))
    assert '<span class="pager-range">51\u2013100 of 1,605</span>' in middle
    assert '<a href="?kind=lead&amp;offset=0" rel="prev"' in middle
    last = squeeze(partner_list("ro", 605, 600))
    assert "601\u2013605 din 605" in last and 'rel="next"' not in last
    assert "605 ·" not in first


def test_every_list_page_uses_the_one_pager_macro() -> None:
    bare_arrows = re.compile(r">[«»]</a>")
    for template in sorted(TEMPLATES.rglob("*.html")):
        source = template.read_text()
        assert not bare_arrows.search(source), template.name
        if "offset + page_size <" in source or "offset + 50 <" in source:
            assert template.name in {"_pager.html", "report.html"}, f"{template} pages by hand"


class CampaignApi:
    """An API client for one campaign page: records each write, counts 273 partners of which 1 is a member."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, Any]] = []

    async def get(self, path: str, **_: Any) -> dict[str, Any]:
        return {"id": "c1", "items": [], "total": 0, "sum": "0", "monthly_return": [], "requested": 0}

    async def post(self, path: str, json: Any = None, **_: Any) -> dict[str, Any]:
        self.posts.append((path, json))
        return {"matching": 273, "already_members": 1, "would_add": 272}


def count_request(language: str, **fields: str) -> Any:
    return SimpleNamespace(cookies={"crm_lang": language}, query_params=MultiDict(fields))


async def test_adding_members_with_an_empty_filter_is_refused_and_adds_nobody() -> None:
    api = CampaignApi()
    page = await member_add.fn(api=api, campaign_id=uuid4(), data={"kinds": ["client", "lead"]})
    assert page.status_code == 422
    assert problems.message("en", page.context["error"]).startswith("Fill in at least one filter criterion")
    assert api.posts == []  # nothing was asked of the campaigns service


async def test_an_empty_filter_is_not_counted_and_says_a_criterion_is_needed() -> None:
    api = CampaignApi()
    counted = await member_count.fn(api=api, campaign_id=uuid4(), request=count_request("ro", kinds="client"))
    assert counted["criterion"] is False and counted["summary"].startswith("Completați cel puțin un criteriu")
    assert api.posts == []


async def test_the_member_count_reads_with_plural_forms_in_each_language() -> None:
    ro = await member_count.fn(api=CampaignApi(), campaign_id=uuid4(), request=count_request("ro", county="Sibiu"))
    assert ro["criterion"] is True and ro["matching"] == 273
    assert ro["summary"] == "273 de parteneri găsiți · 1 deja membru · 272 vor fi adăugați"
    en = await member_count.fn(api=CampaignApi(), campaign_id=uuid4(), request=count_request("en", county="Sibiu"))
    assert en["summary"] == "273 matching partners · 1 already a member · 272 will be added"


def test_the_add_matching_button_starts_disabled_with_a_hint_until_the_filter_has_a_criterion() -> None:
    empty = campaign_page("ro")
    assert '<button type="submit" id="add-matching" disabled>' in empty
    assert "Completați cel puțin un criteriu al filtrului" in empty


def message_stack(body: str, link: str | None) -> str:
    item = {"id": "m1", "title": "Task nou", "body": body, "link": link, "unread": True, "created_at": None}
    page = {"items": [item], "total": 1, "unread": 1}
    return render("notifier/messages.html", "ro", page=page, unread_only=False, offset=0, page_size=50)


def test_a_message_in_the_app_drops_the_raw_address_of_its_own_record_and_keeps_the_rest() -> None:
    body = "Sună clientul Beta.\nDeschideți task-ul: http://127.0.0.1:8000/tasks/9b1c\nMulțumim"
    html = message_stack(body, "/tasks/9b1c")
    assert '<div class="note pre-lines">Sună clientul Beta.\nMulțumim</div>' in html
    assert "http://127.0.0.1:8000" not in html and ">Deschide</button>" in html


def test_a_message_keeps_an_address_that_is_not_its_own_record_or_has_no_record() -> None:
    other = "Vezi http://example.com/oferta\nhttp://127.0.0.1:8000/tasks/other"
    assert "http://127.0.0.1:8000/tasks/other" in message_stack(other, "/tasks/9b1c")
    assert "http://127.0.0.1:8000/tasks/9b1c" in message_stack("http://127.0.0.1:8000/tasks/9b1c", None)


class TrackingApi:
    """Two people's tracking rows: one very busy, one with three tasks."""

    async def get(self, path: str, **_: Any) -> dict[str, Any]:
        return {
            "items": [
                {"staff_id": "s1", "name": "Dana", "day": "2026-12-06", "resolved": 0, "unresolved": 601},
                {"staff_id": "s2", "name": "Mihai", "day": "2026-12-06", "resolved": 1, "unresolved": 2},
            ]
        }


async def test_each_persons_tracking_chart_has_its_own_scale_and_fills_the_card() -> None:
    page = await tracking_page.fn(
        api=TrackingApi(),
        zone=ZoneInfo("Europe/Bucharest"),
        request=count_request("ro"),
        from_="2026-11-23",
        to="2026-12-06",
    )
    dana, mihai = page.context["charts"]
    assert [t["value"] for t in dana["ticks"]] == [0, 300, 601]
    assert [t["value"] for t in mihai["ticks"]] == [0, 1, 3]
    small = mihai["bars"][-1]
    assert (
        small["h_res"] + small["h_open"] == mihai["bottom"] - mihai["ticks"][-1]["y"]
    )  # the busiest day is full height
    assert mihai["fill"] and mihai["width"] >= 1000
    html = render("tasks/tracking.html", "ro", **page.context)
    assert f'viewBox="0 0 {mihai["width"]} {mihai["height"]}" width="100%"' in html


def test_the_settings_page_names_each_setting_without_showing_feature_codes() -> None:
    html = render("settings/index.html", "en", sections=SECTIONS, users=None, staff=[], form={}, is_admin=False)
    assert re.search(r'<a href="/emails/servers" title="C1">[^<]+</a>', html)
    for code in ("C1", "C2 · C3", "O3", "T7"):
        assert f"<code>{code}</code>" not in html and f">{code}<" not in html


def layout(language: str, role: str) -> str:
    engine = JinjaTemplateEngine(directory=TEMPLATES)
    configure_templates(engine, Areas(), "Europe/Bucharest", language)
    engine.engine.globals.update(
        current_user=lambda: SimpleNamespace(username=role, role=role),
        may_open=lambda href: True,
        csrf_token=lambda: "",
        csrf_field=lambda: "",
    )
    request = SimpleNamespace(url=SimpleNamespace(path="/"), cookies={"crm_lang": language})
    return engine.engine.get_template("base.html").render(request=request)


def test_the_menu_shows_short_names_with_the_full_name_as_tooltip_and_keeps_each_on_one_line() -> None:
    html = layout("ro", "admin")
    assert 'title="Parteneri / Lead-uri">Parteneri</a>' in html
    assert 'title="Campanii marketing">Campanii</a>' in html and 'title="Analiză dosare">Dosare</a>' in html
    assert 'title="Marketing campaigns">Campaigns</a>' in layout("en", "manager")
    css = (TEMPLATES.parent / "static" / "crm.css").read_text()
    assert re.search(r"\.nav a \{[^}]*white-space: nowrap", css)


def accept_choices(language: str) -> list[str]:
    offer = {"document_id": "d1", "number": "OF-1", "decision": "open", "net": "1", "currency": "RON"}
    opp = {"id": "o1", "closed": False, "documents": [offer], "partner_id": "p1"}
    html = render("opportunities/offer.html", language, writer=True, opp=opp, offer=offer, reasons=[])
    select = re.search(r'<select name="then"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None
    return re.findall(r"<option[^>]*>([^<]+)</option>", select[1])


def test_the_offer_accept_choices_are_labelled_alike_in_each_language() -> None:
    assert accept_choices("en") == ["Order", "Contract", "Both"]
    assert accept_choices("ro") == ["Comandă", "Contract", "Ambele"]


def test_a_redacted_history_entry_reads_in_one_language() -> None:
    title = "Task al altui coleg / another person's task"
    hidden = {"type": "TaskCreated", "title": title, "details": {"hidden": True}}
    assert "Task al altui coleg" in partner_history("ro", hidden)
    assert "another person" not in partner_history("ro", hidden)
    english = partner_history("en", hidden)
    assert "Another person&#39;s task" in english
    assert "altui" not in english


def compose_page(language: str, sites: list[dict[str, Any]]) -> str:
    partner = {"id": "p1", "name": "Beta", "sites": sites, "contacts": []}
    return squeeze(render("notifier/compose.html", language, partner=partner, partner_id="p1", form={}, staff=[]))


def test_a_partner_without_an_email_address_cannot_be_ticked_as_recipient() -> None:
    html = compose_page("en", [{"name": "Sediu", "emails": []}])
    assert "Beta (no address)" in html
    assert re.search(r'<input type="checkbox" name="to_partner" value="1" disabled\s*>', html)
    with_address = compose_page("ro", [{"name": "Sediu", "emails": ["a@beta.ro", "b@beta.ro"]}])
    assert "Beta (a@beta.ro, b@beta.ro)" in with_address
    assert re.search(r'name="to_partner" value="1"\s+checked>', with_address)


def test_a_refused_mail_server_keeps_what_was_typed_but_the_password() -> None:
    typed = {"name": "Principal", "host": "smtp.example.ro", "port": "abc", "tls_mode": "tls", "sender": "crm@x.ro"}
    html = squeeze(render("notifier/servers.html", "en", servers=[], mine={}, report=None, is_admin=True, form=typed))
    assert 'name="host" required value="smtp.example.ro"' in html
    assert 'name="port" required inputmode="numeric" value="abc"' in html
    assert '<option value="tls" selected>' in html
    fresh = squeeze(render("notifier/servers.html", "en", servers=[], mine={}, report=None, is_admin=True, form={}))
    assert 'name="port" required inputmode="numeric" value="587"' in fresh


def test_the_broadcast_page_says_there_are_none_yet_instead_of_an_empty_table() -> None:
    staff = [{"id": "s1", "name": "Ana"}]
    assert "Nicio lansare încă." in render("tasks/broadcasts.html", "ro", casts=[], staff=staff, categories=[], form={})
    assert "No broadcasts yet." in render("tasks/broadcasts.html", "en", casts=[], staff=staff, categories=[], form={})
