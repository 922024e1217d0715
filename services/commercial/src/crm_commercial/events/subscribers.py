"""The subscribers: document commands from opportunities and tasks, and the partner directory's facts.

An offer rejected on its opportunity (``OfferRejectionRequested``) is rejected here too, for the same reason.

Each handler translates its event into a use-case command and calls one use case. A command naming a
partner the directory has not announced yet is parked and answered when its ``PartnerRegistered``
arrives (topics are not ordered against each other); one that can never succeed as sent is answered
with ``DocumentRequestRejected`` (see ``UseCases.answer_request``).
"""

from __future__ import annotations

from typing import Any

from crm_commercial.domain.documents import DocumentRequest, LineRequest, Source
from crm_commercial.domain.partners import Partner
from crm_commercial.service_layer import AnswerRequest, PartnerChanged, RejectOffer, UseCases
from crm_contracts import opportunities as opp
from crm_contracts import partners as prt
from crm_contracts import tasks as tsk
from crm_contracts.base import Event
from crm_contracts.common import DocumentLine
from crm_contracts.common import Source as SourceIn
from crm_kit.inbox import Context, Subscriptions, batch_scope

Command = (
    opp.OfferRequested | opp.ClientOrderRequested | opp.ContractRequested | tsk.ContractRequested | tsk.InvoiceRequested
)
COMMANDS: tuple[type[Event], ...] = (
    opp.OfferRequested,
    opp.ClientOrderRequested,
    opp.ContractRequested,
    tsk.ContractRequested,
    tsk.InvoiceRequested,
)


def _str(value: Any) -> str | None:
    return str(value) if value is not None else None


def _source(src: SourceIn, **overrides: Any) -> Source:
    values = {
        "opportunity_id": _str(src.opportunity_id),
        "task_id": _str(src.task_id),
        "campaign_id": _str(src.campaign_id),
        "offer_id": _str(src.offer_id),
    }
    values.update({k: str(v) for k, v in overrides.items() if v is not None})
    return Source(**values)


def _lines(lines: list[DocumentLine]) -> tuple[LineRequest, ...]:
    return tuple(
        LineRequest(article_code=line.article_code, qty=line.qty, price=line.price, description=line.description)
        for line in lines
    )


def issue_request(command: Command) -> DocumentRequest:
    """The use case's request for a command (a translator: contract in, application request out)."""
    common: dict[str, Any] = {
        "partner_id": str(command.partner_id),
        "lines": _lines(command.lines),
        "request_id": str(command.request_id),
    }
    if isinstance(command, opp.OfferRequested):
        src = _source(command.source, opportunity_id=command.opportunity_id)
        return DocumentRequest("offer", source=src, valid_until=command.valid_until, **common)
    if isinstance(command, opp.ClientOrderRequested):
        return DocumentRequest("order", source=_source(command.source, opportunity_id=command.opportunity_id), **common)
    if isinstance(command, opp.ContractRequested):
        return DocumentRequest(
            "contract",
            source=_source(command.source, opportunity_id=command.opportunity_id),
            kind=command.kind,
            starts_on=command.starts_on,
            months=command.months,
            monthly_value=command.monthly_value,
            **common,
        )
    if isinstance(command, tsk.ContractRequested):
        return DocumentRequest(
            "contract",
            source=_source(command.source, task_id=command.task_id),
            kind=command.kind,
            starts_on=command.starts_on,
            months=command.months,
            monthly_value=command.monthly_value,
            apply_scope=False,
            **common,
        )
    return DocumentRequest(
        "invoice",
        source=Source(task_id=str(command.task_id)),
        task_id=str(command.task_id),
        apply_scope=False,
        **common,
    )


def partner(event: prt.PartnerRegistered | prt.PartnerUpdated) -> Partner:
    """The partner as the commercial read model keeps it."""
    return Partner(
        partner_id=str(event.partner_id),
        kind=event.kind,
        name=event.name,
        fiscal_code=event.fiscal_code,
        locality=event.locality,
        county=event.county,
        address=event.address,
    )


def build_subscriptions(uses: UseCases) -> Subscriptions:
    """The service's event handlers, bound to its use cases."""
    subs = Subscriptions()

    async def on_command(ctx: Context, command: Command) -> None:
        envelope = ctx.envelope
        await uses.answer_request(
            AnswerRequest(envelope.id, command.ce_type(), envelope.correlationid, issue_request(command))
        )

    for command_cls in COMMANDS:
        subs.on(command_cls)(on_command)

    async def on_offer_rejected(ctx: Context, command: opp.OfferRejectionRequested) -> None:
        """The client rejected the offer on its opportunity: our document says so too, with the reason."""
        rejection = RejectOffer(str(command.document_id), command.reason_code, command.note, command.rejected_by)
        await uses.record_offer_rejection(rejection)

    subs.on(opp.OfferRejectionRequested)(on_offer_rejected)

    async def on_partner(ctx: Context, event: prt.PartnerUpdated) -> None:
        await uses.partner_changed(PartnerChanged(partner(event)))

    async def on_registered(items: list[tuple[Context, prt.PartnerRegistered]]) -> None:
        """A fetched batch of registrations at once.

        One at a time, a 100,000-partner import kept this consumer busy for minutes, and the documents
        for those partners waited.
        """
        async with batch_scope(items):
            await uses.partners_registered([PartnerChanged(partner(e)) for _, e in items])

    subs.on_batch(prt.PartnerRegistered)(on_registered)
    subs.on(prt.PartnerUpdated)(on_partner)
    return subs
