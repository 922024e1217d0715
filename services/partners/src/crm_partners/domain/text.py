"""Text folding for search and matching: lower case, no diacritics, cedilla and comma forms alike."""

from __future__ import annotations

import unicodedata

_CEDILLA = str.maketrans({"ş": "ș", "ţ": "ț", "Ş": "Ș", "Ţ": "Ț"})


def romanian(text: str) -> str:
    """The text with legacy cedilla letters (ş ţ) turned into the comma-below forms (ș ț)."""
    return text.translate(_CEDILLA)


def fold(text: str) -> str:
    """A search key: trimmed, single-spaced, lower case, without diacritics (``Iași`` -> ``iasi``)."""
    decomposed = unicodedata.normalize("NFKD", romanian(text))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().split())


def clean(text: str | None) -> str | None:
    """Trimmed, single-spaced text with comma-below letters; None when blank."""
    if text is None:
        return None
    value = " ".join(romanian(text).split())
    return value or None
