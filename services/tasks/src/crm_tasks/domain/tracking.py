"""T12 tracking: resolved and unresolved tasks per person per day; T11 report rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from uuid import UUID

from crm_kit.errors import Invalid
from crm_tasks.domain.model import Task

MAX_DAYS = 366


@dataclass(frozen=True)
class DayCount:
    """One person's day: tasks resolved that day, tasks still open at its end."""

    staff_id: UUID | None
    day: date
    resolved: int
    unresolved: int


def check_period(start: date, end: date) -> None:
    """A period runs forward and is at most a year long."""
    if end < start:
        raise Invalid(
            f"the period ends ({end}) before it starts ({start})",
            code="report.period_reversed",
            params={"start": start.isoformat(), "end": end.isoformat()},
        )
    if (end - start).days >= MAX_DAYS:
        raise Invalid(
            f"a period is at most {MAX_DAYS} days long", code="report.period_too_long", params={"limit": MAX_DAYS}
        )


def per_user_per_day(tasks: list[Task], start: date, end: date, tz: tzinfo) -> list[DayCount]:
    """For each responsible and each day of [start, end]: resolved that day and open at the day's end."""
    check_period(start, end)
    rows: list[DayCount] = []
    people = sorted({t.responsible_staff_id for t in tasks}, key=lambda s: str(s))
    day = start
    while day <= end:
        day_end = datetime.combine(day + timedelta(days=1), time(), tz)
        for person in people:
            resolved = unresolved = 0
            for t in tasks:
                if t.responsible_staff_id != person or t.registered_at >= day_end:
                    continue
                if t.resolved_at is not None and t.resolved_at < day_end:
                    if t.resolved_at.astimezone(tz).date() == day:
                        resolved += 1
                else:
                    unresolved += 1
            if resolved or unresolved:
                rows.append(DayCount(person, day, resolved, unresolved))
        day += timedelta(days=1)
    return rows
