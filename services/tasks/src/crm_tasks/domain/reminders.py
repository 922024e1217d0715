"""T10 / C2 reminders: when and how a task's responsible is reminded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from crm_tasks.domain.model import CHANNELS, Channel, ReminderSettings, Task


@dataclass(frozen=True)
class PlannedReminder:
    """One reminder to fire: a channel at a time, for a deadline."""

    channel: Channel
    days_before: int
    remind_at: datetime
    deadline: datetime


@dataclass(frozen=True)
class Reminder:
    """A task's reminder as stored: when it fires and whether it fired."""

    channel: str
    days_before: int
    remind_at: datetime
    fired_at: datetime | None


@dataclass(frozen=True)
class DueReminder:
    """A reminder claimed by the scheduler, with what TaskDue says."""

    task_id: UUID
    channel: str
    days_before: int
    deadline: datetime
    remind_at: datetime
    title: str
    partner_id: UUID | None
    responsible_staff_id: UUID


def plan(task: Task, settings: ReminderSettings) -> list[PlannedReminder]:
    """The reminders a task needs now: its own alert, else the C2 defaults; none when resolved or undated."""
    if task.status != "open" or task.deadline is None or task.responsible_staff_id is None:
        return []
    if task.alert is not None:
        wanted: list[tuple[Channel, int]] = [(task.alert.channel, task.alert.days_before)]
    else:
        enabled = {"email": settings.send_email, "message": settings.send_message}
        wanted = [(c, settings.days_before) for c in CHANNELS if enabled[c]]
    return [PlannedReminder(c, d, task.deadline - timedelta(days=d), task.deadline) for c, d in wanted]


def is_due(remind_at: datetime, now: datetime) -> bool:
    """A reminder is due once its time has come."""
    return remind_at <= now
