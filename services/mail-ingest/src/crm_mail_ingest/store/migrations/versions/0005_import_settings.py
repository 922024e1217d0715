"""C4 in the store: the import folder and default export format an administrator saves; each entry's folder

Revision ID: 0005_import_settings
Revises: 0004_uuid_ids
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005_import_settings"
down_revision: Union[str, Sequence[str], None] = "0004_uuid_ids"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "mail_import_settings",
        sa.Column("name", sa.String(length=20), nullable=False, comment="Always 'import': the service keeps one record."),
        sa.Column(
            "folder", sa.String(length=1024), nullable=False, comment="C4: the import folder, absolute, on this host."
        ),
        sa.Column(
            "export_format", sa.String(length=20), nullable=False, comment="C4: auto, outlook, thunderbird or eml."
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=50), nullable=True, comment="The user name of who saved them."),
        sa.PrimaryKeyConstraint("name"),
    )
    # Nullable and not filled in: an entry from before has no folder, and the service reads it as the
    # environment's (CRM_MAIL_INGEST_INBOX), the only folder there was.
    op.add_column(
        "mail_imports",
        sa.Column(
            "folder",
            sa.String(length=1024),
            nullable=True,
            comment="The import folder the file is in (C4: it can change); NULL: the environment's (older entries).",
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("mail_imports") as batch:
        batch.drop_column("folder")
    op.drop_table("mail_import_settings")
