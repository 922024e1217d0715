"""Tables of mail-ingest (SQLAlchemy Core) plus the kit's outbox, inbox and leases."""

from __future__ import annotations

import sqlalchemy as sa

from crm_kit.blobrefs import blob_refs_table
from crm_kit.store import UTCDateTime, kit_tables

Id = sa.Uuid(as_uuid=False)
"""An id (of an import here or of another context's record): native uuid on PostgreSQL, 32 hex digits on SQLite.

The domain keeps ids as ``str`` (``as_uuid=False``): import rows travel as plain mappings of the table."""

metadata = sa.MetaData()
kit_tables(metadata)

blob_refs = blob_refs_table(metadata)
"""Which imports carry a blob as an attachment: the gateway's blob check looks here."""

imports = sa.Table(
    "mail_imports",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("file_name", sa.String(255), nullable=False, comment="The name the file was dropped under."),
    sa.Column(
        "folder",
        sa.String(1024),
        nullable=True,
        comment="The import folder the file is in (C4: it can change); NULL: the environment's (older entries).",
    ),
    sa.Column("stored_path", sa.String(400), nullable=True, comment="Where the file is now, relative to the inbox."),
    sa.Column("file_sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("format", sa.String(20), nullable=True),
    sa.Column("encoding", sa.String(30), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("message_key", sa.String(1000), nullable=True),
    sa.Column("sender", sa.String(320), nullable=True),
    sa.Column("sender_name", sa.String(300), nullable=True),
    sa.Column("subject", sa.String(1000), nullable=True),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.Column("partner_id", Id, nullable=True),
    sa.Column("partner_name", sa.String(300), nullable=True),
    sa.Column("task_id", Id, nullable=True),
    sa.Column("responsible_staff_id", Id, nullable=True),
    sa.Column("unknown_sender", sa.Boolean(), nullable=False, default=False),
    sa.Column("attachments", sa.JSON(), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("moved_at", UTCDateTime, nullable=True, comment="Set once the file reached done/ or failed/."),
    sa.Index("ix_mail_imports_status", "status", "created_at"),
    sa.Index("ix_mail_imports_file", "file_name", "file_sha256"),
)

messages = sa.Table(
    "imported_messages",
    metadata,
    sa.Column("message_key", sa.String(1000), primary_key=True, comment="Message-ID or content hash: unique."),
    sa.Column("import_id", Id, nullable=False),
    sa.Column("task_id", Id, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

partners = sa.Table(
    "partners",
    metadata,
    sa.Column("partner_id", Id, primary_key=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("sales_rep_staff_id", Id, nullable=True),
    sa.Column("service_rep_staff_id", Id, nullable=True),
)

partner_emails = sa.Table(
    "partner_site_emails",
    metadata,
    sa.Column("email", sa.String(320), primary_key=True),
    sa.Column("partner_id", Id, primary_key=True),
    sa.Index("ix_partner_site_emails_partner", "partner_id"),
)

import_settings = sa.Table(
    "mail_import_settings",
    metadata,
    sa.Column("name", sa.String(20), primary_key=True, comment="Always 'import': the service keeps one record."),
    sa.Column("folder", sa.String(1024), nullable=False, comment="C4: the import folder, absolute, on this host."),
    sa.Column("export_format", sa.String(20), nullable=False, comment="C4: auto, outlook, thunderbird or eml."),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("updated_by", sa.String(50), nullable=True, comment="The user name of who saved them."),
)
"""C4 as an administrator saved it; while it has no row, the environment's folder and format apply.

Keyed by a name, not an ``id``: it is no record of the domain (and every ``id`` column here is a UUID)."""
