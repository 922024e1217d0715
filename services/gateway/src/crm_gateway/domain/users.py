"""Users of the CRM: login names, roles and languages, validated without any I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass

from crm_kit.errors import Invalid
from crm_kit.ids import is_uuid

ROLES = ("admin", "manager", "agent")
LANGUAGES = ("ro", "en")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,49}$")
MIN_PASSWORD = 4


@dataclass(frozen=True)
class User:
    """A person who logs in."""

    id: str
    username: str
    role: str
    staff_id: str | None
    language: str = "ro"
    token_version: int = 0
    """Bumped by a password change; an access token of an older version is refused."""


@dataclass(frozen=True)
class NewUser:
    """A valid request to create a user (the password still in clear: the adapter hashes it)."""

    username: str
    password: str
    role: str
    staff_id: str | None
    language: str


def check_password(password: str) -> str:
    """A password that meets the rules.

    Raises:
        Invalid: too short.
    """
    if len(password) < MIN_PASSWORD:
        raise Invalid(
            f"the password needs at least {MIN_PASSWORD} characters",
            field="password",
            code="user.password_too_short",
            params={"limit": MIN_PASSWORD},
        )
    return password


def new_user(username: str, password: str, role: str, staff_id: str | None, language: str | None) -> NewUser:
    """Check a user's fields.

    Raises:
        Invalid: a field a user must correct, with the reason.
    """
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise Invalid(
            "a username is 2-50 characters: lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            field="username",
            code="user.username_format",
        )
    check_password(password)
    if role not in ROLES:
        raise Invalid(
            f"role must be one of {', '.join(ROLES)}",
            field="role",
            code="record.choose_from_list",
            params={"value": role},
        )
    lang = language or "ro"
    if lang not in LANGUAGES:
        raise Invalid(
            f"language must be one of {', '.join(LANGUAGES)}",
            field="language",
            code="record.choose_from_list",
            params={"value": lang},
        )
    if staff_id and not is_uuid(staff_id):
        raise Invalid("a staff id is a UUID", field="staff_id")
    return NewUser(name, password, role, staff_id or None, lang)
