"""The staff directory: people, their hours per day, categories, team and optional user login."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from crm_kit.errors import Conflict, Invalid
from crm_partners.domain.emails import InvalidEmail, normalise_email
from crm_partners.domain.text import clean, fold


@dataclass(frozen=True)
class StaffMember:
    """A person of the company (a system user or not)."""

    id: str
    name: str
    created_at: datetime
    updated_at: datetime
    email: str | None = None
    user_login: str | None = None
    hours_per_day: Decimal = Decimal(8)
    categories: tuple[str, ...] = ()
    team: str | None = None
    active: bool = True
    version: int = 1


@dataclass
class StaffInput:
    """A staff member's fields as received."""

    name: str
    email: str | None = None
    user_login: str | None = None
    hours_per_day: Decimal | str | float = Decimal(8)
    categories: list[str] = field(default_factory=list)
    team: str | None = None
    active: bool = True


FIELDS = tuple(StaffInput.__dataclass_fields__)


def build_staff(data: StaffInput, *, staff_id: str, now: datetime, previous: StaffMember | None = None) -> StaffMember:
    """Check a staff member's rules and return it.

    Raises:
        Invalid: a field breaks a rule; ``extra["errors"]`` lists them all.
    """
    # Each refused field carries the code and params the web UI shows beside it in the user's language.
    errors: list[dict[str, object]] = []
    name = clean(data.name)
    if not name:
        errors.append(
            {"field": "name", "message": "a staff member needs a name", "code": "staff.name_missing", "params": {}}
        )
    email = None
    if clean(data.email):
        try:
            email = normalise_email(str(data.email))
        except InvalidEmail as exc:
            errors.append(
                {
                    "field": "email",
                    "message": str(exc),
                    "code": "record.email_invalid",
                    "params": {"email": str(data.email).strip()},
                }
            )
    login = clean(data.user_login)
    if login is not None and (" " in login or len(login) > 100):
        errors.append(
            {
                "field": "user_login",
                "message": "a user login has no spaces and at most 100 characters",
                "code": "staff.login_invalid",
                "params": {},
            }
        )
    hours = Decimal(8)
    try:
        hours = Decimal(str(data.hours_per_day)).quantize(Decimal("0.01"))
        if not Decimal(0) < hours <= Decimal(24):
            errors.append(
                {
                    "field": "hours_per_day",
                    "message": "hours per day must be more than 0 and at most 24",
                    "code": "staff.hours_per_day_range",
                    "params": {},
                }
            )
    except (InvalidOperation, ValueError):
        errors.append(
            {
                "field": "hours_per_day",
                "message": f"{data.hours_per_day!r} is not a number of hours",
                "code": "record.not_a_number",
                "params": {},
            }
        )
    categories: dict[str, str] = {}
    for raw in data.categories:
        text = clean(raw)
        if text:
            categories.setdefault(fold(text), text)
    if errors:
        raise Invalid(
            f"the staff member cannot be saved: {errors[0]['message']}", code="record.fields_invalid", errors=errors
        )
    return StaffMember(
        id=staff_id,
        name=name or "",
        created_at=previous.created_at if previous else now,
        updated_at=now,
        email=email,
        user_login=login,
        hours_per_day=hours,
        categories=tuple(categories.values()),
        team=clean(data.team),
        active=data.active,
        version=previous.version + 1 if previous else 1,
    )


def update_staff(member: StaffMember, changes: Mapping[str, Any], *, now: datetime) -> StaffMember:
    """The staff member with some fields changed, every rule checked again.

    Raises:
        Invalid: an unknown field, or a field that breaks a rule.
    """
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise Invalid(
            f"unknown staff fields: {', '.join(unknown)}",
            fields=unknown,
            code="record.unknown_fields",
            params={"fields": ", ".join(unknown)},
        )
    current = StaffInput(
        name=member.name,
        email=member.email,
        user_login=member.user_login,
        hours_per_day=member.hours_per_day,
        categories=list(member.categories),
        team=member.team,
        active=member.active,
    )
    return build_staff(replace(current, **dict(changes)), staff_id=member.id, now=now, previous=member)


def check_login(member: StaffMember, owner: str | None) -> None:
    """A user login links to one staff member only.

    Args:
        member: the staff member about to be saved.
        owner: the staff member the login is linked to now, if any.

    Raises:
        Conflict: the login is linked to another staff member.
    """
    if member.user_login and owner and owner != member.id:
        raise Conflict(
            f"the user login {member.user_login} is already linked to staff member {owner}",
            code="staff.login_taken",
            params={"login": member.user_login, "owner": owner},
        )
