"""Text folding for search and matching: lower case, no diacritics, cedilla and comma forms alike."""

from __future__ import annotations

from crm_kit.search import fold, romanian


def clean(text: str | None) -> str | None:
    """Trimmed, single-spaced text with comma-below letters; None when blank."""
    if text is None:
        return None
    value = " ".join(romanian(text).split())
    return value or None


__all__ = ["clean", "fold", "romanian"]
