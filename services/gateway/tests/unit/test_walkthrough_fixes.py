"""What a new user found on the walkthrough: figures, dates and counts in the reader's language, pagers that say where
you are, filters that cannot add everyone by accident, and pages that do not show codes."""

import re
from typing import Any

from litestar.plugins.jinja import JinjaTemplateEngine

from crm_gateway.ui.web import TEMPLATES, Areas, configure_templates


def render(template: str, language: str = "ro", **context: Any) -> str:
    engine = JinjaTemplateEngine(directory=TEMPLATES)
    configure_templates(engine, Areas(), "Europe/Bucharest", language)
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
