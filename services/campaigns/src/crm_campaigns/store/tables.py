"""Tables of the campaigns store: campaigns, members, counted facts, and read models of other contexts."""

from __future__ import annotations

import sqlalchemy as sa

from crm_kit.store import UTCDateTime, kit_tables

metadata = sa.MetaData()
kit_tables(metadata)

Money = sa.Numeric(18, 2)
Id = sa.Uuid(as_uuid=True)

campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    # domain.search.name_key(name): what the campaign picker matches, accents and case ignored (migration 0003)
    sa.Column("name_key", sa.String(200), nullable=False, server_default="", index=True),
    sa.Column("starts_on", sa.Date(), nullable=False),
    sa.Column("ends_on", sa.Date(), nullable=False),
    sa.Column("objective", sa.Text(), nullable=True),
    sa.Column("segment", sa.Text(), nullable=True),
    sa.Column("estimated_cost", Money, nullable=False),
    sa.Column("estimated_revenue", Money, nullable=False),
    sa.Column("return_months", sa.Integer(), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=True),
    sa.Column("published_results", sa.JSON(), nullable=True, comment="Realized figures last published."),
)

members = sa.Table(
    "members",
    metadata,
    sa.Column("campaign_id", Id, sa.ForeignKey("campaigns.id"), primary_key=True),
    sa.Column("partner_id", Id, primary_key=True),
    sa.Column("added_at", UTCDateTime, nullable=False),
    sa.Column("added_by", sa.String(100), nullable=True),
)

partners = sa.Table(
    "partners",
    metadata,
    sa.Column("partner_id", Id, primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("name_folded", sa.String(300), nullable=False),
    sa.Column("fiscal_code", sa.String(40), nullable=True),
    sa.Column("fiscal_digits", sa.String(40), nullable=True),
    sa.Column("locality", sa.String(120), nullable=True),
    sa.Column("locality_folded", sa.String(120), nullable=True),
    sa.Column("county", sa.String(120), nullable=True),
    sa.Column("county_folded", sa.String(120), nullable=True),
    sa.Column("turnover", Money, nullable=True),
    sa.Column("employees", sa.Integer(), nullable=True),
    sa.Column("activity_domain", sa.String(200), nullable=True),
    sa.Column("domain_folded", sa.String(200), nullable=True),
    sa.Index("ix_partners_county", "county_folded", "kind"),
    sa.Index("ix_partners_locality", "locality_folded"),
    sa.Index("ix_partners_domain", "domain_folded"),
    sa.Index("ix_partners_turnover", "turnover"),
    sa.Index("ix_partners_employees", "employees"),
    sa.Index("ix_partners_fiscal", "fiscal_digits"),
)

opportunities = sa.Table(
    "opportunities",
    metadata,
    sa.Column("opportunity_id", Id, primary_key=True),
    sa.Column("partner_id", Id, nullable=False),
    sa.Column("campaign_id", Id, nullable=True),
    sa.Column("title", sa.String(300), nullable=True),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Index("ix_opportunities_campaign", "campaign_id", "partner_id"),
)

cost_documents = sa.Table(
    "cost_documents",
    metadata,
    sa.Column("document_id", Id, primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("number", sa.String(100), nullable=False),
    sa.Column("date", sa.Date(), nullable=False),
    sa.Column("net", Money, nullable=False),
    sa.Column("vat", Money, nullable=False),
    sa.Column("partner_id", Id, nullable=True),
    sa.Column("campaign_id", Id, nullable=True, comment="The campaign the ERP user added it to, if any."),
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("order_id", Id, primary_key=True),
    sa.Column("partner_id", Id, nullable=False),
    sa.Column("number", sa.String(100), nullable=False),
    sa.Column("issued_on", sa.Date(), nullable=False),
    sa.Column("net", Money, nullable=False),
    sa.Column("source_campaign_id", Id, nullable=True),
    sa.Column("source_opportunity_id", Id, nullable=True),
    sa.Column("campaign_id", Id, nullable=True, comment="The campaign it counts for (accepted revenue)."),
    sa.Index("ix_orders_opportunity", "source_opportunity_id"),
    sa.Index("ix_orders_campaign", "campaign_id"),
)

contracts = sa.Table(
    "contracts",
    metadata,
    sa.Column("contract_id", Id, primary_key=True),
    sa.Column("partner_id", Id, nullable=False),
    sa.Column("number", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("issued_on", sa.Date(), nullable=False),
    sa.Column("starts_on", sa.Date(), nullable=False),
    sa.Column("ends_on", sa.Date(), nullable=True),
    sa.Column("monthly_value", Money, nullable=True),
    sa.Column("net", Money, nullable=False),
    sa.Column("source_campaign_id", Id, nullable=True),
    sa.Column("source_opportunity_id", Id, nullable=True),
    sa.Column("campaign_id", Id, nullable=True, comment="The campaign it resulted from."),
    sa.Index("ix_contracts_opportunity", "source_opportunity_id"),
    sa.Index("ix_contracts_campaign", "campaign_id"),
)

invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("invoice_id", Id, primary_key=True),
    sa.Column("partner_id", Id, nullable=False),
    sa.Column("number", sa.String(100), nullable=False),
    sa.Column("issued_on", sa.Date(), nullable=False),
    sa.Column("net", Money, nullable=False),
    sa.Column("order_id", Id, nullable=True),
    sa.Column("contract_id", Id, nullable=True),
    sa.Column("period", sa.String(7), nullable=True),
    sa.Index("ix_invoices_order", "order_id"),
    sa.Index("ix_invoices_contract", "contract_id"),
)

facts = sa.Table(
    "facts",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("campaign_id", Id, sa.ForeignKey("campaigns.id"), nullable=False),
    sa.Column("measure", sa.String(20), nullable=False),
    sa.Column("source_id", Id, nullable=False),
    sa.Column("source_kind", sa.String(40), nullable=False),
    sa.Column("number", sa.String(100), nullable=True),
    sa.Column("partner_id", Id, nullable=True),
    sa.Column("net", Money, nullable=False),
    sa.Column("effective_on", sa.Date(), nullable=False),
    sa.Column("month", sa.String(7), nullable=True),
    sa.Column("via", sa.String(20), nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("measure", "source_id", name="uq_facts_measure_source"),
    # Covering: the results query sums net (per month) without reading the table rows.
    sa.Index("ix_facts_campaign", "campaign_id", "measure", "effective_on", "month", "net"),
)

opportunity_requests = sa.Table(
    "opportunity_requests",
    metadata,
    sa.Column("campaign_id", Id, sa.ForeignKey("campaigns.id"), primary_key=True),
    sa.Column("partner_id", Id, primary_key=True),
    sa.Column("request_id", Id, nullable=False),
    sa.Column("owner_staff_id", Id, nullable=True),
    sa.Column("requested_at", UTCDateTime, nullable=False),
    sa.Column("requested_by", sa.String(100), nullable=True),
    sa.Column("opportunity_id", Id, nullable=True),
    sa.Column("opened_at", UTCDateTime, nullable=True),
)
