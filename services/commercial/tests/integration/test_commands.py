"""Command -> fact flows on the real broker: what opportunities and tasks ask for, commercial answers once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from crm_contracts import commercial as c
from crm_contracts import opportunities as opp
from crm_contracts import partners as prt
from crm_contracts import tasks as tsk
from crm_contracts.base import Envelope, Event
from crm_contracts.common import DocumentLine, Source
from crm_contracts.topics import COMMERCIAL
from crm_kit.service import start_in_background
from crm_kit.testing import eventually, publish, read_events

Found = list[tuple[Envelope, Event]]


def of(found: Found, cls: type[Event]) -> list[tuple[Envelope, Any]]:
    return [(env, ev) for env, ev in found if isinstance(ev, cls)]


def partner_registered(partner_id: uuid.UUID, name: str = "Cooperativa Agricolă Bălți") -> prt.PartnerRegistered:
    return prt.PartnerRegistered(partner_id=partner_id, kind="client", name=name, fiscal_code="RO998877", county="Iași")


async def test_every_command_is_answered_by_its_fact_once_with_request_id_source_and_causation(
    make_commercial: Callable[..., Any], kafka_bootstrap: str, topics: str
) -> None:
    commercial: Any = await make_commercial()
    running = await start_in_background(commercial.service)
    try:
        await commercial.add_article("LIC", "1000.00", "21", name="Licență ERP")
        await commercial.add_article("ORA", "150.00", "21", name="Oră de service")
        partner_id, opportunity_id, task_id, campaign_id = (uuid.uuid4() for _ in range(4))
        await publish(kafka_bootstrap, topics, partner_registered(partner_id))

        offer_cmd = opp.OfferRequested(
            request_id=uuid.uuid4(),
            opportunity_id=opportunity_id,
            partner_id=partner_id,
            lines=[DocumentLine(article_code="LIC", qty=Decimal(2))],
            source=Source(opportunity_id=opportunity_id, campaign_id=campaign_id),
        )
        (offer_env,) = await publish(kafka_bootstrap, topics, offer_cmd)
        await publish(kafka_bootstrap, topics, offer_cmd)  # the same command again, as a new record
        found = await read_events(kafka_bootstrap, topics, COMMERCIAL, until=lambda f: bool(of(f, c.OfferIssued)))
        ((env, offer),) = of(found, c.OfferIssued)
        assert env.causationid == offer_env.id
        assert offer.request_id == offer_cmd.request_id
        assert offer.source.opportunity_id == opportunity_id
        assert offer.source.campaign_id == campaign_id
        assert (offer.net, offer.vat, offer.gross) == (Decimal("2000.00"), Decimal("420.00"), Decimal("2420.00"))
        assert offer.number.startswith("OF-")
        assert commercial.service.blobs.exists(offer.printout_sha256 or "")

        order_cmd = opp.ClientOrderRequested(
            request_id=uuid.uuid4(),
            opportunity_id=opportunity_id,
            partner_id=partner_id,
            lines=offer_cmd.lines,
            source=Source(opportunity_id=opportunity_id, offer_id=offer.document_id),
        )
        contract_cmd = opp.ContractRequested(
            request_id=uuid.uuid4(),
            opportunity_id=opportunity_id,
            partner_id=partner_id,
            lines=[DocumentLine(article_code="ORA", qty=Decimal(10), price=Decimal("140"))],
            kind="subscription",
            starts_on=date(2026, 4, 1),
            months=12,
        )
        task_contract_cmd = tsk.ContractRequested(
            request_id=uuid.uuid4(),
            task_id=task_id,
            partner_id=partner_id,
            starts_on=date(2026, 3, 10),
            lines=[DocumentLine(article_code="ORA", qty=Decimal(1))],
        )
        invoice_cmd = tsk.InvoiceRequested(
            request_id=uuid.uuid4(),
            task_id=task_id,
            partner_id=partner_id,
            lines=[DocumentLine(article_code="ORA", qty=Decimal("2.25"), price=Decimal("150"))],
        )
        bad_cmd = opp.OfferRequested(
            request_id=uuid.uuid4(),
            opportunity_id=opportunity_id,
            partner_id=partner_id,
            lines=[DocumentLine(article_code="NOPE", qty=Decimal(1))],
        )
        envs = await publish(
            kafka_bootstrap, topics, order_cmd, contract_cmd, task_contract_cmd, invoice_cmd, invoice_cmd, bad_cmd
        )
        await publish(kafka_bootstrap, topics, invoice_cmd, event_id=envs[3].id)  # the very same record, redelivered

        def complete(f: Found) -> bool:
            return (
                len(of(f, c.ContractSigned)) >= 2
                and bool(of(f, c.InvoiceIssued))
                and bool(of(f, c.DocumentRequestRejected))
                and bool(of(f, c.OfferAccepted))
                and bool(of(f, c.BalanceChanged))
            )

        found = await read_events(kafka_bootstrap, topics, COMMERCIAL, until=complete)
        by_request = {getattr(ev, "request_id", None): (env, ev) for env, ev in found}

        env, order = by_request[order_cmd.request_id]
        assert isinstance(order, c.ClientOrderPlaced)
        assert env.causationid == envs[0].id
        assert order.source.offer_id == offer.document_id
        ((_, accepted),) = of(found, c.OfferAccepted)
        assert accepted.document_id == offer.document_id

        env, contract = by_request[contract_cmd.request_id]
        assert isinstance(contract, c.ContractSigned)
        assert (contract.kind, contract.starts_on, contract.ends_on) == (
            "subscription",
            date(2026, 4, 1),
            date(2027, 3, 31),
        )
        assert contract.monthly_value == Decimal("1400.00")
        assert contract.source.opportunity_id == opportunity_id
        assert all(line.line_id for line in contract.lines)

        _, task_contract = by_request[task_contract_cmd.request_id]
        assert task_contract.source.task_id == task_id
        assert task_contract.kind == "commercial"

        invoices = of(found, c.InvoiceIssued)
        assert len(invoices) == 1
        env, invoice = invoices[0]
        assert env.causationid == envs[3].id
        assert (invoice.task_id, invoice.source.task_id) == (task_id, task_id)
        assert (invoice.net, invoice.vat, invoice.gross) == (Decimal("337.50"), Decimal("70.88"), Decimal("408.38"))
        ((_, balance),) = of(found, c.BalanceChanged)
        assert (balance.partner_id, balance.balance) == (partner_id, Decimal("408.38"))

        ((env, rejected),) = of(found, c.DocumentRequestRejected)
        assert env.causationid == envs[5].id
        assert (rejected.request_id, rejected.requested) == (bad_cmd.request_id, "offer")
        assert "unknown article 'NOPE'" in rejected.reason

        active = (
            await commercial.http.get(
                "/api/contracts",
                params={"partner_id": str(partner_id), "active": "true", "on": "2026-04-15", "article_code": "ORA"},
            )
        ).json()
        assert active["total"] == 2
        assert all(item["covers"] for item in active["items"])
        docs = (await commercial.http.get("/api/documents", params={"partner_id": str(partner_id)})).json()
        assert sorted(d["type"] for d in docs["items"]) == ["contract", "contract", "invoice", "offer", "order"]
    finally:
        await running.stop()


async def test_a_command_for_a_partner_not_yet_known_waits_for_its_registration(
    make_commercial: Callable[..., Any], kafka_bootstrap: str, topics: str
) -> None:
    commercial: Any = await make_commercial()
    running = await start_in_background(commercial.service)
    try:
        await commercial.add_article("ORA", "100.00", "11")
        partner_id = uuid.uuid4()
        cmd = tsk.InvoiceRequested(
            request_id=uuid.uuid4(),
            task_id=uuid.uuid4(),
            partner_id=partner_id,
            lines=[DocumentLine(article_code="ORA", qty=Decimal(1))],
        )
        (cmd_env,) = await publish(kafka_bootstrap, topics, cmd)

        async def parked() -> bool:
            docs = (await commercial.http.get("/api/documents", params={"partner_id": str(partner_id)})).json()
            return docs["total"] == 0 and running.service.consumer.stats.handled >= 1

        await eventually(parked)
        await publish(kafka_bootstrap, topics, partner_registered(partner_id, "Ferma Râșnov"))
        found = await read_events(kafka_bootstrap, topics, COMMERCIAL, until=lambda f: bool(of(f, c.InvoiceIssued)))
        ((env, invoice),) = of(found, c.InvoiceIssued)
        assert env.causationid == cmd_env.id
        assert invoice.request_id == cmd.request_id
        assert invoice.gross == Decimal("111.00")
    finally:
        await running.stop()
