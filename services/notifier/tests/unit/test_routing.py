"""Who is told and how: users by their settings and the task's channel, everyone else by email."""

from __future__ import annotations

from crm_notifier.domain.models import Notice, Preferences, StaffMember, Target
from crm_notifier.domain.routing import language_of, targets

USER = StaffMember("s1", "Ana", "ana@firma.ro", "ana")
USER_WITHOUT_EMAIL = StaffMember("s2", "Dan", None, "dan")
NOT_A_USER = StaffMember("s3", "Bogdan", "bogdan@firma.ro", None)
GONE = StaffMember("s4", "Old", "old@firma.ro", None, active=False)


def notice(mode: str, channel: str | None = None) -> Notice:
    return Notice(kind="k", mode=mode, staff_id="s", task_channel=channel)  # type: ignore[arg-type]


def test_a_staff_member_without_a_login_is_emailed_whatever_the_task_says() -> None:
    for mode, channel in (("task", None), ("reminder", "message"), ("follow_up", None)):
        assert targets(notice(mode, channel), NOT_A_USER, Preferences()) == [Target("email", "bogdan@firma.ro")]


def test_a_user_gets_task_news_as_a_message_by_default_and_also_by_email_when_chosen() -> None:
    assert targets(notice("task"), USER, Preferences()) == [Target("message", "ana")]
    both = targets(notice("task"), USER, Preferences(task_message=True, task_email=True))
    assert both == [Target("message", "ana"), Target("email", "ana@firma.ro")]
    assert targets(notice("task"), USER, Preferences(task_message=False)) == []


def test_a_reminder_follows_the_tasks_channel_and_falls_back_to_a_message_without_an_address() -> None:
    assert targets(notice("reminder", "email"), USER, Preferences()) == [Target("email", "ana@firma.ro")]
    assert targets(notice("reminder", "message"), USER, Preferences()) == [Target("message", "ana")]
    assert targets(notice("reminder", "email"), USER_WITHOUT_EMAIL, Preferences()) == [Target("message", "dan")]


def test_a_follow_up_emails_only_people_who_are_not_users_and_nobody_who_left() -> None:
    assert targets(notice("follow_up"), USER, Preferences()) == []
    assert targets(notice("task"), GONE, Preferences()) == []


def test_the_task_a_follow_up_becomes_is_news_to_users_but_not_a_second_email_to_others() -> None:
    assert targets(notice("follow_up"), NOT_A_USER, Preferences()) == [Target("email", NOT_A_USER.email or "")]
    assert targets(notice("follow_up_task"), NOT_A_USER, Preferences()) == []
    assert targets(notice("follow_up_task"), USER, Preferences()) == [Target("message", "ana")]


def test_the_language_is_the_users_choice_else_the_company_default() -> None:
    assert language_of(USER, Preferences(language="en"), "ro") == "en"
    assert language_of(NOT_A_USER, None, "ro") == "ro"
