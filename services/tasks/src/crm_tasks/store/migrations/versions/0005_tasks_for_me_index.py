"""The tasks of one person by status, newest first: the default view of the tasks and home pages (issue #18)

Revision ID: tasks_for_me_index
Revises: idempotency_keys
"""

from typing import Sequence, Union

from alembic import op

revision: str = "tasks_for_me_index"
down_revision: Union[str, Sequence[str], None] = "idempotency_keys"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index(
        "ix_tasks_responsible_status_registered",
        "tasks",
        ["responsible_staff_id", "status", "registered_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_responsible_status_registered", table_name="tasks")
