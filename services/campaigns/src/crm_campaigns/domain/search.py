"""What a search-as-you-type picker asks of campaigns: folded word starts, accents and case ignored, bounded."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from crm_campaigns.domain.campaigns import Campaign
from crm_campaigns.domain.members import fold
from crm_kit.errors import Invalid

SEARCH_QUERY_MAX = 100
"""The longest query a picker may send (characters)."""
SEARCH_LIMIT_MAX = 50
"""The most campaigns one picker answer holds: a picker answer is bounded, never a whole list."""


@dataclass(frozen=True)
class Search:
    """A picker's question: its folded text and how many records at most."""

    text: str
    limit: int = 20

    @property
    def words(self) -> list[str]:
        """The folded words; each must start a word of the campaign's name."""
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
    return Search(fold(query) or "", limit)


def starts_words(key: str, words: Iterable[str]) -> bool:
    """Whether each word starts the folded ``key`` or one of its words (``bra`` matches ``toamna brasov``)."""
    padded = " " + key
    return all(" " + word in padded for word in words)


def campaign_matches(campaign: Campaign, q: Search) -> bool:
    """Whether the campaign picker offers ``campaign`` for ``q``: its name has a word starting with each word."""
    return starts_words(name_key(campaign.name), q.words)


def name_key(name: str) -> str:
    """The folded name the store keeps beside a campaign's name, for the picker."""
    return fold(name) or ""
