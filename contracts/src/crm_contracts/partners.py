"""Events on crm.partners (see EVENTS.md)."""

from __future__ import annotations

from typing import ClassVar

from crm_contracts import topics
from crm_contracts.base import Event


class _PartnersEvent(Event):
    topic: ClassVar[str] = topics.PARTNERS
