"""The subscribers: document commands from opportunities and tasks, and the partner directory's facts.

A command naming a partner the directory has not announced yet is parked and replayed when its
``PartnerRegistered`` arrives (topics are not ordered against each other). A command that can never succeed
as sent is answered with ``DocumentRequestRejected``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from crm_commercial.domain.documents import LineRequest, Source
from crm_commercial.domain.partners import Partner
from crm_commercial.events.publisher import Publisher, Send
from crm_commercial.handlers import Commercial, IssueRequest, UnknownPartner
from crm_commercial.store import repository as repo
from crm_contracts import opportunities as opp
from crm_contracts import partners as prt
from crm_contracts import tasks as tsk
from crm_contracts.base import Event
from crm_contracts.common import DocumentLine
from crm_contracts.common import Source as SourceIn
from crm_contracts.registry import parse
from crm_kit.errors import DomainError
from crm_kit.inbox import Context, Subscriptions

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


def issue_request(command: Command) -> IssueRequest:
    """The use case's request for a command (a translator: contract in, application request out)."""
    common: dict[str, Any] = {
        "partner_id": str(command.partner_id),
        "lines": _lines(command.lines),
        "request_id": str(command.request_id),
    }
    if isinstance(command, opp.OfferRequested):
        src = _source(command.source, opportunity_id=command.opportunity_id)
        return IssueRequest("offer", source=src, valid_until=command.valid_until, **common)
    if isinstance(command, opp.ClientOrderRequested):
        return IssueRequest("order", source=_source(command.source, opportunity_id=command.opportunity_id), **common)
    if isinstance(command, opp.ContractRequested):
        return IssueRequest(
            "contract",
            source=_source(command.source, opportunity_id=command.opportunity_id),
            kind=command.kind,
            starts_on=command.starts_on,
            months=command.months,
            monthly_value=command.monthly_value,
            **common,
        )
    if isinstance(command, tsk.ContractRequested):
        return IssueRequest(
            "contract",
            source=_source(command.source, task_id=command.task_id),
            kind=command.kind,
            starts_on=command.starts_on,
            months=command.months,
            monthly_value=command.monthly_value,
            apply_scope=False,
            **common,
        )
    return IssueRequest(
        "invoice",
        source=Source(task_id=str(command.task_id)),
        task_id=str(command.task_id),
        apply_scope=False,
        **common,
    )


def build_subscriptions(
    commercial: Commercial, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> Subscriptions:
    """The service's event handlers, bound to its use cases."""
    subs = Subscriptions()

    async def handle_command(
        conn: AsyncConnection, send: Send, command_id: str, correlation_id: str | None, command: Command
    ) -> None:
        pub = Publisher(send)
        req = issue_request(command)
        try:
            async with conn.begin_nested():
                doc, created = await commercial.issue(conn, pub, req, clock())
                if created:
                    await commercial.mark_offer_accepted_by(conn, pub, doc)
        except UnknownPartner:
            await repo.park(
                conn,
                command_id=command_id,
                ce_type=command.ce_type(),
                partner_id=req.partner_id,
                correlation_id=correlation_id,
                payload=command.model_dump_json(),
                now=clock(),
            )
        except DomainError as exc:
            await pub.request_rejected(
                request_id=str(command.request_id),
                requested=req.doc_type,
                partner_id=req.partner_id,
                reason=exc.message,
                source=req.source,
            )

    async def on_command(ctx: Context, command: Command) -> None:
        await handle_command(ctx.conn, ctx.publish, ctx.envelope.id, ctx.envelope.correlationid, command)

    for command_cls in COMMANDS:
        subs.on(command_cls)(on_command)

    async def on_partner(ctx: Context, event: prt.PartnerRegistered | prt.PartnerUpdated) -> None:
        partner_id = str(event.partner_id)
        await repo.save_partner(
            ctx.conn,
            Partner(
                partner_id=partner_id,
                kind=event.kind,
                name=event.name,
                fiscal_code=event.fiscal_code,
                locality=event.locality,
                county=event.county,
                address=event.address,
            ),
            clock(),
        )
        for parked in await repo.take_parked(ctx.conn, partner_id):
            command = parse(parked.ce_type, parked.payload)

            async def send(event: Event, parked: Any = parked) -> Any:
                return await ctx.outbox.add(
                    ctx.conn,
                    event,
                    correlation_id=parked.correlation_id or parked.command_id,
                    causation_id=parked.command_id,
                )

            await handle_command(ctx.conn, send, parked.command_id, parked.correlation_id, command)  # type: ignore[arg-type]

    subs.on(prt.PartnerRegistered)(on_partner)
    subs.on(prt.PartnerUpdated)(on_partner)
    return subs
