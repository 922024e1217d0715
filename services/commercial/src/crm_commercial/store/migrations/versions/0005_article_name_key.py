"""Articles: a folded name (no diacritics, lower case) so pickers find "Mentenanță" by "mentenanta"

Revision ID: 0005
Revises: idempotency_keys
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from crm_commercial.domain.text import fold

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "idempotency_keys"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("name_key", sa.String(200), nullable=False, server_default=""))
    # the keys of the articles already stored, folded in Python as new ones are (SQLite has no unaccent)
    bind = op.get_bind()
    articles = sa.table("articles", sa.column("code", sa.String), sa.column("name", sa.String), sa.column("name_key"))
    for code, name in bind.execute(sa.select(articles.c.code, articles.c.name)).all():
        bind.execute(articles.update().where(articles.c.code == code).values(name_key=fold(name)))
    op.create_index("ix_articles_name_key", "articles", ["name_key"])


def downgrade() -> None:
    op.drop_index("ix_articles_name_key", table_name="articles")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("name_key")
