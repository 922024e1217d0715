"""Printouts: the PDF printer adapter, and the worker that renders invoice printouts after their commit.

Rendering a PDF takes about 100 ms of CPU. Done inside the issuing transaction, it held the invoice
series lock, so invoices were issued one PDF at a time. The number is now committed without it; the
printout is rendered afterwards into the blob store (content-addressed: a second render stores the same
bytes under the same sha256), recorded on the invoice by whoever finishes first, and announced with
``InvoicePrintoutReady`` (``UseCases.print_invoice``). A crash in between only leaves an invoice without
a printout for a while: the worker finds it at its next pass, or the first read renders it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from crm_commercial import printouts
from crm_commercial.domain.documents import Document
from crm_commercial.domain.partners import Partner
from crm_commercial.printouts import Issuer
from crm_commercial.service_layer import PrintInvoice, UseCases
from crm_kit.waiting import nap

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PdfPrinter:
    """``ports.Printer``: the printouts module's PDF, rendered off the event loop."""

    issuer: Issuer
    font_dir: Path

    async def render(self, doc: Document, partner: Partner) -> bytes:
        """The document's PDF (it depends only on the document, the partner and the issuer)."""
        return await asyncio.to_thread(printouts.render, doc, partner, self.issuer, self.font_dir)


@dataclass
class Printouts:
    """Renders the printouts of invoices that have none yet (``Service.workers["printouts"]``)."""

    uses: UseCases
    poll_seconds: float = 5.0
    batch_size: int = 20
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def wake(self) -> None:
        """Look for invoices without a printout now (after a commit that may have issued some)."""
        self._wake.set()

    async def render_pending(self) -> int:
        """Render the oldest invoices without a printout (up to ``batch_size``); how many were rendered.

        One that fails (logged) does not hold up the others; it is tried again at the next pass.
        """
        rendered = 0
        for invoice_id in await self.uses.invoices_awaiting_printout(self.batch_size):
            try:
                await self.uses.print_invoice(PrintInvoice(invoice_id))
                rendered += 1
            except Exception:
                log.exception("the printout of invoice %s could not be made; trying again later", invoice_id)
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
