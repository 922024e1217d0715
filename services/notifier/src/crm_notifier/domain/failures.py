"""What an SMTP failure means: temporary (retry later, with backoff) or permanent (the email fails)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Verdict = Literal["temporary", "permanent"]


def classify(code: int | None) -> Verdict:
    """4xx replies, no reply at all (connection refused, lost, timed out) are temporary; 5xx are permanent."""
    if code is not None and 500 <= code < 600:
        return "permanent"
    return "temporary"


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with a ceiling, and a bounded number of attempts."""

    max_attempts: int
    first_delay: float
    max_delay: float

    def delay(self, attempts: int) -> float:
        """Seconds to wait after ``attempts`` failed tries."""
        return float(min(self.max_delay, self.first_delay * 2 ** max(0, attempts - 1)))

    def next_attempt_at(self, attempts: int, now: datetime) -> datetime:
        return now + timedelta(seconds=self.delay(attempts))

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts
