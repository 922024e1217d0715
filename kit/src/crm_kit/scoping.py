"""Who may see which record: the one rule per record kind, shared by the owning service and every view of it.

Pure Python (no framework): the tasks service, the partner history, the notifier, mail-ingest and the
blob check all call these functions, so a rule changes in one place. The table of rules is in
``docs/security-scoping.md``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass


@dataclass(frozen=True)
class TaskOwners:
    """The people a task is for and from: its responsible, its issuer (staff member and login)."""

    responsible_staff_id: str | None = None
    creator_staff_id: str | None = None
    creator_user: str | None = None


def may_see_task(
    owners: TaskOwners, *, role: str, staff_id: str | None, username: str, team: Collection[str] = ()
) -> bool:
    """T1: admins see every task; an agent the tasks for and from them; a manager also their team's.

    Args:
        owners: the task's responsible and issuer.
        role: the viewer's role (``admin``, ``manager`` or ``agent``).
        staff_id: the viewer's staff member, when the user is linked to one.
        username: the viewer's login (a task issued by a user without a staff member names the login).
        team: a manager's team (staff ids, the manager included); ignored for other roles.
    """
    if role == "admin":
        return True
    people = {owners.responsible_staff_id, owners.creator_staff_id} - {None}
    if staff_id is not None and staff_id in people:
        return True
    if owners.creator_user is not None and owners.creator_user == username:
        return True
    return role == "manager" and bool(people & set(team))


def may_see_email(
    *, role: str, username: str, staff_id: str | None, requested_by: str | None, recipient_staff_id: str | None
) -> bool:
    """E3: managers and admins see the whole email log; an agent the emails they asked for or that went to them."""
    if role in ("admin", "manager"):
        return True
    if requested_by is not None and requested_by == username:
        return True
    return staff_id is not None and recipient_staff_id == staff_id


def may_see_message(*, username: str, recipient: str) -> bool:
    """In-app messages are private to their recipient, whatever the role (an admin reads their own only)."""
    return recipient == username


def may_see_mail_import(*, role: str, staff_id: str | None, responsible_staff_id: str | None) -> bool:
    """I1-I3: managers and admins see the whole import log; an agent the imports whose task went to them."""
    if role in ("admin", "manager"):
        return True
    return staff_id is not None and responsible_staff_id == staff_id
