"""M7 on each store (SQLite and PostgreSQL): a batch of OpportunityOpened in a few statements, once each."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import sqlalchemy as sa

from crm_campaigns.bootstrap import bootstrap
from crm_campaigns.domain.documents import Contract, Invoice, Order
from crm_campaigns.domain.results import Measure, Via
from crm_campaigns.events.publisher import KafkaPublisher
from crm_campaigns.ports import Publisher, Repository
from crm_campaigns.service_layer import (
    CreateCampaign,
    RecordContract,
    RecordInvoice,
    RecordOpportunity,
    RecordOrder,
    UseCases,
)
from crm_campaigns.settings import CampaignsSettings
from crm_campaigns.store.repository import SqlRepository
from crm_campaigns.store.tables import opportunities, opportunity_requests
from crm_contracts.campaigns import CampaignResultsChanged
from crm_kit.transactions import SqlUnitOfWork

T0 = dt.datetime(2026, 9, 2, 9, 0, tzinfo=dt.UTC)
MEMBERS = 300


async def test_a_batch_of_opened_opportunities_is_recorded_in_a_few_statements_once_each(
    tmp_path: Any, database_url: str
) -> None:
    service = bootstrap(CampaignsSettings(database_url=database_url, blob_dir=tmp_path / "blobs"))
    await service.migrate()
    uow = SqlUnitOfWork[Repository, Publisher](
        service.db, service.outbox, repository=SqlRepository, publisher=KafkaPublisher
    )
    uses = UseCases(uow)
    campaign = await uses.create(CreateCampaign("Toamna", dt.date(2026, 9, 1), dt.date(2026, 11, 30), by="maria"))
    partners, opps = [uuid4() for _ in range(MEMBERS)], [uuid4() for _ in range(MEMBERS)]
    async with uow() as work:
        await work.repo.insert_requests(campaign.id, partners, request_id=uuid4(), owner_staff_id=None, now=T0, by="m")
    # An order and a subscription that came from two of the opportunities before these showed up.
    early = Order(uuid4(), partners[0], "CMD-1", dt.date(2026, 9, 10), Decimal(5000), None, opps[0])
    contract = Contract(
        uuid4(),
        partners[1],
        "AB-1",
        "subscription",
        issued_on=dt.date(2026, 9, 5),
        starts_on=dt.date(2026, 9, 5),
        net=Decimal(1200),
        monthly_value=Decimal(100),
        source_opportunity_id=opps[1],
    )
    day = dt.date(2026, 10, 1)
    bill = Invoice(uuid4(), partners[1], "F-1", day, Decimal(100), contract_id=contract.contract_id, period="2026-10")
    await uses.order_placed(RecordOrder(early))
    await uses.contract_signed(RecordContract(contract))
    await uses.invoice_issued(RecordInvoice(bill))
    batch = [
        RecordOpportunity(o, p, campaign.id, "Toamna", at=T0 + dt.timedelta(seconds=i))
        for i, (o, p) in enumerate(zip(opps, partners, strict=True))
    ]
    again = RecordOpportunity(opps[0], partners[0], campaign.id, "Toamna (retitled)", at=T0 + dt.timedelta(hours=1))
    second_for_a_member = RecordOpportunity(uuid4(), partners[0], campaign.id, "Toamna", at=T0)
    elsewhere = RecordOpportunity(uuid4(), uuid4(), uuid4(), "?", at=T0)

    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    engine = service.db.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        await uses.opportunities_opened([*batch, again, second_for_a_member, elsewhere])
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)

    # Not ~5 statements per event: the read model, the requests, the documents, then the two attributions.
    assert len(statements) <= 25, statements
    progress = await uses.progress(campaign.id)
    assert (progress.requested, progress.opened) == (MEMBERS, MEMBERS)
    async with service.db.read() as conn:
        first = (
            await conn.execute(
                sa.select(opportunity_requests.c.opportunity_id).where(opportunity_requests.c.partner_id == partners[0])
            )
        ).scalar_one()
        kept = (
            await conn.execute(
                sa.select(opportunities.c.title, opportunities.c.opened_at).where(
                    opportunities.c.opportunity_id == opps[0]
                )
            )
        ).one()
        results_told = (
            await conn.execute(
                sa.text("select count(*) from outbox where ce_type = :t"), {"t": CampaignResultsChanged.ce_type()}
            )
        ).scalar_one()
        known = (await conn.execute(sa.select(sa.func.count()).select_from(opportunities))).scalar_one()
    assert first == opps[0], "the first opportunity noted for a member stays"
    # (SQLite hands the time back without its zone: it is stored in UTC.)
    opened_at = kept.opened_at.replace(tzinfo=None)
    assert (kept.title, opened_at) == ("Toamna (retitled)", T0.replace(tzinfo=None)), "last details, first time"
    assert known == MEMBERS + 2
    async with uow.reading() as repo:
        accepted = await repo.fact_for(Measure.ACCEPTED, early.order_id)
        returned = await repo.fact_for(Measure.RETURN, bill.invoice_id)
        attributed: list[UUID | None] = [
            (await repo.order(early.order_id)).campaign_id,  # type: ignore[union-attr]
            (await repo.contract(contract.contract_id)).campaign_id,  # type: ignore[union-attr]
        ]
    assert accepted is not None and (accepted.campaign_id, accepted.via) == (campaign.id, Via.OPPORTUNITY)
    assert returned is not None and (returned.campaign_id, returned.via) == (campaign.id, Via.CONTRACT)
    assert attributed == [campaign.id, campaign.id]
    assert results_told == 1, "the campaign's results are told once for the batch"
    await service.db.dispose()
