"""Open tasks soonest deadline first: the tasks page (every view) and the home page read a page in index order

Revision ID: tasks_deadline_index
Revises: tasks_status_index
"""

from typing import Sequence, Union

from alembic import op

revision: str = "tasks_deadline_index"
down_revision: Union[str, Sequence[str], None] = "tasks_status_index"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_tasks_status_deadline", "tasks", ["status", "deadline", "id"])
    op.create_index(
        "ix_tasks_responsible_status_deadline", "tasks", ["responsible_staff_id", "status", "deadline", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_responsible_status_deadline", table_name="tasks")
    op.drop_index("ix_tasks_status_deadline", table_name="tasks")
