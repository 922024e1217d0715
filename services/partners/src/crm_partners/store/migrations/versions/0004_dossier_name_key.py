"""Dossiers get a folded name key, so a picker finds "Contracte Brașov" by typing "contracte bras" (D1)

Revision ID: dossier_name_key
Revises: idempotency_keys
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from crm_partners.domain.text import fold

revision: str = "dossier_name_key"
down_revision: Union[str, Sequence[str], None] = "idempotency_keys"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=200), server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_dossiers_name_key"), ["name_key"], unique=False)
    # The key is folded in Python (the same fold as new dossiers), not by SQL: neither database folds Romanian.
    dossiers = sa.table("dossiers", sa.column("id", sa.String), sa.column("name", sa.String), sa.column("name_key"))
    conn = op.get_bind()
    for row in conn.execute(sa.select(dossiers.c.id, dossiers.c.name)).all():
        conn.execute(dossiers.update().where(dossiers.c.id == row.id).values(name_key=fold(row.name)))


def downgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossiers_name_key"))
        batch_op.drop_column("name_key")
