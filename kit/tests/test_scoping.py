"""Who sees which record (crm_kit.scoping): the one rule per kind that every service and view uses."""

from crm_kit.scoping import TaskOwners, may_see_email, may_see_mail_import, may_see_message, may_see_task

ANA, ION, EVA = "staff-ana", "staff-ion", "staff-eva"
TASK = TaskOwners(responsible_staff_id=ANA, creator_staff_id=ION, creator_user="ion")


def test_a_task_is_seen_by_its_responsible_and_its_issuer_not_by_another_agent() -> None:
    assert may_see_task(TASK, role="agent", staff_id=ANA, username="ana")
    assert may_see_task(TASK, role="agent", staff_id=ION, username="ion")
    assert not may_see_task(TASK, role="agent", staff_id=EVA, username="eva")


def test_a_task_issued_by_a_user_without_a_staff_member_is_seen_by_that_login() -> None:
    task = TaskOwners(responsible_staff_id=ANA, creator_user="office")
    assert may_see_task(task, role="agent", staff_id=None, username="office")
    assert not may_see_task(task, role="agent", staff_id=None, username="other")


def test_a_manager_sees_their_teams_tasks_and_an_agents_team_does_not_count() -> None:
    assert may_see_task(TASK, role="manager", staff_id=EVA, username="eva", team={EVA, ANA})
    assert not may_see_task(TASK, role="manager", staff_id=EVA, username="eva", team={EVA})
    assert not may_see_task(TASK, role="agent", staff_id=EVA, username="eva", team={EVA, ANA})


def test_an_admin_sees_every_task_even_one_without_owners() -> None:
    assert may_see_task(TaskOwners(), role="admin", staff_id=None, username="admin")
    assert not may_see_task(TaskOwners(), role="manager", staff_id=EVA, username="eva", team={EVA})


def test_an_agent_sees_the_emails_they_asked_for_or_that_went_to_them_and_a_manager_all() -> None:
    other = {"requested_by": "ion", "recipient_staff_id": ION}
    assert may_see_email(role="agent", username="ana", staff_id=ANA, requested_by="ana", recipient_staff_id=None)
    assert may_see_email(role="agent", username="ana", staff_id=ANA, requested_by=None, recipient_staff_id=ANA)
    assert not may_see_email(role="agent", username="ana", staff_id=ANA, **other)
    assert not may_see_email(role="agent", username="ana", staff_id=None, requested_by=None, recipient_staff_id=None)
    assert may_see_email(role="manager", username="eva", staff_id=EVA, **other)


def test_an_in_app_message_is_private_to_its_recipient_whatever_the_role() -> None:
    assert may_see_message(username="ana", recipient="ana")
    assert not may_see_message(username="admin", recipient="ana")


def test_an_agent_sees_the_mail_imports_whose_task_went_to_them_and_a_manager_all() -> None:
    assert may_see_mail_import(role="agent", staff_id=ANA, responsible_staff_id=ANA)
    assert not may_see_mail_import(role="agent", staff_id=ANA, responsible_staff_id=ION)
    assert not may_see_mail_import(role="agent", staff_id=None, responsible_staff_id=None)
    assert may_see_mail_import(role="manager", staff_id=None, responsible_staff_id=ION)
