"""Invoice printouts are rendered after the invoice commits: an index to find those still to render

Revision ID: 0003
Revises: 0002
"""

from typing import Sequence, Union

from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_documents_type_printout", "documents", ["type", "printout_sha256"])


def downgrade() -> None:
    op.drop_index("ix_documents_type_printout", table_name="documents")
