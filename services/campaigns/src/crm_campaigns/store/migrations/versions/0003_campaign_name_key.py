"""Campaigns: a folded name so the campaign picker finds "Toamnă Brașov" by "toamna brasov"

Revision ID: 0003
Revises: idempotency_keys
"""

import unicodedata
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "idempotency_keys"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_CEDILLA = str.maketrans({"ş": "ș", "ţ": "ț", "Ş": "Ș", "Ţ": "Ț"})


def _fold(text: str) -> str:
    # domain.search.name_key as it is today, written out: a migration keeps meaning what it meant when written
    decomposed = unicodedata.normalize("NFKD", text.translate(_CEDILLA).strip().lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.split())


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("name_key", sa.String(200), nullable=False, server_default=""))
    # the keys of the campaigns already stored, folded in Python as new ones are (SQLite has no unaccent)
    bind = op.get_bind()
    campaigns = sa.table("campaigns", sa.column("id", sa.Uuid()), sa.column("name", sa.String), sa.column("name_key"))
    for campaign_id, name in bind.execute(sa.select(campaigns.c.id, campaigns.c.name)).all():
        bind.execute(campaigns.update().where(campaigns.c.id == campaign_id).values(name_key=_fold(name)))
    op.create_index("ix_campaigns_name_key", "campaigns", ["name_key"])


def downgrade() -> None:
    op.drop_index("ix_campaigns_name_key", table_name="campaigns")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("name_key")
