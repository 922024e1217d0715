"""A campaign's opportunities newest first from one index (campaign_id, created_at, id), not sorted per read

The list of a campaign's opportunities (polled every 0.2 s while M7 opens 10,000) joined every one of them
to its partner and sorted them for a page of one; the index replaces the one on campaign_id alone.

Revision ID: 0005_campaign_newest
Revises: newest_first_index
"""

from typing import Sequence, Union

from alembic import op

revision: str = "0005_campaign_newest"
down_revision: Union[str, Sequence[str], None] = "newest_first_index"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_opportunities_campaign_newest", "opportunities", ["campaign_id", "created_at", "id"])
    op.drop_index("ix_opportunities_campaign_id", table_name="opportunities")


def downgrade() -> None:
    op.create_index("ix_opportunities_campaign_id", "opportunities", ["campaign_id"])
    op.drop_index("ix_opportunities_campaign_newest", table_name="opportunities")
