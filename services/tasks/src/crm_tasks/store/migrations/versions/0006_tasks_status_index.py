"""Every task the viewer may see by status, newest first: the tasks page of an administrator (issue #18)

Revision ID: tasks_status_index
Revises: tasks_for_me_index
"""

from typing import Sequence, Union

from alembic import op

revision: str = "tasks_status_index"
down_revision: Union[str, Sequence[str], None] = "tasks_for_me_index"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_tasks_status_registered", "tasks", ["status", "registered_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_tasks_status_registered", table_name="tasks")
