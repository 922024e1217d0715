"""The deadline of a task an imported email becomes: a number of working days after it was imported."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

SATURDAY = 5


def working_days_after(moment: datetime, days: int, zone: ZoneInfo) -> datetime | None:
    """The same wall-clock time ``days`` working days (Monday to Friday, in ``zone``) after ``moment``.

    An email imported on Friday at 15:00 with one working day is due on Monday at 15:00; one imported on
    Saturday is due on Monday too (the weekend's days do not count). Public holidays are not known here.

    Args:
        moment: When the task is registered (an aware datetime).
        days: How many working days the responsible has; 0 means no deadline.
        zone: The zone whose calendar decides what a working day is.

    Returns:
        The deadline in UTC, or None for ``days`` 0.
    """
    if days <= 0:
        return None
    local = moment.astimezone(zone)
    day = local.date()
    left = days
    while left:
        day += timedelta(days=1)
        if day.weekday() < SATURDAY:
            left -= 1
    due = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=zone)
    return due.astimezone(moment.tzinfo or zone)
