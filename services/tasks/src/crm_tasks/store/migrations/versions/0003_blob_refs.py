"""blob refs

Revision ID: 9abeb7bfd21b
Revises: 0002
Create Date: 2026-12-06 03:23:36.639418

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from crm_kit.migrations import create_blob_refs_v1, drop_blob_refs_v1


# revision identifiers, used by Alembic.
revision: str = '9abeb7bfd21b'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    create_blob_refs_v1()
    # Backfill: the references of the tasks stored before the table existed.
    bind = op.get_bind()
    tasks = sa.table("tasks", sa.column("id", sa.Uuid()), sa.column("attachments", sa.JSON()), sa.column("estimate", sa.JSON()))
    refs = sa.table("blob_refs", sa.column("sha256", sa.String()), sa.column("record_id", sa.String()))
    rows: list[dict[str, str]] = []
    for task_id, attachments, estimate in bind.execute(sa.select(tasks.c.id, tasks.c.attachments, tasks.c.estimate)).all():
        shas = {a.get("sha256") for a in attachments or []}
        shas.add((estimate or {}).get("printout_sha256"))
        rows += [{"sha256": sha, "record_id": str(task_id)} for sha in sorted(s for s in shas if s)]
        if len(rows) >= 5000:
            bind.execute(refs.insert(), rows)
            rows = []
    if rows:
        bind.execute(refs.insert(), rows)


def downgrade() -> None:
    """Downgrade schema."""
    drop_blob_refs_v1()
