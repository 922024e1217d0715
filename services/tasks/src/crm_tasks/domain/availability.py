"""T6 availability: planned hours spread over working days by a person's hours per day, and the conflicts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from uuid import UUID

WEEKEND = (5, 6)


@dataclass(frozen=True)
class Planned:
    """A task's plan: when it starts and how many hours it takes."""

    task_id: UUID
    title: str
    start: datetime
    hours: Decimal


@dataclass(frozen=True)
class Conflict:
    """Another task that loads a day the new task needs beyond the person's hours."""

    task_id: UUID
    title: str
    day: date
    hours: Decimal


@dataclass(frozen=True)
class Availability:
    """Whether the responsible can take the plan, and which tasks stand in the way (it warns, never blocks).

    ``over_day`` is True when the plan alone asks for more hours than the person works in a day: the requested
    interval cannot be worked on the requested date even with nothing else planned.
    """

    available: bool
    conflicts: list[Conflict]
    days: dict[date, Decimal]
    over_day: bool = False


def next_working_day(day: date) -> date:
    """The day itself, or the Monday after a weekend."""
    while day.weekday() in WEEKEND:
        day += timedelta(days=1)
    return day


def spread(start: datetime, hours: Decimal, hours_per_day: Decimal, tz: tzinfo) -> dict[date, Decimal]:
    """Spread planned hours over working days from the start's local date, a full day's hours at a time.

    A person with no hours per day gets everything on the first day (and is never available).
    """
    day = next_working_day(start.astimezone(tz).date())
    if hours_per_day <= 0:
        return {day: hours}
    days: dict[date, Decimal] = {}
    left = hours
    while left > 0:
        take = min(left, hours_per_day)
        days[day] = take
        left -= take
        day = next_working_day(day + timedelta(days=1))
    return days


def check(new: Planned, others: list[Planned], hours_per_day: Decimal, tz: tzinfo) -> Availability:
    """Whether ``new`` fits beside the person's ``others`` on every day it needs.

    A day is over-booked when its planned hours exceed the person's hours per day; every other task
    on an over-booked day is listed as a conflict. A plan longer than one working day of the person
    (the seed: "disponibil la data și în intervalul orar solicitat") is over-booked even on a free day.
    """
    needed = spread(new.start, new.hours, hours_per_day, tz)
    load = dict(needed)
    on_day: dict[date, list[tuple[Planned, Decimal]]] = {}
    for other in others:
        if other.task_id == new.task_id:
            continue
        for day, hours in spread(other.start, other.hours, hours_per_day, tz).items():
            if day in needed:
                load[day] += hours
                on_day.setdefault(day, []).append((other, hours))
    conflicts: list[Conflict] = []
    available = True
    for day in sorted(needed):
        if load[day] > hours_per_day:
            available = False
            conflicts.extend(Conflict(o.task_id, o.title, day, h) for o, h in on_day.get(day, []))
    over_day = new.hours > hours_per_day
    return Availability(available and not over_day, conflicts, load, over_day)


def day_load(others: list[Planned], day: date, hours_per_day: Decimal, tz: tzinfo) -> list[tuple[Planned, Decimal]]:
    """The tasks planned on one day and the hours each takes that day."""
    found = []
    for other in others:
        hours = spread(other.start, other.hours, hours_per_day, tz).get(day)
        if hours:
            found.append((other, hours))
    return found
