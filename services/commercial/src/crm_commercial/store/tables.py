"""The commercial service's tables (SQLAlchemy Core) plus the kit's outbox, inbox and leases."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from crm_kit.store import UTCDateTime, kit_tables


class ExactDecimal(sa.types.TypeDecorator[Decimal]):
    """A Decimal stored exactly: NUMERIC on PostgreSQL, text on SQLite (whose NUMERIC is a float)."""

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int = 18, scale: int = 2) -> None:
        super().__init__()
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(40))
        return dialect.type_descriptor(sa.Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        exact = Decimal(value).quantize(Decimal(1).scaleb(-self.scale))
        return format(exact, "f") if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value))


def Money() -> ExactDecimal:  # noqa: N802 - reads as a column type
    """Money: 16 digits, two decimals."""
    return ExactDecimal(18, 2)


Id = sa.Uuid(as_uuid=False)
"""An id (of a record here or of another context's): native uuid on PostgreSQL, 32 hex digits on SQLite.

The domain keeps ids as ``str`` (``as_uuid=False``), as the commands and the repository hand them over."""

metadata = sa.MetaData()
kit_tables(metadata)

vat_rates = sa.Table(
    "vat_rates",
    metadata,
    sa.Column("code", sa.String(20), primary_key=True),
    sa.Column("rate", ExactDecimal(5, 2), nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
)

articles = sa.Table(
    "articles",
    metadata,
    sa.Column("code", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    # fold(name): what the article search matches, accents and case ignored (migration 0005)
    sa.Column("name_key", sa.String(200), nullable=False, server_default="", index=True),
    sa.Column("unit", sa.String(20), nullable=False),
    sa.Column("price", Money(), nullable=False),
    sa.Column("vat_rate", ExactDecimal(5, 2), nullable=False),
    sa.Column("photos", sa.JSON(), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

settings = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.String(60), primary_key=True),
    sa.Column("value", sa.JSON(), nullable=False),
)

partners = sa.Table(
    "partners",
    metadata,
    sa.Column("partner_id", Id, primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    # fold(name): what the document pickers match a partner's name on, accents and case ignored (migration 0007)
    sa.Column("name_key", sa.String(300), nullable=False, server_default="", index=True),
    sa.Column("fiscal_code", sa.String(40), nullable=True),
    sa.Column("locality", sa.String(120), nullable=True),
    sa.Column("county", sa.String(120), nullable=True),
    sa.Column("address", sa.String(400), nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

series = sa.Table(
    "series",
    metadata,
    sa.Column("doc_type", sa.String(20), primary_key=True),
    sa.Column("year", sa.Integer(), primary_key=True),
    sa.Column("last_number", sa.Integer(), nullable=False),
)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("number", sa.String(60), nullable=False),
    sa.Column("series_number", sa.String(60), nullable=True, unique=True),
    sa.Column("partner_id", Id, nullable=True, index=True),
    sa.Column("issued_on", sa.Date(), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("net", Money(), nullable=False),
    sa.Column("vat", Money(), nullable=False),
    sa.Column("gross", Money(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("request_id", Id, nullable=True, unique=True),
    sa.Column("source", sa.JSON(), nullable=False),
    sa.Column("printout_sha256", sa.String(64), nullable=True),
    sa.Column("kind", sa.String(30), nullable=True),
    sa.Column("valid_until", sa.Date(), nullable=True),
    sa.Column("starts_on", sa.Date(), nullable=True),
    sa.Column("ends_on", sa.Date(), nullable=True),
    sa.Column("ended_on", sa.Date(), nullable=True),
    sa.Column("months", sa.Integer(), nullable=True),
    sa.Column("monthly_value", Money(), nullable=True),
    sa.Column("order_id", Id, nullable=True, unique=True),
    sa.Column("contract_id", Id, nullable=True),
    sa.Column("task_id", Id, nullable=True),
    sa.Column("invoice_id", Id, nullable=True),
    sa.Column("period", sa.String(7), nullable=True),
    sa.Column("reason_code", sa.String(60), nullable=True),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("external_number", sa.String(60), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    sa.Column("decided_by", sa.String(100), nullable=True),
    sa.Column("follows_offer_id", Id, nullable=True),
    sa.UniqueConstraint("contract_id", "period", name="uq_documents_contract_period"),
    sa.UniqueConstraint("type", "partner_id", "kind", "external_number", name="uq_documents_external"),
    sa.Index("ix_documents_type_partner", "type", "partner_id"),
    # Invoices whose printout is still to be rendered (printout_sha256 IS NULL), for the printout worker.
    sa.Index("ix_documents_type_printout", "type", "printout_sha256"),
    # The order and the contract an offer's acceptance issued: one of each per offer, whatever the race.
    sa.Index("uq_documents_follows_offer", "type", "follows_offer_id", unique=True),
)
"""Every document: offers, orders, contracts, invoices, cost documents and payments (``type`` tells)."""

document_lines = sa.Table(
    "document_lines",
    metadata,
    sa.Column("line_id", Id, primary_key=True),
    sa.Column("document_id", Id, sa.ForeignKey("documents.id"), nullable=False, index=True),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("article_code", sa.String(40), nullable=False),
    sa.Column("description", sa.String(400), nullable=False),
    sa.Column("unit", sa.String(20), nullable=False),
    sa.Column("qty", ExactDecimal(18, 4), nullable=False),
    sa.Column("price", Money(), nullable=False),
    sa.Column("vat_rate", ExactDecimal(5, 2), nullable=False),
    sa.Column("net", Money(), nullable=False),
    sa.Column("vat", Money(), nullable=False),
)

balances = sa.Table(
    "balances",
    metadata,
    sa.Column("partner_id", Id, primary_key=True),
    sa.Column("balance", Money(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

parked_commands = sa.Table(
    "parked_commands",
    metadata,
    sa.Column("command_id", sa.String(120), primary_key=True),
    sa.Column("ce_type", sa.String(200), nullable=False),
    sa.Column("partner_id", Id, nullable=False, index=True),
    sa.Column("correlation_id", sa.String(120), nullable=True),
    sa.Column("payload", sa.Text(), nullable=False),
    sa.Column("parked_at", UTCDateTime, nullable=False),
)
"""Commands naming a partner not yet in the read model (payload: the request, as the repository writes it);
answered when its PartnerRegistered arrives."""
