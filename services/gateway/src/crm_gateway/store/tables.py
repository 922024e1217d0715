"""SQLAlchemy tables of the gateway: users, their sessions, and failed logins."""

from __future__ import annotations

import sqlalchemy as sa

from crm_kit.store import UTCDateTime, kit_tables

Id = sa.Uuid(as_uuid=False)
"""A user's id or staff id: native uuid on PostgreSQL, 32 hex digits on SQLite.

The domain keeps ids as ``str`` (``as_uuid=False``), as the tokens and the identity header carry them."""

metadata = sa.MetaData()
kit_tables(metadata)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("username", sa.String(50), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("staff_id", Id, nullable=True),
    sa.Column("language", sa.String(5), nullable=False, server_default="ro"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Bumped when the password changes: access tokens carry it, so older ones stop working.
    sa.Column("token_version", sa.Integer, nullable=False, server_default="0"),
)

sessions = sa.Table(
    "sessions",
    metadata,
    # SHA-256 of the cookie value: a copy of the table does not let anyone in.
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)

login_failures = sa.Table(
    "login_failures",
    metadata,
    # "user:<name>" or "addr:<ip>"; unknown usernames get a row too, so they answer like real ones.
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure_at", UTCDateTime, nullable=False, index=True),
    sa.Column("locked_until", UTCDateTime, nullable=True),
)
