"""Migration 0004_uuid_ids turns the text ids of the mail-ingest store into UUID columns, every row still readable."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from crm_kit.migrations import upgrade
from crm_kit.store import Database, UTCDateTime
from crm_mail_ingest.bootstrap import MIGRATIONS
from crm_mail_ingest.domain.importing import Viewer
from crm_mail_ingest.ports import ImportQuery
from crm_mail_ingest.store import tables as t
from crm_mail_ingest.store.repository import SqlRepository

IMPORT = "0190a7b3-1c2d-7e4f-8a9b-000000000001"
TASK = "0190a7b3-1c2d-7e4f-8a9b-000000000002"
PARTNER = "0190a7b3-1c2d-7e4f-8a9b-000000000003"
STAFF = "0190a7b3-1c2d-7e4f-8a9b-000000000004"
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
KIT_TABLES = {"outbox", "inbox", "leases", "idempotency_keys", "blob_refs"}

# The tables as revision idempotency_keys left them: ids are 36-character text.
OLD_IMPORTS = sa.table(
    "mail_imports",
    *(sa.column(c, sa.String) for c in ("id", "file_name", "file_sha256", "status", "partner_id", "task_id")),
    sa.column("responsible_staff_id", sa.String),
    sa.column("size", sa.BigInteger),
    sa.column("unknown_sender", sa.Boolean),
    sa.column("attachments", sa.JSON),
    sa.column("created_at", UTCDateTime),
)
OLD_MESSAGES = sa.table(
    "imported_messages",
    *(sa.column(c, sa.String) for c in ("message_key", "import_id", "task_id")),
    sa.column("created_at", UTCDateTime),
)
OLD_PARTNERS = sa.table(
    "partners", *(sa.column(c, sa.String) for c in ("partner_id", "name", "sales_rep_staff_id", "service_rep_staff_id"))
)
OLD_EMAILS = sa.table("partner_site_emails", sa.column("email", sa.String), sa.column("partner_id", sa.String))


async def _old_rows(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            OLD_IMPORTS.insert()
            .values(id=IMPORT, file_name="a.eml", file_sha256="ab" * 32, status="imported", partner_id=PARTNER)
            .values(task_id=TASK, responsible_staff_id=STAFF, size=10, unknown_sender=False, attachments=[])
            .values(created_at=NOW)
        )
        await conn.execute(
            OLD_MESSAGES.insert().values(message_key="<m1@example.ro>", import_id=IMPORT, task_id=TASK, created_at=NOW)
        )
        await conn.execute(
            OLD_PARTNERS.insert().values(
                partner_id=PARTNER, name="Ana", sales_rep_staff_id=STAFF, service_rep_staff_id=None
            )
        )
        await conn.execute(OLD_EMAILS.insert().values(email="ana@example.ro", partner_id=PARTNER))


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
        await _old_rows(db)
    finally:
        await db.dispose()

    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)

    db = Database(database_url, t.metadata)
    try:
        async with db.read() as conn:
            repo = SqlRepository(conn)
            entry = await repo.get(IMPORT)
            not_an_id = await repo.get("nope")
            foreign, _ = await repo.page(ImportQuery(Viewer("agent", "s1")))
            seen = await repo.known_messages(["<m1@example.ro>"])
            contacts = await repo.partners_by_email(["ana@example.ro"])
            mine, total = await repo.page(ImportQuery(Viewer("agent", STAFF)))
            kinds = await conn.run_sync(_id_columns)
    finally:
        await db.dispose()

    assert entry is not None and (entry["task_id"], entry["partner_id"]) == (TASK, PARTNER)
    assert entry["responsible_staff_id"] == STAFF
    assert not_an_id is None and foreign == []  # an id or a staff id that is not a UUID finds nothing
    assert (seen["<m1@example.ro>"].import_id, seen["<m1@example.ro>"].task_id) == (IMPORT, TASK)
    assert [(c.partner_id, c.sales_rep_staff_id) for c in contacts["ana@example.ro"]] == [(PARTNER, STAFF)]
    assert ([r["id"] for r in mine], total) == ([IMPORT], 1)
    uuid_type = "UUID" if database_url.startswith("postgresql") else "CHAR(32)"
    assert kinds and {name: kind for name, kind in kinds.items() if kind != uuid_type} == {}
