"""Every page template keeps to the CSRF and Content-Security-Policy rules (a template added later included)."""

import re
from pathlib import Path

import pytest

from crm_gateway.ui.web import TEMPLATES

TEMPLATE_FILES = sorted(TEMPLATES.rglob("*.html"))
POST_FORM = re.compile(r"<form\b[^>]*\bmethod=\"post\"[^>]*>(.{0,20})", re.S | re.I)


def test_there_are_templates_to_check() -> None:
    assert len(TEMPLATE_FILES) > 30


@pytest.mark.parametrize("template", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_post_form_carries_the_csrf_field_first(template: Path) -> None:
    for after in POST_FORM.findall(template.read_text()):
        assert after.startswith("{{ csrf_field() }}"), after


@pytest.mark.parametrize("template", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_has_inline_script_or_event_handlers(template: Path) -> None:
    text = template.read_text()
    for tag in re.findall(r"<script\b[^>]*>", text, re.I):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+\s*=", text, re.I)
    assert "javascript:" not in text.lower()


def test_the_ui_builds_no_form_in_python() -> None:
    for module in (TEMPLATES.parent / "ui").rglob("*.py"):
        assert "<form" not in module.read_text(), module
