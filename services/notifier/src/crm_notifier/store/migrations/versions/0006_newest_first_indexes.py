"""Emails and in-app messages newest first: the email log and a user's message stack (issue #18)

Revision ID: newest_first_indexes
Revises: 0005_uuid_ids
"""

from typing import Sequence, Union

from alembic import op

revision: str = "newest_first_indexes"
down_revision: Union[str, Sequence[str], None] = "0005_uuid_ids"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_deliveries_log", "deliveries", ["channel", "created_at", "id"])
    op.create_index("ix_messages_stack", "messages", ["recipient", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_messages_stack", table_name="messages")
    op.drop_index("ix_deliveries_log", table_name="deliveries")
