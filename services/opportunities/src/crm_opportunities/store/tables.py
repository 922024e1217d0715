"""The opportunities service's tables (SQLAlchemy Core), the kit's outbox/inbox/leases included."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from crm_kit.store import kit_tables


class Fixed2(sa.TypeDecorator[Decimal]):
    """A Decimal with two decimals stored as a whole number of hundredths.

    Exact on SQLite and PostgreSQL alike, and sums stay integer sums (fast, no float drift).
    """

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: sa.Dialect) -> int | None:
        if value is None:
            return None
        return int((Decimal(value) * 100).to_integral_value())

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value) / 100).quantize(Decimal("0.01"))


class UTCTime(sa.TypeDecorator[datetime]):
    """A tz-aware UTC timestamp on both stores (SQLite hands back naive values otherwise)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UTCDateTime = UTCTime()

metadata = sa.MetaData()
kit_tables(metadata)

opportunities = sa.Table(
    "opportunities",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("partner_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("potential", Fixed2(), nullable=False),
    sa.Column("probability", Fixed2(), nullable=False),
    sa.Column("expected_signing_on", sa.Date(), nullable=True),
    sa.Column("owner_staff_id", sa.Uuid(), nullable=True, index=True),
    sa.Column("campaign_id", sa.Uuid(), nullable=True),
    sa.Column("stage", sa.String(20), nullable=False),
    sa.Column("stage_entered_at", UTCDateTime, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("lost_reason_code", sa.String(40), nullable=True),
    sa.Column("lost_note", sa.Text(), nullable=True),
    # Covers the pipeline summary: count and sum per stage read from the index alone.
    sa.Index("ix_opportunities_stage_potential", "stage", "potential"),
    # The opportunities page, newest first: 50 read in index order instead of every opportunity sorted.
    sa.Index("ix_opportunities_created", "created_at", "id"),
    # A campaign's opportunities newest first (the list's order): a page of them read from the index, not
    # all 10,000 of an M7 generation joined and sorted (its progress is polled every 0.2 s).
    sa.Index("ix_opportunities_campaign_newest", "campaign_id", "created_at", "id"),
)

stage_history = sa.Table(
    "stage_history",
    metadata,
    sa.Column("opportunity_id", sa.Uuid(), sa.ForeignKey("opportunities.id"), primary_key=True),
    sa.Column("seq", sa.Integer(), primary_key=True),
    sa.Column("from_stage", sa.String(20), nullable=True),
    sa.Column("stage", sa.String(20), nullable=False),
    sa.Column("entered_at", UTCDateTime, nullable=False),
    sa.Column("left_at", UTCDateTime, nullable=True),
    sa.Column("potential", Fixed2(), nullable=False),
    sa.Column("probability", Fixed2(), nullable=False),
    sa.Column("weight", Fixed2(), nullable=False),
    sa.Column("changed_by", sa.String(100), nullable=True),
    sa.Column("changed_by_staff_id", sa.Uuid(), nullable=True),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("delegate_staff_id", sa.Uuid(), nullable=True),
    sa.Column("follow_up_at", UTCDateTime, nullable=True),
    sa.Column("reason_code", sa.String(40), nullable=True),
)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("opportunity_id", sa.Uuid(), sa.ForeignKey("opportunities.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("request_id", sa.Uuid(), nullable=True, unique=True),
    sa.Column("document_id", sa.Uuid(), nullable=True, unique=True),
    sa.Column("requested_at", UTCDateTime, nullable=False),
    sa.Column("requested_by", sa.String(100), nullable=True),
    sa.Column("lines", sa.JSON(), nullable=False),
    sa.Column("number", sa.String(60), nullable=True),
    sa.Column("issued_on", sa.Date(), nullable=True),
    sa.Column("net", Fixed2(), nullable=True),
    sa.Column("vat", Fixed2(), nullable=True),
    sa.Column("gross", Fixed2(), nullable=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("printout_sha256", sa.String(64), nullable=True),
    sa.Column("valid_until", sa.Date(), nullable=True),
    sa.Column("from_offer_id", sa.Uuid(), nullable=True),
    sa.Column("decision", sa.String(20), nullable=True),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    sa.Column("decided_by", sa.String(100), nullable=True),
    sa.Column("reason_code", sa.String(40), nullable=True),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("refusal", sa.Text(), nullable=True),
)

lost_reasons = sa.Table(
    "lost_reasons",
    metadata,
    sa.Column("code", sa.String(40), primary_key=True),
    sa.Column("text", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
)

stage_weights = sa.Table(
    "stage_weights",
    metadata,
    sa.Column("stage", sa.String(20), primary_key=True),
    sa.Column("weight", Fixed2(), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=True),
    sa.Column("updated_by", sa.String(100), nullable=True),
)

partners = sa.Table(
    "partners",
    metadata,
    sa.Column("partner_id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("fiscal_code", sa.String(40), nullable=True),
    sa.Column("sales_rep_staff_id", sa.Uuid(), nullable=True),
)

articles = sa.Table(
    "articles",
    metadata,
    sa.Column("code", sa.String(60), primary_key=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("unit", sa.String(20), nullable=False),
    sa.Column("price", Fixed2(), nullable=False),
    sa.Column("vat_rate", Fixed2(), nullable=False),
)

campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("campaign_id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.String(300), nullable=False),
)

campaign_openings = sa.Table(
    "campaign_openings",
    metadata,
    # One opportunity per (campaign, partner), however often the campaign asks (M7).
    sa.Column("campaign_id", sa.Uuid(), primary_key=True),
    sa.Column("partner_id", sa.Uuid(), primary_key=True),
    sa.Column("opportunity_id", sa.Uuid(), nullable=False),
    sa.Column("request_id", sa.Uuid(), nullable=True),
)
