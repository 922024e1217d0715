"""blob refs

Revision ID: 378c553bac90
Revises: 0152241f7c75
Create Date: 2026-12-06 03:24:18.788021

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from crm_kit.migrations import create_blob_refs_v1, drop_blob_refs_v1


# revision identifiers, used by Alembic.
revision: str = '378c553bac90'
down_revision: Union[str, Sequence[str], None] = '0152241f7c75'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    create_blob_refs_v1()
    # Backfill: the attachments of the emails recorded before the table existed.
    bind = op.get_bind()
    deliveries = sa.table("deliveries", sa.column("id", sa.String()), sa.column("attachments", sa.JSON()))
    refs = sa.table("blob_refs", sa.column("sha256", sa.String()), sa.column("record_id", sa.String()))
    rows: list[dict[str, str]] = []
    for delivery_id, attachments in bind.execute(sa.select(deliveries.c.id, deliveries.c.attachments)).all():
        shas = sorted({a.get("sha256") for a in attachments or [] if a.get("sha256")})
        rows += [{"sha256": sha, "record_id": str(delivery_id)} for sha in shas]
        if len(rows) >= 5000:
            bind.execute(refs.insert(), rows)
            rows = []
    if rows:
        bind.execute(refs.insert(), rows)


def downgrade() -> None:
    """Downgrade schema."""
    drop_blob_refs_v1()
