"""Every id column is a UUID column (sa.Uuid): native uuid on PostgreSQL, 32 hex digits on SQLite

Revision ID: 0004_uuid_ids
Revises: dossier_name_key
"""

from typing import Sequence, Union

from crm_kit.migrations import ids_to_uuids_v1, uuids_to_ids_v1

revision: str = "0004_uuid_ids"
down_revision: Union[str, Sequence[str], None] = "dossier_name_key"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Written out, not read from the tables: a migration keeps meaning what it meant when it was written.
# The history's event_id and ref_id stay text (an event's ce_id; a reference of any kind), as do sha256
# columns, fiscal codes and e-mail addresses.
COLUMNS: dict[str, list[str]] = {
    "partners": ["id", "sales_rep_staff_id", "service_rep_staff_id", "campaign_id"],
    "partner_sites": ["site_id", "partner_id"],
    "site_emails": ["partner_id", "site_id"],
    "partner_contacts": ["contact_id", "partner_id"],
    "partner_opportunities": ["opportunity_id", "partner_id", "owner_staff_id", "campaign_id"],
    "task_owners": ["task_id", "responsible_staff_id", "creator_staff_id"],
    "staff": ["id"],
    "dossiers": ["id", "partner_id"],
    "dossier_documents": ["id", "dossier_id", "source_id"],
    "history": ["partner_id"],
    "history_counts": ["partner_id"],
    "history_rebuild": ["partner_id"],
    "history_rebuild_counts": ["partner_id"],
    "partner_imports": ["id"],
}


def upgrade() -> None:
    ids_to_uuids_v1(COLUMNS)


def downgrade() -> None:
    uuids_to_ids_v1(COLUMNS)
