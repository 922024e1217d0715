"""Who gets what: the channel rules for task news, reminders (T10, C2) and follow-ups (O7).

One follow-up reaches its delegate once. It arrives as two events: ``FollowUpScheduled`` and then the
``TaskCreated`` of the task it becomes (source ``follow_up``). The rule, here only: a delegate who is not a
system user is told by the follow-up (one email; they cannot open the task), a user by the task (news by their
settings; no follow-up email).
"""

from __future__ import annotations

from crm_notifier.domain.models import Channel, Mode, Notice, Preferences, StaffMember, Target

FOLLOW_UP_SOURCE = "follow_up"
"""The ``source`` of a task made from a follow-up."""


def new_task_mode(source: str) -> Mode:
    """How a new task is told: a task made from a follow-up is news for users only (its delegate had the email)."""
    return "follow_up_task" if source == FOLLOW_UP_SOURCE else "task"


def tells_of_new_task(responsible_staff_id: str | None, creator_staff_id: str | None) -> bool:
    """Whether a new task is news: it has someone responsible, and that is not who created it."""
    return responsible_staff_id is not None and responsible_staff_id != creator_staff_id


def tells_of_reply(creator_staff_id: str | None, by_staff_id: str | None) -> bool:
    """Whether a reply is news to the task's creator: there is one, and they did not write it."""
    return creator_staff_id is not None and creator_staff_id != by_staff_id


def targets(notice: Notice, staff: StaffMember, prefs: Preferences) -> list[Target]:
    """The deliveries a notice makes for one staff member.

    A staff member without a user login can only be emailed (at the staff directory address).
    A user gets task news by their settings, a reminder on the task's channel (email falls back
    to an in-app message when the directory has no address), and no follow-up email: the
    follow-up becomes a task they are told about. Someone who is not a user hears of a follow-up
    once, by its own email (O7), not again when it becomes a task.
    """
    if not staff.active:
        return []
    if not staff.is_user:
        if notice.mode == "follow_up_task":
            return []
        return [Target("email", staff.email)] if staff.email else []
    login = staff.user_login or ""
    channels: list[Channel] = []
    if notice.mode in ("task", "follow_up_task"):
        if prefs.task_message:
            channels.append("message")
        if prefs.task_email and staff.email:
            channels.append("email")
    elif notice.mode == "reminder":
        wanted = notice.task_channel or "message"
        channels.append("email" if wanted == "email" and staff.email else "message")
    return [Target(c, (staff.email or "") if c == "email" else login) for c in channels]


def language_of(staff: StaffMember, prefs: Preferences | None, default: str) -> str:
    """The language to write to a person in: their setting, else the company default."""
    if staff.is_user and prefs is not None:
        return prefs.language
    return default
