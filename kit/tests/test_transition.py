"""The kit's single-winner transition: the condition in the UPDATE itself decides, not an earlier read."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa

from crm_kit.errors import Conflict, NotFound
from crm_kit.store import Database, insert_once, transition

metadata = sa.MetaData()
offers = sa.Table(
    "offers",
    metadata,
    sa.Column("id", sa.String(20), primary_key=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("decided_by", sa.String(20), nullable=True),
)


def lost(row: Any) -> str:
    return f"{row.id} was already {row.status} by {row.decided_by}"


async def test_two_transactions_that_both_read_the_old_state_cannot_both_win(database_url: str) -> None:
    db = Database(database_url, metadata)
    await db.create_all()
    async with db.transaction() as conn:
        await conn.execute(offers.insert().values(id="OF-1", status="offered"))
    both_read = asyncio.Barrier(2) if not db.is_sqlite else None

    async def accept(by: str) -> str:
        try:
            async with db.transaction() as conn:
                seen = (await conn.execute(sa.select(offers.c.status).where(offers.c.id == "OF-1"))).scalar_one()
                if both_read is not None:
                    # PostgreSQL READ COMMITTED: both see "offered" before either writes (SQLite serializes writers).
                    assert seen == "offered"
                    await both_read.wait()
                await transition(
                    conn,
                    offers,
                    {"id": "OF-1"},
                    expected={"status": "offered"},
                    values={"status": "accepted", "decided_by": by},
                    lost=lost,
                )
        except Conflict as exc:
            return exc.message
        return "won"

    try:
        outcomes = sorted(await asyncio.gather(accept("ana"), accept("ion")))
        assert outcomes[1] == "won"
        assert outcomes[0] in ("OF-1 was already accepted by ana", "OF-1 was already accepted by ion")
        with pytest.raises(NotFound):
            async with db.transaction() as conn:
                await transition(
                    conn, offers, {"id": "nope"}, expected={"status": "offered"}, values={"status": "x"}, lost=lost
                )
    finally:
        await db.dispose()


async def test_concurrent_inserts_of_one_key_store_one_row_and_tell_the_others_whose_it_is(database_url: str) -> None:
    db = Database(database_url, metadata)
    await db.create_all()

    async def launch(by: str) -> str:
        try:
            async with db.transaction() as conn:
                values = {"id": "BR-1", "status": "launched", "decided_by": by}
                await insert_once(conn, offers, values, key={"id": "BR-1"}, lost=lost)
        except Conflict as exc:
            return exc.message
        return "won"

    try:
        outcomes = await asyncio.gather(*(launch(f"user{n}") for n in range(8)))
        assert outcomes.count("won") == 1
        assert all(o.startswith("BR-1 was already launched by user") for o in outcomes if o != "won")
        async with db.read() as conn:
            assert (await conn.execute(sa.select(sa.func.count()).select_from(offers))).scalar_one() == 1
    finally:
        await db.dispose()


async def test_a_loser_told_by_a_coded_conflict_keeps_its_code_and_params_and_learns_the_state(
    database_url: str,
) -> None:
    db = Database(database_url, metadata)
    await db.create_all()
    async with db.transaction() as conn:
        await conn.execute(offers.insert().values(id="OF-2", status="accepted", decided_by="ana"))

    def coded(row: Any) -> Conflict:
        return Conflict(lost(row), code="offer.already_decided", params={"by": row.decided_by})

    try:
        with pytest.raises(Conflict) as refused:
            async with db.transaction() as conn:
                await transition(
                    conn, offers, {"id": "OF-2"}, expected={"status": "offered"}, values={"status": "x"}, lost=coded
                )
        assert refused.value.message == "OF-2 was already accepted by ana"
        assert refused.value.extra == {"code": "offer.already_decided", "params": {"by": "ana"}, "status": "accepted"}
        with pytest.raises(NotFound) as gone:
            async with db.transaction() as conn:
                await transition(
                    conn, offers, {"id": "nope"}, expected={"status": "offered"}, values={"status": "x"}, lost=coded
                )
        assert gone.value.code == "record.not_found"
        async with db.read() as conn:
            assert (
                await conn.execute(sa.select(offers.c.status).where(offers.c.id == "OF-2"))
            ).scalar_one() == "accepted"
    finally:
        await db.dispose()
