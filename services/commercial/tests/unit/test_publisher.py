"""The publisher adapter: domain facts become the crm.commercial contract events, answers keep their cause."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from crm_commercial.domain.documents import Document, DocumentRequest, LineRequest, Source
from crm_commercial.events.publisher import KafkaPublisher
from crm_commercial.ports import ParkedCommand
from crm_contracts import commercial as c
from crm_kit.testing.fakes import RecordedEmit
from crm_kit.transactions import Emit

PARTNER, OFFER, OPPORTUNITY = (str(uuid.uuid4()) for _ in range(3))


def offer(**changes: object) -> Document:
    base = Document(
        id=OFFER,
        type="offer",
        number="OF-2026-000007",
        partner_id=PARTNER,
        issued_on=date(2026, 3, 2),
        lines=(),
        net=Decimal("100.00"),
        vat=Decimal("21.00"),
        currency="RON",
        source=Source(opportunity_id=OPPORTUNITY),
    )
    return Document(**{**vars(base), **changes})  # type: ignore[arg-type]


async def test_a_rejected_offer_is_announced_with_its_reason_note_and_source() -> None:
    emit = RecordedEmit()
    await KafkaPublisher(emit).offer_rejected(offer(status="rejected", reason_code="PRICE", note="prea scump"))
    (event,) = emit.of(c.OfferRejected)
    assert (str(event.document_id), event.number, event.reason_code, event.note) == (
        OFFER,
        "OF-2026-000007",
        "PRICE",
        "prea scump",
    )
    assert str(event.source.opportunity_id) == OPPORTUNITY


async def test_a_refused_request_is_answered_with_its_request_id_type_partner_and_reason() -> None:
    emit = RecordedEmit()
    request = DocumentRequest("contract", PARTNER, (LineRequest("X", Decimal(1)),), request_id=str(uuid.uuid4()))
    await KafkaPublisher(emit).request_rejected(request, "line 1: unknown article 'X'")
    (event,) = emit.of(c.DocumentRequestRejected)
    assert (str(event.request_id), event.requested, str(event.partner_id)) == (request.request_id, "contract", PARTNER)
    assert event.reason == "line 1: unknown article 'X'"


async def test_the_answers_to_a_parked_command_go_through_the_emit_built_for_that_command() -> None:
    released_by, answers = RecordedEmit(), RecordedEmit()
    asked: list[str] = []

    def answer(command: ParkedCommand) -> Emit:
        asked.append(command.command_id)
        return answers

    request = DocumentRequest("order", PARTNER, ())
    publisher = KafkaPublisher(released_by, answer).answering(ParkedCommand("cmd-1", "t", None, request))
    await publisher.balance_changed(PARTNER, Decimal("5.00"), "RON")
    assert (asked, len(answers.events), released_by.events) == (["cmd-1"], 1, [])
