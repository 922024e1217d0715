"""Jinja2 templates of notifications: a subject and a body per event kind, in Romanian or English."""

from __future__ import annotations

import re
from collections.abc import Hashable
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound, pass_context
from jinja2.runtime import Context

from crm_kit import formatting
from crm_notifier.domain.headers import one_line
from crm_notifier.domain.models import LANGUAGES


@lru_cache(maxsize=1024)
def _local_time(value: Any, zone: ZoneInfo, language: str) -> str:
    # A broadcast tells 1,000 people of one deadline: Babel's formatting was a third of the notifier's work.
    return formatting.datetime(value, zone, language)


class Renderer:
    """Renders ``templates/<language>/<kind>.txt.j2`` (blocks ``subject`` and ``body``)."""

    def __init__(self, web_base_url: str, default_language: str = "ro", timezone: str = "Europe/Bucharest") -> None:
        self.web_base_url = web_base_url.rstrip("/")
        self.zone = ZoneInfo(timezone)
        self.default_language = default_language if default_language in LANGUAGES else "ro"
        self.env = Environment(
            loader=PackageLoader("crm_notifier", "templates"),
            autoescape=False,  # noqa: S701 - plain-text mail and messages, never HTML
            undefined=StrictUndefined,
            keep_trailing_newline=False,
            auto_reload=False,  # templates ship with the package: no stat() per render
        )
        self.env.filters["local"] = self._local

    @pass_context
    def _local(self, context: Context, value: Any) -> str:
        """A UTC time (datetime or ISO text) in the configured zone, the way the message's language writes it."""
        language = context.get("lang") or self.default_language
        if isinstance(value, Hashable):
            return _local_time(value, self.zone, language)
        return formatting.datetime(value, self.zone, language)

    def url(self, link: str | None) -> str | None:
        """The absolute web UI address of a path."""
        return f"{self.web_base_url}{link}" if link else None

    def render(self, kind: str, language: str, context: dict[str, Any], link: str | None = None) -> tuple[str, str]:
        """The subject (one line) and the body of a notification."""
        lang = language if language in LANGUAGES else self.default_language
        try:
            template = self.env.get_template(f"{lang}/{kind}.txt.j2")
        except TemplateNotFound:
            template = self.env.get_template(f"{self.default_language}/{kind}.txt.j2")
        values = {**context, "url": self.url(link), "lang": lang}
        both = template.new_context(values)  # the blocks only read it: one context serves both
        subject = "".join(template.blocks["subject"](both))
        body = "".join(template.blocks["body"](both))
        return re.sub(r"\s+", " ", one_line(subject)).strip(), body.strip() + "\n"
