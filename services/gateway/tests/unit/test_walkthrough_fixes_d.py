"""What a new user found on the fourth walkthrough: a rejected offer without its reason, order numbers that were not
links, empty order and contract lists without a word, and reminder settings greyed out for an agent without why."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.plugins.jinja import JinjaTemplateEngine

from crm_gateway.ui.areas.commercial import _lost_reason_texts
from crm_gateway.ui.web import TEMPLATES, Areas, configure_templates

PARTNER = "0190a1b2-0000-7000-8000-000000000001"
OFFER = "0190a1b2-0000-7000-8000-000000000002"
ORDER = "0190a1b2-0000-7000-8000-000000000003"
OPPORTUNITY = "0190a1b2-0000-7000-8000-000000000004"


def render(template: str, language: str = "ro", **context: Any) -> str:
    engine = JinjaTemplateEngine(directory=TEMPLATES)
    configure_templates(engine, Areas(), "Europe/Bucharest", language)
    return engine.engine.get_template(template).render(**context)


def _offer(**extra: Any) -> dict[str, Any]:
    return {
        "id": OFFER,
        "type": "offer",
        "number": "OF-1",
        "partner_id": PARTNER,
        "issued_on": "2026-03-02",
        "status": "rejected",
        "net": "200.00",
        "vat": "42.00",
        "gross": "242.00",
        "currency": "RON",
        "source": {},
        "lines": [],
        **extra,
    }


# 2. a rejected offer names its reason; an order names the offer it came from ----------------------------------


@pytest.mark.parametrize(
    ("language", "status", "reason"), [("ro", "respinsă", "Preț prea mare"), ("en", "rejected", "Price too high")]
)
def test_the_documents_list_names_a_rejected_offers_reason_in_the_users_language(
    language: str, status: str, reason: str
) -> None:
    html = render(
        "commercial/documents.html",
        language,
        chosen={"id": PARTNER, "name": "Alfa SRL"},
        partner_id=PARTNER,
        partner={"id": PARTNER, "name": "Alfa SRL"},
        doc_type="",
        doc_types=(),
        documents={"items": [_offer(reason_code="price_too_high"), _offer(reason_code="ours", number="OF-2")]},
        balance=None,
        reasons={"ours": "Termen prea lung"},  # a company's own reason: the catalogue's text
        form={},
    )
    assert f'{status}<span class="reason" data-reason="price_too_high">: {reason}</span>' in html
    assert '<span class="reason" data-reason="ours">: Termen prea lung</span>' in html


def test_an_orders_page_links_the_offer_it_came_from_and_a_rejected_offers_page_names_its_reason() -> None:
    order = _offer(id=ORDER, type="order", number="CMD-1", status="issued", source={"offer_id": OFFER})
    context = {"partner": {"id": PARTNER, "name": "Alfa SRL"}, "opportunity_titles": {}, "campaign_names": {}}
    html = render("commercial/document.html", "ro", doc=order, document_numbers={OFFER: "OF-1"}, reasons={}, **context)
    assert f'<a href="/documents/{OFFER}" id="document-offer">OF-1</a>' in html
    gone = render("commercial/document.html", "en", doc=order, document_numbers={}, reasons={}, **context)
    assert 'id="document-offer"' not in gone  # an offer that does not exist (any more) is no link
    offer = _offer(reason_code="no_budget", note="next year")
    english = render("commercial/document.html", "en", doc=offer, document_numbers={}, reasons={}, **context)
    assert '<dd id="document-reason">No budget — next year</dd>' in english


async def test_the_reasons_texts_are_read_only_for_a_page_showing_a_rejected_offer() -> None:
    class Api:
        asked: list[str] = []

        async def get(self, path: str, params: Any = None) -> Any:
            self.asked.append(path)
            return {"items": [{"code": "ours", "text": "Termen prea lung"}]}

    api = Api()
    assert await _lost_reason_texts(api, [{"id": ORDER}]) == {}  # type: ignore[arg-type]
    assert api.asked == []
    assert await _lost_reason_texts(api, [{"reason_code": "ours"}]) == {"ours": "Termen prea lung"}  # type: ignore[arg-type]


def _opportunity(**offer: Any) -> dict[str, Any]:
    documents = [
        {"id": "d1", "type": "offer", "status": "issued", "document_id": OFFER, "number": "OF-1", **offer},
        {
            "id": "d2",
            "type": "order",
            "status": "issued",
            "document_id": ORDER,
            "number": "CMD-1",
            "from_offer_id": OFFER,
        },
    ]
    return {
        "id": OPPORTUNITY,
        "partner_id": PARTNER,
        "partner_name": "Alfa SRL",
        "stage": "lost",
        "documents": documents,
    }


def test_the_offer_page_names_the_rejection_reason_and_links_the_order_the_offer_became() -> None:
    opp = _opportunity(decision="rejected", reason_code="price_too_high", note="prea scump")
    reasons = [{"code": "price_too_high", "text": "Preț prea mare"}]
    offer = opp["documents"][0] | {"lines": []}
    html = render("opportunities/offer.html", "ro", opp=opp, offer=offer, reasons=reasons)
    assert '<td colspan="3" id="offer-reason">Preț prea mare — prea scump</td>' in html
    assert f'<a href="/documents/{ORDER}" class="document-link">CMD-1</a>' in html
    assert "Price too high — prea scump" in render(
        "opportunities/offer.html", "en", opp=opp, offer=offer, reasons=reasons
    )


# 4. an invoice for a partner without orders or contracts says so --------------------------------------------------


@pytest.mark.parametrize(
    ("language", "orders", "contracts"),
    [
        ("ro", "Partenerul nu are comenzi.", "Partenerul nu are contracte."),
        ("en", "This partner has no orders.", "This partner has no contracts."),
    ],
)
def test_the_invoice_form_says_when_the_partner_has_no_orders_or_contracts(
    language: str, orders: str, contracts: str
) -> None:
    context = {
        "chosen": {"id": PARTNER, "name": "Beta SRL"},
        "partner_id": PARTNER,
        "rows": range(1),
        "articles": {"line_code_0": {"code": "", "name": ""}},
        "period_years": [2026],
        "this_year": 2026,
        "form": {},
    }
    html = render("commercial/invoice_new.html", language, orders=[], contracts=[], **context)
    assert f'<p class="muted" id="no-orders">{orders}</p>' in html
    assert f'<p class="muted" id="no-contracts">{contracts}</p>' in html
    assert "aria-describedby=no-orders" in html
    some = [{"id": ORDER, "number": "CMD-1", "gross": "1.00", "starts_on": "2026-01-01", "ends_on": None}]
    full = render("commercial/invoice_new.html", language, orders=some, contracts=some, **context)
    assert 'id="no-orders"' not in full and 'id="no-contracts"' not in full


# 5. reminder settings, read by a role that may not change them ----------------------------------------------------


@pytest.mark.parametrize(
    ("language", "note"),
    [
        ("ro", "Doar un administrator sau un manager poate modifica aceste setări."),
        ("en", "Only an administrator or a manager can change these settings."),
    ],
)
def test_reminder_settings_are_read_with_a_note_on_who_may_change_them(language: str, note: str) -> None:
    settings = {"send_message": True, "send_email": False, "days_before": 2, "new_task_refresh_minutes": 5}
    html = render("tasks/settings.html", language, settings=settings, saved=False, error=None)  # no user: no right
    assert 'id="settings-form"' not in html and "disabled" not in html
    assert f'<p class="muted" id="settings-read-only">{note}</p>' in html
    assert re.search(r'<td class="num">2</td>', html)
