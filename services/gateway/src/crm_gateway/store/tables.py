"""SQLAlchemy tables of the gateway."""

from __future__ import annotations

import sqlalchemy as sa

from crm_kit.store import UTCDateTime, kit_tables

metadata = sa.MetaData()
kit_tables(metadata)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("username", sa.String(50), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("staff_id", sa.String(36), nullable=True),
    sa.Column("language", sa.String(5), nullable=False, server_default="ro"),
    sa.Column("created_at", UTCDateTime, nullable=False),
)
