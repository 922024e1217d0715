"""The publisher adapter: documents become crm.commercial contract events, queued in the unit of work's outbox."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

from crm_commercial.domain.articles import Article
from crm_commercial.domain.documents import Document, DocumentRequest, Line, Source
from crm_commercial.ports import ParkedCommand
from crm_contracts import commercial as c
from crm_contracts.base import Envelope, Event
from crm_contracts.common import DocumentLine
from crm_contracts.common import Source as SourceOut
from crm_kit.outbox import Outbox
from crm_kit.transactions import Emit, current_event

Answer = Callable[[ParkedCommand], Emit]
"""Builds the ``emit`` of the facts that answer a parked command (caused by and correlated with it)."""


def answer_in_handler(outbox: Outbox) -> Answer:
    """Answers to parked commands, queued in the transaction of the event handler that releases them.

    A parked command is answered while its partner's registration is handled; its facts must still say
    they were caused by the command (``causationid``), as if it had been handled when it arrived.
    """

    def answer(command: ParkedCommand) -> Emit:
        scope = current_event.get()
        if scope is None:
            raise RuntimeError("parked commands are answered inside the handler of the event that releases them")

        async def emit(event: Event) -> Envelope:
            return await outbox.add(
                scope.conn,
                event,
                correlation_id=command.correlation_id or command.command_id,
                causation_id=command.command_id,
            )

        return emit

    return answer


def _uuid(value: str | None) -> UUID | None:
    return UUID(value) if value else None


def source_out(source: Source) -> SourceOut:
    return SourceOut(
        opportunity_id=_uuid(source.opportunity_id),
        task_id=_uuid(source.task_id),
        campaign_id=_uuid(source.campaign_id),
        offer_id=_uuid(source.offer_id),
    )


def line_out(line: Line) -> DocumentLine:
    return DocumentLine(
        line_id=UUID(line.line_id),
        article_code=line.article_code,
        description=line.description,
        qty=line.qty,
        unit=line.unit,
        price=line.price,
        vat_rate=line.vat_rate,
        net=line.net,
        vat=line.vat,
    )


class KafkaPublisher:
    """``ports.Publisher``: the facts of the commercial context, each queued with ``emit`` in the unit of work.

    Args:
        emit: queues one contract event in the unit of work's transaction.
        answer: builds the ``emit`` of a parked command's answers (without it they keep ``emit``'s cause).
    """

    def __init__(self, emit: Emit, answer: Answer | None = None) -> None:
        self._send = emit
        self._answer = answer

    def answering(self, command: ParkedCommand) -> KafkaPublisher:
        """The publisher of the facts that answer a parked command (caused by it)."""
        if self._answer is None:
            return self
        return KafkaPublisher(self._answer(command), self._answer)

    async def document_issued(self, doc: Document) -> None:
        """OfferIssued, ClientOrderPlaced, ContractSigned or InvoiceIssued, by the document's type."""
        assert doc.partner_id is not None
        common: dict[str, Any] = {
            "document_id": UUID(doc.id),
            "partner_id": UUID(doc.partner_id),
            "number": doc.number,
            "issued_on": doc.issued_on,
            "lines": [line_out(line) for line in doc.lines],
            "net": doc.net,
            "vat": doc.vat,
            "gross": doc.gross,
            "currency": doc.currency,
            "source": source_out(doc.source),
            "request_id": _uuid(doc.request_id),
            "printout_sha256": doc.printout_sha256,
        }
        event: Event
        if doc.type == "offer":
            event = c.OfferIssued(**common, valid_until=doc.valid_until)
        elif doc.type == "order":
            event = c.ClientOrderPlaced(**common)
        elif doc.type == "contract":
            assert doc.starts_on is not None
            event = c.ContractSigned(
                **common,
                kind="subscription" if doc.kind == "subscription" else "commercial",
                starts_on=doc.starts_on,
                ends_on=doc.ends_on,
                monthly_value=doc.monthly_value,
            )
        elif doc.type == "invoice":
            event = c.InvoiceIssued(
                **common,
                invoice_id=UUID(doc.id),
                order_id=_uuid(doc.order_id),
                contract_id=_uuid(doc.contract_id),
                task_id=_uuid(doc.task_id),
                period=doc.period,
            )
        else:
            raise ValueError(f"no issued fact for a {doc.type}")
        await self._send(event)

    async def invoice_printout_ready(self, invoice: Document) -> None:
        """InvoicePrintoutReady: the printout rendered after the invoice's commit is stored."""
        assert invoice.partner_id is not None
        assert invoice.printout_sha256 is not None
        await self._send(
            c.InvoicePrintoutReady(
                document_id=UUID(invoice.id),
                invoice_id=UUID(invoice.id),
                partner_id=UUID(invoice.partner_id),
                number=invoice.number,
                printout_sha256=invoice.printout_sha256,
            )
        )

    async def offer_accepted(self, offer: Document) -> None:
        assert offer.partner_id is not None
        await self._send(
            c.OfferAccepted(
                document_id=UUID(offer.id),
                partner_id=UUID(offer.partner_id),
                number=offer.number,
                source=source_out(offer.source),
            )
        )

    async def offer_rejected(self, offer: Document) -> None:
        """OfferRejected, with the offer's reason code and note."""
        assert offer.partner_id is not None
        assert offer.reason_code is not None
        await self._send(
            c.OfferRejected(
                document_id=UUID(offer.id),
                partner_id=UUID(offer.partner_id),
                number=offer.number,
                reason_code=offer.reason_code,
                note=offer.note,
                source=source_out(offer.source),
            )
        )

    async def contract_ended(self, contract: Document) -> None:
        assert contract.partner_id is not None
        assert contract.ended_on is not None
        await self._send(
            c.ContractEnded(
                document_id=UUID(contract.id),
                partner_id=UUID(contract.partner_id),
                number=contract.number,
                ended_on=contract.ended_on,
            )
        )

    async def cost_document_posted(self, doc: Document) -> None:
        await self._send(
            c.CostDocumentPosted(
                document_id=UUID(doc.id),
                kind=doc.kind,  # type: ignore[arg-type]
                number=doc.external_number or doc.number,
                registration_number=doc.number,
                date=doc.issued_on,
                net=doc.net,
                vat=doc.vat,
                partner_id=_uuid(doc.partner_id),
                campaign_id=_uuid(doc.source.campaign_id),
                description=doc.note,
            )
        )

    async def payment_received(self, payment: Document) -> None:
        assert payment.partner_id is not None
        await self._send(
            c.PaymentReceived(
                payment_id=UUID(payment.id),
                number=payment.number,
                partner_id=UUID(payment.partner_id),
                amount=payment.gross,
                date=payment.issued_on,
                currency=payment.currency,
                invoice_id=_uuid(payment.invoice_id),
            )
        )

    async def balance_changed(self, partner_id: str, balance: Decimal, currency: str) -> None:
        await self._send(c.BalanceChanged(partner_id=UUID(partner_id), balance=balance, currency=currency))

    async def article_updated(self, article: Article) -> None:
        await self._send(
            c.ArticleUpdated(
                code=article.code,
                name=article.name,
                unit=article.unit,
                price=article.price,
                vat_rate=article.vat_rate,
                photos=list(article.photos),
            )
        )

    async def request_rejected(self, request: DocumentRequest, reason: str) -> None:
        """DocumentRequestRejected: a command of another context can never succeed as sent."""
        assert request.request_id is not None
        await self._send(
            c.DocumentRequestRejected(
                request_id=UUID(request.request_id),
                requested=request.doc_type,
                partner_id=UUID(request.partner_id),
                reason=reason,
                source=source_out(request.source),
            )
        )
