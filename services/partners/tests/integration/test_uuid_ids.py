"""Migration 0004_uuid_ids turns the text ids of the partners store into UUID columns, every row still readable."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from crm_kit.migrations import upgrade
from crm_kit.store import Database, UTCDateTime
from crm_partners.bootstrap import MIGRATIONS
from crm_partners.domain.timeline import PageRequest
from crm_partners.store import tables as t
from crm_partners.store.repository import SqlRepository

P = "0190a7b3-1c2d-7e4f-8a9b-0000000000"
PARTNER, SITE, CONTACT, STAFF, DOSSIER, FILED, TASK, IMPORT, OPPORTUNITY, CAMPAIGN, EVENT = (
    f"{P}{n:02d}" for n in range(1, 12)
)
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
KIT_TABLES = {"outbox", "inbox", "leases", "idempotency_keys"}


def _old(name: str, *text: str, **typed: Any) -> sa.TableClause:
    """A table as revision idempotency_keys left it: ids are 36-character text."""
    return sa.table(name, *(sa.column(c, sa.String) for c in text), *(sa.column(c, k) for c, k in typed.items()))


ROWS: list[tuple[sa.TableClause, dict[str, Any]]] = [
    (
        _old(
            "partners",
            *("id", "kind", "name", "name_key", "sales_rep_staff_id", "campaign_id"),
            competitors=sa.JSON,
            interests=sa.JSON,
            created_at=UTCDateTime,
            updated_at=UTCDateTime,
            version=sa.Integer,
        ),
        {"id": PARTNER, "kind": "client", "name": "Alfa", "name_key": "alfa", "sales_rep_staff_id": STAFF}
        | {"campaign_id": CAMPAIGN, "competitors": [], "interests": [], "created_at": NOW, "updated_at": NOW}
        | {"version": 1},
    ),
    (
        _old("partner_sites", "site_id", "partner_id", "name", position=sa.Integer),
        {"site_id": SITE, "partner_id": PARTNER, "name": "Sediu", "position": 1},
    ),
    (
        _old("site_emails", "email", "partner_id", "site_id", position=sa.Integer),
        {"email": "office@alfa.ro", "partner_id": PARTNER, "site_id": SITE, "position": 1},
    ),
    (
        _old("partner_contacts", "contact_id", "partner_id", "name", position=sa.Integer),
        {"contact_id": CONTACT, "partner_id": PARTNER, "name": "Ion", "position": 1},
    ),
    (
        _old(
            "staff",
            *("id", "name", "name_key"),
            hours_per_day=sa.Numeric(5, 2),
            categories=sa.JSON,
            active=sa.Boolean,
            created_at=UTCDateTime,
            updated_at=UTCDateTime,
            version=sa.Integer,
        ),
        {"id": STAFF, "name": "Ana", "name_key": "ana", "hours_per_day": Decimal(8), "categories": []}
        | {"active": True, "created_at": NOW, "updated_at": NOW, "version": 1},
    ),
    (
        _old("dossiers", "id", "name", "category", "partner_id", created_at=UTCDateTime),
        {"id": DOSSIER, "name": "Contracte", "category": "contracte", "partner_id": PARTNER, "created_at": NOW},
    ),
    (
        _old(
            "dossier_documents",
            *("id", "dossier_id", "sha256", "file_name", "source_type", "source_id"),
            size=sa.BigInteger,
            filed_at=UTCDateTime,
        ),
        {"id": FILED, "dossier_id": DOSSIER, "sha256": "ab" * 32, "file_name": "c.pdf", "source_type": "document"}
        | {"source_id": OPPORTUNITY, "size": 3, "filed_at": NOW},
    ),
    (
        _old(
            "history",
            *("partner_id", "event_id", "kind", "type", "title"),
            occurred_at=UTCDateTime,
            details=sa.JSON,
            recorded_at=UTCDateTime,
        ),
        {"partner_id": PARTNER, "event_id": EVENT, "kind": "partner", "type": "PartnerRegistered", "title": "Nou"}
        | {"occurred_at": NOW, "details": {}, "recorded_at": NOW},
    ),
    (_old("history_counts", "partner_id", "kind", n=sa.Integer), {"partner_id": PARTNER, "kind": "partner", "n": 1}),
    (
        _old("task_owners", "task_id", "responsible_staff_id", "creator_staff_id"),
        {"task_id": TASK, "responsible_staff_id": STAFF, "creator_staff_id": None},
    ),
    (
        _old(
            "partner_imports",
            *("id", "file_name", "status"),
            total_rows=sa.Integer,
            processed_rows=sa.Integer,
            imported=sa.Integer,
            errors=sa.JSON,
            created_at=UTCDateTime,
        ),
        {"id": IMPORT, "file_name": "p.csv", "status": "imported", "total_rows": 1, "processed_rows": 1}
        | {"imported": 1, "errors": [], "created_at": NOW},
    ),
    (
        _old(
            "partner_opportunities",
            *("opportunity_id", "partner_id", "title", "stage", "owner_staff_id"),
            potential=sa.Numeric(18, 2),
            probability=sa.Numeric(5, 2),
            updated_at=UTCDateTime,
        ),
        {"opportunity_id": OPPORTUNITY, "partner_id": PARTNER, "title": "Mentenanță", "stage": "open"}
        | {"owner_staff_id": STAFF, "potential": Decimal(100), "probability": Decimal(50), "updated_at": NOW},
    ),
]


def _id_columns(sync: Any) -> dict[tuple[str, str], str]:
    inspector = sa.inspect(sync)
    return {
        (table, column["name"]): str(column["type"])
        for table in inspector.get_table_names()
        if table not in KIT_TABLES | {"alembic_version"}
        for column in inspector.get_columns(table)
        if column["name"] == "id" or column["name"].endswith("_id")
    }


async def test_text_ids_of_the_previous_revision_are_uuids_after_0004_and_read_back_through_the_repository(
    database_url: str,
) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, "idempotency_keys")
    db = Database(database_url, t.metadata)
    try:
        async with db.transaction() as conn:
            for table, values in ROWS:
                await conn.execute(table.insert().values(**values))
    finally:
        await db.dispose()

    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)

    db = Database(database_url, t.metadata)
    try:
        async with db.read() as conn:
            repo = SqlRepository(conn)
            partner = await repo.get_partner(PARTNER)
            staff = await repo.get_staff(STAFF)
            stranger = await repo.get_staff("s1")
            dossier = await repo.get_dossier(DOSSIER)
            filed = await repo.dossier_documents(DOSSIER)
            history, total = await repo.history_page(PARTNER, PageRequest((), 10, 0))
            owners = await repo.task_owners([TASK])
            imported = await repo.get_import(IMPORT)
            opportunities = await repo.partner_opportunities(PARTNER)
            known = await repo.known_staff([STAFF, "s1"])
            kinds = await conn.run_sync(_id_columns)
    finally:
        await db.dispose()

    assert partner is not None and (partner.sales_rep_staff_id, partner.campaign_id) == (STAFF, CAMPAIGN)
    assert [(s.site_id, s.emails) for s in partner.sites] == [(SITE, ("office@alfa.ro",))]
    assert [c.contact_id for c in partner.contacts] == [CONTACT]
    assert staff is not None and staff.name == "Ana"
    assert stranger is None and known == {STAFF}  # text that is not a UUID names nobody (PostgreSQL is not asked)
    assert dossier is not None and dossier.partner_id == PARTNER
    assert [(d.id, d.source_id) for d in filed] == [(FILED, OPPORTUNITY)]
    assert ([(h.partner_id, h.event_id) for h in history], total) == ([(PARTNER, EVENT)], 1)
    assert owners[TASK].responsible_staff_id == STAFF
    assert imported is not None and imported.id == IMPORT
    assert [(o.opportunity_id, o.owner_staff_id) for o in opportunities] == [(OPPORTUNITY, STAFF)]
    uuid_type = "UUID" if database_url.startswith("postgresql") else "CHAR(32)"
    assert {name: kind for name, kind in kinds.items() if kind != uuid_type} == {
        ("history", "event_id"): "VARCHAR(120)",
        ("history", "ref_id"): "VARCHAR(120)",
        ("history_rebuild", "event_id"): "VARCHAR(120)",
        ("history_rebuild", "ref_id"): "VARCHAR(120)",
    }
