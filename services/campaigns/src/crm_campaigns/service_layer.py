"""The campaigns use cases: each command opens a unit of work, loads, asks the domain, saves and publishes.

Controllers and subscribers call the same methods (one per request or event); inside an event handler the
unit of work joins the handler's transaction, and its time is the event's. Every document counts at most
once per measure, whichever edge sees it first (the store's unique key (measure, document) enforces it);
when a unit of work counted something, the campaign's realized figures are published if they moved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from crm_campaigns.domain import attribution
from crm_campaigns.domain.campaigns import Campaign, amend, new_campaign, parse_month
from crm_campaigns.domain.documents import Contract, CostDocument, Invoice, Order
from crm_campaigns.domain.generation import Opened, Progress, all_requested, check_members, chunks, once_each
from crm_campaigns.domain.members import MatchCount, Member, MemberFilter, Partner, check_known
from crm_campaigns.domain.results import Fact, Measure, Results, Via, campaign_of_document, results
from crm_campaigns.domain.search import search
from crm_campaigns.ports import Publisher, Repository
from crm_kit.errors import NotFound
from crm_kit.ids import new_id
from crm_kit.unit_of_work import UnitOfWork, Work

# -- commands -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateCampaign:
    """Create a campaign (M1)."""

    name: str
    starts_on: dt.date
    ends_on: dt.date
    by: str | None
    objective: str | None = None
    segment: str | None = None
    estimated_cost: Decimal = Decimal(0)
    estimated_revenue: Decimal = Decimal(0)
    return_months: int = 12


@dataclass(frozen=True)
class ChangeCampaign:
    """Change some of a campaign's details (M1): ``changes`` names the fields and their new values."""

    campaign_id: UUID
    changes: dict[str, Any]


@dataclass(frozen=True)
class AddMembers:
    """Make partners members of a campaign, by their ids or by a filter (M2)."""

    campaign_id: UUID
    by: str | None
    partner_ids: tuple[UUID, ...] = ()
    filter: MemberFilter | None = None


@dataclass(frozen=True)
class RemoveMember:
    """Remove a partner from a campaign's members (M2)."""

    campaign_id: UUID
    partner_id: UUID


@dataclass(frozen=True)
class AttachCost:
    """Count a cost document the ERP posted as the campaign's cost (M3)."""

    campaign_id: UUID
    cost_document_id: UUID


@dataclass(frozen=True)
class AttachOrder:
    """Count a client order as the campaign's revenue, with its invoices (M4)."""

    campaign_id: UUID
    order_id: UUID


@dataclass(frozen=True)
class AttachReturn:
    """Count an invoice in the campaign's return of a month (M5); ``month`` is ``YYYY-MM``."""

    campaign_id: UUID
    invoice_id: UUID
    month: str


@dataclass(frozen=True)
class GenerateOpportunities:
    """Ask for one opportunity per chosen member (or every member), once per member ever (M7)."""

    campaign_id: UUID
    by: str | None
    partner_ids: tuple[UUID, ...] = ()
    all_members: bool = False
    owner_staff_id: UUID | None = None
    title: str | None = None


@dataclass(frozen=True)
class KeepPartner:
    """Remember a partner as the directory published it (member selection looks at it)."""

    partner: Partner


@dataclass(frozen=True)
class RecordOpportunity:
    """Record an opportunity opened (maybe for a campaign's member)."""

    opportunity_id: UUID
    partner_id: UUID
    campaign_id: UUID | None
    title: str | None
    at: dt.datetime | None = None
    """When it opened (its event's time); the unit of work's time when not given."""


@dataclass(frozen=True)
class RecordCostDocument:
    """Record a cost document the ERP posted (it counts when it names one of our campaigns)."""

    document: CostDocument


@dataclass(frozen=True)
class RecordOrder:
    """Record a client order the ERP placed (it counts for its campaign, named or through its opportunity)."""

    order: Order


@dataclass(frozen=True)
class RecordContract:
    """Record a contract signed in the ERP (it counts for its campaign, named or through its opportunity)."""

    contract: Contract


@dataclass(frozen=True)
class RecordInvoice:
    """Record an invoice the ERP issued (it counts where its order or contract counts)."""

    invoice: Invoice


# -- results ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MembersAdded:
    """The partners that became members now (sorted), and how many members there are."""

    added: list[UUID]
    member_count: int


@dataclass(frozen=True)
class Generation:
    """What a generation asked for: the partners requested now, those requested before, its requests."""

    requested: list[UUID]
    already_requested: int
    request_ids: list[UUID]
    progress: Progress


@dataclass(frozen=True)
class Overview:
    """A campaign with its members and opportunities' progress."""

    campaign: Campaign
    progress: Progress


@dataclass(frozen=True)
class FactPage:
    """A page of one measure's facts, how many there are and their sum."""

    items: list[Fact]
    total: int
    sum: Decimal


Unit = Work[Repository, Publisher]
T = TypeVar("T")


class UseCases:
    """The campaigns use cases, shared by the HTTP API and the event subscribers.

    Args:
        uow: opens units of work (the store and the outbox, or in-memory fakes).
        chunk: the most partners one opportunities request (one event) carries.
    """

    def __init__(self, uow: UnitOfWork[Repository, Publisher], *, chunk: int = 500) -> None:
        self.uow = uow
        self.chunk = chunk

    # -- campaigns (M1) -----------------------------------------------------------------------------------

    async def create(self, cmd: CreateCampaign) -> Campaign:
        """Create a campaign.

        Raises:
            Invalid: a blank name, an end before the start, a bad estimate or return validity.
        """
        async with self.uow() as work:
            campaign = new_campaign(
                new_id(),
                name=cmd.name,
                starts_on=cmd.starts_on,
                ends_on=cmd.ends_on,
                objective=cmd.objective,
                segment=cmd.segment,
                estimated_cost=cmd.estimated_cost,
                estimated_revenue=cmd.estimated_revenue,
                return_months=cmd.return_months,
                now=work.now,
            )
            await work.repo.insert_campaign(campaign, cmd.by)
            await work.publisher.campaign_created(campaign)
            return campaign

    async def change(self, cmd: ChangeCampaign) -> Campaign:
        """Change a campaign's details; its results are published again when they move (a new return window).

        Raises:
            NotFound: no such campaign.
            Invalid: a field that cannot change, or a campaign that breaks a rule.
        """
        async with self.uow() as work:
            campaign = amend(await _campaign(work.repo, cmd.campaign_id, for_update=True), cmd.changes, work.now)
            await work.repo.update_campaign(campaign)
            await work.publisher.campaign_updated(campaign)
            await _Ledger(work, touched={campaign.id}).finish()
            return campaign

    # -- members (M2) -------------------------------------------------------------------------------------

    async def add_members(self, cmd: AddMembers) -> MembersAdded:
        """Make partners members, by a filter or by their ids (all of them known to the directory).

        Raises:
            NotFound: no such campaign.
            Invalid: ids that name no partner of the directory.
        """
        async with self.uow() as work:
            repo = work.repo
            campaign = await _campaign(repo, cmd.campaign_id, for_update=True)
            if cmd.filter is not None:
                added = await repo.add_members_matching(cmd.campaign_id, cmd.filter, work.now, cmd.by)
            else:
                check_known(await repo.unknown_partners(cmd.partner_ids))
                added = await repo.add_members(cmd.campaign_id, cmd.partner_ids, work.now, cmd.by)
            added.sort()
            await work.publisher.members_added(cmd.campaign_id, added, campaign_name=campaign.name)
        async with self.uow.reading() as reader:
            return MembersAdded(added, await reader.member_count(cmd.campaign_id))

    async def remove_member(self, cmd: RemoveMember) -> None:
        """Remove a member.

        Raises:
            NotFound: no such campaign, or the partner is not a member.
        """
        async with self.uow() as work:
            campaign = await _campaign(work.repo, cmd.campaign_id, for_update=True)
            if not await work.repo.remove_member(cmd.campaign_id, cmd.partner_id):
                raise NotFound(f"partner {cmd.partner_id} is not a member of this campaign", code="record.not_found")
            await work.publisher.member_removed(cmd.campaign_id, cmd.partner_id, campaign_name=campaign.name)

    # -- documents users attach (M3-M5) -----------------------------------------------------------------------

    async def attach_cost(self, cmd: AttachCost) -> Fact:
        """Count a cost document as the campaign's realized cost.

        Raises:
            NotFound: no such campaign, or the ERP has not posted the document yet.
            Invalid: the document is not a marketing cost.
            Conflict: it counts for another campaign.
        """
        async with self.uow() as work:
            repo = work.repo
            await _campaign(repo, cmd.campaign_id, for_update=True)
            doc = await repo.cost_document(cmd.cost_document_id)
            if doc is None:
                raise NotFound(
                    f"cost document {cmd.cost_document_id} is not known yet; it appears once the ERP posts it",
                    code="record.not_found",
                )
            attribution.check_cost_kind(doc)
            what = "cost document"
            attribution.check_not_elsewhere(await repo.fact_for(Measure.COST, doc.document_id), cmd.campaign_id, what)
            ledger = _Ledger(work)
            await ledger.count_cost(doc, cmd.campaign_id, Via.ATTACHED)
            await ledger.finish()
            counted = await repo.fact_for(Measure.COST, doc.document_id)
            return attribution.check_counted_here(counted, cmd.campaign_id, what)

    async def attach_order(self, cmd: AttachOrder) -> Fact:
        """Count a client order as the campaign's accepted revenue, with the invoices already issued on it.

        Raises:
            NotFound: no such campaign, or the ERP has not placed the order yet.
            Conflict: it counts for another campaign.
        """
        async with self.uow() as work:
            repo = work.repo
            await _campaign(repo, cmd.campaign_id, for_update=True)
            order = await repo.order(cmd.order_id)
            if order is None:
                raise NotFound(
                    f"client order {cmd.order_id} is not known yet; it appears once the ERP places it",
                    code="record.not_found",
                )
            what = "client order"
            existing = await repo.fact_for(Measure.ACCEPTED, order.order_id)
            attribution.check_not_elsewhere(existing, cmd.campaign_id, what)
            ledger = _Ledger(work)
            await ledger.attribute_order(order, cmd.campaign_id, Via.ATTACHED)
            await ledger.finish()
            counted = await repo.fact_for(Measure.ACCEPTED, order.order_id)
            return attribution.check_counted_here(counted, cmd.campaign_id, what)

    async def attach_return(self, cmd: AttachReturn) -> Fact:
        """Count an invoice in the campaign's return of a month (and in its invoiced revenue).

        The invoice's subscription contract, when it counts for no campaign yet, joins this one: its other
        invoices count in their months' return, and so do the next ones when the ERP issues them (M5).

        Raises:
            NotFound: no such campaign, or the ERP has not issued the invoice yet.
            Invalid: not a month, or one outside the campaign's return months.
            Conflict: the invoice counts for another campaign, or in another month.
        """
        month = parse_month(cmd.month)
        async with self.uow() as work:
            repo = work.repo
            campaign = await _campaign(repo, cmd.campaign_id, for_update=True)
            attribution.check_return_month(campaign, month)
            invoice = await repo.invoice(cmd.invoice_id)
            if invoice is None:
                raise NotFound(
                    f"invoice {cmd.invoice_id} is not known yet; it appears once the ERP issues it",
                    code="record.not_found",
                )
            existing = await repo.fact_for(Measure.INVOICED, invoice.invoice_id)
            attribution.check_not_elsewhere(existing, cmd.campaign_id, "invoice")
            attribution.check_one_return_month(
                await repo.fact_for(Measure.RETURN, invoice.invoice_id), month, invoice.number
            )
            ledger = _Ledger(work)
            await ledger.count_invoice(invoice, cmd.campaign_id, Via.ATTACHED, subscription=True, month=month)
            contract = await repo.contract(invoice.contract_id) if invoice.contract_id is not None else None
            if contract is not None and attribution.joins_with_its_invoice(contract):
                # its other invoices count now, and the next ones as they are issued (M5, automatic)
                await ledger.attribute_contract(contract, cmd.campaign_id, Via.ATTACHED)
            await ledger.finish()
            counted = await repo.fact_for(Measure.RETURN, invoice.invoice_id)
            return attribution.check_counted_here(counted, cmd.campaign_id, "invoice")

    # -- generated opportunities (M7) -------------------------------------------------------------------------

    async def generate_opportunities(self, cmd: GenerateOpportunities) -> Generation:
        """Ask opportunities for one opportunity per member not requested before, in requests of ``chunk``.

        Raises:
            NotFound: no such campaign.
            Invalid: chosen partners that are not members.
            Conflict: every chosen member was requested before (by this request's twin, too).
        """
        async with self.uow() as work:
            repo = work.repo
            campaign = await _campaign(repo, cmd.campaign_id, for_update=True)
            if cmd.all_members:
                wanted = await repo.member_ids(cmd.campaign_id)
            else:
                wanted = list(dict.fromkeys(cmd.partner_ids))
                check_members(await repo.non_members(cmd.campaign_id, wanted))
            requested: list[UUID] = []
            request_ids: list[UUID] = []
            for chunk in chunks(wanted, self.chunk):
                request_id = new_id()
                fresh = await repo.insert_requests(
                    cmd.campaign_id,
                    chunk,
                    request_id=request_id,
                    owner_staff_id=cmd.owner_staff_id,
                    now=work.now,
                    by=cmd.by,
                )
                if fresh:
                    title = cmd.title or campaign.name
                    await work.publisher.opportunities_requested(
                        cmd.campaign_id, request_id, fresh, cmd.owner_staff_id, title
                    )
                    request_ids.append(request_id)
                    requested += fresh
            if wanted and not requested:
                raise all_requested(len(wanted), await repo.latest_request(cmd.campaign_id))
        return Generation(requested, len(wanted) - len(requested), request_ids, await self.progress(cmd.campaign_id))

    # -- what other contexts tell us -----------------------------------------------------------------------

    async def partner_changed(self, cmd: KeepPartner) -> None:
        """Keep the partner directory's view for member selection (M2)."""
        async with self.uow() as work:
            await work.repo.upsert_partner(cmd.partner)

    async def partners_registered(self, cmds: Sequence[KeepPartner]) -> None:
        """Keep newly registered partners (a CSV import brings 100,000), in one statement.

        A partner already known keeps what it has: a later change of it may have arrived first, and a
        replayed registration must not undo it.
        """
        async with self.uow() as work:
            await work.repo.add_new_partners(list({c.partner.partner_id: c.partner for c in cmds}.values()))

    async def opportunity_opened(self, cmd: RecordOpportunity) -> None:
        """An opportunity opened: a campaign's request is fulfilled, and what came from it before counts now."""
        await self.opportunities_opened([cmd])

    async def opportunities_opened(self, cmds: Sequence[RecordOpportunity]) -> None:
        """Opportunities opened (a batch of their events), as one ``opportunity_opened`` each, in a few statements.

        M7 opens 10,000 opportunities at once: the read model takes them in one upsert, the members'
        requests are noted opened in one executemany, and the orders and contracts that arrived before
        their opportunity are found with one query each, then counted opportunity by opportunity in the
        events' order, as one event at a time would. An event seen twice counts once (the first opportunity
        noted for a request stays, a document counts once). Each touched campaign's results are published
        once, after the whole batch.
        """
        async with self.uow() as work:
            repo = work.repo
            opened = [Opened(c.opportunity_id, c.partner_id, c.campaign_id, c.title, c.at or work.now) for c in cmds]
            await repo.upsert_opportunities(once_each(opened))
            known = await repo.existing_campaigns(o.campaign_id for o in opened)
            ours = [(o, o.campaign_id) for o in opened if o.campaign_id is not None and o.campaign_id in known]
            if not ours:
                return
            await repo.mark_opened_many([o for o, _ in ours])
            ledger = _Ledger(work)
            await ledger.attribute_from_opportunities([(o.opportunity_id, campaign_id) for o, campaign_id in ours])
            await ledger.finish()

    async def cost_posted(self, cmd: RecordCostDocument) -> None:
        """A cost document was posted: it counts for the campaign it names, when it is a marketing cost (M3)."""
        async with self.uow() as work:
            repo = work.repo
            await repo.upsert_cost_document(cmd.document)
            known = await repo.existing_campaigns([cmd.document.campaign_id])
            campaign_id = attribution.posted_cost_campaign(cmd.document, known)
            if campaign_id is None:
                return
            ledger = _Ledger(work)
            await ledger.count_cost(
                await _stored(repo.cost_document, cmd.document.document_id), campaign_id, Via.DOCUMENT
            )
            await ledger.finish()

    async def order_placed(self, cmd: RecordOrder) -> None:
        """A client order was placed: it counts for its campaign, named or through its opportunity (M4)."""
        async with self.uow() as work:
            await work.repo.upsert_order(cmd.order)
            ledger = _Ledger(work)
            found = await ledger.campaign_of(cmd.order.source_campaign_id, cmd.order.source_opportunity_id)
            if found is None:
                return
            await ledger.attribute_order(await _stored(work.repo.order, cmd.order.order_id), *found)
            await ledger.finish()

    async def contract_signed(self, cmd: RecordContract) -> None:
        """A contract was signed: it results from its campaign, named or through its opportunity (M4, M5).

        A subscription with neither joins the campaign a user already counted one of its invoices in (M5).
        """
        async with self.uow() as work:
            await work.repo.upsert_contract(cmd.contract)
            ledger = _Ledger(work)
            found = await ledger.campaign_of(cmd.contract.source_campaign_id, cmd.contract.source_opportunity_id)
            if found is None and cmd.contract.is_subscription:
                found = await ledger.campaign_of_counted_invoices(cmd.contract.contract_id)
            if found is None:
                return
            await ledger.attribute_contract(await _stored(work.repo.contract, cmd.contract.contract_id), *found)
            await ledger.finish()

    async def invoice_issued(self, cmd: RecordInvoice) -> None:
        """An invoice was issued: it counts where its order or contract counts (M4, M5)."""
        async with self.uow() as work:
            repo = work.repo
            await repo.upsert_invoice(cmd.invoice)
            invoice = await _stored(repo.invoice, cmd.invoice.invoice_id)
            order = await repo.order(invoice.order_id) if invoice.order_id is not None else None
            contract = await repo.contract(invoice.contract_id) if invoice.contract_id is not None else None
            ledger = _Ledger(work)
            for campaign_id, via, subscription in attribution.invoice_campaigns(order, contract):
                await ledger.count_invoice(invoice, campaign_id, via, subscription=subscription)
            await ledger.finish()

    # -- queries ------------------------------------------------------------------------------------------

    async def campaigns(
        self, *, name: str | None, limit: int, offset: int, member: UUID | None = None
    ) -> tuple[list[Campaign], int]:
        """A page of campaigns whose name contains ``name`` (and, with ``member``, that partner is in), and how many."""
        async with self.uow.reading() as repo:
            return await repo.list_campaigns(name=name, limit=limit, offset=offset, member=member)

    async def search_campaigns(self, query: str | None, *, limit: int = 20) -> list[Campaign]:
        """The campaign picker: at most ``limit`` campaigns matching ``query`` (``search.campaign_matches``).

        A name matches when it has a word starting with each word of the query, accents and case ignored;
        a blank query finds nothing.

        Raises:
            Invalid: a query too long, a limit out of bounds.
        """
        q = search(query, limit)
        if q.blank:
            return []
        async with self.uow.reading() as repo:
            return await repo.find_campaigns(q)

    async def overview(self, campaign_id: UUID) -> Overview:
        """A campaign with its members' and opportunities' progress.

        Raises:
            NotFound: no such campaign.
        """
        async with self.uow.reading() as repo:
            return Overview(await _campaign(repo, campaign_id), await _progress(repo, campaign_id))

    async def preview(self, campaign_id: UUID, f: MemberFilter) -> MatchCount:
        """How many partners a filter selects, and how many of them are members already.

        Raises:
            NotFound: no such campaign.
        """
        async with self.uow.reading() as repo:
            await _campaign(repo, campaign_id)
            return await repo.count_matching(campaign_id, f)

    async def members(self, campaign_id: UUID, *, limit: int, offset: int) -> tuple[list[Member], int]:
        """A page of members with their partner details, and how many there are.

        Raises:
            NotFound: no such campaign.
        """
        async with self.uow.reading() as repo:
            await _campaign(repo, campaign_id)
            return await repo.list_members(campaign_id, limit=limit, offset=offset)

    async def facts(
        self, campaign_id: UUID, measure: Measure, as_of: dt.date | None, *, limit: int, offset: int
    ) -> FactPage:
        """A page of one measure's facts that took effect on or before ``as_of``, and their sum.

        Raises:
            NotFound: no such campaign.
        """
        async with self.uow.reading() as repo:
            await _campaign(repo, campaign_id)
            items, total = await repo.list_facts(campaign_id, measure, as_of, limit=limit, offset=offset)
            if measure == Measure.RETURN:
                net = sum((await repo.returns_by_month(campaign_id, as_of)).values(), Decimal(0))
            else:
                net = (await repo.sums(campaign_id, as_of)).get(measure, Decimal(0))
            return FactPage(items, total, net)

    async def results(self, campaign_id: UUID, as_of: dt.date | None) -> Results:
        """Estimated against realized figures, monthly return and ROI, as of a date (M6).

        Raises:
            NotFound: no such campaign.
        """
        async with self.uow.reading() as repo:
            return await _results(repo, await _campaign(repo, campaign_id), as_of)

    async def progress(self, campaign_id: UUID) -> Progress:
        """The campaign's members, and the opportunities requested and opened for them (M7).

        Raises:
            NotFound: no such campaign.
        """
        async with self.uow.reading() as repo:
            await _campaign(repo, campaign_id)
            return await _progress(repo, campaign_id)


@dataclass
class _Ledger:
    """Counting inside one unit of work: facts added as documents count, results refreshed at the end."""

    work: Unit
    touched: set[UUID] = field(default_factory=set)

    async def count_cost(self, doc: CostDocument, campaign_id: UUID, via: Via) -> bool:
        """Count a cost document as realized cost; False when it counted already."""
        fact = attribution.cost_fact(doc, campaign_id, via)
        if not await self.work.repo.insert_fact(fact, self.work.now):
            return False
        await self.work.publisher.cost_attached(fact)
        self.touched.add(campaign_id)
        return True

    async def attribute_order(self, order: Order, campaign_id: UUID, via: Via) -> bool:
        """Give the order its campaign (once) as accepted revenue, then count the invoices already on it."""
        repo = self.work.repo
        if not await repo.set_order_campaign(order.order_id, campaign_id):
            return False
        fact = attribution.order_fact(order, campaign_id, via)
        await repo.insert_fact(fact, self.work.now)
        await self.work.publisher.order_attached(fact)
        self.touched.add(campaign_id)
        for invoice in await repo.invoices_on_order(order.order_id):
            await self.count_invoice(invoice, campaign_id, Via.ORDER, subscription=False)
        return True

    async def attribute_contract(self, contract: Contract, campaign_id: UUID, via: Via) -> bool:
        """Give the contract its campaign (once), then count the invoices already on it."""
        repo = self.work.repo
        if not await repo.set_contract_campaign(contract.contract_id, campaign_id):
            return False
        self.touched.add(campaign_id)
        for invoice in await repo.invoices_on_contract(contract.contract_id):
            await self.count_invoice(invoice, campaign_id, Via.CONTRACT, subscription=contract.is_subscription)
        return True

    async def count_invoice(
        self, invoice: Invoice, campaign_id: UUID, via: Via, *, subscription: bool, month: str | None = None
    ) -> bool:
        """Count an invoice as invoiced revenue and, for a subscription, in its month's return."""
        counted_month = month or attribution.counted_month(invoice)
        invoiced, returned = attribution.invoice_facts(
            invoice, campaign_id, via, subscription=subscription, month=counted_month
        )
        repo, now = self.work.repo, self.work.now
        added = await repo.insert_fact(invoiced, now)
        if returned is not None:
            added = await repo.insert_fact(returned, now) or added
        if added:
            await self.work.publisher.invoice_attached(invoiced, counted_month)
            self.touched.add(campaign_id)
        return added

    async def attribute_from_opportunities(self, opened: Sequence[tuple[UUID, UUID]]) -> None:
        """Orders and contracts that arrived before their opportunities (opportunity, campaign) did: count them now.

        The documents are looked up for all the opportunities at once, then counted opportunity by
        opportunity in the given order, so the outcome is that of one opportunity at a time.
        """
        repo = self.work.repo
        ids = [opportunity_id for opportunity_id, _ in opened]
        orders = await repo.unattributed_orders_of(ids)
        contracts = await repo.unattributed_contracts_of(ids)
        if not orders and not contracts:
            return
        known = await repo.existing_campaigns(
            [o.source_campaign_id for o in orders] + [c.source_campaign_id for c in contracts]
        )
        orders_of: dict[UUID | None, list[Order]] = {}
        for order in orders:
            orders_of.setdefault(order.source_opportunity_id, []).append(order)
        contracts_of: dict[UUID | None, list[Contract]] = {}
        for contract in contracts:
            contracts_of.setdefault(contract.source_opportunity_id, []).append(contract)
        for opportunity_id, campaign_id in opened:
            for order in orders_of.get(opportunity_id, []):
                if attribution.opportunity_takes(order.source_campaign_id, known):
                    await self.attribute_order(order, campaign_id, Via.OPPORTUNITY)
            for contract in contracts_of.get(opportunity_id, []):
                if attribution.opportunity_takes(contract.source_campaign_id, known):
                    await self.attribute_contract(contract, campaign_id, Via.OPPORTUNITY)

    async def campaign_of(
        self, source_campaign_id: UUID | None, source_opportunity_id: UUID | None
    ) -> tuple[UUID, Via] | None:
        """The campaign a client order or contract belongs to (see ``campaign_of_document``)."""
        repo = self.work.repo
        opportunity_campaign = await repo.opportunity_campaign(source_opportunity_id)
        known = await repo.existing_campaigns([source_campaign_id, opportunity_campaign])
        return campaign_of_document(source_campaign_id, opportunity_campaign, known)

    async def campaign_of_counted_invoices(self, contract_id: UUID) -> tuple[UUID, Via] | None:
        """The campaign whose return counts an invoice of the contract already (``campaign_of_counted_invoices``)."""
        repo = self.work.repo
        returns: list[Fact] = []
        for invoice in await repo.invoices_on_contract(contract_id):
            fact = await repo.fact_for(Measure.RETURN, invoice.invoice_id)
            if fact is not None:
                returns.append(fact)
        campaign_id = attribution.campaign_of_counted_invoices(returns)
        return None if campaign_id is None else (campaign_id, Via.ATTACHED)

    async def finish(self) -> None:
        """Publish the results of every touched campaign whose realized figures moved."""
        repo = self.work.repo
        for campaign_id in sorted(self.touched):
            campaign = await repo.get_campaign(campaign_id)
            if campaign is None:
                continue
            current = await _results(repo, campaign, None)
            snapshot = current.snapshot()
            if snapshot != await repo.published_results(campaign_id):
                await repo.set_published_results(campaign_id, snapshot)
                await self.work.publisher.results_changed(current)
        self.touched.clear()


async def _campaign(repo: Repository, campaign_id: UUID, *, for_update: bool = False) -> Campaign:
    campaign = await repo.get_campaign(campaign_id, for_update=for_update)
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id}", code="record.not_found")
    return campaign


async def _progress(repo: Repository, campaign_id: UUID) -> Progress:
    requested, opened = await repo.request_progress(campaign_id)
    return Progress(members=await repo.member_count(campaign_id), requested=requested, opened=opened)


async def _results(repo: Repository, campaign: Campaign, as_of: dt.date | None) -> Results:
    """The campaign's figures from the facts that took effect on or before ``as_of`` (all when None)."""
    return results(
        campaign, await repo.sums(campaign.id, as_of), await repo.returns_by_month(campaign.id, as_of), as_of
    )


async def _stored(load: Callable[[UUID], Awaitable[T | None]], key: UUID) -> T:
    """The record just saved in this unit of work (a read model row as the store keeps it)."""
    found = await load(key)
    if found is None:
        raise RuntimeError(f"{key} vanished inside its own transaction")
    return found
