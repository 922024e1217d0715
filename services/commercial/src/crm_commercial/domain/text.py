"""Text folding and picker searches for commercial: the kit's one search key and picker rules (``crm_kit.search``)."""

from __future__ import annotations

from crm_kit.search import SEARCH_LIMIT_MAX, SEARCH_QUERY_MAX, Search, fold, search, starts_words

__all__ = ["SEARCH_LIMIT_MAX", "SEARCH_QUERY_MAX", "Search", "fold", "search", "starts_words"]
