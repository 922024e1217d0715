"""``python -m crm_gateway.ui.catalogues``: bring both ``.po`` files in line with the texts the UI uses.

Extracts with Babel (``i18n.extract_messages``), adds every new text (the Romanian catalogue gets the message id
itself, the English one an empty translation for a person to fill in), drops texts no longer used, and keeps
every translation already written. ``tests/unit/test_catalogues.py`` fails until each empty text is filled.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from crm_gateway.ui import i18n


def _read(path: Path, language: str) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=language, domain=i18n.DOMAIN)


def update(language: str, root: Path | None = None) -> list[str]:
    """Rewrite the catalogue of ``language``; returns the texts it still lacks a translation for."""
    path = (root or i18n.LOCALE_DIR) / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    old = _read(path, language)
    new = Catalog(locale=language, domain=i18n.DOMAIN, project="CRM web UI", version="1", fuzzy=False)
    new.header_comment = old.header_comment
    new.creation_date = old.creation_date  # an update is not a new catalogue: no churn in the header
    new.revision_date = old.revision_date
    wanted: dict[tuple[str | tuple[str, ...], str | None], list[tuple[str, int]]] = {}
    for (msgid, context), found in i18n.extract_messages().items():
        wanted[(msgid, context)] = [(p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1])) for p in found[:3]]
    for kind, codes in i18n.CODES.items():
        for code in codes:
            wanted.setdefault((code, kind), [])
    missing = []
    for (msgid, context), places in sorted(wanted.items(), key=lambda item: (str(item[0][0]), item[0][1] or "")):
        key = msgid if isinstance(msgid, str) else msgid[0]
        known = old.get(key, context)
        string: str | tuple[str, ...] = ""
        if known is not None and known.string:
            string = known.string if isinstance(known.string, str) else tuple(known.string)
        if not string and language == "ro" and isinstance(msgid, str):
            string = msgid  # the message ids are the Romanian texts
        if not string or (isinstance(string, tuple) and not all(string)):
            missing.append(f"{context or ''}|{key}")
        new.add(msgid, string, locations=places, context=context)
    with path.open("wb") as po:
        write_po(po, new, width=120, sort_output=True)
    return missing


def main() -> int:
    """Update every catalogue and list what still needs a translation (exit 1 when something does)."""
    lacking = {language: update(language) for language in i18n.LANGUAGES}
    for language, texts in lacking.items():
        for text in texts:
            sys.stdout.write(f"{language}: no translation for {text}\n")
    return 1 if any(lacking.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
