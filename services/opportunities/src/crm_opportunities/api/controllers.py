"""The opportunities HTTP API: thin handlers that parse, call one use case, and render."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from litestar import Controller, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED

from crm_kit.identity import Identity, requires_role
from crm_kit.pagination import Limit, Offset
from crm_opportunities.api import schemas, views
from crm_opportunities.domain.documents import DocumentKind, Line, TermsRequest
from crm_opportunities.domain.model import Actor, OpportunityFilter, StageRequest
from crm_opportunities.domain.stages import parse_stage
from crm_opportunities.service_layer import (
    AcceptOffer,
    AddLostReason,
    ChangeLostReason,
    ChangeStage,
    OpenOpportunity,
    RejectOffer,
    RequestDocument,
    SetStageWeights,
    UpdateOpportunity,
    UseCases,
)

Uses = NamedDependency[UseCases]


def actor(identity: Identity) -> Actor:
    """The caller as the domain names them."""
    try:
        staff_id = UUID(identity.staff_id) if identity.staff_id else None
    except ValueError:
        staff_id = None
    return Actor(name=identity.username, staff_id=staff_id)


def _now() -> datetime:
    """The time a view is rendered at (times in a stage are counted up to it)."""
    return datetime.now(UTC)


def _lines(lines: list[schemas.LineIn]) -> tuple[Line, ...]:
    return tuple(Line(article_code=x.article_code, qty=x.qty, price=x.price, description=x.description) for x in lines)


def _terms(body: schemas.ContractTermsIn | None) -> TermsRequest | None:
    if body is None:
        return None
    return TermsRequest(kind=body.kind, starts_on=body.starts_on, months=body.months, monthly_value=body.monthly_value)


class OpportunitiesController(Controller):
    """Opportunities, their stages and the documents generated from them (O1-O7)."""

    path = "/api/opportunities"
    tags = ["opportunities"]

    @post("/", status_code=HTTP_201_CREATED)
    async def open(
        self, uses: Uses, identity: NamedDependency[Identity], data: JSONBody[schemas.OpenOpportunity]
    ) -> dict[str, Any]:
        """Open an opportunity at the stage new."""
        dossier = await uses.open(
            OpenOpportunity(
                partner_id=data.partner_id,
                title=data.title,
                actor=actor(identity),
                potential=data.potential,
                probability=data.probability,
                expected_signing_on=data.expected_signing_on,
                owner_staff_id=data.owner_staff_id,
                campaign_id=data.campaign_id,
            )
        )
        return views.dossier(dossier, now=_now(), currency=uses.currency)

    @get("/")
    async def list_opportunities(
        self,
        uses: Uses,
        partner_id: FromQuery[UUID | None] = None,
        stage: FromQuery[str | None] = None,
        campaign_id: FromQuery[UUID | None] = None,
        owner_staff_id: FromQuery[UUID | None] = None,
        title: FromQuery[str | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Opportunities, newest first, filtered by partner, stage, campaign, owner or title."""
        flt = OpportunityFilter(
            partner_id=partner_id,
            stage=parse_stage(stage) if stage else None,
            campaign_id=campaign_id,
            owner_staff_id=owner_staff_id,
            title=title,
        )
        found = await uses.find(flt, limit=limit, offset=offset)
        now = _now()
        items = [
            views.opportunity(o, now=now, weights=found.weights, partner_name=name, currency=uses.currency)
            for o, name in found.rows
        ]
        return {"items": items, "total": found.total}

    @get("/articles")
    async def articles(
        self,
        uses: Uses,
        q: FromQuery[str | None] = None,
        limit: int = Parameter(ge=1, le=200, default=50),
    ) -> dict[str, Any]:
        """The article picker (C5): articles commercial published, by code or name."""
        found = await uses.articles(q=q, limit=limit)
        return {"items": [views.article(a) for a in found], "total": len(found)}

    @get("/partners")
    async def partners(
        self,
        uses: Uses,
        name: FromQuery[str | None] = None,
        limit: int = Parameter(ge=1, le=200, default=50),
    ) -> dict[str, Any]:
        """The partner picker: partners the directory published, by name."""
        found = await uses.partners(name=name, limit=limit)
        return {"items": [views.partner(p) for p in found], "total": len(found)}

    @get("/{opportunity_id:uuid}")
    async def get_one(self, uses: Uses, opportunity_id: FromPath[UUID]) -> dict[str, Any]:
        """One opportunity with its documents and stage history."""
        return views.dossier(await uses.dossier(opportunity_id), now=_now(), currency=uses.currency)

    @patch("/{opportunity_id:uuid}")
    async def update(
        self, uses: Uses, opportunity_id: FromPath[UUID], data: JSONBody[schemas.UpdateOpportunity]
    ) -> dict[str, Any]:
        """Change title, potential, probability, signing date or owner."""
        dossier = await uses.update(
            UpdateOpportunity(
                opportunity_id=opportunity_id,
                title=data.title,
                potential=data.potential,
                probability=data.probability,
                expected_signing_on=data.expected_signing_on,
                owner_staff_id=data.owner_staff_id,
                clear_signing_date=data.clear_expected_signing_on,
            )
        )
        return views.dossier(dossier, now=_now(), currency=uses.currency)

    @post("/{opportunity_id:uuid}/stage", status_code=HTTP_200_OK)
    async def change_stage(
        self,
        uses: Uses,
        identity: NamedDependency[Identity],
        opportunity_id: FromPath[UUID],
        data: JSONBody[schemas.ChangeStage],
    ) -> dict[str, Any]:
        """Move to another stage; a follow-up date schedules a task for the delegate (O7)."""
        request = StageRequest(
            stage=data.stage,
            note=data.note,
            delegate_staff_id=data.delegate_staff_id,
            follow_up_at=data.follow_up_at,
            reason_code=data.reason_code,
            probability=data.probability,
            potential=data.potential,
        )
        dossier = await uses.change_stage(ChangeStage(opportunity_id, request, actor(identity)))
        return views.dossier(dossier, now=_now(), currency=uses.currency)

    @get("/{opportunity_id:uuid}/stages")
    async def stages(self, uses: Uses, opportunity_id: FromPath[UUID]) -> dict[str, Any]:
        """The stage history: who, when, note, potential and probability, time in each stage."""
        return views.history(await uses.stage_history(opportunity_id), now=_now())

    @get("/{opportunity_id:uuid}/documents")
    async def documents(self, uses: Uses, opportunity_id: FromPath[UUID]) -> dict[str, Any]:
        """Documents requested for the opportunity and those commercial issued."""
        docs = await uses.documents(opportunity_id)
        return {"items": [views.document(d) for d in docs], "total": len(docs)}

    async def _request(
        self,
        uses: UseCases,
        identity: Identity,
        opportunity_id: UUID,
        kind: DocumentKind,
        data: schemas.RequestOffer | schemas.RequestOrder | schemas.RequestContract,
    ) -> dict[str, Any]:
        doc = await uses.request_document(
            RequestDocument(
                opportunity_id=opportunity_id,
                kind=kind,
                lines=_lines(data.lines),
                actor=actor(identity),
                valid_until=data.valid_until if isinstance(data, schemas.RequestOffer) else None,
                terms=_terms(data) if isinstance(data, schemas.RequestContract) else None,
                note=data.note,
            )
        )
        return {"request_id": str(doc.request_id), "document": views.document(doc)}

    @post("/{opportunity_id:uuid}/offer", status_code=HTTP_202_ACCEPTED)
    async def request_offer(
        self,
        uses: Uses,
        identity: NamedDependency[Identity],
        opportunity_id: FromPath[UUID],
        data: JSONBody[schemas.RequestOffer],
    ) -> dict[str, Any]:
        """Ask commercial for a client offer (O4); it appears on the opportunity when issued."""
        return await self._request(uses, identity, opportunity_id, "offer", data)

    @post("/{opportunity_id:uuid}/order", status_code=HTTP_202_ACCEPTED)
    async def request_order(
        self,
        uses: Uses,
        identity: NamedDependency[Identity],
        opportunity_id: FromPath[UUID],
        data: JSONBody[schemas.RequestOrder],
    ) -> dict[str, Any]:
        """Ask commercial for a client order (O4)."""
        return await self._request(uses, identity, opportunity_id, "order", data)

    @post("/{opportunity_id:uuid}/contract", status_code=HTTP_202_ACCEPTED)
    async def request_contract(
        self,
        uses: Uses,
        identity: NamedDependency[Identity],
        opportunity_id: FromPath[UUID],
        data: JSONBody[schemas.RequestContract],
    ) -> dict[str, Any]:
        """Ask commercial for a subscription or commercial contract (O4)."""
        return await self._request(uses, identity, opportunity_id, "contract", data)

    @post("/{opportunity_id:uuid}/offers/{offer_id:uuid}/accept", status_code=HTTP_202_ACCEPTED)
    async def accept_offer(
        self,
        uses: Uses,
        identity: NamedDependency[Identity],
        opportunity_id: FromPath[UUID],
        offer_id: FromPath[UUID],
        data: JSONBody[schemas.AcceptOffer],
    ) -> dict[str, Any]:
        """The client accepted the offer: order and/or contract are requested with its lines (O5)."""
        done = await uses.accept_offer(
            AcceptOffer(opportunity_id, offer_id, data.then, actor(identity), terms=_terms(data.contract))
        )
        return {
            "offer": views.document(done.offer),
            "requests": [views.document(d) for d in done.requests],
            "request_ids": [str(d.request_id) for d in done.requests],
            "opportunity": views.dossier(done.dossier, now=_now(), currency=uses.currency),
        }

    @post("/{opportunity_id:uuid}/offers/{offer_id:uuid}/reject", status_code=HTTP_200_OK)
    async def reject_offer(
        self,
        uses: Uses,
        identity: NamedDependency[Identity],
        opportunity_id: FromPath[UUID],
        offer_id: FromPath[UUID],
        data: JSONBody[schemas.RejectOffer],
    ) -> dict[str, Any]:
        """The client rejected the offer: a catalogued reason and a note (O6); the opportunity is lost."""
        done = await uses.reject_offer(
            RejectOffer(
                opportunity_id,
                offer_id,
                actor(identity),
                reason_code=data.reason_code,
                note=data.note,
                keep_open=data.keep_open,
            )
        )
        return {
            "offer": views.document(done.offer),
            "opportunity": views.dossier(done.dossier, now=_now(), currency=uses.currency),
        }


class LostReasonsController(Controller):
    """The lost-reasons catalogue (CRM > Nomenclatoare > Motive, O6)."""

    path = "/api/lost-reasons"
    tags = ["lost-reasons"]

    @get("/")
    async def list_reasons(self, uses: Uses, active: FromQuery[bool | None] = None) -> dict[str, Any]:
        """Every reason (or only the active ones), by text."""
        reasons = await uses.lost_reasons(active=active)
        return {"items": [views.lost_reason(r) for r in reasons], "total": len(reasons)}

    @post("/", status_code=HTTP_201_CREATED, guards=[requires_role("admin", "manager")])
    async def add_reason(self, uses: Uses, data: JSONBody[schemas.NewLostReason]) -> dict[str, Any]:
        """Add a reason (managers)."""
        return views.lost_reason(await uses.add_lost_reason(AddLostReason(code=data.code, text=data.text)))

    @patch("/{code:str}", guards=[requires_role("admin", "manager")])
    async def update_reason(
        self, uses: Uses, code: FromPath[str], data: JSONBody[schemas.UpdateLostReason]
    ) -> dict[str, Any]:
        """Change a reason's text, or retire it (managers)."""
        reason = await uses.change_lost_reason(ChangeLostReason(code=code, text=data.text, active=data.active))
        return views.lost_reason(reason)


class StageWeightsController(Controller):
    """The company's stage weights (O3)."""

    path = "/api/stage-weights"
    tags = ["stage-weights"]

    @get("/")
    async def get_weights(self, uses: Uses) -> dict[str, Any]:
        """The weight in percent of each stage."""
        return views.weights(await uses.weights())

    @put("/", guards=[requires_role("admin", "manager")])
    async def set_weights(
        self, uses: Uses, identity: NamedDependency[Identity], data: JSONBody[schemas.StageWeightsIn]
    ) -> dict[str, Any]:
        """Set the weights of some or all stages (managers)."""
        return views.weights(await uses.set_weights(SetStageWeights(weights=data.weights, by=identity.username)))


class PipelineController(Controller):
    """The pipeline summary (O3)."""

    path = "/api/pipeline"
    tags = ["pipeline"]

    @get("/")
    async def summary(
        self,
        uses: Uses,
        owner_staff_id: FromQuery[UUID | None] = None,
        campaign_id: FromQuery[UUID | None] = None,
    ) -> dict[str, Any]:
        """Count, potential and weighted potential per stage."""
        found = await uses.pipeline(owner_staff_id=owner_staff_id, campaign_id=campaign_id)
        return views.pipeline(found.totals, found.weights, currency=uses.currency)


CONTROLLERS = [OpportunitiesController, LostReasonsController, StageWeightsController, PipelineController]
