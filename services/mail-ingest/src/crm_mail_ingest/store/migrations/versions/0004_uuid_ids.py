"""Every id column is a UUID column (sa.Uuid): native uuid on PostgreSQL, 32 hex digits on SQLite

Revision ID: 0004_uuid_ids
Revises: idempotency_keys
"""

from typing import Sequence, Union

from crm_kit.migrations import ids_to_uuids_v1, uuids_to_ids_v1

revision: str = "0004_uuid_ids"
down_revision: Union[str, Sequence[str], None] = "idempotency_keys"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Written out, not read from the tables: a migration keeps meaning what it meant when it was written.
# imported_messages.message_key (a Message-ID or a content hash) and the sha256 columns stay text.
COLUMNS: dict[str, list[str]] = {
    "mail_imports": ["id", "partner_id", "task_id", "responsible_staff_id"],
    "imported_messages": ["import_id", "task_id"],
    "partners": ["partner_id", "sales_rep_staff_id", "service_rep_staff_id"],
    "partner_site_emails": ["partner_id"],
}


def upgrade() -> None:
    ids_to_uuids_v1(COLUMNS)


def downgrade() -> None:
    uuids_to_ids_v1(COLUMNS)
