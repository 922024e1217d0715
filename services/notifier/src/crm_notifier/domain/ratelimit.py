"""A token bucket: at most ``per_minute`` sends to one server, with a burst of a second's worth."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """Rate limiting with the time passed in (seconds, monotonic); ``per_minute`` 0 means unlimited."""

    per_minute: int
    tokens: float = field(default=0.0)
    updated: float | None = None

    @property
    def capacity(self) -> float:
        return max(1.0, self.per_minute / 60.0)

    def wait(self, now: float) -> float:
        """Take one token; returns how long to wait before sending (0 when a token was free)."""
        if self.per_minute <= 0:
            return 0.0
        rate = self.per_minute / 60.0
        if self.updated is None:
            self.tokens = self.capacity
        else:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * rate)
        self.updated = now
        self.tokens -= 1.0
        if self.tokens >= 0:
            return 0.0
        return -self.tokens / rate
