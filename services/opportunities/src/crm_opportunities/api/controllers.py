"""The opportunities HTTP API: thin handlers that open a unit of work and call one use case."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import UUID

from litestar import Controller, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_kit.errors import Conflict, NotFound
from crm_kit.identity import Identity, requires_role
from crm_kit.pagination import Limit, Offset
from crm_kit.service import Service
from crm_opportunities.api import schemas, views
from crm_opportunities.domain.documents import ContractTerms, DocumentKind, Line
from crm_opportunities.domain.model import Actor, LostReason, StageRequest
from crm_opportunities.domain.stages import Stage, parse_stage, validate_weights
from crm_opportunities.events.publisher import Publisher
from crm_opportunities.service_layer import Opportunities
from crm_opportunities.store.repository import OpportunityFilter


class Edge:
    """What every handler needs: the service (store, outbox) and the use cases.

    A plain class on purpose: Litestar would try to validate a dataclass dependency field by field.
    """

    def __init__(self, service: Service, app: Opportunities) -> None:
        self.service = service
        self.app = app

    @property
    def currency(self) -> str:
        return self.app.currency

    @contextlib.asynccontextmanager
    async def unit(self, now: datetime) -> AsyncIterator[tuple[AsyncConnection, Publisher]]:
        """One transaction: state and events commit together."""
        async with self.service.db.transaction() as conn:
            yield conn, Publisher(partial(self.service.outbox.add, conn, now=now), self.currency)

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.service.db.read() as conn:
            yield conn

    async def opportunity_view(self, conn: AsyncConnection, opportunity_id: UUID, now: datetime) -> dict[str, Any]:
        repo = self.app.repo
        opp = await repo.get(conn, opportunity_id)
        if opp is None:
            raise NotFound(f"no opportunity {opportunity_id}")
        partner = await repo.partner(conn, opp.partner_id)
        view = views.opportunity(
            opp,
            now=now,
            weights=await repo.weights(conn),
            partner_name=partner["name"] if partner else None,
            currency=self.currency,
        )
        view["documents"] = [views.document(d) for d in await repo.documents_of(conn, opportunity_id)]
        view["stage_history"] = views.history(await repo.history(conn, opportunity_id), now=now)
        return view


def actor(identity: Identity) -> Actor:
    """The caller as the domain names them."""
    try:
        staff_id = UUID(identity.staff_id) if identity.staff_id else None
    except ValueError:
        staff_id = None
    return Actor(name=identity.username, staff_id=staff_id)


def _now() -> datetime:
    return datetime.now(UTC)


def _lines(lines: list[schemas.LineIn]) -> list[Line]:
    return [Line(article_code=x.article_code, qty=x.qty, price=x.price, description=x.description) for x in lines]


def _terms(body: schemas.ContractTermsIn | None, now: datetime) -> ContractTerms:
    if body is None:
        return ContractTerms(kind="commercial", starts_on=now.date())
    return ContractTerms(
        kind=body.kind, starts_on=body.starts_on or now.date(), months=body.months, monthly_value=body.monthly_value
    )


class OpportunitiesController(Controller):
    """Opportunities, their stages and the documents generated from them (O1-O7)."""

    path = "/api/opportunities"
    tags = ["opportunities"]

    @post("/", status_code=HTTP_201_CREATED)
    async def open(
        self, edge: NamedDependency[Edge], identity: NamedDependency[Identity], data: JSONBody[schemas.OpenOpportunity]
    ) -> dict[str, Any]:
        """Open an opportunity at the stage new."""
        now = _now()
        who = actor(identity)
        async with edge.unit(now) as (conn, publisher):
            opp = await edge.app.open(
                conn,
                publisher,
                partner_id=data.partner_id,
                title=data.title,
                potential=data.potential,
                probability=data.probability,
                expected_signing_on=data.expected_signing_on,
                owner_staff_id=data.owner_staff_id or who.staff_id,
                campaign_id=data.campaign_id,
                actor=who,
                now=now,
            )
            return await edge.opportunity_view(conn, opp.id, now)

    @get("/")
    async def list_opportunities(
        self,
        edge: NamedDependency[Edge],
        partner_id: FromQuery[UUID | None] = None,
        stage: FromQuery[str | None] = None,
        campaign_id: FromQuery[UUID | None] = None,
        owner_staff_id: FromQuery[UUID | None] = None,
        title: FromQuery[str | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Opportunities, newest first, filtered by partner, stage, campaign, owner or title."""
        now = _now()
        flt = OpportunityFilter(
            partner_id=partner_id,
            stage=parse_stage(stage) if stage else None,
            campaign_id=campaign_id,
            owner_staff_id=owner_staff_id,
            title=title,
        )
        async with edge.read() as conn:
            rows, total = await edge.app.repo.find(conn, flt, limit=limit, offset=offset)
            weights = await edge.app.repo.weights(conn)
        items = [
            views.opportunity(o, now=now, weights=weights, partner_name=name, currency=edge.currency)
            for o, name in rows
        ]
        return {"items": items, "total": total}

    @get("/articles")
    async def articles(
        self,
        edge: NamedDependency[Edge],
        q: FromQuery[str | None] = None,
        limit: int = Parameter(ge=1, le=200, default=50),
    ) -> dict[str, Any]:
        """The article picker (C5): articles commercial published, by code or name."""
        async with edge.read() as conn:
            found = await edge.app.repo.search_articles(conn, q=q, limit=limit)
        return {"items": [views.article(a) for a in found], "total": len(found)}

    @get("/partners")
    async def partners(
        self,
        edge: NamedDependency[Edge],
        name: FromQuery[str | None] = None,
        limit: int = Parameter(ge=1, le=200, default=50),
    ) -> dict[str, Any]:
        """The partner picker: partners the directory published, by name."""
        async with edge.read() as conn:
            found = await edge.app.repo.partners(conn, name=name, limit=limit)
        items = [{**p, "partner_id": str(p["partner_id"]), "id": str(p["partner_id"])} for p in found]
        for p in items:
            p["sales_rep_staff_id"] = p["sales_rep_staff_id"] and str(p["sales_rep_staff_id"])
        return {"items": items, "total": len(items)}

    @get("/{opportunity_id:uuid}")
    async def get_one(self, edge: NamedDependency[Edge], opportunity_id: FromPath[UUID]) -> dict[str, Any]:
        """One opportunity with its documents and stage history."""
        async with edge.read() as conn:
            return await edge.opportunity_view(conn, opportunity_id, _now())

    @patch("/{opportunity_id:uuid}")
    async def update(
        self, edge: NamedDependency[Edge], opportunity_id: FromPath[UUID], data: JSONBody[schemas.UpdateOpportunity]
    ) -> dict[str, Any]:
        """Change title, potential, probability, signing date or owner."""
        now = _now()
        async with edge.unit(now) as (conn, publisher):
            await edge.app.update(
                conn,
                publisher,
                opportunity_id,
                title=data.title,
                potential=data.potential,
                probability=data.probability,
                expected_signing_on=data.expected_signing_on,
                owner_staff_id=data.owner_staff_id,
                clear_signing_date=data.clear_expected_signing_on,
                now=now,
            )
            return await edge.opportunity_view(conn, opportunity_id, now)

    @post("/{opportunity_id:uuid}/stage", status_code=HTTP_200_OK)
    async def change_stage(
        self,
        edge: NamedDependency[Edge],
        identity: NamedDependency[Identity],
        opportunity_id: FromPath[UUID],
        data: JSONBody[schemas.ChangeStage],
    ) -> dict[str, Any]:
        """Move to another stage; a follow-up date schedules a task for the delegate (O7)."""
        now = _now()
        request = StageRequest(
            stage=data.stage,
            note=data.note,
            delegate_staff_id=data.delegate_staff_id,
            follow_up_at=data.follow_up_at,
            reason_code=data.reason_code,
            probability=data.probability,
            potential=data.potential,
        )
        async with edge.unit(now) as (conn, publisher):
            await edge.app.change_stage(conn, publisher, opportunity_id, request, actor=actor(identity), now=now)
            return await edge.opportunity_view(conn, opportunity_id, now)

    @get("/{opportunity_id:uuid}/stages")
    async def stages(self, edge: NamedDependency[Edge], opportunity_id: FromPath[UUID]) -> dict[str, Any]:
        """The stage history: who, when, note, potential and probability, time in each stage."""
        now = _now()
        async with edge.read() as conn:
            if await edge.app.repo.get(conn, opportunity_id) is None:
                raise NotFound(f"no opportunity {opportunity_id}")
            return views.history(await edge.app.repo.history(conn, opportunity_id), now=now)

    @get("/{opportunity_id:uuid}/documents")
    async def documents(self, edge: NamedDependency[Edge], opportunity_id: FromPath[UUID]) -> dict[str, Any]:
        """Documents requested for the opportunity and those commercial issued."""
        async with edge.read() as conn:
            if await edge.app.repo.get(conn, opportunity_id) is None:
                raise NotFound(f"no opportunity {opportunity_id}")
            docs = await edge.app.repo.documents_of(conn, opportunity_id)
        return {"items": [views.document(d) for d in docs], "total": len(docs)}

    async def _request(
        self,
        edge: Edge,
        identity: Identity,
        opportunity_id: UUID,
        kind: DocumentKind,
        lines: list[schemas.LineIn],
        note: str | None,
        **options: Any,
    ) -> dict[str, Any]:
        now = _now()
        async with edge.unit(now) as (conn, publisher):
            doc = await edge.app.request_document(
                conn,
                publisher,
                opportunity_id,
                kind,
                _lines(lines),
                actor=actor(identity),
                now=now,
                note=note,
                **options,
            )
        return {"request_id": str(doc.request_id), "document": views.document(doc)}

    @post("/{opportunity_id:uuid}/offer", status_code=HTTP_202_ACCEPTED)
    async def request_offer(
        self,
        edge: NamedDependency[Edge],
        identity: NamedDependency[Identity],
        opportunity_id: FromPath[UUID],
        data: JSONBody[schemas.RequestOffer],
    ) -> dict[str, Any]:
        """Ask commercial for a client offer (O4); it appears on the opportunity when issued."""
        return await self._request(
            edge, identity, opportunity_id, "offer", data.lines, data.note, valid_until=data.valid_until
        )

    @post("/{opportunity_id:uuid}/order", status_code=HTTP_202_ACCEPTED)
    async def request_order(
        self,
        edge: NamedDependency[Edge],
        identity: NamedDependency[Identity],
        opportunity_id: FromPath[UUID],
        data: JSONBody[schemas.RequestOrder],
    ) -> dict[str, Any]:
        """Ask commercial for a client order (O4)."""
        return await self._request(edge, identity, opportunity_id, "order", data.lines, data.note)

    @post("/{opportunity_id:uuid}/contract", status_code=HTTP_202_ACCEPTED)
    async def request_contract(
        self,
        edge: NamedDependency[Edge],
        identity: NamedDependency[Identity],
        opportunity_id: FromPath[UUID],
        data: JSONBody[schemas.RequestContract],
    ) -> dict[str, Any]:
        """Ask commercial for a subscription or commercial contract (O4)."""
        return await self._request(
            edge, identity, opportunity_id, "contract", data.lines, data.note, terms=_terms(data, _now())
        )

    @post("/{opportunity_id:uuid}/offers/{offer_id:uuid}/accept", status_code=HTTP_202_ACCEPTED)
    async def accept_offer(
        self,
        edge: NamedDependency[Edge],
        identity: NamedDependency[Identity],
        opportunity_id: FromPath[UUID],
        offer_id: FromPath[UUID],
        data: JSONBody[schemas.AcceptOffer],
    ) -> dict[str, Any]:
        """The client accepted the offer: order and/or contract are requested with its lines (O5)."""
        now = _now()
        async with edge.unit(now) as (conn, publisher):
            offer, requests = await edge.app.accept_offer(
                conn,
                publisher,
                opportunity_id,
                offer_id,
                data.then,
                terms=_terms(data.contract, now),
                actor=actor(identity),
                now=now,
            )
            view = await edge.opportunity_view(conn, opportunity_id, now)
        return {
            "offer": views.document(offer),
            "requests": [views.document(d) for d in requests],
            "request_ids": [str(d.request_id) for d in requests],
            "opportunity": view,
        }

    @post("/{opportunity_id:uuid}/offers/{offer_id:uuid}/reject", status_code=HTTP_200_OK)
    async def reject_offer(
        self,
        edge: NamedDependency[Edge],
        identity: NamedDependency[Identity],
        opportunity_id: FromPath[UUID],
        offer_id: FromPath[UUID],
        data: JSONBody[schemas.RejectOffer],
    ) -> dict[str, Any]:
        """The client rejected the offer: a catalogued reason and a note (O6); the opportunity is lost."""
        now = _now()
        async with edge.unit(now) as (conn, publisher):
            offer, _ = await edge.app.reject_offer(
                conn,
                publisher,
                opportunity_id,
                offer_id,
                reason_code=data.reason_code,
                note=data.note,
                keep_open=data.keep_open,
                actor=actor(identity),
                now=now,
            )
            view = await edge.opportunity_view(conn, opportunity_id, now)
        return {"offer": views.document(offer), "opportunity": view}


class LostReasonsController(Controller):
    """The lost-reasons catalogue (CRM > Nomenclatoare > Motive, O6)."""

    path = "/api/lost-reasons"
    tags = ["lost-reasons"]

    @get("/")
    async def list_reasons(self, edge: NamedDependency[Edge], active: FromQuery[bool | None] = None) -> dict[str, Any]:
        """Every reason (or only the active ones), by text."""
        async with edge.read() as conn:
            reasons = list((await edge.app.repo.lost_reasons(conn)).values())
        if active is not None:
            reasons = [r for r in reasons if r.active == active]
        return {"items": [views.lost_reason(r) for r in reasons], "total": len(reasons)}

    @post("/", status_code=HTTP_201_CREATED, guards=[requires_role("admin", "manager")])
    async def add_reason(self, edge: NamedDependency[Edge], data: JSONBody[schemas.NewLostReason]) -> dict[str, Any]:
        """Add a reason (managers)."""
        reason = LostReason(code=data.code, text=data.text.strip())
        async with edge.unit(_now()) as (conn, _):
            if not await edge.app.repo.add_lost_reason(conn, reason):
                raise Conflict(f"the lost reason code '{data.code}' already exists", field="code")
        return views.lost_reason(reason)

    @patch("/{code:str}", guards=[requires_role("admin", "manager")])
    async def update_reason(
        self, edge: NamedDependency[Edge], code: FromPath[str], data: JSONBody[schemas.UpdateLostReason]
    ) -> dict[str, Any]:
        """Change a reason's text, or retire it (managers)."""
        async with edge.unit(_now()) as (conn, _):
            reason = (await edge.app.repo.lost_reasons(conn)).get(code)
            if reason is None:
                raise NotFound(f"no lost reason '{code}'")
            reason = replace(
                reason,
                text=data.text.strip() if data.text else reason.text,
                active=reason.active if data.active is None else data.active,
            )
            await edge.app.repo.save_lost_reason(conn, reason)
        return views.lost_reason(reason)


class StageWeightsController(Controller):
    """The company's stage weights (O3)."""

    path = "/api/stage-weights"
    tags = ["stage-weights"]

    @get("/")
    async def get_weights(self, edge: NamedDependency[Edge]) -> dict[str, Any]:
        """The weight in percent of each stage."""
        async with edge.read() as conn:
            weights = await edge.app.repo.weights(conn)
            at, by = await edge.app.repo.weights_meta(conn)
        return views.weights(weights, updated_at=at, updated_by=by)

    @put("/", guards=[requires_role("admin", "manager")])
    async def set_weights(
        self, edge: NamedDependency[Edge], identity: NamedDependency[Identity], data: JSONBody[schemas.StageWeightsIn]
    ) -> dict[str, Any]:
        """Set the weights of some or all stages (managers)."""
        now = _now()
        weights: dict[Stage, Any] = validate_weights(data.weights)
        async with edge.unit(now) as (conn, _):
            await edge.app.repo.set_weights(conn, weights, by=identity.username, now=now)
            values = await edge.app.repo.weights(conn)
        return views.weights(values, updated_at=now, updated_by=identity.username)


class PipelineController(Controller):
    """The pipeline summary (O3)."""

    path = "/api/pipeline"
    tags = ["pipeline"]

    @get("/")
    async def summary(
        self,
        edge: NamedDependency[Edge],
        owner_staff_id: FromQuery[UUID | None] = None,
        campaign_id: FromQuery[UUID | None] = None,
    ) -> dict[str, Any]:
        """Count, potential and weighted potential per stage."""
        async with edge.read() as conn:
            totals = await edge.app.repo.stage_totals(conn, owner_staff_id=owner_staff_id, campaign_id=campaign_id)
            weights = await edge.app.repo.weights(conn)
        return views.pipeline(totals, weights, currency=edge.currency)


CONTROLLERS = [OpportunitiesController, LostReasonsController, StageWeightsController, PipelineController]
