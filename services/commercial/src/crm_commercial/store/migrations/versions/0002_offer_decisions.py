"""Offers remember when and by whom they were decided; one order and one contract per accepted offer

Revision ID: 0002
Revises: 0001
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("documents", sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("documents", sa.Column("decided_by", sa.String(100), nullable=True))
    op.add_column("documents", sa.Column("follows_offer_id", sa.String(36), nullable=True))
    # NULLs are distinct in a unique index on both SQLite and PostgreSQL: only follow-ups are constrained.
    op.create_index("uq_documents_follows_offer", "documents", ["type", "follows_offer_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_documents_follows_offer", table_name="documents")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("follows_offer_id")
        batch.drop_column("decided_by")
        batch.drop_column("decided_at")
