"""Text folding for article search: lower case, no diacritics, cedilla and comma forms alike."""

from __future__ import annotations

import unicodedata

_CEDILLA = str.maketrans({"ş": "ș", "ţ": "ț", "Ş": "Ș", "Ţ": "Ț"})


def fold(text: str) -> str:
    """A search key: trimmed, single-spaced, lower case, without diacritics (``Mentenanță`` -> ``mentenanta``)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_CEDILLA))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().split())
