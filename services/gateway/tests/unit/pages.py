"""Gateway page templates rendered as a user of a role and language sees them, for the page tests of this folder."""

from __future__ import annotations

import re
from typing import Any

from litestar.plugins.jinja import JinjaTemplateEngine

from crm_gateway.auth.sessions import Session
from crm_gateway.domain.users import User
from crm_gateway.ui.web import TEMPLATES, Areas, configure_templates

ADMIN = User(id="u-1", username="admin", role="admin", staff_id=None)


class PageRequest:
    """What a template reads of a request: its path, the language cookie and the session's user."""

    def __init__(self, user: User, language: str, path: str = "/") -> None:
        self.scope = {"state": {"crm_session": Session(user, "csrf")}}
        self.cookies = {"crm_lang": language}
        self.url = type("Url", (), {"path": path, "query": ""})()


def render_page(
    template: str, language: str = "ro", *, user: User | None = None, path: str = "/", **context: Any
) -> str:
    """``template`` in ``language``, with a request of ``user`` at ``path`` when given (the menu, ``may``)."""
    engine = JinjaTemplateEngine(directory=TEMPLATES)
    configure_templates(engine, Areas(), "Europe/Bucharest", language)
    if user is not None:
        context = {"request": PageRequest(user, language, path), **context}
    return engine.engine.get_template(template).render(**context)


def flat(html: str) -> str:
    """The page's text with every run of white space (non-breaking ones too) as one space, to match sentences."""
    return re.sub(r"\s+", " ", html.replace("\u00a0", " ").replace("\u202f", " "))
