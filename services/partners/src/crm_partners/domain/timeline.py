"""The partner history (H1): entries, their kinds, and how a page of them is asked for."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crm_kit.errors import Invalid

KINDS = (
    "partner",
    "opportunity",
    "offer",
    "order",
    "contract",
    "invoice",
    "payment",
    "cost",
    "task",
    "email",
    "campaign",
    "dossier",
)
"""What an entry is about; a page can be filtered by one or more kinds."""


@dataclass(frozen=True)
class TimelineEntry:
    """One fact on a partner's history, made from one event (the same event twice is one entry)."""

    partner_id: str
    event_id: str
    kind: str
    type: str
    title: str
    occurred_at: datetime
    ref_type: str | None = None
    ref_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown timeline kind {self.kind!r}")
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be tz-aware")


@dataclass(frozen=True)
class PageRequest:
    """A page of one partner's history: newest first, optionally only some kinds."""

    kinds: tuple[str, ...]
    limit: int
    offset: int


def page_request(kind: str | None, limit: int, offset: int, *, max_limit: int) -> PageRequest:
    """Check a history page request; ``kind`` is one kind or several separated by commas.

    Raises:
        Invalid: an unknown kind, or a limit/offset out of range.
    """
    kinds: list[str] = []
    for part in (kind or "").split(","):
        name = part.strip().lower()
        if not name:
            continue
        if name not in KINDS:
            raise Invalid(f"unknown history kind {name!r}: use {', '.join(KINDS)}", kinds=list(KINDS))
        if name not in kinds:
            kinds.append(name)
    if not 1 <= limit <= max_limit:
        raise Invalid(f"limit must be between 1 and {max_limit}")
    if offset < 0:
        raise Invalid("offset cannot be negative")
    return PageRequest(kinds=tuple(sorted(kinds)), limit=limit, offset=offset)


def newest_first(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """The order of a history: newest first; events of the same instant by event id, descending."""
    return sorted(entries, key=lambda e: (e.occurred_at, e.event_id), reverse=True)
