"""Concurrent requests for one transition: exactly one wins, the others get 409, one effect and one event."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from crm_commercial.store import tables as t
from crm_contracts.common import DocumentLine
from crm_contracts.partners import PartnerRegistered
from crm_contracts.tasks import InvoiceRequested
from crm_contracts.topics import PARTNERS, TASKS
from crm_kit.testing import fetched_record

RACERS = 12


async def _offer(commercial: Any) -> dict[str, Any]:
    await commercial.add_article("SRV", "10.00", "21")
    partner = await commercial.add_partner()
    body = {"type": "offer", "partner_id": partner, "lines": [{"article_code": "SRV", "qty": "2"}]}
    response = await commercial.http.post("/api/documents", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _stored(commercial: Any) -> tuple[list[str], list[str]]:
    """The document types stored and the event types queued in the outbox."""
    async with commercial.service.db.read() as conn:
        docs = [r.type for r in await conn.execute(sa.select(t.documents.c.type).order_by(t.documents.c.type))]
        events = [r.ce_type for r in await conn.execute(sa.text("select ce_type from outbox order by id"))]
    return docs, events


async def test_concurrent_accepts_of_one_offer_make_one_contract_and_the_others_get_409(
    make_commercial: Callable[..., Any], database_url: str
) -> None:
    commercial: Any = await make_commercial(database_url=database_url)
    try:
        offer = await _offer(commercial)
        accept = {"then": "contract", "contract_kind": "commercial"}
        responses = await asyncio.gather(
            *(commercial.http.post(f"/api/documents/{offer['id']}/accept", json=accept) for _ in range(RACERS))
        )

        assert sorted(r.status_code for r in responses) == [200] + [409] * (RACERS - 1)
        winner = next(r.json() for r in responses if r.status_code == 200)
        assert (winner["status"], winner["decided_by"]) == ("accepted", "ana")
        losers = [r.json()["detail"] for r in responses if r.status_code == 409]
        assert all(d.startswith(f"{offer['number']} was already accepted at ") for d in losers), losers
        assert all(d.endswith(" by ana") for d in losers), losers
        docs, events = await _stored(commercial)
        assert docs == ["contract", "offer"]
        assert events.count("crm.commercial.OfferAccepted.v1") == 1
        assert events.count("crm.commercial.ContractSigned.v1") == 1
    finally:
        await commercial.http.aclose()
        await commercial.service.db.dispose()


async def test_concurrent_accepts_and_rejects_of_one_offer_decide_it_once(
    make_commercial: Callable[..., Any], database_url: str
) -> None:
    commercial: Any = await make_commercial(database_url=database_url)
    try:
        offer = await _offer(commercial)
        url = f"/api/documents/{offer['id']}"
        responses = await asyncio.gather(
            *(commercial.http.post(f"{url}/accept", json={"then": "both"}) for _ in range(RACERS // 2)),
            *(commercial.http.post(f"{url}/reject", json={"reason_code": "PRICE"}) for _ in range(RACERS // 2)),
        )

        assert sorted(r.status_code for r in responses) == [200] + [409] * (RACERS - 1)
        winner = next(r.json() for r in responses if r.status_code == 200)
        docs, events = await _stored(commercial)
        decided = [e for e in events if e in ("crm.commercial.OfferAccepted.v1", "crm.commercial.OfferRejected.v1")]
        assert len(decided) == 1
        if winner["status"] == "accepted":
            assert docs == ["contract", "offer", "order"]
        else:
            assert docs == ["offer"]
    finally:
        await commercial.http.aclose()
        await commercial.service.db.dispose()


async def test_concurrent_ends_of_one_contract_end_it_once(
    make_commercial: Callable[..., Any], database_url: str
) -> None:
    commercial: Any = await make_commercial(database_url=database_url)
    try:
        offer = await _offer(commercial)
        accepted = await commercial.http.post(f"/api/documents/{offer['id']}/accept", json={"then": "contract"})
        contract = accepted.json()["documents"][0]
        responses = await asyncio.gather(
            *(
                commercial.http.post(f"/api/contracts/{contract['id']}/end", json={"ended_on": "2026-06-30"})
                for _ in range(RACERS)
            )
        )

        assert sorted(r.status_code for r in responses) == [200] + [409] * (RACERS - 1)
        losers = {r.json()["detail"] for r in responses if r.status_code == 409}
        assert losers == {f"contract {contract['number']} already ended on 2026-06-30"}
        _, events = await _stored(commercial)
        assert events.count("crm.commercial.ContractEnded.v1") == 1
    finally:
        await commercial.http.aclose()
        await commercial.service.db.dispose()


async def test_a_second_contract_for_an_accepted_offer_is_refused_by_the_database(
    make_commercial: Callable[..., Any], database_url: str
) -> None:
    commercial: Any = await make_commercial(database_url=database_url)
    try:
        offer = await _offer(commercial)
        accepted = await commercial.http.post(f"/api/documents/{offer['id']}/accept", json={"then": "contract"})
        contract = accepted.json()["documents"][0]
        async with commercial.service.db.transaction() as conn:
            row = (await conn.execute(sa.select(t.documents).where(t.documents.c.id == contract["id"]))).one()
        twin = {
            **row._asdict(),
            "id": str(uuid.uuid4()),
            "number": "CTR-TWIN",
            "series_number": None,
            "request_id": None,
        }
        with pytest.raises(sa.exc.IntegrityError, match="follows_offer"):
            async with commercial.service.db.transaction() as conn:
                await conn.execute(t.documents.insert().values(**twin))
    finally:
        await commercial.http.aclose()
        await commercial.service.db.dispose()


async def test_a_command_and_its_partners_registration_handled_at_once_never_leave_the_command_parked(
    make_commercial: Callable[..., Any], pg_database: str
) -> None:
    # The command comes on the tasks topic, the registration on the partners topic: two replicas of
    # one group may own one each and handle them at the same moment (two concurrent applies here).
    # Without the partner lock, the command's transaction can miss the partner being stored while the
    # partner's transaction misses the command being parked.
    commercial: Any = await make_commercial(database_url=pg_database)
    rounds = 20
    try:
        await commercial.add_article("ORA", "150.00", "21")
        for i in range(rounds):
            partner_id = uuid.uuid4()
            command = InvoiceRequested(
                request_id=uuid.uuid4(),
                task_id=uuid.uuid4(),
                partner_id=partner_id,
                lines=[DocumentLine(article_code="ORA", qty=Decimal(1))],
            )
            registered = PartnerRegistered(partner_id=partner_id, kind="client", name=f"Ferma {i}", fiscal_code="RO1")
            await asyncio.gather(
                commercial.service.consumer.apply([fetched_record(2 * i, command, TASKS)]),
                commercial.service.consumer.apply([fetched_record(2 * i + 1, registered, PARTNERS)]),
            )
        async with commercial.service.db.read() as conn:
            parked = (await conn.execute(sa.select(sa.func.count()).select_from(t.parked_commands))).scalar_one()
            invoices = (
                await conn.execute(sa.select(sa.func.count()).where(t.documents.c.type == "invoice"))
            ).scalar_one()
        assert (parked, invoices) == (0, rounds)
    finally:
        await commercial.http.aclose()
        await commercial.service.db.dispose()
