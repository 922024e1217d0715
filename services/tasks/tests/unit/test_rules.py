"""Task rules: input limits, the default responsible (T4), coverage (T7), reminders (T10), who sees what (T1)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from crm_kit.errors import Invalid
from crm_tasks.domain import reminders, rules, tracking
from crm_tasks.domain.model import (
    Alert,
    CatalogueService,
    ContractLineRef,
    ContractRef,
    PartnerRef,
    ReminderSettings,
    Task,
    Viewer,
)

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def task(**kw: object) -> Task:
    values: dict[str, object] = {
        "id": uuid4(),
        "title": "t",
        "description": "",
        "source": "manual",
        "responsible_staff_id": uuid4(),
        "registered_at": NOW,
    }
    values.update(kw)
    return Task(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("hours", ["-1", "0", "100000", "NaN"])
def test_negative_zero_or_absurd_planned_hours_are_refused_with_a_message(hours: str) -> None:
    with pytest.raises(Invalid, match="planned_hours"):
        rules.check_planned_hours(Decimal(hours), 500)


def test_a_reminder_five_days_before_is_refused() -> None:
    with pytest.raises(Invalid, match="1, 2 or 3 days"):
        rules.check_alert("email", 5)


def test_a_client_request_goes_to_the_service_rep_else_the_sales_rep() -> None:
    service_rep, sales_rep = uuid4(), uuid4()
    assert rules.default_responsible(PartnerRef(uuid4(), "Acme", "client", sales_rep, service_rep)) == service_rep
    assert rules.default_responsible(PartnerRef(uuid4(), "Acme", "client", sales_rep, None)) == sales_rep
    assert rules.default_responsible(PartnerRef(uuid4(), "Acme", "client")) is None  # triage


def test_a_task_made_by_hand_needs_a_responsible_chosen_or_found_by_t4() -> None:
    chosen, sales_rep = uuid4(), uuid4()
    assert rules.responsible_for(chosen, PartnerRef(uuid4(), "Acme", "client", sales_rep)) == chosen
    assert rules.responsible_for(None, PartnerRef(uuid4(), "Acme", "client", sales_rep)) == sales_rep
    with pytest.raises(Invalid, match="no service or sales representative"):
        rules.responsible_for(None, PartnerRef(uuid4(), "Acme", "client"))
    with pytest.raises(Invalid, match="a client to take it from"):
        rules.responsible_for(None, None)


def test_only_an_active_contract_with_the_services_article_covers_it() -> None:
    service = CatalogueService("SUP", "Suport", Decimal(100), "ART-SUP")
    partner = uuid4()
    ended = ContractRef(
        uuid4(),
        partner,
        "C1",
        "commercial",
        date(2025, 1, 1),
        date(2025, 12, 31),
        (ContractLineRef(uuid4(), "ART-SUP"),),
    )
    other = ContractRef(uuid4(), partner, "C2", "commercial", date(2026, 1, 1), None, (ContractLineRef(None, "X"),))
    assert rules.coverage([ended, other], service, date(2026, 3, 2)).covers_service is False
    assert rules.coverage([ended, other], service, date(2026, 3, 2)).contract == other
    assert rules.coverage([ended], service, date(2025, 6, 1)).covers_service is True
    assert rules.coverage([other], None, date(2026, 3, 2)).covers_service is None


def test_reminders_follow_the_tasks_alert_else_the_settings() -> None:
    deadline = NOW + timedelta(days=5)
    own = reminders.plan(task(deadline=deadline, alert=Alert("email", 2)), ReminderSettings())
    assert [(r.channel, r.remind_at) for r in own] == [("email", deadline - timedelta(days=2))]
    defaults = reminders.plan(
        task(deadline=deadline), ReminderSettings(send_message=True, send_email=False, days_before=3)
    )
    assert [(r.channel, r.remind_at) for r in defaults] == [("message", deadline - timedelta(days=3))]
    assert reminders.plan(task(deadline=None), ReminderSettings()) == []
    assert reminders.plan(task(deadline=deadline, status="resolved"), ReminderSettings()) == []


def test_agents_see_tasks_for_and_from_them_managers_their_teams_admins_all() -> None:
    me, colleague, stranger = uuid4(), uuid4(), uuid4()
    mine = task(responsible_staff_id=me)
    issued = task(responsible_staff_id=stranger, creator_staff_id=me)
    teams = task(responsible_staff_id=colleague)
    agent = Viewer("agent", me, "me")
    manager = Viewer("manager", me, "me", frozenset({me, colleague}))
    assert rules.can_see(mine, agent)
    assert rules.can_see(issued, agent)
    assert not rules.can_see(teams, agent)
    assert rules.can_see(teams, manager)
    assert not rules.can_see(task(responsible_staff_id=stranger), manager)
    assert rules.can_see(task(responsible_staff_id=stranger), Viewer("admin", None, "root"))


def test_tracking_counts_resolved_and_still_open_tasks_per_person_per_day() -> None:
    from zoneinfo import ZoneInfo

    person = uuid4()
    day1 = datetime(2026, 3, 2, 8, tzinfo=UTC)
    tasks = [
        task(responsible_staff_id=person, registered_at=day1, resolved_at=day1 + timedelta(hours=2)),
        task(responsible_staff_id=person, registered_at=day1, resolved_at=day1 + timedelta(days=1)),
        task(responsible_staff_id=person, registered_at=day1 + timedelta(days=1)),
    ]
    rows = tracking.per_user_per_day(tasks, date(2026, 3, 2), date(2026, 3, 3), ZoneInfo("Europe/Bucharest"))
    assert [(r.day.day, r.resolved, r.unresolved) for r in rows] == [(2, 1, 1), (3, 1, 1)]
