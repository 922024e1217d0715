"""What an SMTP failure means: temporary (retry later, with backoff) or permanent (the email fails)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

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


def after_failure(policy: RetryPolicy, attempts: int, code: int | None, error: str, now: datetime) -> dict[str, Any]:
    """What a failed attempt makes of a delivery: ``failed`` (5xx, or attempts used up) or ``pending`` again later."""
    if classify(code) == "permanent":
        return {"status": "failed", "error": error[:2000]}
    if policy.gives_up(attempts):
        return {"status": "failed", "error": f"gave up after {attempts} attempts: {error}"[:2000]}
    return {
        "status": "pending",
        "next_attempt_at": policy.next_attempt_at(attempts, now),
        "error": f"attempt {attempts} failed, will retry: {error}"[:2000],
    }


def too_large(size: int, limit: int) -> str | None:
    """Why a built message of ``size`` bytes cannot be sent, or None when it fits the limit."""
    if size <= limit:
        return None
    return f"the message is {size / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.1f} MB"


SENDING_STOPPED = "the worker sending it stopped before the server accepted it; sending again"
HANDED_OVER_STOPPED = "assumed delivered: the worker stopped after handing the message to the server"
