"""A1: in-app messages people send each other: who may receive one, and whose message is whose (pure)."""

from __future__ import annotations

from crm_kit.errors import Invalid, NotFound
from crm_notifier.domain.models import Row, StaffMember


def recipients(to_users: list[str], to_staff_ids: list[str], staff: dict[str, StaffMember]) -> dict[str, str | None]:
    """The logins a message goes to, each with the staff member it was chosen as (None: chosen by login).

    Raises:
        NotFound: a staff member the directory does not know.
        Invalid: a staff member who is not a system user, or nobody at all.
    """
    logins: dict[str, str | None] = dict.fromkeys(to_users)
    for staff_id in to_staff_ids:
        member = staff.get(staff_id)
        if member is None:
            raise NotFound(f"unknown staff member {staff_id}", field="to_staff_ids", code="record.not_found")
        if not member.user_login:
            raise Invalid(
                f"{member.name} is not a system user; send an email instead",
                field="to_staff_ids",
                code="message.not_a_user",
                params={"name": member.name},
            )
        logins[member.user_login] = staff_id
    if not logins:
        raise Invalid("choose at least one recipient", field="to_users", code="message.no_recipient")
    return logins


def title_of(author: str, title: str) -> str:
    """A sent message's title names its author."""
    return f"{author}: {title}"


def owned(message: Row | None, message_id: str, login: str) -> Row:
    """The message, when it is this user's; another user's message is as if it did not exist.

    Raises:
        NotFound: no such message for this user.
    """
    if message is None or message["recipient"] != login:
        raise NotFound(f"no message {message_id} for you", code="record.not_found")
    return message
