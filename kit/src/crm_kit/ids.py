"""Identifiers: uuid7 (time-ordered) for aggregates and events."""

from __future__ import annotations

import os
import time
import uuid

_last_stamp = 0
"""The last (unix milliseconds << 12 | sequence) handed out by this process."""


def new_id() -> uuid.UUID:
    """A new uuid7 (RFC 9562): 48-bit unix milliseconds, a 12-bit sequence, 62 random bits.

    Ids of one process are strictly increasing: within a millisecond the sequence counts up
    (RFC 9562 section 6.2, method 1), and after 4,096 ids in one millisecond it borrows the next.
    """
    global _last_stamp
    stamp = (time.time_ns() // 1_000_000) << 12
    if stamp <= _last_stamp:
        stamp = _last_stamp + 1
    _last_stamp = stamp
    random_bits = int.from_bytes(os.urandom(8)) & 0x3FFF_FFFF_FFFF_FFFF
    value = (stamp >> 12) << 80 | 0x7 << 76 | (stamp & 0xFFF) << 64 | 0b10 << 62 | random_bits
    return uuid.UUID(int=value)


def is_uuid(text: str) -> bool:
    """Whether ``text`` spells a UUID: a store whose ids are UUID columns looks nothing else up (none can match)."""
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
