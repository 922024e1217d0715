"""What a search-as-you-type picker asks, for every service: folded text, word starts, a bounded answer.

``fold`` is the one search key of the project: trimmed, single-spaced, lower case, without diacritics,
cedilla and comma-below letters alike (``Brașov``, ``Braşov`` and ``brasov`` ask the same). A service
stores the folded name beside the name and asks its store for rows whose folded name has a word starting
with each typed word; ``starts_words`` is that rule for code that matches in memory (fakes, small lists).
Pure: the domains use it.
"""

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


def romanian(text: str) -> str:
    """The text with legacy cedilla letters (ş ţ) turned into the comma-below forms (ș ț)."""
    return text.translate(_CEDILLA)


def fold(text: str) -> str:
    """A search key: trimmed, single-spaced, lower case, without diacritics (``Mentenanță`` -> ``mentenanta``)."""
    decomposed = unicodedata.normalize("NFKD", romanian(text))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().split())


@dataclass(frozen=True)
class Search:
    """A picker's question: its folded text, that text's words, and how many records at most."""

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
    """A picker's query, folded.

    Raises:
        Invalid: the query is longer than ``SEARCH_QUERY_MAX`` or the limit is not 1 to ``SEARCH_LIMIT_MAX``.
    """
    query = query or ""
    if len(query) > SEARCH_QUERY_MAX:
        raise Invalid(
            f"q must be at most {SEARCH_QUERY_MAX} characters",
            field="q",
            code="search.query_too_long",
            params={"limit": SEARCH_QUERY_MAX},
        )
    if not 1 <= limit <= SEARCH_LIMIT_MAX:
        raise Invalid(
            f"limit must be from 1 to {SEARCH_LIMIT_MAX}",
            field="limit",
            code="search.limit_range",
            params={"limit": SEARCH_LIMIT_MAX},
        )
    return Search(fold(query), limit)


def starts_words(key: str, words: Iterable[str]) -> bool:
    """Whether each word starts the folded ``key`` or one of its words (``bra`` matches ``acme brasov``)."""
    padded = " " + key
    return all(" " + word in padded for word in words)
