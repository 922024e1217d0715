"""Every id column is a UUID column (sa.Uuid): native uuid on PostgreSQL, 32 hex digits on SQLite

Revision ID: 0005_uuid_ids
Revises: idempotency_keys
"""

from typing import Sequence, Union

from crm_kit.migrations import ids_to_uuids_v1, uuids_to_ids_v1

revision: str = "0005_uuid_ids"
down_revision: Union[str, Sequence[str], None] = "idempotency_keys"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Written out, not read from the tables: a migration keeps meaning what it meant when it was written.
# cause_event_id stays text (an event id, or "message:<id>" for a message someone posted), as do
# deliveries.message_id (an email's Message-ID), claim tokens and sha256 columns.
COLUMNS: dict[str, list[str]] = {
    "staff": ["staff_id"],
    "partners": ["partner_id"],
    "documents": ["document_id", "partner_id"],
    "document_files": ["document_id"],
    "parked_notices": ["staff_id"],
    "mail_servers": ["id"],
    "user_credentials": ["server_id"],
    "deliveries": ["id", "staff_id", "partner_id", "email_id", "document_id"],
    "messages": ["id", "recipient_staff_id", "partner_id"],
}


def upgrade() -> None:
    ids_to_uuids_v1(COLUMNS)


def downgrade() -> None:
    uuids_to_ids_v1(COLUMNS)
