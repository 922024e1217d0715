"""Users' ids, staff ids and sessions' user ids are UUID columns (sa.Uuid): native uuid on PostgreSQL, hex on SQLite

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
# sessions.id_hash (a SHA-256) and login_failures.key ("user:<name>", "addr:<ip>") stay text.
COLUMNS: dict[str, list[str]] = {
    "users": ["id", "staff_id"],
    "sessions": ["user_id"],
}


def upgrade() -> None:
    ids_to_uuids_v1(COLUMNS)


def downgrade() -> None:
    uuids_to_ids_v1(COLUMNS)
