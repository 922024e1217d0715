"""The use cases: each loads what it needs, asks the domain, saves, and publishes in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from crm_kit.errors import Conflict, Invalid, NotFound
from crm_kit.ids import new_id
from crm_opportunities.domain import model
from crm_opportunities.domain.documents import (
    AcceptThen,
    ContractTerms,
    Document,
    DocumentKind,
    Line,
    check_lines,
    decide_offer,
    target_stage,
)
from crm_opportunities.domain.model import Actor, Opportunity, StageMove, StageRequest
from crm_opportunities.domain.stages import Stage, is_advance
from crm_opportunities.events.publisher import Publisher
from crm_opportunities.store.repository import Repository

COMMERCIAL = Actor(name="commercial")
"""The actor of stage moves that follow documents commercial issued."""


@dataclass(frozen=True)
class IssuedDocument:
    """A document commercial issued (from OfferIssued, ClientOrderPlaced, ContractSigned), in our terms."""

    kind: DocumentKind
    document_id: UUID
    partner_id: UUID
    number: str
    issued_on: date
    net: Decimal
    vat: Decimal
    gross: Decimal
    currency: str
    lines: tuple[Line, ...]
    request_id: UUID | None
    opportunity_id: UUID | None
    offer_id: UUID | None
    printout_sha256: str | None
    valid_until: date | None = None


class Opportunities:
    """The opportunities use cases, shared by the HTTP API and the event subscribers."""

    def __init__(self, repo: Repository, *, currency: str = "RON", offer_validity_days: int = 30) -> None:
        self.repo = repo
        self.currency = currency
        self.offer_validity_days = offer_validity_days

    async def _get(self, conn: AsyncConnection, opportunity_id: UUID, *, for_update: bool = False) -> Opportunity:
        opp = await self.repo.get(conn, opportunity_id, for_update=for_update)
        if opp is None:
            raise NotFound(f"no opportunity {opportunity_id}")
        return opp

    async def open(
        self,
        conn: AsyncConnection,
        publisher: Publisher,
        *,
        partner_id: UUID,
        title: str,
        potential: Decimal,
        probability: Decimal | None,
        expected_signing_on: date | None,
        owner_staff_id: UUID | None,
        campaign_id: UUID | None,
        actor: Actor,
        now: datetime,
        opportunity_id: UUID | None = None,
    ) -> Opportunity:
        """Open an opportunity at the stage ``new`` (O1)."""
        move = model.open_opportunity(
            opportunity_id=opportunity_id or new_id(),
            partner_id=partner_id,
            title=title,
            potential=potential,
            probability=probability,
            expected_signing_on=expected_signing_on,
            owner_staff_id=owner_staff_id,
            campaign_id=campaign_id,
            weights=await self.repo.weights(conn),
            actor=actor,
            now=now,
        )
        await self.repo.add(conn, move)
        await publisher.opened(move)
        return move.opportunity

    async def update(
        self,
        conn: AsyncConnection,
        publisher: Publisher,
        opportunity_id: UUID,
        *,
        title: str | None,
        potential: Decimal | None,
        probability: Decimal | None,
        expected_signing_on: date | None,
        owner_staff_id: UUID | None,
        clear_signing_date: bool,
        now: datetime,
    ) -> Opportunity:
        """Change an opportunity's details (O1)."""
        opp = await self._get(conn, opportunity_id, for_update=True)
        updated = model.update_details(
            opp,
            title=title,
            potential=potential,
            probability=probability,
            expected_signing_on=expected_signing_on,
            owner_staff_id=owner_staff_id,
            clear_signing_date=clear_signing_date,
            now=now,
        )
        if updated != replace(opp, updated_at=now):
            await self.repo.save(conn, updated)
            await publisher.updated(updated)
        return updated

    async def change_stage(
        self,
        conn: AsyncConnection,
        publisher: Publisher,
        opportunity_id: UUID,
        request: StageRequest,
        *,
        actor: Actor,
        now: datetime,
    ) -> StageMove:
        """Move an opportunity to another stage (O2, O6, O7)."""
        opp = await self._get(conn, opportunity_id, for_update=True)
        current = await self.repo.current_entry(conn, opportunity_id)
        if request.stage == opp.stage:
            # The twin of a request that just won: say when and by whom the opportunity got here.
            by = f" by {current.changed_by}" if current.changed_by else ""
            raise Conflict(
                f"the opportunity is already at the stage '{opp.stage}' "
                f"(since {current.entered_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC{by})",
                stage=opp.stage,
            )
        move = model.change_stage(
            opp,
            current,
            request,
            weights=await self.repo.weights(conn),
            reasons=await self.repo.lost_reasons(conn),
            actor=actor,
            now=now,
        )
        await self.repo.save_move(conn, move)
        await publisher.stage_changed(move)
        return move

    async def _follow(
        self,
        conn: AsyncConnection,
        publisher: Publisher,
        opp: Opportunity,
        stage: Stage,
        note: str,
        actor: Actor,
        now: datetime,
    ) -> StageMove | None:
        """Move the opportunity forward along with its documents, when the pipeline allows it."""
        if not is_advance(opp.stage, stage):
            return None
        return await self.change_stage(
            conn, publisher, opp.id, StageRequest(stage=stage, note=note), actor=actor, now=now
        )

    async def request_document(
        self,
        conn: AsyncConnection,
        publisher: Publisher,
        opportunity_id: UUID,
        kind: DocumentKind,
        lines: list[Line],
        *,
        actor: Actor,
        now: datetime,
        valid_until: date | None = None,
        terms: ContractTerms | None = None,
        from_offer_id: UUID | None = None,
        note: str | None = None,
    ) -> Document:
        """Ask commercial for an offer, client order or contract (O4); the stage follows."""
        opp = await self._get(conn, opportunity_id, for_update=True)
        stage = target_stage(opp.stage, kind)
        checked = check_lines(lines, await self.repo.articles(conn, [x.article_code for x in lines]))
        if kind == "contract" and terms is None:
            terms = ContractTerms(kind="commercial", starts_on=now.date())
        if kind == "offer":
            valid_until = valid_until or (now + timedelta(days=self.offer_validity_days)).date()
            if valid_until < now.date():
                raise Invalid("the offer cannot be valid until a day in the past", field="valid_until")
        doc = Document(
            id=new_id(),
            opportunity_id=opp.id,
            kind=kind,
            request_id=new_id(),
            requested_at=now,
            requested_by=actor.name,
            lines=checked,
            currency=self.currency,
            valid_until=valid_until if kind == "offer" else None,
            from_offer_id=from_offer_id,
            note=(note or "").strip() or None,
        )
        await self.repo.add_document(conn, doc)
        await publisher.document_requested(
            opp, doc, requested_by_staff_id=actor.staff_id, valid_until=doc.valid_until, terms=terms
        )
        if stage is not None:
            label = {"offer": "Ofertă cerută", "order": "Comandă cerută", "contract": "Contract cerut"}[kind]
            await self.change_stage(
                conn, publisher, opp.id, StageRequest(stage=stage, note=label), actor=actor, now=now
            )
        return doc

    async def _offer(self, conn: AsyncConnection, opportunity_id: UUID, offer_id: UUID) -> Document:
        doc = await self.repo.document_by_document_id(conn, offer_id)
        if doc is None or doc.opportunity_id != opportunity_id or doc.kind != "offer":
            raise NotFound(f"no offer {offer_id} on the opportunity {opportunity_id}")
        return doc

    async def accept_offer(
        self,
        conn: AsyncConnection,
        publisher: Publisher,
        opportunity_id: UUID,
        offer_id: UUID,
        then: AcceptThen,
        *,
        terms: ContractTerms | None,
        actor: Actor,
        now: datetime,
    ) -> tuple[Document, list[Document]]:
        """The client accepted the offer: ask for the order and/or the contract with its lines (O5)."""
        opp = await self._get(conn, opportunity_id, for_update=True)
        if opp.is_closed:
            raise Conflict(f"the opportunity is closed ('{opp.stage}'): its offers are no longer decided")
        offer = decide_offer(await self._offer(conn, opportunity_id, offer_id), "accepted", by=actor.name, now=now)
        await self.repo.save_decision(conn, offer)
        requests = []
        kinds: list[DocumentKind] = ["order", "contract"] if then == "both" else [then]
        for kind in kinds:
            requests.append(
                await self.request_document(
                    conn,
                    publisher,
                    opportunity_id,
                    kind,
                    list(offer.lines),
                    actor=actor,
                    now=now,
                    terms=terms if kind == "contract" else None,
                    from_offer_id=offer.document_id,
                    note=f"Din oferta {offer.number}",
                )
            )
        return offer, requests

    async def reject_offer(
        self,
        conn: AsyncConnection,
        publisher: Publisher,
        opportunity_id: UUID,
        offer_id: UUID,
        *,
        reason_code: str | None,
        note: str | None,
        keep_open: bool,
        actor: Actor,
        now: datetime,
    ) -> tuple[Document, StageMove | None]:
        """The client rejected the offer, for a catalogued reason (O6); the opportunity is lost unless kept open."""
        opp = await self._get(conn, opportunity_id, for_update=True)
        reasons = await self.repo.lost_reasons(conn)
        active = sorted(code for code, r in reasons.items() if r.active)
        if not reason_code or reason_code not in active:
            raise Invalid(
                "rejecting an offer needs a reason from the lost-reasons catalogue (reason_code): " + ", ".join(active),
                field="reason_code",
                allowed=active,
            )
        offer = decide_offer(
            await self._offer(conn, opportunity_id, offer_id),
            "rejected",
            by=actor.name,
            now=now,
            reason_code=reason_code,
            note=note,
        )
        await self.repo.save_decision(conn, offer)
        move = None
        if not keep_open and not opp.is_closed:
            text = f"Oferta {offer.number} respinsă" + (f": {offer.note}" if offer.note else "")
            move = await self.change_stage(
                conn,
                publisher,
                opportunity_id,
                StageRequest(stage="lost", reason_code=reason_code, note=text),
                actor=actor,
                now=now,
            )
        return offer, move

    async def document_issued(
        self, conn: AsyncConnection, publisher: Publisher, issued: IssuedDocument, *, now: datetime
    ) -> Document | None:
        """Commercial issued a document: show it on its opportunity, and let the stage follow.

        Matched by the request's id, else by the document's source opportunity; others are not ours.
        """
        doc = await self.repo.document_by_request(conn, issued.request_id) if issued.request_id else None
        if doc is None:
            doc = await self.repo.document_by_document_id(conn, issued.document_id)
        if doc is None:
            if issued.opportunity_id is None or await self.repo.get(conn, issued.opportunity_id) is None:
                return None
            doc = Document(
                id=new_id(),
                opportunity_id=issued.opportunity_id,
                kind=issued.kind,
                request_id=None,
                requested_at=now,
                requested_by=COMMERCIAL.name,
                lines=issued.lines,
                from_offer_id=issued.offer_id,
            )
            await self.repo.add_document(conn, doc)
        doc = replace(
            doc,
            document_id=issued.document_id,
            number=issued.number,
            issued_on=issued.issued_on,
            net=issued.net,
            vat=issued.vat,
            gross=issued.gross,
            currency=issued.currency,
            lines=issued.lines or doc.lines,
            printout_sha256=issued.printout_sha256,
            valid_until=issued.valid_until or doc.valid_until,
            decision=doc.decision or ("open" if issued.kind == "offer" else None),
        )
        await self.repo.save_document(conn, doc)
        opp = await self._get(conn, doc.opportunity_id, for_update=True)
        follow: dict[DocumentKind, tuple[Stage, str]] = {
            "offer": ("offer", f"Oferta {issued.number} emisă"),
            "order": ("negotiation", f"Comanda {issued.number} emisă"),
            "contract": ("sale", f"Contractul {issued.number} semnat"),
        }
        stage, note = follow[issued.kind]
        await self._follow(conn, publisher, opp, stage, note, COMMERCIAL, now)
        return doc

    async def offer_decided_by_client(
        self,
        conn: AsyncConnection,
        publisher: Publisher,
        *,
        offer_id: UUID,
        accepted: bool,
        reason_code: str | None,
        note: str | None,
        now: datetime,
    ) -> Document | None:
        """Commercial recorded the client's answer to one of our offers; an offer decided here already stays so."""
        doc = await self.repo.document_by_document_id(conn, offer_id)
        if doc is None or doc.kind != "offer" or doc.decision in ("accepted", "rejected"):
            return None
        opp = await self._get(conn, doc.opportunity_id, for_update=True)
        decided = decide_offer(
            doc,
            "accepted" if accepted else "rejected",
            by=COMMERCIAL.name,
            now=now,
            reason_code=reason_code,
            note=note,
        )
        await self.repo.save_decision(conn, decided)
        if accepted:
            await self._follow(conn, publisher, opp, "negotiation", f"Oferta {doc.number} acceptată", COMMERCIAL, now)
        elif not opp.is_closed and reason_code in await self.repo.lost_reasons(conn):
            text = f"Oferta {doc.number} respinsă" + (f": {decided.note}" if decided.note else "")
            request = StageRequest(stage="lost", reason_code=reason_code, note=text)
            await self.change_stage(conn, publisher, opp.id, request, actor=COMMERCIAL, now=now)
        return decided

    async def document_refused(self, conn: AsyncConnection, *, request_id: UUID, reason: str) -> Document | None:
        """Commercial could not issue a document as asked: the opportunity shows why (the user asks again)."""
        doc = await self.repo.document_by_request(conn, request_id)
        if doc is None or doc.issued:
            return None
        refused = replace(doc, refusal=reason)
        await self.repo.save_document(conn, refused)
        return refused

    async def invoice_issued(
        self, conn: AsyncConnection, publisher: Publisher, *, order_id: UUID, number: str, now: datetime
    ) -> None:
        """An invoice on one of our orders: the sale is made (stage 4: invoice issued)."""
        doc = await self.repo.document_by_document_id(conn, order_id)
        if doc is None or doc.kind != "order":
            return
        opp = await self._get(conn, doc.opportunity_id, for_update=True)
        await self._follow(conn, publisher, opp, "sale", f"Factura {number} emisă", COMMERCIAL, now)

    async def open_for_campaign(
        self,
        conn: AsyncConnection,
        publisher: Publisher,
        *,
        campaign_id: UUID,
        partner_ids: list[UUID],
        owner_staff_id: UUID | None,
        title: str | None,
        request_id: UUID,
        now: datetime,
    ) -> list[Opportunity]:
        """One opportunity per (campaign, partner), however often the campaign asks (M7)."""
        name = title or await self.repo.campaign_name(conn, campaign_id) or "Campanie"
        opened = []
        for partner_id in dict.fromkeys(partner_ids):
            opportunity_id = new_id()
            if not await self.repo.claim_campaign_opening(conn, campaign_id, partner_id, opportunity_id, request_id):
                continue
            opened.append(
                await self.open(
                    conn,
                    publisher,
                    opportunity_id=opportunity_id,
                    partner_id=partner_id,
                    title=name,
                    potential=Decimal(0),
                    probability=None,
                    expected_signing_on=None,
                    owner_staff_id=owner_staff_id,
                    campaign_id=campaign_id,
                    actor=Actor(name="campaigns", staff_id=owner_staff_id),
                    now=now,
                )
            )
        return opened
