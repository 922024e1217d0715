"""``NoEvents``: the gateway's ``ports.Publisher``; its use cases publish nothing, so nothing reaches the outbox."""

from __future__ import annotations

from crm_kit.transactions import Emit


class NoEvents:
    """The publisher port of a service that announces no facts (users and sessions stay inside the gateway)."""

    def __init__(self, emit: Emit | None = None) -> None:
        # Bound to the unit of work's outbox like every publisher, and never called.
        self.emit = emit
