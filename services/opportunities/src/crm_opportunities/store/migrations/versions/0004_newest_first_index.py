"""Opportunities newest first: the opportunities page (issue #18)

Revision ID: newest_first_index
Revises: idempotency_keys
"""

from typing import Sequence, Union

from alembic import op

revision: str = "newest_first_index"
down_revision: Union[str, Sequence[str], None] = "idempotency_keys"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_opportunities_created", "opportunities", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_opportunities_created", table_name="opportunities")
