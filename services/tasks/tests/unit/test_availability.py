"""T6 availability: planned hours spread over working days; conflicts are listed, not refused."""

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

from crm_tasks.domain.availability import Planned, check, spread

TZ = ZoneInfo("Europe/Bucharest")
MONDAY = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # 09:00 in Bucharest


def plan(hours: str, start: datetime = MONDAY, title: str = "other") -> Planned:
    return Planned(uuid4(), title, start, Decimal(hours))


def test_planned_hours_fill_whole_days_at_the_persons_hours_per_day_and_skip_the_weekend() -> None:
    friday = datetime(2026, 3, 6, 7, 0, tzinfo=UTC)
    days = spread(friday, Decimal(20), Decimal(8), TZ)
    assert days == {date(2026, 3, 6): 8, date(2026, 3, 9): 8, date(2026, 3, 10): 4}


def test_a_task_that_fits_beside_the_others_is_available() -> None:
    result = check(plan("3", title="new"), [plan("4")], Decimal(8), TZ)
    assert result.available
    assert result.conflicts == []


def test_an_overbooked_day_makes_the_person_unavailable_and_names_the_tasks_in_the_way() -> None:
    busy = plan("6", title="Instalare server")
    result = check(plan("4", title="new"), [busy, plan("2", start=datetime(2026, 3, 4, 7, tzinfo=UTC))], Decimal(8), TZ)
    assert not result.available
    assert [(c.title, c.day, c.hours) for c in result.conflicts] == [("Instalare server", date(2026, 3, 2), 6)]


def test_a_person_with_fewer_hours_per_day_is_overbooked_sooner() -> None:
    assert check(plan("5", title="new"), [plan("2")], Decimal(8), TZ).available
    assert not check(plan("5", title="new"), [plan("2")], Decimal(6), TZ).available


def test_a_multi_day_task_conflicts_with_work_planned_on_its_later_days() -> None:
    wednesday = datetime(2026, 3, 4, 7, tzinfo=UTC)
    result = check(plan("20", title="new"), [plan("5", start=wednesday, title="Audit")], Decimal(8), TZ)
    assert not result.available
    assert [c.title for c in result.conflicts] == ["Audit"]


def test_planning_more_hours_than_a_day_of_the_person_on_a_free_day_is_not_available() -> None:
    result = check(plan("10", title="new"), [], Decimal(8), TZ)
    assert not result.available
    assert result.over_day
    assert result.conflicts == []  # nothing else stands in the way: the plan alone does not fit the day


def test_a_plan_of_exactly_the_persons_hours_per_day_on_a_free_day_is_available() -> None:
    result = check(plan("8", title="new"), [], Decimal(8), TZ)
    assert result.available
    assert not result.over_day
