"""T9 billing math: worked hours from registered to resolved time, rounded; the estimate from the catalogue."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Literal
from uuid import UUID

from crm_kit.errors import Invalid
from crm_tasks.domain.model import CatalogueService, Estimate, EstimateLine

Rounding = Literal["up", "nearest", "none"]
CENT = Decimal("0.01")


def billed_hours(
    registered_at: datetime, resolved_at: datetime, quantum_minutes: int = 15, rounding: Rounding = "up"
) -> Decimal:
    """Hours = resolved time minus registered time, rounded to the quantum (default: up to the next quarter hour).

    Raises:
        Invalid: resolved before it was registered.
    """
    seconds = Decimal((resolved_at - registered_at).total_seconds())
    if seconds < 0:
        raise Invalid("a task cannot be resolved before it was registered", code="task.resolved_before_registered")
    if rounding == "none":
        return (seconds / 3600).quantize(CENT, rounding=ROUND_HALF_UP)
    quantum = Decimal(quantum_minutes * 60)
    mode = ROUND_CEILING if rounding == "up" else ROUND_HALF_UP
    steps = (seconds / quantum).quantize(Decimal(1), rounding=mode)
    return (steps * quantum / 3600).quantize(CENT, rounding=ROUND_HALF_UP)


def estimate(estimate_id: UUID, service: CatalogueService, hours: Decimal) -> Estimate:
    """The estimate (deviz): the service's article for the hours at its hourly rate."""
    net = (hours * service.hourly_rate).quantize(CENT, rounding=ROUND_HALF_UP)
    line = EstimateLine(service.article_code, service.name, hours, service.hourly_rate, net)
    return Estimate(estimate_id, [line], net)
