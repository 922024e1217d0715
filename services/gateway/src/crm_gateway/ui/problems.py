"""What a refused request says to a person: the problem body's code in their language, and errors by field.

A service error carries ``extra.code`` and ``extra.params`` (``crm_kit.errors``): the catalogue names the code
(context ``error``) and the params fill it. Without a code the text is shown as sent (translated when it is one
of the UI's own texts). A 400 from Litestar/pydantic lists ``{"message", "key"}`` per field: each becomes a
``FieldError`` in the user's language, shown beside its field and not again at the top of the page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from crm_gateway.ui import i18n
from crm_gateway.ui.i18n import N_
from crm_kit.ids import is_uuid

FIELDS_MARKED = N_("Verificați câmpurile marcate.")


@dataclass(frozen=True)
class FieldError:
    """One refused field: the form field's name (the API body's key) and the message in the user's language."""

    field: str
    message: str


_PYDANTIC: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Field required"), N_("Câmp obligatoriu.")),
    (re.compile(r"^Input should be a valid integer"), N_("Introduceți un număr întreg.")),
    (re.compile(r"^Input should be a valid (decimal|number)"), N_("Introduceți un număr.")),
    (re.compile(r"^Input should be a finite number"), N_("Introduceți un număr.")),
    (re.compile(r"^Decimal input should have no more than (?P<limit>\d+) decimal"), N_("Cel mult %(limit)s zecimale.")),
    (re.compile(r"^Input should be a valid date"), N_("Introduceți o dată validă (zz.ll.aaaa).")),
    (re.compile(r"^Input should be a valid datetime"), N_("Introduceți o dată și o oră valide.")),
    (re.compile(r"^Input should be a valid UUID"), N_("Alegeți din listă.")),
    (re.compile(r"^Input should be a valid boolean"), N_("Alegeți da sau nu.")),
    (re.compile(r"^Input should be (greater than or equal to|>=) (?P<limit>\S+)"), N_("Cel puțin %(limit)s.")),
    (re.compile(r"^Input should be (greater than|>) (?P<limit>\S+)"), N_("Mai mult de %(limit)s.")),
    (re.compile(r"^Input should be (less than or equal to|<=) (?P<limit>\S+)"), N_("Cel mult %(limit)s.")),
    (re.compile(r"^Input should be (less than|<) (?P<limit>\S+)"), N_("Mai puțin de %(limit)s.")),
    (re.compile(r"^String should have at least (?P<limit>\d+) char"), N_("Cel puțin %(limit)s caractere.")),
    (re.compile(r"^String should have at most (?P<limit>\d+) char"), N_("Cel mult %(limit)s caractere.")),
    (re.compile(r"^List should have at least (?P<limit>\d+) item"), N_("Alegeți cel puțin %(limit)s.")),
    (re.compile(r"^Input should be '"), N_("Alegeți una dintre valorile permise.")),
    (re.compile(r"^value is not a valid email address"), N_("Adresă de email greșită.")),
    (re.compile(r"^String should match pattern"), N_("Formatul nu este cel așteptat.")),
)
"""Pydantic's messages (stable texts) as the UI's own; a message not listed is shown as sent."""


_KIT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^this action needs the role (?P<roles>.+)$"), N_("Această acțiune cere rolul %(roles)s.")),
    (re.compile(r"^conflicts with existing data$"), N_("Intră în conflict cu date existente.")),
    (re.compile(r"^internal error \(reference (?P<reference>\w+)\)$"), N_("Eroare internă (referința %(reference)s).")),
)
"""Texts every service answers through the kit (role guard, database uniqueness, the catch-all)."""


def _kit_message(language: str, text: str) -> str | None:
    for pattern, msgid in _KIT:
        found = pattern.match(text)
        if found:
            values = dict(found.groupdict())
            if "roles" in values:
                roles = [i18n.label(language, role, "role") for role in values["roles"].split(" or ")]
                values["roles"] = i18n.gettext(language, N_(" sau ")).join(roles)
            return i18n.gettext(language, msgid, **values)
    return None


def _field_message(language: str, text: str) -> str:
    for pattern, msgid in _PYDANTIC:
        found = pattern.match(text)
        if found:
            values = {k: v.rstrip(".,") for k, v in found.groupdict().items()}
            return i18n.gettext(language, msgid, **values)
    return text.removeprefix("Value error, ")


def _named(language: str, extra: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The catalogue's text for the body's code in ``language`` and the values that fill it; None without one."""
    code = extra.get("code")
    if not isinstance(code, str) or not code:
        return None
    named = i18n.pgettext(language, "error", code)
    if named == code:
        return None  # a code the catalogue does not know yet: the service's text says more
    params = extra.get("params")
    values = {str(k): v for k, v in params.items()} if isinstance(params, Mapping) else {}
    for kind in values.keys() & i18n.CODES.keys():
        values[kind] = i18n.label(language, values[kind], kind)  # a param that is a code ("stage") by its name
    return named, values


def _filled(named: str, values: Mapping[str, Any]) -> str:
    try:
        return named % values if values else named
    except (KeyError, ValueError, TypeError):
        return named


def _by_code(language: str, extra: Mapping[str, Any]) -> str | None:
    found = _named(language, extra)
    return _filled(*found) if found else None


def row_problem(language: str, item: Mapping[str, Any]) -> Markup:
    """One per-row error of a CSV import (``{"row", "field", "message", "code"?, "params"?}``) in ``language``.

    An error about another partner (``params.owner`` its name, ``params.owner_id`` its id) links the name to
    that partner's page. Everything else is escaped text.
    """
    found = _named(language, item)
    if found is None:
        return escape(i18n.gettext(language, str(item.get("message") or "")))
    named, values = found
    owner_id = str(values.get("owner_id") or "")
    if "owner" in values and is_uuid(owner_id):
        # Markup's % escapes every value but the link, which is built from escaped parts.
        link = Markup('<a href="/partners/{}">{}</a>').format(owner_id, values["owner"])
        template = escape(named)
        try:
            return template % {**values, "owner": link}
        except (KeyError, ValueError, TypeError):
            return template
    return escape(_filled(named, values))


def field_errors(language: str, error: Any, beside: Mapping[str, str] | None = None) -> list[FieldError]:
    """The refused fields of an ``ApiError`` (a 400/422 naming fields), in ``language``; [] when none.

    ``beside`` places a refusal that names no field of its own by its code (``{"email.no_recipient":
    "recipients"}``): the page knows which of its fields the rule is about (the recipients, not the whole form).
    """
    extra = getattr(error, "extra", None)
    found: list[FieldError] = []
    seen: set[str] = set()
    if isinstance(extra, list):
        for item in extra:
            if not isinstance(item, Mapping) or not isinstance(item.get("key"), str) or not item["key"]:
                continue
            key = str(item["key"])
            if key in seen:
                continue  # one message per field, the first pydantic gives
            seen.add(key)
            found.append(FieldError(key, _field_message(language, str(item.get("message") or ""))))
    elif isinstance(extra, Mapping) and isinstance(extra.get("errors"), list):
        # A domain rule naming its fields: {"errors": [{"field", "message", "code"?, "params"?}]}.
        for item in extra["errors"]:
            if not isinstance(item, Mapping) or not isinstance(item.get("field"), str) or item["field"] in seen:
                continue
            seen.add(item["field"])
            text = _by_code(language, item) or i18n.gettext(language, str(item.get("message") or ""))
            found.append(FieldError(item["field"], text))
    elif isinstance(extra, Mapping) and isinstance(extra.get("field"), str) and extra["field"]:
        found.append(FieldError(str(extra["field"]), message(language, error, fields=False)))
    elif beside and isinstance(extra, Mapping) and isinstance(extra.get("code"), str) and extra["code"] in beside:
        found.append(FieldError(beside[extra["code"]], message(language, error, fields=False)))
    return found


def message(language: str, error: Any, *, fields: bool = True, beside: Mapping[str, str] | None = None) -> str:
    """The page-level text of an ``ApiError`` in ``language``.

    "Check the marked fields" when the error names fields, or ``beside`` places it by its code (each shown beside
    its field, by its code, so not twice); else by code when the problem body carries one the catalogue knows;
    else the text, translated when it is one of the UI's own.
    """
    if error is None:
        return ""
    detail = str(getattr(error, "detail", error) or "")
    extra = getattr(error, "extra", None)
    if fields and field_errors(language, error, beside):
        return i18n.gettext(language, FIELDS_MARKED)
    if isinstance(extra, Mapping) and (by_code := _by_code(language, extra)) is not None:
        return by_code
    if not detail:
        return ""
    return _kit_message(language, detail) or i18n.gettext(language, detail)
