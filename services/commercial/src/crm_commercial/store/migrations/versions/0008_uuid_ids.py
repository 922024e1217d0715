"""Every id column is a UUID column (sa.Uuid): native uuid on PostgreSQL, 32 hex digits on SQLite

Revision ID: 0007_uuid_ids
Revises: 0007
"""

from typing import Sequence, Union

from crm_kit.migrations import ids_to_uuids_v1, uuids_to_ids_v1

revision: str = "0007_uuid_ids"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Written out, not read from the tables: a migration keeps meaning what it meant when it was written.
# parked_commands.command_id stays text: it is the command's ce_id, which the inbox keeps as free text.
COLUMNS: dict[str, list[str]] = {
    "partners": ["partner_id"],
    "documents": [
        "id",
        "partner_id",
        "request_id",
        "order_id",
        "contract_id",
        "task_id",
        "invoice_id",
        "follows_offer_id",
    ],
    "document_lines": ["line_id", "document_id"],
    "balances": ["partner_id"],
    "parked_commands": ["partner_id"],
}


def upgrade() -> None:
    ids_to_uuids_v1(COLUMNS)


def downgrade() -> None:
    uuids_to_ids_v1(COLUMNS)
