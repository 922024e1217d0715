"""The event scope of a batch handler: its use case joins the inbox transaction, as a per-event handler's does.

The kit's inbox sets ``crm_kit.unit_of_work.current_event`` around each per-event handler, not around an
``on_batch`` handler (a batch has many envelopes). Without it a batch's use case would open a second
transaction. This sets one scope for the batch: the inbox's connection, the last event's time, and an
``emit`` that answers each fact with the event it names as its cause (``cause_of``), collected and written
to the outbox in one statement when the handler returns (the in-app path's throughput depends on that).
It belongs in ``crm_kit.inbox`` once the consumer moves onto FastStream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from crm_contracts.base import Envelope, Event
from crm_kit.inbox import Context
from crm_kit.transactions import EventScope, current_event
from crm_notifier.events.publisher import cause_of


@asynccontextmanager
async def batch_scope(items: Sequence[tuple[Context, Any]]) -> AsyncIterator[None]:
    """Run the body as part of the batch's inbox transaction; its events are written when it returns."""
    first, last = items[0][0], items[-1][0]
    envelopes = {ctx.envelope.id: ctx.envelope for ctx, _ in items}
    rows: list[dict[str, Any]] = []

    async def emit(event: Event) -> Envelope:
        cause = envelopes.get(cause_of(event) or "", last.envelope)
        envelope, row = first.outbox.prepare(
            event, correlation_id=cause.correlationid or cause.id, causation_id=cause.id
        )
        rows.append(row)
        return envelope

    token = current_event.set(EventScope(first.conn, emit, last.envelope))
    try:
        yield
    finally:
        current_event.reset(token)
    await first.outbox.write(first.conn, rows)
