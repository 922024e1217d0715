"""blob refs

Revision ID: 9cee9bca1dbd
Revises: d795304e5ce7
Create Date: 2026-12-06 03:24:37.403811

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from crm_kit.migrations import create_blob_refs_v1, drop_blob_refs_v1


# revision identifiers, used by Alembic.
revision: str = '9cee9bca1dbd'
down_revision: Union[str, Sequence[str], None] = 'd795304e5ce7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    create_blob_refs_v1()
    # Backfill: the attachments of the imports recorded before the table existed.
    bind = op.get_bind()
    imports = sa.table("mail_imports", sa.column("id", sa.String()), sa.column("attachments", sa.JSON()))
    refs = sa.table("blob_refs", sa.column("sha256", sa.String()), sa.column("record_id", sa.String()))
    rows: list[dict[str, str]] = []
    for import_id, attachments in bind.execute(sa.select(imports.c.id, imports.c.attachments)).all():
        shas = sorted({a.get("sha256") for a in attachments or [] if a.get("sha256")})
        rows += [{"sha256": sha, "record_id": str(import_id)} for sha in shas]
        if len(rows) >= 5000:
            bind.execute(refs.insert(), rows)
            rows = []
    if rows:
        bind.execute(refs.insert(), rows)


def downgrade() -> None:
    """Downgrade schema."""
    drop_blob_refs_v1()
