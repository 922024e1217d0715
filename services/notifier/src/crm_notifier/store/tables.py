"""The notifier's tables (SQLAlchemy Core) plus the kit's outbox, inbox and leases."""

from __future__ import annotations

import sqlalchemy as sa

from crm_kit.blobrefs import blob_refs_table
from crm_kit.store import UTCDateTime, kit_tables

metadata = sa.MetaData()
kit_tables(metadata)

ID = sa.Uuid(as_uuid=False)
"""An id (of a record here or of another context's): native uuid on PostgreSQL, 32 hex digits on SQLite.

The domain keeps ids as ``str`` (``as_uuid=False``): deliveries, messages and notices travel as plain rows."""

staff = sa.Table(
    "staff",
    metadata,
    sa.Column("staff_id", ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("user_login", sa.String(100), nullable=True, index=True),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
)

partners = sa.Table(
    "partners",
    metadata,
    sa.Column("partner_id", ID, primary_key=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("site_emails", sa.JSON, nullable=False),
    sa.Column("contacts", sa.JSON, nullable=False),
)

articles = sa.Table(
    "articles",
    metadata,
    sa.Column("code", sa.String(100), primary_key=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("photos", sa.JSON, nullable=False),
)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("document_id", ID, primary_key=True),
    sa.Column("partner_id", ID, nullable=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("number", sa.String(100), nullable=False),
    sa.Column("printout_sha256", sa.String(64), nullable=True),
)

document_files = sa.Table(
    "document_files",
    metadata,
    sa.Column("document_id", ID, primary_key=True),
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("file_name", sa.String(300), nullable=False),
    sa.Column("size", sa.Integer, nullable=False, default=0),
)

parked = sa.Table(
    "parked_notices",
    metadata,
    sa.Column("cause_event_id", sa.String(120), primary_key=True),
    sa.Column("staff_id", ID, primary_key=True),
    sa.Column("kind", sa.String(40), primary_key=True),
    sa.Column("notice", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

mail_servers = sa.Table(
    "mail_servers",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("port", sa.Integer, nullable=False),
    sa.Column("tls_mode", sa.String(10), nullable=False),
    sa.Column("sender", sa.String(320), nullable=False),
    sa.Column("username", sa.String(200), nullable=True),
    sa.Column("password_enc", sa.Text, nullable=True),
    sa.Column("is_default", sa.Boolean, nullable=False, default=False),
    sa.Column("rate_per_minute", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

user_credentials = sa.Table(
    "user_credentials",
    metadata,
    sa.Column("user_login", sa.String(100), primary_key=True),
    sa.Column("server_id", ID, sa.ForeignKey("mail_servers.id"), nullable=False),
    sa.Column("username", sa.String(200), nullable=False),
    sa.Column("password_enc", sa.Text, nullable=True),
    sa.Column("sender", sa.String(320), nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

notification_settings = sa.Table(
    "notification_settings",
    metadata,
    sa.Column("user_login", sa.String(100), primary_key=True),
    sa.Column("language", sa.String(5), nullable=False),
    sa.Column("task_message", sa.Boolean, nullable=False),
    sa.Column("task_email", sa.Boolean, nullable=False),
)

blob_refs = blob_refs_table(metadata)
"""Which email deliveries carry a blob as an attachment: the gateway's blob check looks here."""

# One row per email to send, unique on (cause event, recipient, channel). An in-app message is its own
# delivery record: the messages table is unique on (cause event, recipient).
deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("cause_event_id", sa.String(120), nullable=False),
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("claim_token", sa.String(40), nullable=True),
    sa.Column("claimed_at", UTCDateTime, nullable=True),
    sa.Column("server", sa.String(100), nullable=True),
    sa.Column("requested_by", sa.String(100), nullable=True),
    sa.Column("staff_id", ID, nullable=True),
    sa.Column("partner_id", ID, nullable=True),
    sa.Column("email_id", ID, nullable=True, index=True),
    sa.Column("document_id", ID, nullable=True),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("link", sa.String(500), nullable=True),
    sa.Column("attachments", sa.JSON, nullable=False),
    sa.Column("message_id", sa.String(200), nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("cause_event_id", "recipient", "channel", name="uq_delivery_once"),
    sa.Index("ix_deliveries_due", "status", "next_attempt_at"),
    sa.Index("ix_deliveries_partner", "partner_id", "created_at"),
    # The email log, newest first: a page read in index order instead of every email sorted.
    sa.Index("ix_deliveries_log", "channel", "created_at", "id"),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("recipient", sa.String(100), nullable=False),
    sa.Column("recipient_staff_id", ID, nullable=True),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("link", sa.String(500), nullable=True),
    sa.Column("cause_event_id", sa.String(120), nullable=False),
    sa.Column("partner_id", ID, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("read_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("cause_event_id", "recipient", name="uq_message_once"),
    sa.Index("ix_messages_recipient", "recipient", "read_at"),
    # A user's message stack, newest first (ix_messages_recipient counts the unread ones).
    sa.Index("ix_messages_stack", "recipient", "created_at", "id"),
)
