"""Login throttling and sessions as rules: how many failures lock a username or an address, and for how long.

Unknown usernames are counted exactly like real ones: the answer (locked, with a retry delay) and its timing
(no password check while locked) say nothing about whether the user exists.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta


class Throttled(Exception):
    """Too many failed logins: try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} seconds")
        self.retry_after = retry_after


class BadCredentials(Exception):
    """Unknown username or wrong password (the caller is not told which)."""


class AlreadyCounted(Exception):
    """Another request stored the first failure of the same key at the same time: count again on top of it."""


@dataclass(frozen=True)
class Failures:
    """Failed logins counted under one key (``user:<name>`` or ``addr:<address>``)."""

    key: str
    failures: int
    last_failure_at: datetime
    locked_until: datetime | None


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures a username or an address may have, and how long a lock lasts."""

    user_failures: int = 5
    address_failures: int = 20
    lock_seconds: float = 30.0
    max_lock_seconds: float = 900.0
    window_seconds: float = 900.0

    def lock_for(self, failures: int, allowed: int) -> timedelta | None:
        """The lock after ``failures`` failures (doubling with each failure past the limit), or ``None``."""
        if failures < allowed:
            return None
        return timedelta(seconds=min(self.lock_seconds * 2 ** min(failures - allowed, 30), self.max_lock_seconds))

    def limits(self, username: str, address: str) -> dict[str, int]:
        """The keys a login attempt counts under, each with the failures it is allowed."""
        return {user_key(username): self.user_failures, f"addr:{address[:150]}": self.address_failures}

    def retry_after(self, records: list[Failures], now: datetime) -> int | None:
        """Seconds until the latest lock among ``records`` ends (at least 1), ``None`` when none is locked."""
        until = max((r.locked_until for r in records if r.locked_until and r.locked_until > now), default=None)
        return None if until is None else max(1, math.ceil((until - now).total_seconds()))

    def failed(self, key: str, allowed: int, old: Failures | None, now: datetime) -> Failures:
        """The record of a key after one more failure: the count restarts once the window has passed."""
        window = timedelta(seconds=self.window_seconds)
        count = 1 if old is None or now - old.last_failure_at > window else old.failures + 1
        lock = self.lock_for(count, allowed)
        return Failures(key, count, now, None if lock is None else now + lock)

    def stale_before(self, now: datetime) -> datetime:
        """Records nobody failed on since this time (and not locked) are forgotten."""
        return now - timedelta(seconds=self.window_seconds)


def user_key(username: str) -> str:
    """The throttle key of a username as the store normalises it, so "Admin " and "admin" share one budget."""
    return f"user:{username.strip().lower()[:150]}"


def new_session_cookie() -> str:
    """A new session cookie value: 256 random bits."""
    return secrets.token_urlsafe(32)


def session_key(cookie: str) -> str | None:
    """What the store keeps of a session cookie (its SHA-256), ``None`` for a value that cannot be one."""
    if not cookie or len(cookie) > 200:
        return None
    return hashlib.sha256(cookie.encode()).hexdigest()
