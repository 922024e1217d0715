"""Events on crm.mail (see EVENTS.md)."""

from __future__ import annotations

from typing import ClassVar

from crm_contracts import topics
from crm_contracts.base import Event


class _MailEvent(Event):
    topic: ClassVar[str] = topics.MAIL
