"""What the campaigns use cases need from the outside: the store (``Repository``) and the events (``Publisher``).

The adapters are ``store.repository.SqlRepository`` and ``events.publisher.KafkaPublisher``; the unit tests'
in-memory twins are in ``tests/unit/fakes.py``. Only domain types and the standard library appear here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from crm_campaigns.domain.campaigns import Campaign
from crm_campaigns.domain.documents import Contract, CostDocument, Invoice, Order
from crm_campaigns.domain.generation import Opened, RequestStamp
from crm_campaigns.domain.members import MatchCount, Member, MemberFilter, Partner
from crm_campaigns.domain.results import Fact, Measure, Results
from crm_campaigns.domain.search import Search


class Repository(Protocol):
    """Campaigns, members, counted facts, generated-opportunity requests, and read models of other contexts."""

    # -- campaigns
    async def insert_campaign(self, c: Campaign, created_by: str | None) -> None:
        """Save a new campaign."""
        ...

    async def update_campaign(self, c: Campaign) -> None:
        """Save a campaign's new details."""
        ...

    async def get_campaign(self, campaign_id: UUID, *, for_update: bool = False) -> Campaign | None:
        """One campaign (``for_update``: held until the unit of work ends)."""
        ...

    async def list_campaigns(
        self, *, name: str | None, limit: int, offset: int, member: UUID | None = None
    ) -> tuple[list[Campaign], int]:
        """A page of campaigns (latest start first) whose name contains ``name``, and how many match.

        With ``member``: only the campaigns that partner is a member of.
        """
        ...

    async def find_campaigns(self, q: Search) -> list[Campaign]:
        """At most ``q.limit`` campaigns the picker offers (``search.campaign_matches``).

        Those whose name starts with the query first, then the latest start.
        """
        ...

    async def existing_campaigns(self, ids: Iterable[UUID | None]) -> set[UUID]:
        """Those of the ids that name a campaign."""
        ...

    async def published_results(self, campaign_id: UUID) -> dict[str, Any] | None:
        """The realized figures last published for the campaign (``Results.snapshot()``)."""
        ...

    async def set_published_results(self, campaign_id: UUID, snapshot: dict[str, Any]) -> None:
        """Remember the realized figures just published."""
        ...

    # -- partners and members (M2)
    async def upsert_partner(self, partner: Partner) -> None:
        """Remember a partner as the directory published it."""
        ...

    async def add_new_partners(self, partners: Sequence[Partner]) -> None:
        """Remember newly registered partners, in one statement; one already known keeps what it has."""
        ...

    async def count_matching(self, campaign_id: UUID, f: MemberFilter) -> MatchCount:
        """How many partners match a filter, and how many of them are members already."""
        ...

    async def add_members_matching(
        self, campaign_id: UUID, f: MemberFilter, now: dt.datetime, by: str | None
    ) -> list[UUID]:
        """Make every partner matching the filter a member; those that were not members before."""
        ...

    async def add_members(
        self, campaign_id: UUID, partner_ids: Sequence[UUID], now: dt.datetime, by: str | None
    ) -> list[UUID]:
        """Make the given partners members; those that were not members before."""
        ...

    async def unknown_partners(self, partner_ids: Sequence[UUID]) -> list[UUID]:
        """The ids that name no partner of the read model."""
        ...

    async def non_members(self, campaign_id: UUID, partner_ids: Sequence[UUID]) -> list[UUID]:
        """The ids that are not members of the campaign."""
        ...

    async def member_ids(self, campaign_id: UUID) -> list[UUID]:
        """Every member's partner id, in order."""
        ...

    async def remove_member(self, campaign_id: UUID, partner_id: UUID) -> bool:
        """Remove a member; False when it was not one."""
        ...

    async def list_members(self, campaign_id: UUID, *, limit: int, offset: int) -> tuple[list[Member], int]:
        """A page of members (by name) with their partner details, and how many there are."""
        ...

    async def member_count(self, campaign_id: UUID) -> int:
        """How many members the campaign has."""
        ...

    # -- documents of other contexts
    async def upsert_opportunities(self, opened: Sequence[Opened]) -> None:
        """Remember opportunities (one per id) in one statement; one known already keeps when it was first seen."""
        ...

    async def opportunity_campaign(self, opportunity_id: UUID | None) -> UUID | None:
        """The campaign an opportunity came from, if we know it."""
        ...

    async def upsert_cost_document(self, doc: CostDocument) -> None:
        """Remember a posted cost document."""
        ...

    async def upsert_order(self, order: Order) -> None:
        """Remember a client order (the campaign it counts for is kept)."""
        ...

    async def upsert_contract(self, contract: Contract) -> None:
        """Remember a contract (the campaign it counts for is kept)."""
        ...

    async def upsert_invoice(self, invoice: Invoice) -> None:
        """Remember an invoice."""
        ...

    async def cost_document(self, document_id: UUID) -> CostDocument | None:
        """One cost document."""
        ...

    async def order(self, order_id: UUID) -> Order | None:
        """One client order."""
        ...

    async def contract(self, contract_id: UUID) -> Contract | None:
        """One contract."""
        ...

    async def invoice(self, invoice_id: UUID) -> Invoice | None:
        """One invoice."""
        ...

    async def set_order_campaign(self, order_id: UUID, campaign_id: UUID) -> bool:
        """Give an order its campaign unless it has one; True when given now (one winner)."""
        ...

    async def set_contract_campaign(self, contract_id: UUID, campaign_id: UUID) -> bool:
        """Give a contract its campaign unless it has one; True when given now (one winner)."""
        ...

    async def unattributed_orders_of(self, opportunity_ids: Sequence[UUID]) -> list[Order]:
        """Orders that came from any of the opportunities and count for no campaign yet (oldest first)."""
        ...

    async def unattributed_contracts_of(self, opportunity_ids: Sequence[UUID]) -> list[Contract]:
        """Contracts that came from any of the opportunities and count for no campaign yet (oldest first)."""
        ...

    async def invoices_on_order(self, order_id: UUID) -> list[Invoice]:
        """The invoices issued on an order, oldest first."""
        ...

    async def invoices_on_contract(self, contract_id: UUID) -> list[Invoice]:
        """The invoices issued on a contract, oldest first."""
        ...

    # -- facts and results (M3-M6)
    async def insert_fact(self, fact: Fact, recorded_at: dt.datetime) -> bool:
        """Count a fact; False (and nothing written) when that document already counts for that measure."""
        ...

    async def fact_for(self, measure: Measure, source_id: UUID) -> Fact | None:
        """The fact a document counts as for one measure, whichever campaign it counts for."""
        ...

    async def sums(self, campaign_id: UUID, as_of: dt.date | None) -> dict[Measure, Decimal]:
        """The sum of each measure's facts that took effect on or before ``as_of`` (the return apart)."""
        ...

    async def returns_by_month(self, campaign_id: UUID, as_of: dt.date | None) -> dict[str, Decimal]:
        """The monthly return's sums by month."""
        ...

    async def list_facts(
        self, campaign_id: UUID, measure: Measure, as_of: dt.date | None, *, limit: int, offset: int
    ) -> tuple[list[Fact], int]:
        """A page of one measure's facts (by date), and how many there are."""
        ...

    # -- generated opportunities (M7)
    async def insert_requests(
        self,
        campaign_id: UUID,
        partner_ids: Sequence[UUID],
        *,
        request_id: UUID,
        owner_staff_id: UUID | None,
        now: dt.datetime,
        by: str | None,
    ) -> list[UUID]:
        """Record an opportunity request per (campaign, partner); the partners not requested before."""
        ...

    async def latest_request(self, campaign_id: UUID) -> RequestStamp | None:
        """The campaign's latest opportunity request."""
        ...

    async def mark_opened_many(self, opened: Sequence[Opened]) -> None:
        """Note each opportunity opened for a requested member that has none noted yet (the first one wins)."""
        ...

    async def request_progress(self, campaign_id: UUID) -> tuple[int, int]:
        """(requested, opened) opportunity counts of a campaign."""
        ...


class Publisher(Protocol):
    """What the campaigns context tells the others, in domain terms."""

    async def campaign_created(self, c: Campaign) -> None:
        """A new campaign."""
        ...

    async def campaign_updated(self, c: Campaign) -> None:
        """A campaign's new details."""
        ...

    async def members_added(self, campaign_id: UUID, partner_ids: Sequence[UUID], *, campaign_name: str) -> None:
        """Partners became members (the name goes with the ids: the partners' history names the campaign)."""
        ...

    async def member_removed(self, campaign_id: UUID, partner_id: UUID, *, campaign_name: str) -> None:
        """A partner is no longer a member (of the campaign so named)."""
        ...

    async def cost_attached(self, fact: Fact) -> None:
        """A cost document counts for the campaign."""
        ...

    async def order_attached(self, fact: Fact) -> None:
        """A client order counts for the campaign."""
        ...

    async def invoice_attached(self, fact: Fact, month: str) -> None:
        """An invoice counts for the campaign, in a month."""
        ...

    async def results_changed(self, r: Results) -> None:
        """The campaign's realized figures moved."""
        ...

    async def opportunities_requested(
        self,
        campaign_id: UUID,
        request_id: UUID,
        partner_ids: Sequence[UUID],
        owner_staff_id: UUID | None,
        title: str,
    ) -> None:
        """Ask opportunities to open one opportunity per partner."""
        ...
