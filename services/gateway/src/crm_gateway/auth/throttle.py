"""Login throttling: after too many failures a username or a client address is locked for a growing while.

The counts live in the gateway's store (table ``login_failures``), so a restart or a second gateway process does
not hand an attacker a fresh budget. Unknown usernames are counted exactly like real ones: the answer (429 with
``Retry-After``) and its timing (no password check while locked) say nothing about whether the user exists.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from crm_gateway.store import security
from crm_kit.store import Database

log = logging.getLogger(__name__)


class Throttled(Exception):
    """Too many failed logins: try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} seconds")
        self.retry_after = retry_after


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


def _keys(username: str, address: str) -> dict[str, str]:
    # The username as the store normalises it, so "Admin " and "admin" share one budget.
    return {"user": f"user:{username.strip().lower()[:150]}", "addr": f"addr:{address[:150]}"}


class LoginThrottle:
    """Counts failed logins per username and per client address in the gateway's store."""

    def __init__(self, db: Database, policy: ThrottlePolicy) -> None:
        self.db = db
        self.policy = policy

    async def check(self, username: str, address: str, now: datetime | None = None) -> None:
        """Refuse a login attempt while the username or the address is locked.

        Raises:
            Throttled: locked; ``retry_after`` says for how long.
        """
        at = now or datetime.now(UTC)
        async with self.db.read() as conn:
            records = await security.failures(conn, list(_keys(username, address).values()))
        until = max((r.locked_until for r in records if r.locked_until and r.locked_until > at), default=None)
        if until is not None:
            log.warning("login refused while locked: user=%r address=%s", username[:50], address)
            raise Throttled(max(1, math.ceil((until - at).total_seconds())))

    async def failed(self, username: str, address: str, now: datetime | None = None) -> None:
        """Count a failed login under the username and the address; lock either once it has too many."""
        at = now or datetime.now(UTC)
        keys = _keys(username, address)
        limits = {keys["user"]: self.policy.user_failures, keys["addr"]: self.policy.address_failures}
        window = timedelta(seconds=self.policy.window_seconds)
        for attempt in range(2):
            try:
                async with self.db.transaction() as conn:
                    known = {r.key: r for r in await security.failures(conn, list(limits))}
                    for key, allowed in limits.items():
                        old = known.get(key)
                        count = 1 if old is None or at - old.last_failure_at > window else old.failures + 1
                        lock = self.policy.lock_for(count, allowed)
                        record = security.Failures(key, count, at, None if lock is None else at + lock)
                        await security.save_failures(conn, record, existed=old is not None)
                        if lock is not None:
                            seconds = int(lock.total_seconds())
                            log.warning("login locked: %s after %d failures, for %ds", key, count, seconds)
                break
            except sa.exc.IntegrityError:
                # Another request inserted the same key first: count again on top of its row.
                if attempt:
                    raise
        log.info("failed login: user=%r address=%s", username[:50], address)

    async def succeeded(self, username: str) -> None:
        """A good login clears the username's count (not the address's: one own account must not reset it)."""
        now = datetime.now(UTC)
        stale = now - timedelta(seconds=self.policy.window_seconds)
        async with self.db.transaction() as conn:
            await security.forget_failures(conn, _keys(username, "")["user"], stale, now)
