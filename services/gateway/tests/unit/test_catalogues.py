"""The UI's message catalogues: every text the templates and code use is translated in both languages, once."""

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from crm_gateway.ui import i18n

PO = {lang: i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po" for lang in i18n.LANGUAGES}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")
ROMANIAN_LETTERS = re.compile("[ăâîșțĂÂÎȘȚ]")


def _catalog(language: str) -> dict[tuple[str, str | None], object]:
    with PO[language].open("rb") as po:
        return {(m.id if isinstance(m.id, str) else m.id[0], m.context): m.string for m in read_po(po) if m.id}


@cache
def _used() -> frozenset[tuple[str, str | None]]:
    used = {(m if isinstance(m, str) else m[0], context) for m, context in i18n.extract_messages()}
    return frozenset(used | {(code, kind) for kind, codes in i18n.CODES.items() for code in codes})


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_text_the_ui_uses_is_translated_in_the_catalogue(language: str) -> None:
    catalog = _catalog(language)
    missing = sorted(
        f"{context or ''}|{msgid}"
        for msgid, context in _used()
        if not catalog.get((msgid, context))
        or (isinstance(catalog[(msgid, context)], tuple) and not all(catalog[(msgid, context)]))  # type: ignore[arg-type]
    )
    assert missing == []


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_the_catalogue_holds_no_text_the_ui_no_longer_uses(language: str) -> None:
    assert sorted(f"{c or ''}|{m}" for m, c in set(_catalog(language)) - _used()) == []


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_no_message_is_written_twice_in_a_catalogue(language: str) -> None:
    entries: list[tuple[str | None, str]] = []
    context: str | None = None
    for line in Path(PO[language]).read_text(encoding="utf-8").splitlines():
        if line.startswith("msgctxt "):
            context = line[len("msgctxt ") :]
        elif line.startswith("msgid ") and line != 'msgid ""':
            entries.append((context, line))
            context = None
        elif line.startswith("msgid "):
            context = None
    assert [entry for entry, count in Counter(entries).items() if count > 1] == []


def test_english_texts_are_english_and_keep_their_placeholders() -> None:
    english, romanian = _catalog("en"), _catalog("ro")
    romanian_left = []
    for (msgid, context), text in english.items():
        forms = text if isinstance(text, tuple) else (text,)
        # An error code names its params in its texts: both languages name the same ones.
        source = str(romanian[(msgid, context)]) if context == "error" else msgid
        for form in forms:
            if ROMANIAN_LETTERS.search(str(form)):
                romanian_left.append(f"{context or ''}|{msgid}")
            assert sorted(PLACEHOLDER.findall(str(form))) == sorted(PLACEHOLDER.findall(source)), msgid
    assert romanian_left == []


def test_one_romanian_word_with_two_meanings_has_two_english_names() -> None:
    assert i18n.gettext("en", "Număr") == "Number"
    assert i18n.pgettext("en", "count", "Număr") == "Count"
    assert i18n.gettext("en", "Utilizator") == "User"
    assert i18n.pgettext("en", "username", "Utilizator") == "Username"


def test_days_before_take_the_plural_form_of_each_language() -> None:
    forms = [i18n.ngettext("ro", "%(num)d zi înainte", "%(num)d zile înainte", n) for n in (1, 2, 20)]
    assert forms == ["1 zi înainte", "2 zile înainte", "20 de zile înainte"]
    assert i18n.ngettext("en", "%(num)d zi înainte", "%(num)d zile înainte", 1) == "1 day before"
    assert i18n.ngettext("en", "%(num)d zi înainte", "%(num)d zile înainte", 3) == "3 days before"


def test_codes_are_named_in_the_users_language_and_unknown_codes_stay_readable() -> None:
    assert i18n.label("ro", "presentation", "stage") == "Prezentare / întâlnire"
    assert i18n.label("en", "price_too_high", "lost_reason") == "Price too high"
    assert i18n.label("en", "purchase_invoice", "document_kind") == "Purchase invoice"
    assert i18n.label("en", "client_request", "task_source") == "client request"
    assert i18n.label("en", "late_delivery", "lost_reason", "Livrare întârziată") == "Livrare întârziată"
    assert i18n.label("en", "late_delivery", "lost_reason") == "late_delivery"


def test_every_macro_import_passes_the_page_context_so_macros_speak_the_users_language() -> None:
    imports = [
        (path.name, found)
        for path in (i18n.LOCATION / "templates").rglob("*.html")
        for found in re.findall(r"\{%-? *(?:from|import) [^%]*%\}", path.read_text(encoding="utf-8"))
    ]
    assert imports
    assert [(name, found) for name, found in imports if "with context" not in found] == []


def test_notes_the_services_write_are_shown_in_english_and_a_typed_note_as_written() -> None:
    from crm_gateway.ui import notes

    assert notes.translate("en", "Comandă cerută") == "Order requested"
    assert notes.translate("en", "Oferta OF-12 respinsă: prea scump") == "Offer OF-12 rejected: prea scump"
    assert notes.translate("en", "Etapă 1 Prezentare / întâlnire: Alfa") == "Stage Presentation / meeting: Alfa"
    assert notes.translate("en", "Partener înregistrat: Alfa SRL (lead)") == "Partner registered: Alfa SRL (Lead)"
    assert notes.translate("en", "Task rezolvat (2.5 ore)") == "Task resolved (2.5 hours)"
    assert notes.translate("ro", "Comandă cerută") == "Comandă cerută"
    assert notes.translate("en", "Sunat clientul, revine luni") == "Sunat clientul, revine luni"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_an_error_code_is_given_a_sentence_in_each_language_not_echoed_back(language: str) -> None:
    with PO[language].open("rb") as f:
        catalogue = read_po(f)
    echoed = [m.id for m in catalogue if m.id and m.context == "error" and m.string == m.id]
    assert echoed == []
