"""Partners (read model): a folded name so document pickers find "Brașov SRL"'s documents by "brasov"

Revision ID: 0007
Revises: 0006
"""

import unicodedata
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_CEDILLA = str.maketrans({"ş": "ș", "ţ": "ț", "Ş": "Ș", "Ţ": "Ț"})


def _fold(text: str) -> str:
    # domain.text.fold as it is today, written out: a migration keeps meaning what it meant when it was written
    decomposed = unicodedata.normalize("NFKD", text.translate(_CEDILLA))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().split())


def upgrade() -> None:
    with op.batch_alter_table("partners") as batch:
        batch.add_column(sa.Column("name_key", sa.String(300), nullable=False, server_default=""))
    # the keys of the partners already kept, folded in Python as new ones are (SQLite has no unaccent)
    bind = op.get_bind()
    partners = sa.table(
        "partners", sa.column("partner_id", sa.String), sa.column("name", sa.String), sa.column("name_key")
    )
    for partner_id, name in bind.execute(sa.select(partners.c.partner_id, partners.c.name)).all():
        bind.execute(partners.update().where(partners.c.partner_id == partner_id).values(name_key=_fold(name)))
    op.create_index("ix_partners_name_key", "partners", ["name_key"])


def downgrade() -> None:
    op.drop_index("ix_partners_name_key", table_name="partners")
    with op.batch_alter_table("partners") as batch:
        batch.drop_column("name_key")
