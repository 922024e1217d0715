"""Identifiers: uuid7 (time-ordered) for aggregates and events."""

from __future__ import annotations

import uuid

import uuid6


def new_id() -> uuid.UUID:
    """A new uuid7."""
    return uuid.UUID(int=uuid6.uuid7().int)
