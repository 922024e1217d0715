"""Every create form of the UI carries an idempotency key, a new one per rendering (ADR 0008)."""

import re

import pytest
from litestar.plugins.jinja import JinjaTemplateEngine

from crm_gateway.ui.web import TEMPLATES, Areas, configure_templates

# template -> the action of each create form in it (what the user makes once per intent)
CREATE_FORMS = {
    "_file_in_dossier.html": ["/dossiers/file"],
    "campaigns/list.html": ["/campaigns"],
    "campaigns/detail.html": [
        "/campaigns/{{ cid }}/attach/costs",
        "/campaigns/{{ cid }}/attach/revenues",
        "/campaigns/{{ cid }}/attach/returns",
        "/campaigns/{{ cid }}/opportunities",
    ],
    "commercial/articles.html": ["/articles"],
    "commercial/cost_new.html": ["/documents/costs"],
    "commercial/documents.html": ["/documents/payments"],
    "commercial/invoice_new.html": ["/documents/invoices"],
    "dossiers/list.html": ["/dossiers"],
    "dossiers/detail.html": ["/dossiers/{{ dossier.id }}/documents"],
    "mail_imports/list.html": ["/mail-imports/upload"],
    "notifier/compose.html": ["/emails/new"],
    "notifier/message_form.html": ["/messages/new"],
    "notifier/servers.html": ["/emails/servers"],
    "opportunities/list.html": ["/opportunities"],
    "opportunities/detail.html": ["/opportunities/{{ opp.id }}/documents"],
    "opportunities/lost_reasons.html": ["/opportunities/lost-reasons"],
    "partners/detail.html": ["/partners/{{ partner.id }}/dossiers"],
    "partners/form.html": ["{{ '/partners/%s/edit' % partner.id if partner else '/partners/new' }}"],
    "partners/import.html": ["/partners/import"],
    "staff/list.html": ["{{ '/staff/%s' % member.id if member else '/staff' }}"],
    "tasks/broadcasts.html": ["/tasks/broadcasts"],
    "tasks/detail.html": ["/tasks/{{ task.id }}/replies"],
    "tasks/form.html": ["/tasks"],
}


@pytest.mark.parametrize("template", sorted(CREATE_FORMS))
def test_every_create_form_carries_an_idempotency_key_after_its_csrf_field(template: str) -> None:
    forms = {
        match.group(1): match.group(2)
        for match in re.finditer(r'<form\b[^>]*\baction="([^"]+)"[^>]*>(.{0,60})', (TEMPLATES / template).read_text())
    }
    for action in CREATE_FORMS[template]:
        assert action in forms, f"{template}: no form posts to {action}"
        assert forms[action].startswith("{{ csrf_field() }}{{ idempotency_field() }}"), (action, forms[action])


def test_only_create_forms_carry_a_key() -> None:
    carrying = {
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if "idempotency_field()" in path.read_text()
    }
    assert carrying == set(CREATE_FORMS)


def test_each_rendering_of_a_form_gets_a_new_key() -> None:
    engine = JinjaTemplateEngine(directory=TEMPLATES)
    configure_templates(engine, Areas(), "Europe/Bucharest", "ro")
    field = engine.engine.from_string("{{ idempotency_field() }}")
    rendered = [field.render() for _ in range(3)]
    keys = [re.fullmatch(r'<input type="hidden" name="idempotency_key" value="([0-9a-f-]{36})">', r) for r in rendered]
    assert all(keys), rendered
    assert len({k.group(1) for k in keys if k}) == 3
