"""The partners service's tables (SQLAlchemy Core); the kit adds outbox, inbox and leases."""

from __future__ import annotations

import sqlalchemy as sa

from crm_kit.store import UTCDateTime, kit_tables

metadata = sa.MetaData()
kit_tables(metadata)

Id = sa.Uuid(as_uuid=False)
"""An id (of a record here or of another context's): native uuid on PostgreSQL, 32 hex digits on SQLite.

The domain keeps ids as ``str`` (``as_uuid=False``), as the use cases and the repository hand them over."""

partners = sa.Table(
    "partners",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("name_key", sa.String(300), nullable=False),
    sa.Column("fiscal_code", sa.String(12)),
    sa.Column("fiscal_digits", sa.String(10), unique=True),
    sa.Column("trade_register", sa.String(40)),
    sa.Column("locality", sa.String(120)),
    sa.Column("locality_key", sa.String(120)),
    sa.Column("county", sa.String(40)),
    sa.Column("address", sa.String(400)),
    sa.Column("turnover", sa.Numeric(18, 2)),
    sa.Column("employees", sa.Integer()),
    sa.Column("activity_domain", sa.String(200)),
    sa.Column("activity_key", sa.String(200)),
    sa.Column("sales_rep_staff_id", Id),
    sa.Column("service_rep_staff_id", Id),
    sa.Column("campaign_id", Id),
    sa.Column("competitors", sa.JSON(), nullable=False),
    sa.Column("interests", sa.JSON(), nullable=False),
    sa.Column("service_responsible", sa.String(200)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Index("ix_partners_name_key", "name_key", "id"),
    sa.Index("ix_partners_county_name", "county", "name_key"),
    sa.Index("ix_partners_kind_name", "kind", "name_key"),
    sa.Index("ix_partners_locality", "locality_key"),
    sa.Index("ix_partners_activity", "activity_key"),
    sa.Index("ix_partners_turnover", "turnover"),
    sa.Index("ix_partners_employees", "employees"),
    sa.Index("ix_partners_sales_rep", "sales_rep_staff_id"),
    sa.Index("ix_partners_service_rep", "service_rep_staff_id"),
)

sites = sa.Table(
    "partner_sites",
    metadata,
    sa.Column("site_id", Id, primary_key=True),
    sa.Column("partner_id", Id, sa.ForeignKey("partners.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
)

site_emails = sa.Table(
    "site_emails",
    metadata,
    sa.Column("email", sa.String(254), primary_key=True, comment="Normal form (lower case): one partner only."),
    sa.Column("partner_id", Id, sa.ForeignKey("partners.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("site_id", Id, sa.ForeignKey("partner_sites.site_id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
)

contacts = sa.Table(
    "partner_contacts",
    metadata,
    sa.Column("contact_id", Id, primary_key=True),
    sa.Column("partner_id", Id, sa.ForeignKey("partners.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(200)),
    sa.Column("email", sa.String(254)),
    sa.Column("phone", sa.String(60)),
    sa.Column("position", sa.Integer(), nullable=False),
)

opportunities = sa.Table(
    "partner_opportunities",
    metadata,
    sa.Column("opportunity_id", Id, primary_key=True),
    sa.Column("partner_id", Id, nullable=False, index=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("potential", sa.Numeric(18, 2), nullable=False),
    sa.Column("probability", sa.Numeric(5, 2), nullable=False),
    sa.Column("stage", sa.String(20), nullable=False),
    sa.Column("expected_signing_on", sa.Date()),
    sa.Column("owner_staff_id", Id),
    sa.Column("campaign_id", Id),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# Who a task is for and from (kept from TaskCreated / TaskAssigned): who may read its history entries.
task_owners = sa.Table(
    "task_owners",
    metadata,
    sa.Column("task_id", Id, primary_key=True),
    sa.Column("responsible_staff_id", Id),
    sa.Column("creator_staff_id", Id),
    sa.Column("creator_user", sa.String(100)),
)

staff = sa.Table(
    "staff",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("name_key", sa.String(200), nullable=False, index=True),
    sa.Column("email", sa.String(254)),
    sa.Column("user_login", sa.String(100), unique=True),
    sa.Column("hours_per_day", sa.Numeric(5, 2), nullable=False),
    sa.Column("categories", sa.JSON(), nullable=False),
    sa.Column("team", sa.String(100), index=True),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
)

dossiers = sa.Table(
    "dossiers",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("name_key", sa.String(200), nullable=False, server_default="", index=True),
    sa.Column("category", sa.String(100), nullable=False, index=True),
    sa.Column("partner_id", Id, sa.ForeignKey("partners.id"), index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(100)),
)

dossier_documents = sa.Table(
    "dossier_documents",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("dossier_id", Id, sa.ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("file_name", sa.String(200), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("source_type", sa.String(40)),
    sa.Column("source_id", Id),
    sa.Column("filed_at", UTCDateTime, nullable=False),
    sa.Column("filed_by", sa.String(100)),
    sa.UniqueConstraint("dossier_id", "sha256", name="uq_dossier_documents_blob"),
)


def history_tables(name: str) -> tuple[sa.Table, sa.Table]:
    """A partner-history projection (entries and per-kind counts) under a table name."""
    entries = sa.Table(
        name,
        metadata,
        sa.Column("partner_id", Id, primary_key=True),
        sa.Column("event_id", sa.String(120), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("ref_type", sa.String(40)),
        sa.Column("ref_id", sa.String(120)),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.Index(f"ix_{name}_page", "partner_id", "occurred_at", "event_id"),
        sa.Index(f"ix_{name}_kind_page", "partner_id", "kind", "occurred_at", "event_id"),
    )
    counts = sa.Table(
        f"{name}_counts",
        metadata,
        sa.Column("partner_id", Id, primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    return entries, counts


history, history_counts = history_tables("history")
history_rebuild, history_rebuild_counts = history_tables("history_rebuild")

partner_imports = sa.Table(
    "partner_imports",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("file_name", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("total_rows", sa.Integer(), nullable=False),
    sa.Column("processed_rows", sa.Integer(), nullable=False),
    sa.Column("imported", sa.Integer(), nullable=False),
    sa.Column("errors", sa.JSON(), nullable=False),
    sa.Column("message", sa.String(500)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("created_by", sa.String(100)),
)
