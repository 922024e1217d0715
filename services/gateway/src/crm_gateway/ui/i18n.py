"""The UI's message catalogues: one Babel ``.po`` per language, compiled at start, and the code labels.

Message ids are the Romanian texts the templates and area modules are written in; ``locale/ro`` holds the
Romanian plural forms (``1 zi``, ``2 zile``, ``20 de zile``) and ``locale/en`` the English texts. A code the
services send (a stage, a document kind, a status) is shown through ``label(code, kind)``: its message id is the
code and its context the kind, so both languages name it and "offer" the stage never collides with "Ofertă".
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from crm_gateway.ui.error_codes import ERROR_CODES

LOCATION = Path(__file__).resolve().parent.parent
LOCALE_DIR = LOCATION / "locale"
DOMAIN = "messages"
LANGUAGES = ("ro", "en")


def N_(text: str) -> str:  # noqa: N802 - the name Babel's extractor looks for
    """Mark a text for the catalogues without translating it here (a template translates it when shown)."""
    return text


CODES: Mapping[str, tuple[str, ...]] = {
    "stage": ("new", "presentation", "offer", "negotiation", "sale", "lost"),
    "lost_reason": ("price_too_high", "competitor", "no_budget", "no_answer"),
    "document_kind": (
        "offer",
        "order",
        "contract",
        "invoice",
        "cost",
        "payment",
        "purchase_invoice",
        "purchase_receipt",
        "expense_report",
        "payroll_note",
        "internal_consumption",
        "treasury",
    ),
    "status": (
        "requested",
        "issued",
        "posted",
        "active",
        "inactive",
        "open",
        "resolved",
        "refused",
        "cancelled",
        "sent",
        "failed",
        "temporary",
        "permanent",
        "pending",
        "queued",
        "imported",
        "validating",
        "done",
        "draft",
        "paid",
        "expired",
        "accepted",
        "rejected",
    ),
    "document_status": (
        "requested",
        "issued",
        "posted",
        "active",
        "inactive",
        "refused",
        "cancelled",
        "draft",
        "paid",
        "expired",
        "accepted",
        "rejected",
    ),
    "import_status": ("validating", "storing", "imported", "rejected", "failed", "ignored", "duplicate", "retried"),
    "export_format": ("auto", "outlook", "thunderbird", "eml"),
    "email_status": ("pending", "sending", "handed_over", "sent", "failed"),
    "error": ERROR_CODES,
    "vat_rate": ("S21", "R11", "Z0"),
    "offer_decision": ("open", "accepted", "rejected"),
    "task_source": ("manual", "follow_up", "email", "broadcast", "client_request"),
    "role": ("admin", "manager", "agent"),
    "contract_kind": ("subscription", "commercial"),
    "partner_kind": ("client", "lead", "supplier"),
    "tls_mode": ("starttls", "tls", "none"),
}
"""The codes the UI names, by kind: ``{{ code | label("stage") }}``; the test checks both catalogues name each.

Kind ``error`` holds the machine codes of ``crm_kit.errors`` the UI translates (``problems.message``); their
texts name the error's ``params`` as ``%(name)s``.
"""


PYTHON_KEYWORDS: Mapping[str, Any] = {"N_": None, "gettext": (2,), "ngettext": (2, 3), "pgettext": ((2, "c"), 3)}
"""How Python code names a text: ``N_(text)`` or ``i18n.gettext(language, text)`` (the language comes first)."""
TEMPLATE_KEYWORDS: Mapping[str, Any] = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}
"""How templates name a text (``jinja2.ext.i18n``'s callables)."""

Message = tuple[str | tuple[str, ...], str | None]
"""An extracted message: its id (a tuple of singular and plural for ``ngettext``) and its context."""


def extract_messages(root: Path | None = None) -> dict[Message, list[str]]:
    """Every text the UI's Python code and templates hand to the catalogues, with where each is used.

    Babel's own extractors (``python`` and ``jinja2.ext.babel_extract``), so what the check sees is what
    ``pybabel extract`` would write; the code labels (``CODES``) are added by kind.
    """
    from babel.messages.extract import extract_from_dir

    base = root or LOCATION
    found: dict[Message, list[str]] = {}
    passes: tuple[tuple[str, str, Mapping[str, Any]], ...] = (
        ("ui/**.py", "python", PYTHON_KEYWORDS),
        ("templates/**.html", "jinja2.ext:babel_extract", TEMPLATE_KEYWORDS),
    )
    for pattern, method, keywords in passes:
        for filename, lineno, message, _comments, context in extract_from_dir(
            str(base), [(pattern, method)], {pattern: {"extensions": "jinja2.ext.i18n"}}, keywords=dict(keywords)
        ):
            found.setdefault((message, context), []).append(f"{filename}:{lineno}")
    return found


def _compile(language: str) -> Translations:
    """Read ``locale/<language>/LC_MESSAGES/messages.po`` and compile it in memory (no ``.mo`` on disk)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


@cache
def translations(language: str) -> Translations:
    """The compiled catalogue of a UI language (``ro`` for anything else); loaded once per process."""
    return _compile(language if language in LANGUAGES else "ro")


def load_all() -> None:
    """Compile every catalogue now, so a broken ``.po`` stops the start rather than the first page."""
    for language in LANGUAGES:
        translations(language)


def _format(text: str, values: Mapping[str, Any]) -> str:
    # %-style placeholders (``%(name)s``) as the catalogues write them; a text without values is left as is.
    return text % values if values else text


def gettext(language: str, text: str, **values: Any) -> str:
    """``text`` in ``language``, with ``%(name)s`` placeholders filled from ``values``."""
    return _format(translations(language).ugettext(text), values)


def ngettext(language: str, singular: str, plural: str, n: int, **values: Any) -> str:
    """The plural form of ``language`` for ``n`` (``%(num)d`` is ``n``)."""
    return _format(translations(language).ungettext(singular, plural, n), {"num": n, **values})


def pgettext(language: str, context: str, text: str, **values: Any) -> str:
    """``text`` in ``language`` as meant in ``context`` (one Romanian word, two English ones)."""
    return _format(translations(language).upgettext(context, text), values)


def npgettext(language: str, context: str, singular: str, plural: str, n: int, **values: Any) -> str:
    """``ngettext`` within ``context``."""
    return _format(translations(language).unpgettext(context, singular, plural, n), {"num": n, **values})


FEMININE_DOCUMENTS = frozenset({"offer", "order", "invoice", "purchase_invoice", "payment", "payroll_note", "treasury"})
"""Document kinds whose Romanian name is feminine (Ofertă, Comandă, Factură, ...): their status agrees ("emisă");
the others (Contract, Decont, Bon, Document de cost, Consum) are neuter and take the ``status`` forms ("emis")."""


def document_status(language: str, status: Any, kind: Any) -> str:
    """A document's status in ``language``, agreeing with the document's kind (Ofertă emisă, Contract emis)."""
    if kind in FEMININE_DOCUMENTS and status in CODES["document_status"]:
        return label(language, status, "document_status")
    return label(language, status, "status")


def label(language: str, code: Any, kind: str, default: str | None = None) -> str:
    """The name of a code in ``language`` (``"presentation"``, ``"stage"`` -> "Prezentare").

    A code the catalogue does not name (a lost reason a company added) shows ``default`` (the service's own
    text), else the code itself.
    """
    if code is None or code == "":
        return ""
    text = str(code)
    named = translations(language).upgettext(kind, text)
    return default if named == text and default else named
