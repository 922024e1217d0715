"""Migration 0005_uuid_ids turns the text ids of the notifier store into UUID columns, every row still readable."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from crm_kit.migrations import upgrade
from crm_kit.store import Database, UTCDateTime
from crm_notifier.bootstrap import MIGRATIONS
from crm_notifier.domain.models import EmailViewer
from crm_notifier.store import tables as t
from crm_notifier.store.repository import SqlRepository

STAFF = "0190a7b3-1c2d-7e4f-8a9b-000000000001"
PARTNER = "0190a7b3-1c2d-7e4f-8a9b-000000000002"
DOCUMENT = "0190a7b3-1c2d-7e4f-8a9b-000000000003"
SERVER = "0190a7b3-1c2d-7e4f-8a9b-000000000004"
DELIVERY = "0190a7b3-1c2d-7e4f-8a9b-000000000005"
EMAIL = "0190a7b3-1c2d-7e4f-8a9b-000000000006"
MESSAGE = "0190a7b3-1c2d-7e4f-8a9b-000000000007"
EVENT = "0190a7b3-1c2d-7e4f-8a9b-000000000008"
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
KIT_TABLES = {"outbox", "inbox", "leases", "idempotency_keys", "blob_refs"}


def _old(name: str, *text: str, **typed: Any) -> sa.TableClause:
    """A table as revision idempotency_keys left it: ids are 36-character text."""
    return sa.table(name, *(sa.column(c, sa.String) for c in text), *(sa.column(c, k) for c, k in typed.items()))


async def _old_rows(db: Database) -> None:
    rows: list[tuple[sa.TableClause, dict[str, Any]]] = [
        (_old("staff", "staff_id", "name", active=sa.Boolean), {"staff_id": STAFF, "name": "Ana", "active": True}),
        (
            _old("partners", "partner_id", "name", site_emails=sa.JSON, contacts=sa.JSON),
            {"partner_id": PARTNER, "name": "Alfa", "site_emails": [], "contacts": []},
        ),
        (
            _old("documents", "document_id", "partner_id", "kind", "number"),
            {"document_id": DOCUMENT, "partner_id": PARTNER, "kind": "offer", "number": "OF-1"},
        ),
        (
            _old("document_files", "document_id", "sha256", "file_name", size=sa.Integer),
            {"document_id": DOCUMENT, "sha256": "ab" * 32, "file_name": "a.pdf", "size": 3},
        ),
        (
            _old("parked_notices", "cause_event_id", "staff_id", "kind", notice=sa.JSON, created_at=UTCDateTime),
            {"cause_event_id": EVENT, "staff_id": STAFF, "kind": "task", "notice": {"a": 1}, "created_at": NOW},
        ),
        (
            _old(
                "mail_servers",
                *("id", "name", "host", "tls_mode", "sender"),
                port=sa.Integer,
                is_default=sa.Boolean,
                rate_per_minute=sa.Integer,
                created_at=UTCDateTime,
            ),
            {"id": SERVER, "name": "main", "host": "smtp", "tls_mode": "none", "sender": "crm@alfa.ro", "port": 25}
            | {"is_default": True, "rate_per_minute": 0, "created_at": NOW},
        ),
        (
            _old("user_credentials", "user_login", "server_id", "username", updated_at=UTCDateTime),
            {"user_login": "ana", "server_id": SERVER, "username": "ana", "updated_at": NOW},
        ),
        (
            _old(
                "deliveries",
                "id",
                "cause_event_id",
                "recipient",
                "channel",
                "kind",
                "status",
                "subject",
                "body",
                "staff_id",
                "partner_id",
                "email_id",
                "document_id",
                "requested_by",
                attempts=sa.Integer,
                next_attempt_at=UTCDateTime,
                attachments=sa.JSON,
                created_at=UTCDateTime,
            ),
            {"id": DELIVERY, "cause_event_id": EVENT, "recipient": "c@alfa.ro", "channel": "email", "kind": "email"}
            | {"status": "pending", "subject": "Oferta", "body": "Bună", "staff_id": STAFF, "partner_id": PARTNER}
            | {"email_id": EMAIL, "document_id": DOCUMENT, "requested_by": "ana", "attempts": 0}
            | {"next_attempt_at": NOW, "attachments": [], "created_at": NOW},
        ),
        (
            _old(
                "messages",
                "id",
                "recipient",
                "recipient_staff_id",
                "title",
                "body",
                "cause_event_id",
                "partner_id",
                created_at=UTCDateTime,
            ),
            {"id": MESSAGE, "recipient": "ana", "recipient_staff_id": STAFF, "title": "T", "body": "B"}
            | {"cause_event_id": f"message:{EVENT}", "partner_id": PARTNER, "created_at": NOW},
        ),
    ]
    async with db.transaction() as conn:
        for table, values in rows:
            await conn.execute(table.insert().values(**values))


def _id_columns(sync: Any) -> tuple[dict[tuple[str, str], str], list[Any]]:
    inspector = sa.inspect(sync)
    kinds = {
        (table, column["name"]): str(column["type"])
        for table in inspector.get_table_names()
        if table not in KIT_TABLES | {"alembic_version"}
        for column in inspector.get_columns(table)
        if column["name"] == "id" or column["name"].endswith("_id")
    }
    return kinds, inspector.get_foreign_keys("user_credentials")


async def test_text_ids_of_the_previous_revision_are_uuids_after_0005_and_read_back_through_the_repository(
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
        async with db.transaction() as conn:
            repo = SqlRepository(conn)
            staff = await repo.get_staff(STAFF)
            partner = await repo.get_partner(PARTNER)
            document = await repo.get_document(DOCUMENT)
            files = await repo.document_files(DOCUMENT)
            credentials = await repo.credentials("ana")
            server = await repo.mail_server(SERVER)
            delivery = await repo.delivery(DELIVERY)
            message = await repo.message(MESSAGE)
            agent = EmailViewer("agent", "someone", STAFF)
            log, total = await repo.emails(agent, partner_id=PARTNER, status=None, email_id=EMAIL, limit=10, offset=0)
            not_ids = [await repo.delivery("nope"), await repo.message("nope"), await repo.mail_server("nope")]
            parked = await repo.take_parked(STAFF)
            kinds, keys = await conn.run_sync(_id_columns)
    finally:
        await db.dispose()

    assert staff is not None and staff.name == "Ana"
    assert partner is not None and partner.name == "Alfa"
    assert document is not None and document["partner_id"] == PARTNER
    assert [f["file_name"] for f in files] == ["a.pdf"]
    assert credentials is not None and credentials["server_id"] == SERVER and server is not None
    assert delivery is not None and (delivery["staff_id"], delivery["document_id"]) == (STAFF, DOCUMENT)
    assert message is not None and message["recipient_staff_id"] == STAFF
    assert ([r["id"] for r in log], total) == ([DELIVERY], 1)
    assert not_ids == [None, None, None]  # text that is not a UUID names no row (and PostgreSQL is not asked)
    assert [(p["cause_event_id"], p["staff_id"]) for p in parked] == [(EVENT, STAFF)]
    uuid_type = "UUID" if database_url.startswith("postgresql") else "CHAR(32)"
    assert {name: kind for name, kind in kinds.items() if kind != uuid_type} == {
        ("parked_notices", "cause_event_id"): "VARCHAR(120)",
        ("deliveries", "cause_event_id"): "VARCHAR(120)",
        ("deliveries", "message_id"): "VARCHAR(200)",
        ("messages", "cause_event_id"): "VARCHAR(120)",
    }
    assert [(k["constrained_columns"], k["referred_table"]) for k in keys] == [(["server_id"], "mail_servers")]
