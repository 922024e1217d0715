"""Plain value objects of the notifier's domain."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Row = dict[str, Any]
"""A stored record as plain data (a delivery, a message, a mail server, a document): what the store returns."""

Channel = Literal["email", "message"]
Mode = Literal["task", "follow_up_task", "reminder", "follow_up"]
CHANNELS: tuple[Channel, ...] = ("email", "message")
LANGUAGES = ("ro", "en")


@dataclass(frozen=True)
class StaffMember:
    """A person of the staff directory; one with a user login is a system user."""

    staff_id: str
    name: str
    email: str | None
    user_login: str | None
    active: bool = True

    @property
    def is_user(self) -> bool:
        return bool(self.user_login)


@dataclass(frozen=True)
class Preferences:
    """A user's notification settings: language, and the channels for task news (created, assigned, replied)."""

    language: str = "ro"
    task_message: bool = True
    task_email: bool = False


@dataclass(frozen=True)
class Notice:
    """Something to tell one staff member, before the channel is chosen.

    ``mode`` says which rule chooses the channel: ``task`` (task news, by the user's settings),
    ``follow_up_task`` (a task made from a follow-up: news for users only), ``reminder`` (TaskDue, by the
    task's channel) or ``follow_up`` (O7: only people who are not users).
    """

    kind: str
    mode: Mode
    staff_id: str
    context: dict[str, Any] = field(default_factory=dict)
    link: str | None = None
    partner_id: str | None = None
    task_channel: Channel | None = None


@dataclass(frozen=True)
class Target:
    """One delivery to make: a channel and an address (an email address, or a user login for messages)."""

    channel: Channel
    address: str


@dataclass(frozen=True)
class EmailViewer:
    """Who reads the email log: role, login and linked staff member (the rule is ``crm_kit.scoping``)."""

    role: str
    username: str
    staff_id: str | None = None


@dataclass(frozen=True)
class ServerConfig:
    """Where and how to send: a configured mail server with the credentials to use."""

    key: str
    name: str
    host: str
    port: int
    tls_mode: str
    sender: str
    username: str | None = None
    password: str | None = None
    rate_per_minute: int = 0
    timeout: float = 20.0


@dataclass(frozen=True)
class Outcome:
    """How one transmission ended (``unreachable``: no connection to the server at all)."""

    status: Literal["sent", "temporary", "permanent", "lost_claim", "lost_after_hand_over", "unreachable"]
    code: int | None = None
    error: str = ""
