"""Text folding and picker searches: lower case, no diacritics, cedilla and comma forms alike, word starts."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from crm_kit.errors import Invalid

_CEDILLA = str.maketrans({"ş": "ș", "ţ": "ț", "Ş": "Ș", "Ţ": "Ț"})

SEARCH_QUERY_MAX = 100
"""The longest query a picker may send (characters)."""
SEARCH_LIMIT_MAX = 50
"""The most records one picker answer holds: a picker answer is bounded, never a whole list."""


def fold(text: str) -> str:
    """A search key: trimmed, single-spaced, lower case, without diacritics (``Mentenanță`` -> ``mentenanta``)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_CEDILLA))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().split())


@dataclass(frozen=True)
class Search:
    """What a search-as-you-type picker asks: its folded text, that text's words, and how many records at most."""

    text: str
    limit: int = 20

    @property
    def words(self) -> list[str]:
        """The folded words; each must start a word of the record's name."""
        return self.text.split()

    @property
    def blank(self) -> bool:
        """Nothing typed yet."""
        return not self.text


def search(query: str | None, limit: int = 20) -> Search:
    """A picker's query, folded (``Brașov`` and ``brasov`` ask the same).

    Raises:
        Invalid: the query is longer than ``SEARCH_QUERY_MAX`` or the limit is not 1 to ``SEARCH_LIMIT_MAX``.
    """
    query = query or ""
    if len(query) > SEARCH_QUERY_MAX:
        raise Invalid(f"q must be at most {SEARCH_QUERY_MAX} characters", field="q")
    if not 1 <= limit <= SEARCH_LIMIT_MAX:
        raise Invalid(f"limit must be from 1 to {SEARCH_LIMIT_MAX}", field="limit")
    return Search(fold(query), limit)


def starts_words(key: str, words: Iterable[str]) -> bool:
    """Whether each word starts the folded ``key`` or one of its words (``bra`` matches ``acme brasov``).

    The store asks the same of its folded columns in SQL; this is the rule in one place for the rest.
    """
    padded = " " + key
    return all(" " + word in padded for word in words)
