"""Idempotency keys: a retried write with the same Idempotency-Key has one effect (ADR 0008)

Revision ID: idempotency_keys
Revises: 0002
"""

from typing import Sequence, Union

from crm_kit.migrations import create_idempotency_keys_v1, drop_idempotency_keys_v1

revision: str = "idempotency_keys"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    create_idempotency_keys_v1()


def downgrade() -> None:
    drop_idempotency_keys_v1()
