"""The Kafka adapter of the ``Publisher`` port: domain outcomes -> contract events on crm.opportunities (outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from crm_contracts.base import Event
from crm_contracts.common import DocumentLine, Source
from crm_contracts.opportunities import (
    ClientOrderRequested,
    ContractRequested,
    FollowUpScheduled,
    OfferRejectionRequested,
    OfferRequested,
    OpportunityLost,
    OpportunityOpened,
    OpportunityUpdated,
    OpportunityWon,
    StageChanged,
)
from crm_kit.transactions import OutboxEmit
from crm_opportunities.domain.documents import ContractTerms, Document, Line
from crm_opportunities.domain.model import Opportunity, StageMove


def _line(line: Line) -> DocumentLine:
    return DocumentLine(
        article_code=line.article_code,
        description=line.description,
        qty=line.qty,
        unit=line.unit,
        price=line.price,
        vat_rate=line.vat_rate,
        net=line.net,
    )


class KafkaPublisher:
    """Speaks the domain (``publisher.stage_changed(move)``); only it knows the contract classes.

    Args:
        emit: queues one event (or, with ``emit.many``, several in one statement) in the unit of work's
            outbox, caused by the handled event inside a handler.
        currency: the currency of the potentials it reports.
    """

    def __init__(self, emit: OutboxEmit, currency: str = "RON") -> None:
        self._emit = emit
        self._currency = currency

    async def opened(self, move: StageMove) -> None:
        """A new opportunity: OpportunityOpened, then its first StageChanged (from nothing to new)."""
        for event in self._opening(move):
            await self._emit(event)

    async def opened_many(self, moves: Sequence[StageMove]) -> None:
        """Each new opportunity's OpportunityOpened and first StageChanged, in one outbox statement (M7).

        The events keep each opportunity's order (opened, then its stage) as ``opened`` writes them.
        """
        await self._emit.many([event for move in moves for event in self._opening(move)])

    async def updated(self, opp: Opportunity) -> None:
        """OpportunityUpdated, with the whole new state."""
        await self._emit(OpportunityUpdated(**_state(opp)))

    async def stage_changed(self, move: StageMove) -> None:
        """StageChanged with everything a subscriber needs; plus the follow-up, won or lost facts it implies."""
        for event in self._stage_events(move):
            await self._emit(event)

    def _opening(self, move: StageMove) -> list[Event]:
        return [OpportunityOpened(**_state(move.opportunity)), *self._stage_events(move)]

    def _stage_events(self, move: StageMove) -> list[Event]:
        """StageChanged, then the follow-up, won or lost facts the move implies."""
        opp, entry = move.opportunity, move.entry
        events: list[Event] = [
            StageChanged(
                opportunity_id=opp.id,
                partner_id=opp.partner_id,
                title=opp.title,
                from_stage=entry.from_stage,
                to_stage=entry.stage,
                potential=entry.potential,
                weight=entry.weight,
                weighted_potential=entry.weighted_potential,
                probability=entry.probability,
                delegate_staff_id=entry.delegate_staff_id,
                follow_up_at=entry.follow_up_at,
                note=entry.note,
                reason_code=entry.reason_code,
                changed_by=entry.changed_by,
                changed_at=entry.entered_at,
                seconds_in_previous_stage=move.seconds_in_previous_stage,
                changed_by_staff_id=entry.changed_by_staff_id,
                reason_text=move.reason.text if move.reason else None,
                campaign_id=opp.campaign_id,
                owner_staff_id=opp.owner_staff_id,
                expected_signing_on=opp.expected_signing_on,
                currency=self._currency,
            )
        ]
        if move.follow_up is not None:
            f = move.follow_up
            events.append(
                FollowUpScheduled(
                    opportunity_id=f.opportunity_id,
                    partner_id=f.partner_id,
                    title=f.title,
                    stage=f.stage,
                    delegate_staff_id=f.delegate_staff_id,
                    follow_up_at=f.follow_up_at,
                    note=f.note,
                    created_by_staff_id=f.created_by_staff_id,
                    created_by=f.created_by,
                )
            )
        if entry.stage == "sale":
            events.append(
                OpportunityWon(
                    opportunity_id=opp.id,
                    partner_id=opp.partner_id,
                    potential=opp.potential,
                    campaign_id=opp.campaign_id,
                    title=opp.title,
                    owner_staff_id=opp.owner_staff_id,
                )
            )
        if entry.stage == "lost" and move.reason is not None:
            events.append(
                OpportunityLost(
                    opportunity_id=opp.id,
                    partner_id=opp.partner_id,
                    reason_code=move.reason.code,
                    reason_text=move.reason.text,
                    note=entry.note,
                    title=opp.title,
                    potential=opp.potential,
                    campaign_id=opp.campaign_id,
                    owner_staff_id=opp.owner_staff_id,
                )
            )
        return events

    async def offer_rejected(self, opp: Opportunity, offer: Document) -> None:
        """The command that has commercial mark its offer rejected too (O6)."""
        assert offer.document_id is not None  # only an issued offer is decided
        assert offer.reason_code is not None  # a rejection always has its reason
        await self._emit(
            OfferRejectionRequested(
                opportunity_id=opp.id,
                partner_id=opp.partner_id,
                document_id=offer.document_id,
                reason_code=offer.reason_code,
                note=offer.note,
                rejected_by=offer.decided_by,
            )
        )

    async def document_requested(
        self,
        opp: Opportunity,
        doc: Document,
        *,
        requested_by_staff_id: UUID | None,
        valid_until: date | None,
        terms: ContractTerms | None,
    ) -> None:
        """The command that asks commercial for the document (O4, O5)."""
        assert doc.request_id is not None
        common = {
            "request_id": doc.request_id,
            "opportunity_id": opp.id,
            "partner_id": opp.partner_id,
            "lines": [_line(x) for x in doc.lines],
            "source": Source(opportunity_id=opp.id, campaign_id=opp.campaign_id, offer_id=doc.from_offer_id),
            "requested_by_staff_id": requested_by_staff_id,
        }
        if doc.kind == "offer":
            await self._emit(OfferRequested(**common, valid_until=valid_until))
        elif doc.kind == "order":
            await self._emit(ClientOrderRequested(**common))
        else:
            assert terms is not None
            await self._emit(
                ContractRequested(
                    **common,
                    kind=terms.kind,
                    starts_on=terms.starts_on,
                    months=terms.months,
                    monthly_value=terms.monthly_value,
                )
            )


def _state(opp: Opportunity) -> dict[str, object]:
    return {
        "opportunity_id": opp.id,
        "partner_id": opp.partner_id,
        "title": opp.title,
        "potential": opp.potential,
        "probability": opp.probability,
        "expected_signing_on": opp.expected_signing_on,
        "owner_staff_id": opp.owner_staff_id,
        "campaign_id": opp.campaign_id,
        "stage": opp.stage,
    }
