"""Migration 0007 turns the text ids of the commercial store into UUID columns and keeps every row readable."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from crm_commercial.bootstrap import MIGRATIONS
from crm_commercial.domain.documents import DocumentRequest
from crm_commercial.store import tables as t
from crm_commercial.store.repository import SqlRepository, request_json
from crm_kit.migrations import upgrade
from crm_kit.store import Database, UTCDateTime

PARTNER = "0190a7b3-1c2d-7e4f-8a9b-0c1d2e3f4a5b"
OFFER = "0190a7b3-1c2d-7e4f-8a9b-000000000001"
ORDER = "0190a7b3-1c2d-7e4f-8a9b-000000000002"
LINE = "0190a7b3-1c2d-7e4f-8a9b-000000000003"
REQUEST = "0190a7b3-1c2d-7e4f-8a9b-000000000004"
TASK = "0190a7b3-1c2d-7e4f-8a9b-000000000005"
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
KIT_TABLES = {"outbox", "inbox", "leases", "idempotency_keys"}

# The tables as revision 0006 left them: ids are 36-character text.
OLD_DOCUMENTS = sa.table(
    "documents",
    *(sa.column(c, sa.String) for c in ("id", "type", "number", "partner_id", "status", "currency", "request_id")),
    *(sa.column(c, sa.String) for c in ("follows_offer_id", "task_id")),
    *(sa.column(c, t.Money()) for c in ("net", "vat", "gross")),
    sa.column("issued_on", sa.Date),
    sa.column("source", sa.JSON),
    sa.column("created_at", UTCDateTime),
)
OLD_LINES = sa.table(
    "document_lines",
    *(sa.column(c, sa.String) for c in ("line_id", "document_id", "article_code", "description", "unit")),
    sa.column("position", sa.Integer),
    *(sa.column(c, t.ExactDecimal(18, 4)) for c in ("qty", "price", "vat_rate", "net", "vat")),
)
OLD_PARTNERS = sa.table(
    "partners", *(sa.column(c, sa.String) for c in ("partner_id", "kind", "name")), sa.column("updated_at", UTCDateTime)
)
OLD_BALANCES = sa.table(
    "balances",
    sa.column("partner_id", sa.String),
    sa.column("balance", t.Money()),
    sa.column("currency", sa.String),
    sa.column("updated_at", UTCDateTime),
)
OLD_PARKED = sa.table(
    "parked_commands",
    *(sa.column(c, sa.String) for c in ("command_id", "ce_type", "partner_id", "payload")),
    sa.column("parked_at", UTCDateTime),
)


async def _old_rows(db: Database) -> None:
    document = {"partner_id": PARTNER, "status": "issued", "currency": "RON", "issued_on": date(2026, 3, 1)}
    amounts = {"net": Decimal("10.00"), "vat": Decimal("2.10"), "gross": Decimal("12.10"), "created_at": NOW}
    async with db.transaction() as conn:
        await conn.execute(OLD_PARTNERS.insert().values(partner_id=PARTNER, kind="client", name="Ana", updated_at=NOW))
        await conn.execute(
            OLD_DOCUMENTS.insert(),
            [
                {"id": OFFER, "type": "offer", "number": "OF-1", "request_id": REQUEST, "follows_offer_id": None}
                | {"task_id": TASK, "source": {"task_id": TASK}}
                | document
                | amounts,
                {"id": ORDER, "type": "order", "number": "CMD-1", "request_id": None, "follows_offer_id": OFFER}
                | {"task_id": None, "source": {"offer_id": OFFER}}
                | document
                | amounts,
            ],
        )
        await conn.execute(
            OLD_LINES.insert()
            .values(line_id=LINE, document_id=ORDER, article_code="SRV", description="Service", unit="buc", position=1)
            .values(qty=Decimal(1), price=Decimal(10), vat_rate=Decimal(21), net=Decimal(10), vat=Decimal("2.10"))
        )
        await conn.execute(
            OLD_BALANCES.insert().values(partner_id=PARTNER, balance=Decimal("12.10"), currency="RON", updated_at=NOW)
        )
        parked = DocumentRequest("offer", PARTNER, (), request_id=REQUEST)
        await conn.execute(
            OLD_PARKED.insert().values(
                command_id="event-1", ce_type="crm.x", partner_id=PARTNER, payload=request_json(parked), parked_at=NOW
            )
        )


def _id_columns(sync: Any) -> tuple[dict[tuple[str, str], str], list[Any]]:
    inspector = sa.inspect(sync)
    kinds = {
        (table, column["name"]): str(column["type"])
        for table in inspector.get_table_names()
        if table not in KIT_TABLES | {"alembic_version"}
        for column in inspector.get_columns(table)
        if column["name"] == "id" or column["name"].endswith("_id")
    }
    return kinds, inspector.get_foreign_keys("document_lines")


async def test_text_ids_of_revision_0006_are_uuids_after_0007_and_read_back_through_the_repository(
    database_url: str,
) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, "0006")
    db = Database(database_url, t.metadata)
    try:
        await _old_rows(db)
    finally:
        await db.dispose()

    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)

    db = Database(database_url, t.metadata)
    try:
        async with db.transaction() as conn:
            repo = SqlRepository(conn)
            order = await repo.get(ORDER)
            offer = await repo.by_request(REQUEST)
            partner = await repo.partner(PARTNER)
            balance = await repo.balance(PARTNER)
            parked = await repo.take_parked(PARTNER)
            kinds, keys = await conn.run_sync(_id_columns)
            follows = (await conn.execute(sa.select(t.documents.c.follows_offer_id))).scalars().all()
            if db.is_sqlite:
                stored = (await conn.exec_driver_sql("SELECT id FROM documents ORDER BY id")).scalars().all()
                assert stored == [OFFER.replace("-", ""), ORDER.replace("-", "")]
                assert (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all() == []
    finally:
        await db.dispose()

    assert order is not None and order.partner_id == PARTNER and [x.line_id for x in order.lines] == [LINE]
    assert offer is not None and offer.id == OFFER and offer.task_id == TASK and offer.source.task_id == TASK
    assert partner is not None and partner.name == "Ana"
    assert balance == Decimal("12.10")
    assert [(p.command_id, p.request.partner_id) for p in parked] == [("event-1", PARTNER)]
    assert sorted(follows, key=str) == sorted([None, OFFER], key=str)
    uuid_type = "UUID" if database_url.startswith("postgresql") else "CHAR(32)"
    # The parked command's ce_id and ce_correlationid stay text, as the inbox keeps them.
    assert {name: kind for name, kind in kinds.items() if kind != uuid_type} == {
        ("parked_commands", "command_id"): "VARCHAR(120)",
        ("parked_commands", "correlation_id"): "VARCHAR(120)",
    }
    assert [(k["constrained_columns"], k["referred_table"], k["referred_columns"]) for k in keys] == [
        (["document_id"], "documents", ["id"])
    ]
