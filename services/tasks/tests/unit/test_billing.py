"""T9 billing math: hours from registered to resolved time, rounded; the estimate's price from the catalogue."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from crm_kit.errors import Invalid
from crm_tasks.domain.billing import billed_hours, estimate
from crm_tasks.domain.model import CatalogueService

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("worked", "hours"),
    [
        (timedelta(minutes=0), "0.00"),
        (timedelta(minutes=1), "0.25"),
        (timedelta(minutes=15), "0.25"),
        (timedelta(minutes=15, seconds=1), "0.50"),
        (timedelta(hours=2, minutes=50), "3.00"),
        (timedelta(hours=26), "26.00"),
    ],
)
def test_worked_time_is_rounded_up_to_the_next_quarter_hour_by_default(worked: timedelta, hours: str) -> None:
    assert billed_hours(T0, T0 + worked) == Decimal(hours)


def test_the_rounding_rule_is_configurable() -> None:
    worked = T0 + timedelta(minutes=67)
    assert billed_hours(T0, worked, 30, "up") == Decimal("1.50")
    assert billed_hours(T0, worked, 30, "nearest") == Decimal("1.00")
    assert billed_hours(T0, worked, 15, "none") == Decimal("1.12")


def test_a_task_cannot_be_resolved_before_it_was_registered() -> None:
    with pytest.raises(Invalid):
        billed_hours(T0, T0 - timedelta(seconds=1))


def test_the_estimate_prices_the_hours_at_the_services_hourly_rate_in_exact_decimals() -> None:
    service = CatalogueService("SUP", "Suport tehnic", Decimal("133.33"), "ART-SUP")
    result = estimate(uuid4(), service, Decimal("2.75"))
    assert result.total == Decimal("366.66")
    assert result.lines[0].article_code == "ART-SUP"
    assert result.lines[0].hours == Decimal("2.75")
