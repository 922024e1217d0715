"""Who reads what of a partner's history: an entry about a task, an email or a mail import follows its record's rule.

The partner itself is visible to every role, so most entries are too. Entries made from a task's
events (and the invoice of a task), from an email delivery or from a mail import are shown to those
who may read that record (``crm_kit.scoping``); anyone else gets the entry *redacted*: its kind, time
and reference stay, its title says only that it belongs to someone else, its details are dropped.

Redacting rather than leaving entries out keeps the per-kind counts and page totals exact without
counting per reader, and a reader still sees that something happened on the partner, never what.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from crm_kit.scoping import TaskOwners, may_see_email, may_see_mail_import, may_see_task
from crm_partners.domain.timeline import TimelineEntry

HIDDEN_TITLES = {
    "task": "Task al altui coleg / another person's task",
    "invoice": "Task al altui coleg facturat / another person's task invoiced",
    "email": "Email al altui coleg / another person's email",
}


@dataclass(frozen=True)
class Reader:
    """Who reads the history: role, login, linked staff member and (for a manager) their team."""

    role: str
    username: str
    staff_id: str | None = None
    team: frozenset[str] = frozenset()


def task_of(entry: TimelineEntry) -> str | None:
    """The task an entry is about: its reference, or the task named in its details (an invoice, an import)."""
    if entry.ref_type == "task":
        return entry.ref_id
    task_id = entry.details.get("task_id")
    return str(task_id) if task_id else None


def may_read(entry: TimelineEntry, reader: Reader, owners: Mapping[str, TaskOwners]) -> bool:
    """Whether the reader may see this entry in full.

    Args:
        entry: one history entry.
        reader: who reads.
        owners: who the entries' tasks are for and from; a task missing here is seen by admins only.
    """
    if reader.role == "admin":
        return True
    details = entry.details
    if entry.type == "EmailImported":
        return may_see_mail_import(
            role=reader.role, staff_id=reader.staff_id, responsible_staff_id=details.get("responsible_staff_id")
        )
    if entry.kind == "email":
        return may_see_email(
            role=reader.role,
            username=reader.username,
            staff_id=reader.staff_id,
            requested_by=details.get("requested_by"),
            recipient_staff_id=details.get("recipient_staff_id"),
        )
    task_id = task_of(entry)
    if task_id is None:
        return True
    found = owners.get(task_id)
    return found is not None and may_see_task(
        found, role=reader.role, staff_id=reader.staff_id, username=reader.username, team=reader.team
    )


def redacted(entry: TimelineEntry) -> TimelineEntry:
    """The entry as someone who may not read it sees it: kind, type, time and reference, no title nor details."""
    title = HIDDEN_TITLES.get(entry.kind, HIDDEN_TITLES["task"])
    return replace(entry, title=title, details={"hidden": True})


def for_reader(entries: list[TimelineEntry], reader: Reader, owners: Mapping[str, TaskOwners]) -> list[TimelineEntry]:
    """A page of history as the reader may see it (same entries, same order, some redacted)."""
    return [entry if may_read(entry, reader, owners) else redacted(entry) for entry in entries]
