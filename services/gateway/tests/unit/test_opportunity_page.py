"""The opportunity page as a new user found it: "me" only for staff, offers of a lost opportunity, a form's fields
for the chosen document only, a campaign named as the author."""

from __future__ import annotations

import re
from typing import Any, cast
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template

from crm_gateway.auth.sessions import Session
from crm_gateway.domain.users import User
from crm_gateway.ui.api import ApiClient, ApiError
from crm_gateway.ui.areas.opportunities import opportunity_stage
from crm_gateway.ui.web import TEMPLATES, Areas, configure_templates

OPP = "2e0e4a5e-0000-4000-8000-000000000005"
STAFF = "3c0e4a5e-0000-4000-8000-000000000002"
OFFER = "4f0e4a5e-0000-4000-8000-000000000006"
ADMIN = User(id="u-1", username="admin", role="admin", staff_id=None)
AGENT = User(id="u-2", username="ana", role="agent", staff_id=STAFF)


class PageRequest:
    """What a template reads of a request: its path, the language cookie and the session's user."""

    def __init__(self, user: User, language: str) -> None:
        self.scope = {"state": {"crm_session": Session(user, "csrf")}}
        self.cookies = {"crm_lang": language}
        self.url = type("Url", (), {"path": "/", "query": ""})()


def render(template: str, language: str = "ro", user: User = ADMIN, **context: Any) -> str:
    engine = JinjaTemplateEngine(directory=TEMPLATES)
    configure_templates(engine, Areas(), "Europe/Bucharest", language)
    html = engine.engine.get_template(template).render(request=PageRequest(user, language), **context)
    return re.sub(r"\s+", " ", html.replace("\u00a0", " "))


def opportunity(**fields: Any) -> dict[str, Any]:
    entry = {
        "stage": "new",
        "entered_at": None,
        "seconds_in_stage": 60,
        "current": True,
        "potential": "10000.00",
        "probability": "30.00",
        "weighted_potential": "3000.00",
        "changed_by": "ana",
        "reason_code": None,
    }
    return {
        "id": OPP,
        "partner_id": "p1",
        "partner_name": "Beta SRL",
        "title": "Imprimante",
        "stage": "new",
        "closed": False,
        "potential": "10000.00",
        "probability": "30.00",
        "weight": "0.00",
        "weighted_potential": "3000.00",
        "seconds_in_stage": 60,
        "next_stages": ["presentation", "offer", "lost"],
        "documents": [],
        "campaign_name": None,
        "stage_history": {"items": [entry], "time_in_stage": {}},
        **fields,
    }


def detail(language: str = "ro", *, me: dict[str, str] | None = None, **fields: Any) -> str:
    return render(
        "opportunities/detail.html",
        language,
        opp=opportunity(**fields),
        reasons=[{"code": "competitor", "text": "Concurența"}],
        delegate={"id": "", "name": ""},
        me=me or {"id": "", "name": ""},
        line_rows=range(1),
        error=None,
        form={},
    )


class Api:
    """An API client for the opportunity page: the opportunity, its lost reasons, the staff named in ``staff``."""

    def __init__(self, staff: dict[str, str] | None = None) -> None:
        self.staff = staff or {}
        self.posted: list[str] = []

    async def get(self, path: str, **_: Any) -> Any:
        if path == f"/api/opportunities/{OPP}":
            return opportunity()
        if path == "/api/lost-reasons":
            return {"items": []}
        staff_id = path.removeprefix("/api/staff/")
        if staff_id in self.staff:
            return {"id": staff_id, "name": self.staff[staff_id]}
        raise ApiError(404, "not found", {"code": "record.not_found", "params": {}})

    async def post(self, path: str, **_: Any) -> Any:
        self.posted.append(path)
        return {}


async def move_with_follow_up(api: Api, user: User) -> Any:
    form = {"stage": "presentation", "follow_up_at": "2026-12-10T10:30", "delegate_staff_id": ""}
    return await opportunity_stage.fn(
        api=cast(ApiClient, api), user=user, zone=ZoneInfo("Europe/Bucharest"), opportunity_id=UUID(OPP), data=form
    )


# -- 1. the delegate: "me" only for a user on the staff (O7) ---------------------------------------------------


def test_a_user_without_a_staff_record_is_not_offered_me_as_the_delegate_in_either_language() -> None:
    romanian, english = detail("ro"), detail("en")
    assert "Eu (" not in romanian and 'placeholder="Scrieți numele delegatului…"' in romanian
    assert "Nu aveți fișă de personal: pentru un follow-up alegeți delegatul." in romanian
    assert "Me (" not in english and 'placeholder="Type the delegate&#39;s name…"' in english
    assert "You have no staff record: for a follow-up, choose the delegate." in english


def test_a_staff_member_is_offered_me_as_the_delegate() -> None:
    html = detail("ro", me={"id": STAFF, "name": "Ana Pop"})
    assert 'placeholder="Eu (scrieți un nume pentru a delega)"' in html and 'id="delegate-hint"' not in html


@pytest.mark.parametrize(
    ("language", "text"),
    [("ro", "O dată de follow-up are nevoie de un delegat: alegeți-l."), ("en", "A follow-up date needs a delegate")],
)
async def test_a_follow_up_without_a_delegate_from_a_user_off_the_staff_is_a_field_error_and_nothing_is_sent(
    language: str, text: str
) -> None:
    api = Api()
    page = await move_with_follow_up(api, ADMIN)
    assert api.posted == []
    assert isinstance(page, Template) and page.status_code == 422
    assert page.context["me"] == {"id": "", "name": ""}
    html = render("opportunities/detail.html", language, **page.context)
    assert f'<li data-field="delegate_staff_id">{text}' in html


async def test_a_staff_id_the_directory_cannot_name_counts_as_no_staff_record() -> None:
    api = Api()
    stale = User(id="u-3", username="ion", role="admin", staff_id="5a0e4a5e-0000-4000-8000-000000000007")
    page = await move_with_follow_up(api, stale)
    assert api.posted == [] and isinstance(page, Template) and page.status_code == 422


async def test_a_staff_members_follow_up_without_a_delegate_goes_to_themselves() -> None:
    api = Api({STAFF: "Ana Pop"})
    done = await move_with_follow_up(api, AGENT)
    assert isinstance(done, Redirect)
    assert api.posted == [f"/api/opportunities/{OPP}/stage"]


# -- 2. offers of a lost opportunity (O6) --------------------------------------------------------------------


def offer_page(language: str, stage: str, closed: bool) -> str:
    offer = {"document_id": OFFER, "number": "OF-1", "decision": "open", "lines": [], "type": "offer"}
    opp = opportunity(stage=stage, closed=closed, lost_reason_code="competitor" if stage == "lost" else None)
    reasons = [{"code": "competitor", "text": "Concurența"}, {"code": "price_too_high", "text": "Preț"}]
    return render("opportunities/offer.html", language, opp=opp, offer=offer, reasons=reasons)


def test_an_open_offer_of_a_lost_opportunity_can_be_rejected_for_its_reason_but_not_accepted() -> None:
    html = offer_page("ro", "lost", True)
    assert 'id="reject-form"' in html and 'id="accept-form"' not in html
    assert '<option value="competitor" selected>' in html
    assert 'name="keep_open"' not in html


def test_an_open_offer_of_an_open_opportunity_is_accepted_or_rejected() -> None:
    html = offer_page("ro", "offer", False)
    assert 'id="reject-form"' in html and 'id="accept-form"' in html and 'name="keep_open"' in html


# -- 3. the weighted value ------------------------------------------------------------------------------------


def test_the_weighted_value_is_the_potential_times_the_probability_in_the_header_and_the_history() -> None:
    html = detail("ro")
    assert '<td class="num" id="weighted-potential">3.000,00</td>' in html
    assert "Potențial ponderat 3.000,00" in html


# -- 4. a form's fields for the chosen document only -----------------------------------------------------------


@pytest.mark.parametrize(("language", "offer", "contract"), [("ro", "Ofertă", "Contract"), ("en", "Offer", "Contract")])
def test_the_document_forms_fields_are_grouped_by_the_document_they_belong_to(
    language: str, offer: str, contract: str
) -> None:
    html = detail(language)
    assert '<select name="kind" data-choice>' in html
    assert f'data-shown-for="offer" id="offer-fields"><legend>{offer}</legend>' in html
    assert f'data-shown-for="contract" id="contract-fields"><legend>{contract}</legend>' in html
    offer_fields = html.split('id="offer-fields"')[1].split("</fieldset>")[0]
    assert 'name="valid_until"' in offer_fields and 'name="months"' not in offer_fields
    accept = offer_page(language, "offer", False)
    assert '<select name="then" data-choice>' in accept
    contract_fields = accept.split('data-shown-for="contract both"')[1].split("</fieldset>")[0]
    assert all(f'name="{n}"' in contract_fields for n in ("contract_kind", "starts_on", "months"))


def test_the_script_shows_only_the_chosen_documents_fields_and_disables_the_others() -> None:
    script = (TEMPLATES.parent / "static" / "crm.js").read_text()
    assert 'querySelectorAll("form select[data-choice]")' in script
    assert "part.hidden = !on;" in script and "part.disabled = !on;" in script


# -- 5. the author of a campaign's opportunity (M7) -------------------------------------------------------------


@pytest.mark.parametrize(("language", "author"), [("ro", "Campanie: Toamna 2026"), ("en", "Campaign: Toamna 2026")])
def test_an_opportunity_a_campaign_opened_names_the_campaign_as_its_author(language: str, author: str) -> None:
    history = opportunity()["stage_history"]
    history["items"][0]["changed_by"] = "campaigns"
    html = detail(language, campaign_name="Toamna 2026", stage_history=history)
    assert f'<span class="author">{author}</span>' in html
    assert ">campaigns<" not in html


def test_no_stage_is_chosen_for_the_user_so_a_save_never_moves_the_opportunity_back_by_default() -> None:
    for language, prompt in (("ro", "Alegeți etapa…"), ("en", "Choose the stage…")):
        html = detail(language, stage="offer", next_stages=["presentation", "negotiation", "lost"])
        stage = re.search(r'<select name="stage" required>(.*?)</select>', html)
        assert stage is not None
        assert f'<option value="" disabled selected>{prompt}</option>' in stage.group(1)
        assert "selected" not in stage.group(1).split("</option>", 1)[1]


def test_the_home_page_offers_an_agent_only_the_tiles_of_the_menu() -> None:
    tiles = render("home/index.html", user=AGENT, me=AGENT, tasks=None, is_admin=False)
    boss = User(id="u-3", username="ion", role="manager", staff_id=STAFF)
    manager = render("home/index.html", user=boss, me=boss, tasks=None, is_admin=False)
    assert 'href="/partners"' in tiles and 'href="/tasks"' in tiles
    assert 'class="tile" href="/settings"' not in tiles and 'class="tile" href="/staff"' not in tiles
    assert 'class="tile" href="/settings"' in manager and 'class="tile" href="/staff"' in manager


# -- the fifth walkthrough: amounts with their currency, every column headed, ---------------------------------------


@pytest.mark.parametrize(
    ("language", "amount", "headers"),
    [
        ("ro", "150,00 lei", ["Tip", "Număr", "Stare", "Total fără TVA", "Tipărire"]),
        ("en", "150.00 RON", ["Type", "Number", "Status", "Total net of VAT", "Printout"]),
    ],
)
def test_the_documents_table_shows_amounts_with_their_currency_under_a_header_for_every_column(
    language: str, amount: str, headers: list[str]
) -> None:
    offer = {
        "type": "offer",
        "status": "issued",
        "number": "OF-1",
        "document_id": "d1",
        "net": "150",
        "currency": "RON",
    }
    html = detail(language, currency="RON", documents=[offer])
    assert f'<td class="num">{amount}</td>' in html
    table = html[html.index('id="documents"') :]
    found = re.findall(r"<th[^>]*>([^<]*)</th>", table[: table.index("</thead>")])
    assert found == headers


def test_the_time_in_the_current_stage_is_shown_once_in_the_header_and_per_history_entry() -> None:
    html = detail("ro", stage_history={"items": [], "time_in_stage": {"new": 60}})
    assert html.count("Timp în etapă") == 1  # no second summary under the history
