"""The /api/campaigns routes: campaigns, members, costs, revenues, returns, results, opportunities."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, SkipValidation
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_campaigns.api.schemas import (
    CampaignIn,
    CampaignPatch,
    CostIn,
    MembersIn,
    OpportunitiesIn,
    PreviewIn,
    ReturnIn,
    RevenueIn,
)
from crm_campaigns.domain.campaigns import Campaign, amend, new_campaign, parse_month
from crm_campaigns.domain.results import COST_KINDS, Measure, Results, Via
from crm_campaigns.events.publisher import Publisher
from crm_campaigns.ledger import Counting, campaign_results
from crm_campaigns.store import repository as repo
from crm_campaigns.store.tables import cost_documents, invoices, orders
from crm_kit.errors import Conflict, Invalid, NotFound
from crm_kit.identity import Identity, requires_role
from crm_kit.ids import new_id
from crm_kit.pagination import Limit, Offset
from crm_kit.service import Service

AsOf = Annotated[dt.date | None, Parameter(description="Count only facts that took effect on or before this date.")]

WRITERS = [requires_role("admin", "manager")]


class Store:
    """What the routes need from the service: its database, outbox, clock and event chunk size."""

    def __init__(self, service: Service, chunk: int, clock: Callable[[], dt.datetime]) -> None:
        self.service = service
        self.chunk = chunk
        self.clock = clock

    @asynccontextmanager
    async def write(self) -> AsyncIterator[tuple[AsyncConnection, Publisher, dt.datetime]]:
        """A transaction with a publisher into the outbox: the state and its events commit together."""
        now = self.clock()
        async with self.service.db.transaction() as conn:

            async def emit(event: Any) -> Any:
                return await self.service.outbox.add(conn, event, now=now)

            yield conn, Publisher(emit, self.chunk), now

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.service.db.read() as conn:
            yield conn


StoreDep = NamedDependency[SkipValidation[Store]]
IdentityDep = NamedDependency[Identity]


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def campaign_json(c: Campaign) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "name": c.name,
        "starts_on": c.starts_on.isoformat(),
        "ends_on": c.ends_on.isoformat(),
        "objective": c.objective,
        "segment": c.segment,
        "estimated_cost": money(c.estimated_cost),
        "estimated_revenue": money(c.estimated_revenue),
        "return_months": c.return_months,
        "created_at": c.created_at.isoformat(),
        "updated_at": c.updated_at.isoformat(),
    }


def results_json(r: Results) -> dict[str, Any]:
    return {
        "campaign_id": str(r.campaign_id),
        "estimated_cost": money(r.estimated_cost),
        "estimated_revenue": money(r.estimated_revenue),
        "realized_cost": money(r.realized_cost),
        "accepted_revenue": money(r.accepted_revenue),
        "invoiced_revenue": money(r.invoiced_revenue),
        "monthly_return": [{"month": m.month, "value": money(m.value)} for m in r.monthly_return],
        "roi": None if r.roi is None else str(r.roi),
        "as_of": None if r.as_of is None else r.as_of.isoformat(),
    }


def fact_json(row: Any) -> dict[str, Any]:
    return {
        "document_id": str(row.source_id),
        "kind": row.source_kind,
        "number": row.number,
        "partner_id": None if row.partner_id is None else str(row.partner_id),
        "net": money(row.net),
        "effective_on": row.effective_on.isoformat(),
        "month": row.month,
        "via": row.via,
    }


async def _campaign(conn: AsyncConnection, campaign_id: UUID, *, for_update: bool = False) -> Campaign:
    campaign = await repo.get_campaign(conn, campaign_id, for_update=for_update)
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id}")
    return campaign


async def _progress(conn: AsyncConnection, campaign_id: UUID) -> dict[str, int]:
    requested, opened = await repo.request_progress(conn, campaign_id)
    return {
        "members": await repo.member_count(conn, campaign_id),
        "requested": requested,
        "opened": opened,
        "pending": requested - opened,
    }


class CampaignController(Controller):
    """Marketing campaigns (M1-M7)."""

    path = "/api/campaigns"
    tags = ["campaigns"]

    # --- M1 -----------------------------------------------------------------------------------------------

    @post("/", guards=WRITERS, summary="Create a campaign (M1)")
    async def create(self, store: StoreDep, identity: IdentityDep, data: JSONBody[CampaignIn]) -> dict[str, Any]:
        async with store.write() as (conn, pub, now):
            campaign = new_campaign(new_id(), now=now, **data.model_dump())
            await repo.insert_campaign(conn, campaign, identity.username)
            await pub.campaign_created(campaign)
        return campaign_json(campaign)

    @get("/", summary="List campaigns")
    async def list(
        self, store: StoreDep, name: FromQuery[str | None] = None, limit: Limit = 50, offset: Offset = 0
    ) -> dict[str, Any]:
        async with store.read() as conn:
            items, total = await repo.list_campaigns(conn, name=name, limit=limit, offset=offset)
        return {"items": [campaign_json(c) for c in items], "total": total}

    @get("/{campaign_id:uuid}", summary="One campaign")
    async def one(self, store: StoreDep, campaign_id: FromPath[UUID]) -> dict[str, Any]:
        async with store.read() as conn:
            campaign = await _campaign(conn, campaign_id)
            progress = await _progress(conn, campaign_id)
        return {**campaign_json(campaign), "member_count": progress["members"], "opportunities": progress}

    @patch("/{campaign_id:uuid}", guards=WRITERS, summary="Change a campaign (M1)")
    async def change(
        self, store: StoreDep, campaign_id: FromPath[UUID], data: JSONBody[CampaignPatch]
    ) -> dict[str, Any]:
        changes = data.changes()
        async with store.write() as (conn, pub, now):
            campaign = amend(await _campaign(conn, campaign_id, for_update=True), changes, now)
            await repo.update_campaign(conn, campaign)
            await pub.campaign_updated(campaign)
            work = Counting(conn, pub, now, touched={campaign_id})
            await work.finish()
        return campaign_json(campaign)

    # --- M2 -----------------------------------------------------------------------------------------------

    @post(
        "/{campaign_id:uuid}/members/preview",
        status_code=HTTP_200_OK,
        summary="Count the partners a filter selects (M2)",
    )
    async def preview(self, store: StoreDep, campaign_id: FromPath[UUID], data: JSONBody[PreviewIn]) -> dict[str, Any]:
        member_filter = data.filter.to_domain()
        async with store.read() as conn:
            await _campaign(conn, campaign_id)
            count = await repo.count_matching(conn, campaign_id, member_filter)
        return {"matching": count.matching, "already_members": count.already_members, "would_add": count.would_add}

    @post("/{campaign_id:uuid}/members", guards=WRITERS, summary="Add members by ids or by a filter (M2)")
    async def add_members(
        self, store: StoreDep, identity: IdentityDep, campaign_id: FromPath[UUID], data: JSONBody[MembersIn]
    ) -> dict[str, Any]:
        async with store.write() as (conn, pub, now):
            await _campaign(conn, campaign_id, for_update=True)
            if data.filter is not None:
                added = await repo.add_members_matching(
                    conn, campaign_id, data.filter.to_domain(), now, identity.username
                )
            else:
                ids = data.partner_ids or []
                unknown = await repo.unknown_partners(conn, ids)
                if unknown:
                    raise Invalid(
                        f"{len(unknown)} partner id(s) are not in the partner directory (yet)",
                        unknown=[str(u) for u in unknown[:50]],
                    )
                added = await repo.add_members(conn, campaign_id, ids, now, identity.username)
            added.sort()
            await pub.members_added(campaign_id, added)
            total = await repo.member_count(conn, campaign_id)
        return {"added": len(added), "partner_ids": [str(p) for p in added[:1000]], "member_count": total}

    @get("/{campaign_id:uuid}/members", summary="List members (M2)")
    async def members(
        self, store: StoreDep, campaign_id: FromPath[UUID], limit: Limit = 50, offset: Offset = 0
    ) -> dict[str, Any]:
        async with store.read() as conn:
            await _campaign(conn, campaign_id)
            rows, total = await repo.list_members(conn, campaign_id, limit=limit, offset=offset)
        return {
            "items": [
                {
                    "partner_id": str(r.partner_id),
                    "name": r.name,
                    "kind": r.kind,
                    "fiscal_code": r.fiscal_code,
                    "locality": r.locality,
                    "county": r.county,
                    "turnover": money(r.turnover),
                    "employees": r.employees,
                    "activity_domain": r.activity_domain,
                    "added_at": r.added_at.isoformat(),
                    "opportunity_requested": r.requested_at is not None,
                    "opportunity_id": None if r.opportunity_id is None else str(r.opportunity_id),
                }
                for r in rows
            ],
            "total": total,
        }

    @delete("/{campaign_id:uuid}/members/{partner_id:uuid}", guards=WRITERS, summary="Remove a member (M2)")
    async def remove_member(self, store: StoreDep, campaign_id: FromPath[UUID], partner_id: FromPath[UUID]) -> None:
        async with store.write() as (conn, pub, _):
            await _campaign(conn, campaign_id, for_update=True)
            if not await repo.remove_member(conn, campaign_id, partner_id):
                raise NotFound(f"partner {partner_id} is not a member of this campaign")
            await pub.member_removed(campaign_id, partner_id)

    # --- M3 -----------------------------------------------------------------------------------------------

    @post("/{campaign_id:uuid}/costs", guards=WRITERS, summary="Attach a cost document (M3)")
    async def attach_cost(self, store: StoreDep, campaign_id: FromPath[UUID], data: JSONBody[CostIn]) -> dict[str, Any]:
        async with store.write() as (conn, pub, now):
            await _campaign(conn, campaign_id, for_update=True)
            doc = await repo.get_row(conn, cost_documents, data.cost_document_id)
            if doc is None:
                raise NotFound(
                    f"cost document {data.cost_document_id} is not known yet; it appears once the ERP posts it"
                )
            if doc.kind not in COST_KINDS:
                raise Invalid(f"a {doc.kind} does not count as marketing cost")
            await _not_elsewhere(conn, Measure.COST, doc.document_id, campaign_id, "cost document")
            work = Counting(conn, pub, now)
            await work.count_cost(doc, campaign_id, Via.ATTACHED)
            await work.finish()
            row = await _counted_here(conn, Measure.COST, doc.document_id, campaign_id, "cost document")
        return fact_json(row)

    @get("/{campaign_id:uuid}/costs", summary="Realized costs (M3)")
    async def costs(
        self, store: StoreDep, campaign_id: FromPath[UUID], as_of: AsOf = None, limit: Limit = 200, offset: Offset = 0
    ) -> dict[str, Any]:
        return await _facts(store, campaign_id, Measure.COST, as_of, limit, offset)

    # --- M4 -----------------------------------------------------------------------------------------------

    @post("/{campaign_id:uuid}/revenues", guards=WRITERS, summary="Attach a client order (M4)")
    async def attach_order(
        self, store: StoreDep, campaign_id: FromPath[UUID], data: JSONBody[RevenueIn]
    ) -> dict[str, Any]:
        async with store.write() as (conn, pub, now):
            await _campaign(conn, campaign_id, for_update=True)
            order = await repo.get_row(conn, orders, data.order_id)
            if order is None:
                raise NotFound(f"client order {data.order_id} is not known yet; it appears once the ERP places it")
            await _not_elsewhere(conn, Measure.ACCEPTED, order.order_id, campaign_id, "client order")
            work = Counting(conn, pub, now)
            await work.attribute_order(order, campaign_id, Via.ATTACHED)
            await work.finish()
            row = await _counted_here(conn, Measure.ACCEPTED, order.order_id, campaign_id, "client order")
        return fact_json(row)

    @get("/{campaign_id:uuid}/revenues", summary="Accepted revenue: the campaign's client orders (M4)")
    async def revenues(
        self, store: StoreDep, campaign_id: FromPath[UUID], as_of: AsOf = None, limit: Limit = 200, offset: Offset = 0
    ) -> dict[str, Any]:
        return await _facts(store, campaign_id, Measure.ACCEPTED, as_of, limit, offset)

    @get(
        "/{campaign_id:uuid}/invoices", summary="Invoiced revenue: invoices on the campaign's orders and contracts (M4)"
    )
    async def invoiced(
        self, store: StoreDep, campaign_id: FromPath[UUID], as_of: AsOf = None, limit: Limit = 200, offset: Offset = 0
    ) -> dict[str, Any]:
        return await _facts(store, campaign_id, Measure.INVOICED, as_of, limit, offset)

    # --- M5 -----------------------------------------------------------------------------------------------

    @post("/{campaign_id:uuid}/returns", guards=WRITERS, summary="Count an invoice in a month's return (M5)")
    async def attach_return(
        self, store: StoreDep, campaign_id: FromPath[UUID], data: JSONBody[ReturnIn]
    ) -> dict[str, Any]:
        month = parse_month(data.month)
        async with store.write() as (conn, pub, now):
            campaign = await _campaign(conn, campaign_id, for_update=True)
            if month not in campaign.return_window():
                window = campaign.return_window()
                raise Invalid(f"{month} is outside the campaign's return months ({window[0]} to {window[-1]})")
            invoice = await repo.get_row(conn, invoices, data.invoice_id)
            if invoice is None:
                raise NotFound(f"invoice {data.invoice_id} is not known yet; it appears once the ERP issues it")
            await _not_elsewhere(conn, Measure.INVOICED, invoice.invoice_id, campaign_id, "invoice")
            existing = await repo.fact_for(conn, Measure.RETURN, invoice.invoice_id)
            if existing is not None and existing.month != month:
                raise Conflict(f"invoice {invoice.number} already counts in the return of {existing.month}")
            work = Counting(conn, pub, now)
            await work.count_invoice(invoice, campaign_id, Via.ATTACHED, subscription=True, month=month)
            await work.finish()
            row = await _counted_here(conn, Measure.RETURN, invoice.invoice_id, campaign_id, "invoice")
        return fact_json(row)

    @get("/{campaign_id:uuid}/returns", summary="Invoices counted in the monthly return (M5)")
    async def returns(
        self, store: StoreDep, campaign_id: FromPath[UUID], as_of: AsOf = None, limit: Limit = 200, offset: Offset = 0
    ) -> dict[str, Any]:
        return await _facts(store, campaign_id, Measure.RETURN, as_of, limit, offset)

    # --- M6 -----------------------------------------------------------------------------------------------

    @get("/{campaign_id:uuid}/results", summary="Estimated against realized, monthly return and ROI, as of a date (M6)")
    async def results(self, store: StoreDep, campaign_id: FromPath[UUID], as_of: AsOf = None) -> dict[str, Any]:
        async with store.read() as conn:
            campaign = await _campaign(conn, campaign_id)
            return results_json(await campaign_results(conn, campaign, as_of))

    # --- M7 -----------------------------------------------------------------------------------------------

    @post(
        "/{campaign_id:uuid}/opportunities",
        guards=WRITERS,
        status_code=HTTP_202_ACCEPTED,
        summary="Generate opportunities for members, once per member (M7)",
    )
    async def generate(
        self, store: StoreDep, campaign_id: FromPath[UUID], identity: IdentityDep, data: JSONBody[OpportunitiesIn]
    ) -> dict[str, Any]:
        async with store.write() as (conn, pub, now):
            campaign = await _campaign(conn, campaign_id, for_update=True)
            if data.all_members:
                wanted = await repo.member_ids(conn, campaign_id)
            else:
                wanted = list(dict.fromkeys(data.partner_ids or []))
                outsiders = await repo.non_members(conn, campaign_id, wanted)
                if outsiders:
                    raise Invalid(
                        f"{len(outsiders)} partner(s) are not members of this campaign; add them first",
                        not_members=[str(p) for p in outsiders[:50]],
                    )
            requested: list[UUID] = []
            request_ids: list[str] = []
            for start in range(0, len(wanted), store.chunk):
                request_id = new_id()
                fresh = await repo.insert_requests(
                    conn,
                    campaign_id,
                    wanted[start : start + store.chunk],
                    request_id=request_id,
                    owner_staff_id=data.owner_staff_id,
                    now=now,
                    by=identity.username,
                )
                if fresh:
                    await pub.opportunities_requested(
                        campaign_id, request_id, fresh, data.owner_staff_id, data.title or campaign.name
                    )
                    request_ids.append(str(request_id))
                    requested += fresh
            if wanted and not requested:
                # Every member asked for was requested before, by this request's twin too: it did nothing.
                raise Conflict(_all_requested(len(wanted), await repo.latest_request(conn, campaign_id)))
            progress = await _progress(conn, campaign_id)
        return {
            "requested": len(requested),
            "already_requested": len(wanted) - len(requested),
            "request_ids": request_ids,
            "progress": progress,
        }

    @get("/{campaign_id:uuid}/opportunities", summary="Progress of generated opportunities (M7)")
    async def progress(self, store: StoreDep, campaign_id: FromPath[UUID]) -> dict[str, Any]:
        async with store.read() as conn:
            await _campaign(conn, campaign_id)
            return await _progress(conn, campaign_id)


def _all_requested(count: int, latest: Any) -> str:
    text = f"opportunities were already requested for all {count} chosen members"
    if latest is not None:
        text += f" (last at {latest.requested_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
        text += f" by {latest.requested_by})" if latest.requested_by else ")"
    return text


async def _not_elsewhere(
    conn: AsyncConnection, measure: Measure, source_id: UUID, campaign_id: UUID, what: str
) -> None:
    existing = await repo.fact_for(conn, measure, source_id)
    if existing is not None and existing.campaign_id != campaign_id:
        raise Conflict(f"this {what} already counts for another campaign", campaign_id=str(existing.campaign_id))


async def _counted_here(conn: AsyncConnection, measure: Measure, source_id: UUID, campaign_id: UUID, what: str) -> Any:
    """The fact just counted; a consumer that gave the document to another campaign meanwhile wins (409)."""
    row = await repo.fact_for(conn, measure, source_id)
    if row is None or row.campaign_id != campaign_id:
        raise Conflict(f"this {what} already counts for another campaign")
    return row


async def _facts(
    store: Store, campaign_id: UUID, measure: Measure, as_of: dt.date | None, limit: int, offset: int
) -> dict[str, Any]:
    async with store.read() as conn:
        await _campaign(conn, campaign_id)
        rows, total = await repo.list_facts(conn, campaign_id, measure, as_of, limit=limit, offset=offset)
        if measure == Measure.RETURN:
            total_net = sum((await repo.returns_by_month(conn, campaign_id, as_of)).values(), Decimal(0))
        else:
            total_net = (await repo.sums(conn, campaign_id, as_of)).get(measure, Decimal(0))
    return {"items": [fact_json(r) for r in rows], "total": total, "sum": money(total_net)}
