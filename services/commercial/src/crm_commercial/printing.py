"""Invoice printouts, rendered after the invoice is committed: by a worker soon after, or on first read.

Rendering a PDF takes about 100 ms of CPU. Done inside the issuing transaction, it held the invoice
series lock, so invoices were issued one PDF at a time. The number is now committed without it; the
printout is rendered afterwards into the blob store (content-addressed: a second render stores the same
bytes under the same sha256), recorded on the invoice by whoever finishes first, and announced with
``InvoicePrintoutReady``. A crash in between only leaves an invoice without a printout for a while:
the worker finds it at its next pass, or the first read renders it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace

import sqlalchemy as sa

from crm_commercial.domain.documents import Document
from crm_commercial.events.publisher import Publisher
from crm_commercial.handlers import Commercial
from crm_commercial.store import repository as repo
from crm_commercial.store import tables as t
from crm_contracts.base import Envelope, Event
from crm_kit.errors import NotFound
from crm_kit.outbox import Outbox
from crm_kit.store import Database
from crm_kit.waiting import nap

log = logging.getLogger(__name__)


@dataclass
class Printouts:
    """Renders the printouts of invoices that have none yet (``Service.workers["printouts"]``)."""

    db: Database
    outbox: Outbox
    commercial: Commercial
    poll_seconds: float = 5.0
    batch_size: int = 20
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def wake(self) -> None:
        """Look for invoices without a printout now (after a commit that may have issued some)."""
        self._wake.set()

    async def ensure(self, doc: Document) -> Document:
        """The document; an invoice with its printout, rendered, stored and announced now if it has none yet.

        Raises:
            NotFound: the invoice's partner is not in the directory (it was when the invoice was issued).
        """
        if doc.type != "invoice" or doc.printout_sha256 or doc.partner_id is None:
            return doc  # other documents are rendered as they are issued; costs have no printout
        async with self.db.read() as conn:
            partner = await repo.partner(conn, doc.partner_id)
        if partner is None:
            raise NotFound(f"the partner of {doc.number} is unknown: its printout cannot be made")
        rendered = replace(doc, printout_sha256=await self.commercial.render_printout(doc, partner))
        async with self.db.transaction() as conn:
            stmt = (
                t.documents.update()
                .where(t.documents.c.id == doc.id, t.documents.c.printout_sha256.is_(None))
                .values(printout_sha256=rendered.printout_sha256)
            )
            if (await conn.execute(stmt)).rowcount == 1:

                async def send(event: Event) -> Envelope:
                    return await self.outbox.add(conn, event)

                await Publisher(send).invoice_printout_ready(rendered)
                return rendered
            current = await repo.document(conn, doc.id)  # rendered meanwhile by the worker or another read
        return current or rendered

    async def render_pending(self) -> int:
        """Render the oldest invoices without a printout (up to ``batch_size``); how many were rendered.

        One that fails (logged) does not hold up the others; it is tried again at the next pass.
        """
        async with self.db.read() as conn:
            ids = (
                await conn.execute(
                    sa.select(t.documents.c.id)
                    .where(t.documents.c.type == "invoice", t.documents.c.printout_sha256.is_(None))
                    .order_by(t.documents.c.created_at, t.documents.c.id)
                    .limit(self.batch_size)
                )
            ).scalars()
            docs = [d for i in list(ids) if (d := await repo.document(conn, i)) is not None]
        rendered = 0
        for doc in docs:
            try:
                await self.ensure(doc)
                rendered += 1
            except Exception:
                log.exception("the printout of %s could not be made; trying again later", doc.number)
        return rendered

    async def run(self, stop: asyncio.Event) -> None:
        """Render printouts until ``stop``; survives database errors."""
        while not stop.is_set():
            self._wake.clear()
            try:
                done = await self.render_pending()
            except Exception:
                log.exception("printout pass failed; retrying")
                done = 0
            if not done:
                await nap(self.poll_seconds, self._wake, stop)
