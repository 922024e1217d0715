"""In-memory twins of the campaigns ports, for unit tests of the use cases (no database, no broker)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any
from uuid import UUID

from crm_campaigns.domain.campaigns import Campaign
from crm_campaigns.domain.documents import Contract, CostDocument, Invoice, Order
from crm_campaigns.domain.generation import Opened, RequestStamp
from crm_campaigns.domain.members import MatchCount, Member, MemberFilter, Partner, fiscal_digits, fold
from crm_campaigns.domain.results import Fact, Measure, Results
from crm_campaigns.domain.search import Search, campaign_matches, name_key
from crm_campaigns.ports import Publisher, Repository
from crm_campaigns.service_layer import UseCases
from crm_kit.testing.fakes import FakeClock, FakeUnitOfWork


@dataclass
class Request:
    """One (campaign, partner) opportunity request, and the opportunity opened for it."""

    request_id: UUID
    owner_staff_id: UUID | None
    requested_at: dt.datetime
    requested_by: str | None
    opportunity_id: UUID | None = None


def _matches(p: Partner, f: MemberFilter) -> bool:
    """The member filter over a partner, as the SQL adapter's WHERE clause reads it."""

    def in_range(value: Decimal | int | None, low: Decimal | int | None, high: Decimal | int | None) -> bool:
        if low is None and high is None:
            return True
        return value is not None and (low is None or value >= low) and (high is None or value <= high)

    return (
        p.kind in f.kinds
        and (not f.folded_name or f.folded_name in (fold(p.name) or ""))
        and (not f.fiscal or fiscal_digits(p.fiscal_code) == f.fiscal)
        and (not f.folded_locality or fold(p.locality) == f.folded_locality)
        and (not f.folded_county or fold(p.county) == f.folded_county)
        and (not f.folded_domain or fold(p.activity_domain) == f.folded_domain)
        and in_range(p.turnover, f.turnover_min, f.turnover_max)
        and in_range(p.employees, f.employees_min, f.employees_max)
    )


@dataclass
class InMemoryRepository:
    """The ``Repository`` port in dicts, with the store's one-winner rules (a fact per measure and document)."""

    campaigns: dict[UUID, Campaign] = field(default_factory=dict)
    published: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    partners: dict[UUID, Partner] = field(default_factory=dict)
    members: dict[UUID, dict[UUID, dt.datetime]] = field(default_factory=dict)
    opportunities: dict[UUID, tuple[UUID | None, dt.datetime]] = field(default_factory=dict)
    costs: dict[UUID, CostDocument] = field(default_factory=dict)
    orders: dict[UUID, Order] = field(default_factory=dict)
    contracts: dict[UUID, Contract] = field(default_factory=dict)
    invoices: dict[UUID, Invoice] = field(default_factory=dict)
    facts: dict[tuple[Measure, UUID], Fact] = field(default_factory=dict)
    requests: dict[tuple[UUID, UUID], Request] = field(default_factory=dict)

    # -- campaigns
    async def insert_campaign(self, c: Campaign, created_by: str | None) -> None:
        self.campaigns[c.id] = c

    async def update_campaign(self, c: Campaign) -> None:
        self.campaigns[c.id] = c

    async def get_campaign(self, campaign_id: UUID, *, for_update: bool = False) -> Campaign | None:
        return self.campaigns.get(campaign_id)

    async def list_campaigns(
        self, *, name: str | None, limit: int, offset: int, member: UUID | None = None
    ) -> tuple[list[Campaign], int]:
        found = [
            c
            for c in self.campaigns.values()
            if (not name or name.lower() in c.name.lower()) and (member is None or member in self.members.get(c.id, {}))
        ]
        found.sort(key=lambda c: (-c.starts_on.toordinal(), c.id))
        return found[offset : offset + limit], len(found)

    async def find_campaigns(self, q: Search) -> list[Campaign]:
        found = [c for c in self.campaigns.values() if campaign_matches(c, q)]
        found.sort(key=lambda c: (0 if name_key(c.name).startswith(q.text) else 1, -c.starts_on.toordinal()))
        return found[: q.limit]

    async def existing_campaigns(self, ids: Iterable[UUID | None]) -> set[UUID]:
        return {i for i in ids if i is not None and i in self.campaigns}

    async def published_results(self, campaign_id: UUID) -> dict[str, Any] | None:
        return self.published.get(campaign_id)

    async def set_published_results(self, campaign_id: UUID, snapshot: dict[str, Any]) -> None:
        self.published[campaign_id] = snapshot

    # -- partners and members
    async def upsert_partner(self, partner: Partner) -> None:
        self.partners[partner.partner_id] = partner

    async def add_new_partners(self, partners: Sequence[Partner]) -> None:
        for p in partners:
            self.partners.setdefault(p.partner_id, p)

    async def count_matching(self, campaign_id: UUID, f: MemberFilter) -> MatchCount:
        matching = [p.partner_id for p in self.partners.values() if _matches(p, f)]
        joined = self.members.get(campaign_id, {})
        return MatchCount(matching=len(matching), already_members=sum(1 for p in matching if p in joined))

    async def add_members_matching(
        self, campaign_id: UUID, f: MemberFilter, now: dt.datetime, by: str | None
    ) -> list[UUID]:
        matching = [p.partner_id for p in self.partners.values() if _matches(p, f)]
        return await self.add_members(campaign_id, matching, now, by)

    async def add_members(
        self, campaign_id: UUID, partner_ids: Sequence[UUID], now: dt.datetime, by: str | None
    ) -> list[UUID]:
        joined = self.members.setdefault(campaign_id, {})
        added = [p for p in dict.fromkeys(partner_ids) if p not in joined]
        joined.update(dict.fromkeys(added, now))
        return added

    async def unknown_partners(self, partner_ids: Sequence[UUID]) -> list[UUID]:
        return [p for p in dict.fromkeys(partner_ids) if p not in self.partners]

    async def non_members(self, campaign_id: UUID, partner_ids: Sequence[UUID]) -> list[UUID]:
        joined = self.members.get(campaign_id, {})
        return [p for p in dict.fromkeys(partner_ids) if p not in joined]

    async def member_ids(self, campaign_id: UUID) -> list[UUID]:
        return sorted(self.members.get(campaign_id, {}))

    async def remove_member(self, campaign_id: UUID, partner_id: UUID) -> bool:
        return self.members.get(campaign_id, {}).pop(partner_id, None) is not None

    async def list_members(self, campaign_id: UUID, *, limit: int, offset: int) -> tuple[list[Member], int]:
        rows = []
        for partner_id, added_at in self.members.get(campaign_id, {}).items():
            p = self.partners.get(partner_id)
            request = self.requests.get((campaign_id, partner_id))
            details = {} if p is None else {k: v for k, v in vars(p).items() if k != "partner_id"}
            rows.append(
                Member(
                    partner_id=partner_id,
                    added_at=added_at,
                    requested_at=request.requested_at if request else None,
                    opportunity_id=request.opportunity_id if request else None,
                    **details,
                )
            )
        rows.sort(key=lambda m: (m.name or "", m.partner_id))
        return rows[offset : offset + limit], len(rows)

    async def member_count(self, campaign_id: UUID) -> int:
        return len(self.members.get(campaign_id, {}))

    # -- documents of other contexts
    async def upsert_opportunities(self, opened: Sequence[Opened]) -> None:
        assert len({o.opportunity_id for o in opened}) == len(opened), "one row per opportunity and statement"
        for o in opened:
            first_seen = self.opportunities.get(o.opportunity_id, (None, o.at))[1]
            self.opportunities[o.opportunity_id] = (o.campaign_id, first_seen)

    async def opportunity_campaign(self, opportunity_id: UUID | None) -> UUID | None:
        found = self.opportunities.get(opportunity_id) if opportunity_id else None
        return found[0] if found else None

    async def upsert_cost_document(self, doc: CostDocument) -> None:
        self.costs[doc.document_id] = doc

    async def upsert_order(self, order: Order) -> None:
        kept = self.orders.get(order.order_id)
        self.orders[order.order_id] = replace(order, campaign_id=kept.campaign_id if kept else None)

    async def upsert_contract(self, contract: Contract) -> None:
        kept = self.contracts.get(contract.contract_id)
        self.contracts[contract.contract_id] = replace(contract, campaign_id=kept.campaign_id if kept else None)

    async def upsert_invoice(self, invoice: Invoice) -> None:
        self.invoices[invoice.invoice_id] = invoice

    async def cost_document(self, document_id: UUID) -> CostDocument | None:
        return self.costs.get(document_id)

    async def order(self, order_id: UUID) -> Order | None:
        return self.orders.get(order_id)

    async def contract(self, contract_id: UUID) -> Contract | None:
        return self.contracts.get(contract_id)

    async def invoice(self, invoice_id: UUID) -> Invoice | None:
        return self.invoices.get(invoice_id)

    async def set_order_campaign(self, order_id: UUID, campaign_id: UUID) -> bool:
        order = self.orders.get(order_id)
        if order is None or order.campaign_id is not None:
            return False
        self.orders[order_id] = replace(order, campaign_id=campaign_id)
        return True

    async def set_contract_campaign(self, contract_id: UUID, campaign_id: UUID) -> bool:
        contract = self.contracts.get(contract_id)
        if contract is None or contract.campaign_id is not None:
            return False
        self.contracts[contract_id] = replace(contract, campaign_id=campaign_id)
        return True

    async def unattributed_orders_of(self, opportunity_ids: Sequence[UUID]) -> list[Order]:
        wanted = set(opportunity_ids)
        found = [o for o in self.orders.values() if o.source_opportunity_id in wanted and o.campaign_id is None]
        return sorted(found, key=lambda o: (o.issued_on, o.order_id))

    async def unattributed_contracts_of(self, opportunity_ids: Sequence[UUID]) -> list[Contract]:
        wanted = set(opportunity_ids)
        found = [c for c in self.contracts.values() if c.source_opportunity_id in wanted and c.campaign_id is None]
        return sorted(found, key=lambda c: (c.issued_on, c.contract_id))

    async def invoices_on_order(self, order_id: UUID) -> list[Invoice]:
        return sorted((i for i in self.invoices.values() if i.order_id == order_id), key=lambda i: i.issued_on)

    async def invoices_on_contract(self, contract_id: UUID) -> list[Invoice]:
        return sorted((i for i in self.invoices.values() if i.contract_id == contract_id), key=lambda i: i.issued_on)

    # -- facts and results
    async def insert_fact(self, fact: Fact, recorded_at: dt.datetime) -> bool:
        if (fact.measure, fact.source_id) in self.facts:
            return False
        self.facts[fact.measure, fact.source_id] = fact
        return True

    async def fact_for(self, measure: Measure, source_id: UUID) -> Fact | None:
        return self.facts.get((measure, source_id))

    def _of(self, campaign_id: UUID, as_of: dt.date | None) -> list[Fact]:
        return [
            f
            for f in self.facts.values()
            if f.campaign_id == campaign_id and (as_of is None or f.effective_on <= as_of)
        ]

    async def sums(self, campaign_id: UUID, as_of: dt.date | None) -> dict[Measure, Decimal]:
        totals: dict[Measure, Decimal] = {}
        for f in self._of(campaign_id, as_of):
            if f.measure != Measure.RETURN:
                totals[f.measure] = totals.get(f.measure, Decimal(0)) + f.net
        return totals

    async def returns_by_month(self, campaign_id: UUID, as_of: dt.date | None) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for f in self._of(campaign_id, as_of):
            if f.measure == Measure.RETURN and f.month is not None:
                totals[f.month] = totals.get(f.month, Decimal(0)) + f.net
        return totals

    async def list_facts(
        self, campaign_id: UUID, measure: Measure, as_of: dt.date | None, *, limit: int, offset: int
    ) -> tuple[list[Fact], int]:
        found = sorted((f for f in self._of(campaign_id, as_of) if f.measure == measure), key=lambda f: f.effective_on)
        return found[offset : offset + limit], len(found)

    # -- generated opportunities
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
        fresh = [p for p in dict.fromkeys(partner_ids) if (campaign_id, p) not in self.requests]
        for p in fresh:
            self.requests[campaign_id, p] = Request(request_id, owner_staff_id, now, by)
        return fresh

    async def latest_request(self, campaign_id: UUID) -> RequestStamp | None:
        mine = [r for (c, _), r in self.requests.items() if c == campaign_id]
        if not mine:
            return None
        latest = max(mine, key=lambda r: r.requested_at)
        return RequestStamp(latest.requested_at, latest.requested_by)

    async def mark_opened_many(self, opened: Sequence[Opened]) -> None:
        for o in opened:
            request = self.requests.get((o.campaign_id, o.partner_id)) if o.campaign_id else None
            if request is not None and request.opportunity_id is None:
                request.opportunity_id = o.opportunity_id

    async def request_progress(self, campaign_id: UUID) -> tuple[int, int]:
        mine = [r for (c, _), r in self.requests.items() if c == campaign_id]
        return len(mine), sum(1 for r in mine if r.opportunity_id is not None)


@dataclass
class FakePublisher:
    """The ``Publisher`` port as a list of what the use cases said: ``("cost_attached", fact)``."""

    calls: list[tuple[str, Any]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    """The campaign name each members_added / member_removed named."""

    async def campaign_created(self, c: Campaign) -> None:
        self.calls.append(("campaign_created", c))

    async def campaign_updated(self, c: Campaign) -> None:
        self.calls.append(("campaign_updated", c))

    async def members_added(self, campaign_id: UUID, partner_ids: Sequence[UUID], *, campaign_name: str) -> None:
        self.calls.append(("members_added", list(partner_ids)))
        self.names.append(campaign_name)

    async def member_removed(self, campaign_id: UUID, partner_id: UUID, *, campaign_name: str) -> None:
        self.calls.append(("member_removed", partner_id))
        self.names.append(campaign_name)

    async def cost_attached(self, fact: Fact) -> None:
        self.calls.append(("cost_attached", fact))

    async def order_attached(self, fact: Fact) -> None:
        self.calls.append(("order_attached", fact))

    async def invoice_attached(self, fact: Fact, month: str) -> None:
        self.calls.append(("invoice_attached", (fact, month)))

    async def results_changed(self, r: Results) -> None:
        self.calls.append(("results_changed", r))

    async def opportunities_requested(
        self,
        campaign_id: UUID,
        request_id: UUID,
        partner_ids: Sequence[UUID],
        owner_staff_id: UUID | None,
        title: str,
    ) -> None:
        self.calls.append(("opportunities_requested", (list(partner_ids), title)))

    def said(self) -> list[str]:
        """What was published, in order, by name."""
        return [name for name, _ in self.calls]

    def of(self, name: str) -> list[Any]:
        """The arguments of every call of one kind."""
        return [arg for said, arg in self.calls if said == name]


NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@dataclass
class World:
    """Use cases on fakes, with the fakes at hand to arrange and to look at."""

    repo: InMemoryRepository
    publisher: FakePublisher
    clock: FakeClock
    uow: FakeUnitOfWork[Repository, Publisher]
    uses: UseCases


def world(chunk: int = 500) -> World:
    """Fresh fakes, a clock at ``NOW``, and the use cases on them (``chunk`` partners per opportunities request)."""
    repo, publisher, clock = InMemoryRepository(), FakePublisher(), FakeClock(NOW)
    uow = FakeUnitOfWork[Repository, Publisher](repo, publisher, clock)
    return World(repo, publisher, clock, uow, UseCases(uow, chunk=chunk))
