"""The tasks service's tables (SQLAlchemy Core), the kit's outbox/inbox/leases included."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from crm_kit.blobrefs import blob_refs_table
from crm_kit.store import kit_tables


class DecimalText(sa.types.TypeDecorator[Decimal]):
    """An exact decimal stored as text (SQLite has no decimal type; money and hours must stay exact)."""

    impl = sa.String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A tz-aware UTC time on every database (SQLite would drop the offset and hand back naive times)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every stored time is tz-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()
kit_tables(metadata)

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, default=""),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("creator_staff_id", sa.Uuid(), nullable=True, index=True),
    sa.Column("creator_user", sa.String(100), nullable=True),
    sa.Column("responsible_staff_id", sa.Uuid(), nullable=True, index=True),
    sa.Column("partner_id", sa.Uuid(), nullable=True, index=True),
    sa.Column("contract_id", sa.Uuid(), nullable=True),
    sa.Column("contract_line_id", sa.Uuid(), nullable=True),
    sa.Column("service_code", sa.String(50), nullable=True),
    sa.Column("deadline", UtcDateTime, nullable=True),
    sa.Column("planned_start", UtcDateTime, nullable=True),
    sa.Column("planned_hours", DecimalText(), nullable=True),
    sa.Column("billable", sa.Boolean(), nullable=False, default=False),
    sa.Column("alert_channel", sa.String(10), nullable=True),
    sa.Column("alert_days_before", sa.Integer(), nullable=True),
    sa.Column("attachments", sa.JSON(), nullable=False),
    sa.Column("origin", sa.JSON(), nullable=False),
    sa.Column("broadcast_id", sa.Uuid(), nullable=True, index=True),
    sa.Column("status", sa.String(10), nullable=False, default="open"),
    sa.Column("registered_at", UtcDateTime, nullable=False, index=True),
    sa.Column("resolved_at", UtcDateTime, nullable=True),
    sa.Column("resolved_by", sa.String(100), nullable=True),
    sa.Column("hours", DecimalText(), nullable=True),
    sa.Column("invoiced", sa.Boolean(), nullable=False, default=False),
    sa.Column("invoice_id", sa.Uuid(), nullable=True),
    sa.Column("estimate", sa.JSON(), nullable=True),
    sa.Column("contract_request_id", sa.Uuid(), nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=True),
    # "For me, open, newest first" (the tasks page's and the home page's default view): one index range gives
    # the page in order and the count; with the single-column index a person's 200,000 tasks were sorted.
    sa.Index("ix_tasks_responsible_status_registered", "responsible_staff_id", "status", "registered_at", "id"),
    # "All open, newest first" (an administrator's tasks page): the page in index order and the count from the
    # same index; without it 200,000 open tasks were sorted for every page and counted on a four-column index.
    sa.Index("ix_tasks_status_registered", "status", "registered_at", "id"),
    # "Open, soonest deadline first" (the tasks page and the home page): the page in index order, for everyone's
    # tasks and for one person's.
    sa.Index("ix_tasks_status_deadline", "status", "deadline", "id"),
    sa.Index("ix_tasks_responsible_status_deadline", "responsible_staff_id", "status", "deadline", "id"),
)

blob_refs = blob_refs_table(metadata)
"""Which tasks reference a blob (attachments, estimate printouts): the gateway's blob check looks here."""

replies = sa.Table(
    "replies",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("task_id", sa.Uuid(), sa.ForeignKey("tasks.id"), nullable=False, index=True),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("by_staff_id", sa.Uuid(), nullable=True),
    sa.Column("by_user", sa.String(100), nullable=True),
)

broadcasts = sa.Table(
    "broadcasts",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("deadline", UtcDateTime, nullable=True),
    sa.Column("staff_ids", sa.JSON(), nullable=False),
    sa.Column("categories", sa.JSON(), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("creator_staff_id", sa.Uuid(), nullable=True),
    sa.Column("creator_user", sa.String(100), nullable=True),
)

catalogue = sa.Table(
    "catalogue",
    metadata,
    sa.Column("code", sa.String(50), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("hourly_rate", DecimalText(), nullable=False),
    sa.Column("article_code", sa.String(50), nullable=False),
)

reminder_settings = sa.Table(
    "reminder_settings",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("send_message", sa.Boolean(), nullable=False),
    sa.Column("send_email", sa.Boolean(), nullable=False),
    sa.Column("days_before", sa.Integer(), nullable=False),
    sa.Column("new_task_refresh_minutes", sa.Integer(), nullable=False),
)

reminders = sa.Table(
    "reminders",
    metadata,
    sa.Column("task_id", sa.Uuid(), sa.ForeignKey("tasks.id"), primary_key=True),
    sa.Column("channel", sa.String(10), primary_key=True),
    sa.Column("days_before", sa.Integer(), nullable=False),
    sa.Column("deadline", UtcDateTime, nullable=False),
    sa.Column("remind_at", UtcDateTime, nullable=False),
    sa.Column("fired_at", UtcDateTime, nullable=True),
    # The scheduler's scan reads only unfired reminders, oldest first: a partial index keeps it small.
    sa.Index(
        "ix_reminders_pending",
        "remind_at",
        postgresql_where=sa.text("fired_at IS NULL"),
        sqlite_where=sa.text("fired_at IS NULL"),
    ),
)

staff = sa.Table(
    "staff",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("user_login", sa.String(100), nullable=True),
    sa.Column("hours_per_day", DecimalText(), nullable=False),
    sa.Column("categories", sa.JSON(), nullable=False),
    sa.Column("team", sa.String(100), nullable=True, index=True),
    sa.Column("active", sa.Boolean(), nullable=False),
)

partners = sa.Table(
    "partners",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("sales_rep_staff_id", sa.Uuid(), nullable=True),
    sa.Column("service_rep_staff_id", sa.Uuid(), nullable=True),
)

contracts = sa.Table(
    "contracts",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("partner_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("number", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("starts_on", sa.Date(), nullable=False),
    sa.Column("ends_on", sa.Date(), nullable=True),
    sa.Column("lines", sa.JSON(), nullable=False),
)

balances = sa.Table(
    "balances",
    metadata,
    sa.Column("partner_id", sa.Uuid(), primary_key=True),
    sa.Column("balance", DecimalText(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
)
