"""What a search-as-you-type picker asks of campaigns: the kit's picker rules (``crm_kit.search``) on campaign names."""

from __future__ import annotations

from crm_campaigns.domain.campaigns import Campaign
from crm_campaigns.domain.members import fold
from crm_kit.search import SEARCH_LIMIT_MAX, SEARCH_QUERY_MAX, Search, search, starts_words


def campaign_matches(campaign: Campaign, q: Search) -> bool:
    """Whether the campaign picker offers ``campaign`` for ``q``: its name has a word starting with each word."""
    return starts_words(name_key(campaign.name), q.words)


def name_key(name: str) -> str:
    """The folded name the store keeps beside a campaign's name, for the picker."""
    return fold(name) or ""


__all__ = ["SEARCH_LIMIT_MAX", "SEARCH_QUERY_MAX", "Search", "campaign_matches", "name_key", "search", "starts_words"]
