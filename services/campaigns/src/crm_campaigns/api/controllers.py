"""The /api/campaigns routes: thin handlers that parse, call one use case of campaigns, and render."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

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
from crm_campaigns.domain.campaigns import Campaign
from crm_campaigns.domain.generation import Progress
from crm_campaigns.domain.members import Member
from crm_campaigns.domain.results import Fact, Measure, Results
from crm_campaigns.domain.search import SEARCH_LIMIT_MAX, SEARCH_QUERY_MAX
from crm_campaigns.service_layer import (
    AddMembers,
    AttachCost,
    AttachOrder,
    AttachReturn,
    ChangeCampaign,
    CreateCampaign,
    FactPage,
    GenerateOpportunities,
    RemoveMember,
    UseCases,
)
from crm_kit.identity import Identity, requires_role
from crm_kit.pagination import Limit, Offset

AsOf = Annotated[dt.date | None, Parameter(description="Count only facts that took effect on or before this date.")]

WRITERS = [requires_role("admin", "manager")]

Uses = NamedDependency[UseCases]
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


def campaign_pick(c: Campaign) -> dict[str, Any]:
    """What a campaign picker shows: the name, and the dates that tell two of the same name apart."""
    return {"id": str(c.id), "name": c.name, "starts_on": c.starts_on.isoformat(), "ends_on": c.ends_on.isoformat()}


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


def fact_json(f: Fact) -> dict[str, Any]:
    return {
        "document_id": str(f.source_id),
        "kind": f.source_kind,
        "number": f.number,
        "partner_id": None if f.partner_id is None else str(f.partner_id),
        "net": money(f.net),
        "effective_on": f.effective_on.isoformat(),
        "month": f.month,
        "via": f.via.value,
    }


def facts_json(page: FactPage) -> dict[str, Any]:
    return {"items": [fact_json(f) for f in page.items], "total": page.total, "sum": money(page.sum)}


def progress_json(p: Progress) -> dict[str, int]:
    return {"members": p.members, "requested": p.requested, "opened": p.opened, "pending": p.pending}


def member_json(m: Member) -> dict[str, Any]:
    return {
        "partner_id": str(m.partner_id),
        "name": m.name,
        "kind": m.kind,
        "fiscal_code": m.fiscal_code,
        "locality": m.locality,
        "county": m.county,
        "turnover": money(m.turnover),
        "employees": m.employees,
        "activity_domain": m.activity_domain,
        "added_at": m.added_at.isoformat(),
        "opportunity_requested": m.requested_at is not None,
        "opportunity_id": None if m.opportunity_id is None else str(m.opportunity_id),
    }


class CampaignController(Controller):
    """Marketing campaigns (M1-M7)."""

    path = "/api/campaigns"
    tags = ["campaigns"]

    # --- M1 -----------------------------------------------------------------------------------------------

    @post("/", guards=WRITERS, summary="Create a campaign (M1)")
    async def create(self, uses: Uses, identity: IdentityDep, data: JSONBody[CampaignIn]) -> dict[str, Any]:
        campaign = await uses.create(CreateCampaign(**data.model_dump(), by=identity.username))
        return campaign_json(campaign)

    @get("/", summary="List campaigns")
    async def list(
        self,
        uses: Uses,
        name: FromQuery[str | None] = None,
        partner_id: Annotated[
            UUID | None, Parameter(description="Only the campaigns this partner is a member of (M2).")
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        items, total = await uses.campaigns(name=name, limit=limit, offset=offset, member=partner_id)
        return {"items": [campaign_json(c) for c in items], "total": total}

    @get("/search", summary="Campaigns for pickers: name word starts, accents and case ignored")
    async def search(
        self,
        uses: Uses,
        q: Annotated[str, Parameter(max_length=SEARCH_QUERY_MAX, description="What the user typed.")] = "",
        limit: Annotated[int, Parameter(ge=1, le=SEARCH_LIMIT_MAX, description="The most answered.")] = 20,
    ) -> dict[str, Any]:
        """At most ``limit`` campaigns, those whose name starts with ``q`` first; no total, so it stays fast."""
        found = await uses.search_campaigns(q, limit=limit)
        return {"items": [campaign_pick(c) for c in found]}

    @get("/{campaign_id:uuid}", summary="One campaign")
    async def one(self, uses: Uses, campaign_id: FromPath[UUID]) -> dict[str, Any]:
        found = await uses.overview(campaign_id)
        progress = progress_json(found.progress)
        return {**campaign_json(found.campaign), "member_count": progress["members"], "opportunities": progress}

    @patch("/{campaign_id:uuid}", guards=WRITERS, summary="Change a campaign (M1)")
    async def change(self, uses: Uses, campaign_id: FromPath[UUID], data: JSONBody[CampaignPatch]) -> dict[str, Any]:
        return campaign_json(await uses.change(ChangeCampaign(campaign_id, data.changes())))

    # --- M2 -----------------------------------------------------------------------------------------------

    @post(
        "/{campaign_id:uuid}/members/preview",
        status_code=HTTP_200_OK,
        summary="Count the partners a filter selects (M2)",
    )
    async def preview(self, uses: Uses, campaign_id: FromPath[UUID], data: JSONBody[PreviewIn]) -> dict[str, Any]:
        count = await uses.preview(campaign_id, data.filter.to_domain())
        return {"matching": count.matching, "already_members": count.already_members, "would_add": count.would_add}

    @post("/{campaign_id:uuid}/members", guards=WRITERS, summary="Add members by ids or by a filter (M2)")
    async def add_members(
        self, uses: Uses, identity: IdentityDep, campaign_id: FromPath[UUID], data: JSONBody[MembersIn]
    ) -> dict[str, Any]:
        done = await uses.add_members(
            AddMembers(
                campaign_id,
                by=identity.username,
                partner_ids=tuple(data.partner_ids or ()),
                filter=None if data.filter is None else data.filter.to_domain(),
            )
        )
        return {
            "added": len(done.added),
            "partner_ids": [str(p) for p in done.added[:1000]],
            "member_count": done.member_count,
        }

    @get("/{campaign_id:uuid}/members", summary="List members (M2)")
    async def members(
        self, uses: Uses, campaign_id: FromPath[UUID], limit: Limit = 50, offset: Offset = 0
    ) -> dict[str, Any]:
        rows, total = await uses.members(campaign_id, limit=limit, offset=offset)
        return {"items": [member_json(m) for m in rows], "total": total}

    @delete("/{campaign_id:uuid}/members/{partner_id:uuid}", guards=WRITERS, summary="Remove a member (M2)")
    async def remove_member(self, uses: Uses, campaign_id: FromPath[UUID], partner_id: FromPath[UUID]) -> None:
        await uses.remove_member(RemoveMember(campaign_id, partner_id))

    # --- M3 -----------------------------------------------------------------------------------------------

    @post("/{campaign_id:uuid}/costs", guards=WRITERS, summary="Attach a cost document (M3)")
    async def attach_cost(self, uses: Uses, campaign_id: FromPath[UUID], data: JSONBody[CostIn]) -> dict[str, Any]:
        return fact_json(await uses.attach_cost(AttachCost(campaign_id, data.cost_document_id)))

    @get("/{campaign_id:uuid}/costs", summary="Realized costs (M3)")
    async def costs(
        self, uses: Uses, campaign_id: FromPath[UUID], as_of: AsOf = None, limit: Limit = 200, offset: Offset = 0
    ) -> dict[str, Any]:
        return facts_json(await uses.facts(campaign_id, Measure.COST, as_of, limit=limit, offset=offset))

    # --- M4 -----------------------------------------------------------------------------------------------

    @post("/{campaign_id:uuid}/revenues", guards=WRITERS, summary="Attach a client order (M4)")
    async def attach_order(self, uses: Uses, campaign_id: FromPath[UUID], data: JSONBody[RevenueIn]) -> dict[str, Any]:
        return fact_json(await uses.attach_order(AttachOrder(campaign_id, data.order_id)))

    @get("/{campaign_id:uuid}/revenues", summary="Accepted revenue: the campaign's client orders (M4)")
    async def revenues(
        self, uses: Uses, campaign_id: FromPath[UUID], as_of: AsOf = None, limit: Limit = 200, offset: Offset = 0
    ) -> dict[str, Any]:
        return facts_json(await uses.facts(campaign_id, Measure.ACCEPTED, as_of, limit=limit, offset=offset))

    @get(
        "/{campaign_id:uuid}/invoices", summary="Invoiced revenue: invoices on the campaign's orders and contracts (M4)"
    )
    async def invoiced(
        self, uses: Uses, campaign_id: FromPath[UUID], as_of: AsOf = None, limit: Limit = 200, offset: Offset = 0
    ) -> dict[str, Any]:
        return facts_json(await uses.facts(campaign_id, Measure.INVOICED, as_of, limit=limit, offset=offset))

    # --- M5 -----------------------------------------------------------------------------------------------

    @post("/{campaign_id:uuid}/returns", guards=WRITERS, summary="Count an invoice in a month's return (M5)")
    async def attach_return(self, uses: Uses, campaign_id: FromPath[UUID], data: JSONBody[ReturnIn]) -> dict[str, Any]:
        return fact_json(await uses.attach_return(AttachReturn(campaign_id, data.invoice_id, data.month)))

    @get("/{campaign_id:uuid}/returns", summary="Invoices counted in the monthly return (M5)")
    async def returns(
        self, uses: Uses, campaign_id: FromPath[UUID], as_of: AsOf = None, limit: Limit = 200, offset: Offset = 0
    ) -> dict[str, Any]:
        return facts_json(await uses.facts(campaign_id, Measure.RETURN, as_of, limit=limit, offset=offset))

    # --- M6 -----------------------------------------------------------------------------------------------

    @get("/{campaign_id:uuid}/results", summary="Estimated against realized, monthly return and ROI, as of a date (M6)")
    async def results(self, uses: Uses, campaign_id: FromPath[UUID], as_of: AsOf = None) -> dict[str, Any]:
        return results_json(await uses.results(campaign_id, as_of))

    # --- M7 -----------------------------------------------------------------------------------------------

    @post(
        "/{campaign_id:uuid}/opportunities",
        guards=WRITERS,
        status_code=HTTP_202_ACCEPTED,
        summary="Generate opportunities for members, once per member (M7)",
    )
    async def generate(
        self, uses: Uses, campaign_id: FromPath[UUID], identity: IdentityDep, data: JSONBody[OpportunitiesIn]
    ) -> dict[str, Any]:
        done = await uses.generate_opportunities(
            GenerateOpportunities(
                campaign_id,
                by=identity.username,
                partner_ids=tuple(data.partner_ids or ()),
                all_members=data.all_members,
                owner_staff_id=data.owner_staff_id,
                title=data.title,
            )
        )
        return {
            "requested": len(done.requested),
            "already_requested": done.already_requested,
            "request_ids": [str(r) for r in done.request_ids],
            "progress": progress_json(done.progress),
        }

    @get("/{campaign_id:uuid}/opportunities", summary="Progress of generated opportunities (M7)")
    async def progress(self, uses: Uses, campaign_id: FromPath[UUID]) -> dict[str, Any]:
        return progress_json(await uses.progress(campaign_id))
