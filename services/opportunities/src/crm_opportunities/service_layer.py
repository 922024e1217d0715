"""The opportunities use cases: each command opens a unit of work, loads, asks the domain, saves and publishes.

Controllers and subscribers call the same methods (one per request or event); inside an event handler the
unit of work joins the handler's transaction, and its time is the event's. Nothing here knows SQL, HTTP or
the event contracts: the ``Repository`` and ``Publisher`` ports (``ports.py``) stand for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from crm_kit.errors import Conflict, Invalid, NotFound
from crm_kit.ids import new_id
from crm_kit.unit_of_work import UnitOfWork, Work
from crm_opportunities.domain import model
from crm_opportunities.domain.documents import (
    DOCUMENT_KINDS,
    AcceptThen,
    Article,
    ContractTerms,
    Document,
    DocumentKind,
    Line,
    TermsRequest,
    check_lines,
    decide_offer,
    target_stage,
)
from crm_opportunities.domain.model import (
    Actor,
    Dossier,
    LostReason,
    Opportunity,
    OpportunityFilter,
    Partner,
    StageEntry,
    StageMove,
    StageRequest,
    StageTotal,
    StageWeights,
)
from crm_opportunities.domain.stages import Stage, is_advance, validate_weights
from crm_opportunities.ports import Publisher, Repository

COMMERCIAL = Actor(name="commercial")
"""The actor of stage moves that follow documents commercial issued."""

CAMPAIGNS = "campaigns"
"""The author of an opportunity a campaign opened (M7); its page names the campaign (``Dossier.campaign_name``)."""

REQUESTED_LABEL: dict[DocumentKind, str] = {
    "offer": "Ofertă cerută",
    "order": "Comandă cerută",
    "contract": "Contract cerut",
}
"""The note of the stage move a document request causes (Romanian: the users' language)."""

# -- commands -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenOpportunity:
    """Open an opportunity at the stage ``new`` (O1); the owner defaults to the actor."""

    partner_id: UUID
    title: str
    actor: Actor
    potential: Decimal = Decimal(0)
    probability: Decimal | None = None
    expected_signing_on: date | None = None
    owner_staff_id: UUID | None = None
    campaign_id: UUID | None = None


@dataclass(frozen=True)
class UpdateOpportunity:
    """Change an opportunity's details (O1); None leaves a detail as it is."""

    opportunity_id: UUID
    title: str | None = None
    potential: Decimal | None = None
    probability: Decimal | None = None
    expected_signing_on: date | None = None
    owner_staff_id: UUID | None = None
    clear_signing_date: bool = False


@dataclass(frozen=True)
class ChangeStage:
    """Move an opportunity to another stage, maybe with a follow-up for a delegate (O2, O6, O7)."""

    opportunity_id: UUID
    request: StageRequest
    actor: Actor


@dataclass(frozen=True)
class RequestDocument:
    """Ask commercial for an offer, a client order or a contract (O4)."""

    opportunity_id: UUID
    kind: DocumentKind
    lines: tuple[Line, ...]
    actor: Actor
    valid_until: date | None = None
    terms: TermsRequest | None = None
    note: str | None = None


@dataclass(frozen=True)
class AcceptOffer:
    """The client accepted an offer: ask for the order and/or the contract with its lines (O5)."""

    opportunity_id: UUID
    offer_id: UUID
    then: AcceptThen
    actor: Actor
    terms: TermsRequest | None = None


@dataclass(frozen=True)
class RejectOffer:
    """The client rejected an offer, for a catalogued reason (O6)."""

    opportunity_id: UUID
    offer_id: UUID
    actor: Actor
    reason_code: str | None = None
    note: str | None = None
    keep_open: bool = False


@dataclass(frozen=True)
class RecordIssuedDocument:
    """Record a document commercial issued (OfferIssued, ClientOrderPlaced, ContractSigned), in our terms."""

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


@dataclass(frozen=True)
class RecordClientDecision:
    """Record the client's answer to one of our offers, as commercial heard it."""

    offer_id: UUID
    accepted: bool
    reason_code: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class RecordRefusal:
    """Record that commercial could not issue a document as asked (``requested``: the kind it was asked for)."""

    request_id: UUID
    requested: str
    reason: str


@dataclass(frozen=True)
class RecordInvoice:
    """Record an invoice commercial issued (on an order, or on nothing of ours)."""

    order_id: UUID | None
    number: str


@dataclass(frozen=True)
class OpenForCampaign:
    """Open one opportunity per (campaign, partner), however often the campaign asks (M7)."""

    campaign_id: UUID
    partner_ids: tuple[UUID, ...]
    request_id: UUID
    owner_staff_id: UUID | None = None
    title: str | None = None


@dataclass(frozen=True)
class KeepPartner:
    """Remember a partner as the directory published it."""

    partner: Partner


@dataclass(frozen=True)
class KeepArticle:
    """Remember an article as commercial published it (C5)."""

    article: Article


@dataclass(frozen=True)
class KeepCampaign:
    """Remember a campaign's name (it titles the opportunities opened for it)."""

    campaign_id: UUID
    name: str


@dataclass(frozen=True)
class AddLostReason:
    """Add a reason to the lost-reasons catalogue."""

    code: str
    text: str


@dataclass(frozen=True)
class ChangeLostReason:
    """Change a reason's text, or retire it (or bring it back)."""

    code: str
    text: str | None = None
    active: bool | None = None


@dataclass(frozen=True)
class SetStageWeights:
    """Set the weights of some or all stages (O3); stages not named keep theirs."""

    weights: dict[str, Decimal]
    by: str | None


# -- results ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Acceptance:
    """An accepted offer, the documents it asked for, and the opportunity after it."""

    offer: Document
    requests: tuple[Document, ...]
    dossier: Dossier


@dataclass(frozen=True)
class Rejection:
    """A rejected offer, the move to lost it caused (if any), and the opportunity after it."""

    offer: Document
    move: StageMove | None
    dossier: Dossier


@dataclass(frozen=True)
class OpportunityList:
    """A page of opportunities with their partner names, how many match, and the weights to value them."""

    rows: list[tuple[Opportunity, str | None]]
    total: int
    weights: dict[Stage, Decimal]


@dataclass(frozen=True)
class Pipeline:
    """Totals per stage and the weights to value them (O3)."""

    totals: list[StageTotal]
    weights: dict[Stage, Decimal]


Uow = UnitOfWork[Repository, Publisher]
Unit = Work[Repository, Publisher]


class UseCases:
    """The opportunities use cases, shared by the HTTP API and the event subscribers.

    Args:
        uow: opens units of work (the store and the outbox, or in-memory fakes).
        currency: the currency of potentials and requested documents.
        offer_validity_days: how long an offer stays valid when the request does not say.
    """

    def __init__(self, uow: Uow, *, currency: str = "RON", offer_validity_days: int = 30) -> None:
        self.uow = uow
        self.currency = currency
        self.offer_validity_days = offer_validity_days

    # -- the pipeline (O1, O2, O6, O7) -------------------------------------------------------------------

    async def open(self, cmd: OpenOpportunity) -> Dossier:
        """Open an opportunity at the stage ``new`` (O1).

        Returns:
            The new opportunity's dossier, read after the commit.
        """
        async with self.uow() as work:
            opp = await self._open(work, cmd, opportunity_id=new_id())
        return await self.dossier(opp.id)

    async def update(self, cmd: UpdateOpportunity) -> Dossier:
        """Change an opportunity's details (O1); an unchanged opportunity publishes nothing.

        Raises:
            NotFound: no such opportunity.
            Conflict: the opportunity is closed.
            Invalid: bad values.
        """
        async with self.uow() as work:
            opp = await _get(work.repo, cmd.opportunity_id, for_update=True)
            updated = model.update_details(
                opp,
                title=cmd.title,
                potential=cmd.potential,
                probability=cmd.probability,
                expected_signing_on=cmd.expected_signing_on,
                owner_staff_id=cmd.owner_staff_id,
                clear_signing_date=cmd.clear_signing_date,
                now=work.now,
            )
            if updated != replace(opp, updated_at=work.now):
                await work.repo.save(updated)
                await work.publisher.updated(updated)
        return await self.dossier(cmd.opportunity_id)

    async def change_stage(self, cmd: ChangeStage) -> Dossier:
        """Move an opportunity to another stage (O2, O6, O7); a follow-up date schedules a follow-up.

        Raises:
            NotFound: no such opportunity.
            Conflict: the pipeline does not allow the move, or another request moved it first.
            Invalid: a missing lost reason, a follow-up without a delegate, bad values.
        """
        async with self.uow() as work:
            await self._change_stage(work, cmd.opportunity_id, cmd.request, cmd.actor)
        return await self.dossier(cmd.opportunity_id)

    # -- documents (O4, O5, O6) --------------------------------------------------------------------------

    async def request_document(self, cmd: RequestDocument) -> Document:
        """Ask commercial for an offer, client order or contract (O4); the stage follows.

        Raises:
            NotFound: no such opportunity.
            Conflict: the document is not generated at the opportunity's stage.
            Invalid: bad lines, terms or validity.
        """
        async with self.uow() as work:
            terms = (cmd.terms or TermsRequest()).on(work.now.date()) if cmd.kind == "contract" else None
            return await self._request_document(
                work,
                cmd.opportunity_id,
                cmd.kind,
                list(cmd.lines),
                cmd.actor,
                valid_until=cmd.valid_until,
                terms=terms,
                note=cmd.note,
            )

    async def accept_offer(self, cmd: AcceptOffer) -> Acceptance:
        """The client accepted the offer: ask for the order and/or the contract with its lines (O5).

        Raises:
            NotFound: no such opportunity or offer.
            Conflict: the opportunity is closed, or the offer is not issued or already decided.
            Invalid: bad contract terms.
        """
        async with self.uow() as work:
            terms = (cmd.terms or TermsRequest()).on(work.now.date())
            opp = await _get(work.repo, cmd.opportunity_id, for_update=True)
            if opp.is_closed:
                raise Conflict(
                    f"the opportunity is closed ('{opp.stage}'): its offers are no longer decided",
                    code="opportunity.closed_to_offers",
                    params={"stage": opp.stage},
                )
            offer = await _offer(work.repo, cmd.opportunity_id, cmd.offer_id)
            offer = decide_offer(offer, "accepted", by=cmd.actor.name, now=work.now)
            await work.repo.save_decision(offer)
            kinds: list[DocumentKind] = ["order", "contract"] if cmd.then == "both" else [cmd.then]
            requests = [
                await self._request_document(
                    work,
                    cmd.opportunity_id,
                    kind,
                    list(offer.lines),
                    cmd.actor,
                    terms=terms if kind == "contract" else None,
                    from_offer_id=offer.document_id,
                    note=f"Din oferta {offer.number}",
                )
                for kind in kinds
            ]
        return Acceptance(offer, tuple(requests), await self.dossier(cmd.opportunity_id))

    async def reject_offer(self, cmd: RejectOffer) -> Rejection:
        """The client rejected the offer, for a catalogued reason (O6); the opportunity is lost unless kept open.

        Raises:
            NotFound: no such opportunity or offer.
            Invalid: no reason, or one not in the catalogue.
            Conflict: the offer is not issued or already decided.
        """
        async with self.uow() as work:
            opp = await _get(work.repo, cmd.opportunity_id, for_update=True)
            reasons = await work.repo.lost_reasons()
            active = sorted(code for code, r in reasons.items() if r.active)
            if not cmd.reason_code or cmd.reason_code not in active:
                raise Invalid(
                    "rejecting an offer needs a reason from the lost-reasons catalogue (reason_code): "
                    + ", ".join(active),
                    field="reason_code",
                    allowed=active,
                    code="offer.reason_missing",
                    params={"allowed": ", ".join(active)},
                )
            offer = decide_offer(
                await _offer(work.repo, cmd.opportunity_id, cmd.offer_id),
                "rejected",
                by=cmd.actor.name,
                now=work.now,
                reason_code=cmd.reason_code,
                note=cmd.note,
            )
            await work.repo.save_decision(offer)
            await work.publisher.offer_rejected(opp, offer)
            move = None
            if not cmd.keep_open and not opp.is_closed:
                text = f"Oferta {offer.number} respinsă" + (f": {offer.note}" if offer.note else "")
                request = StageRequest(stage="lost", reason_code=cmd.reason_code, note=text)
                move = await self._change_stage(work, cmd.opportunity_id, request, cmd.actor)
        return Rejection(offer, move, await self.dossier(cmd.opportunity_id))

    # -- what other contexts tell us -----------------------------------------------------------------------

    async def document_issued(self, cmd: RecordIssuedDocument) -> Document | None:
        """Commercial issued a document: show it on its opportunity, and let the stage follow.

        Matched by the request's id, else by the document's source opportunity; others are not ours.
        """
        async with self.uow() as work:
            repo = work.repo
            doc = await repo.document_by_request(cmd.request_id) if cmd.request_id else None
            if doc is None:
                doc = await repo.document_by_document_id(cmd.document_id)
            if doc is None:
                if cmd.opportunity_id is None or await repo.get(cmd.opportunity_id) is None:
                    return None
                doc = Document(
                    id=new_id(),
                    opportunity_id=cmd.opportunity_id,
                    kind=cmd.kind,
                    request_id=None,
                    requested_at=work.now,
                    requested_by=COMMERCIAL.name,
                    lines=cmd.lines,
                    from_offer_id=cmd.offer_id,
                )
                await repo.add_document(doc)
            doc = replace(
                doc,
                document_id=cmd.document_id,
                number=cmd.number,
                issued_on=cmd.issued_on,
                net=cmd.net,
                vat=cmd.vat,
                gross=cmd.gross,
                currency=cmd.currency,
                lines=cmd.lines or doc.lines,
                printout_sha256=cmd.printout_sha256,
                valid_until=cmd.valid_until or doc.valid_until,
                decision=doc.decision or ("open" if cmd.kind == "offer" else None),
            )
            await repo.save_document(doc)
            opp = await _get(repo, doc.opportunity_id, for_update=True)
            follow: dict[DocumentKind, tuple[Stage, str]] = {
                "offer": ("offer", f"Oferta {cmd.number} emisă"),
                "order": ("negotiation", f"Comanda {cmd.number} emisă"),
                "contract": ("sale", f"Contractul {cmd.number} semnat"),
            }
            stage, note = follow[cmd.kind]
            await self._follow(work, opp, stage, note)
            if opp.stage == "lost" and doc.kind == "offer":
                # asked for before the loss, issued after it: rejected as the loss's other offers were
                await self._reject_open_offers(work, opp, by=None, note=opp.lost_note)
                doc = await repo.document_by_document_id(cmd.document_id) or doc
            return doc

    async def offer_decided_by_client(self, cmd: RecordClientDecision) -> Document | None:
        """Commercial recorded the client's answer to one of our offers; an offer decided here already stays so."""
        async with self.uow() as work:
            doc = await work.repo.document_by_document_id(cmd.offer_id)
            if doc is None or doc.kind != "offer" or doc.decision in ("accepted", "rejected"):
                return None
            opp = await _get(work.repo, doc.opportunity_id, for_update=True)
            decided = decide_offer(
                doc,
                "accepted" if cmd.accepted else "rejected",
                by=COMMERCIAL.name,
                now=work.now,
                reason_code=cmd.reason_code,
                note=cmd.note,
            )
            await work.repo.save_decision(decided)
            if cmd.accepted:
                await self._follow(work, opp, "negotiation", f"Oferta {doc.number} acceptată")
            elif not opp.is_closed and cmd.reason_code in await work.repo.lost_reasons():
                text = f"Oferta {doc.number} respinsă" + (f": {decided.note}" if decided.note else "")
                request = StageRequest(stage="lost", reason_code=cmd.reason_code, note=text)
                await self._change_stage(work, opp.id, request, COMMERCIAL)
            return decided

    async def document_refused(self, cmd: RecordRefusal) -> Document | None:
        """Commercial could not issue a document as asked: the opportunity shows why (the user asks again)."""
        if cmd.requested not in DOCUMENT_KINDS:
            return None  # a refusal of a document we never ask for (e.g. an invoice)
        async with self.uow() as work:
            doc = await work.repo.document_by_request(cmd.request_id)
            if doc is None or doc.issued:
                return None
            refused = replace(doc, refusal=cmd.reason)
            await work.repo.save_document(refused)
            return refused

    async def invoice_issued(self, cmd: RecordInvoice) -> StageMove | None:
        """An invoice on one of our orders: the sale is made (stage 4: invoice issued)."""
        if cmd.order_id is None:
            return None
        async with self.uow() as work:
            doc = await work.repo.document_by_document_id(cmd.order_id)
            if doc is None or doc.kind != "order":
                return None
            opp = await _get(work.repo, doc.opportunity_id, for_update=True)
            return await self._follow(work, opp, "sale", f"Factura {cmd.number} emisă")

    async def open_for_campaign(self, cmd: OpenForCampaign) -> list[Opportunity]:
        """One opportunity per (campaign, partner), however often the campaign asks (M7).

        A command carries up to 500 partners: they are claimed in one statement (a partner claimed
        before, by a redelivered command or a racing one, is left out), and the opportunities, their
        history and their events are written in a few statements for all of them.
        """
        async with self.uow() as work:
            wanted = {partner_id: new_id() for partner_id in cmd.partner_ids}
            claimed = await work.repo.claim_campaign_openings(cmd.campaign_id, wanted, cmd.request_id)
            if not claimed:
                return []
            name = cmd.title or await work.repo.campaign_name(cmd.campaign_id) or "Campanie"
            actor = Actor(name=CAMPAIGNS, staff_id=cmd.owner_staff_id)
            weights = await work.repo.weights()
            moves = [
                model.open_opportunity(
                    opportunity_id=opportunity_id,
                    partner_id=partner_id,
                    title=name,
                    potential=Decimal(0),
                    probability=None,
                    expected_signing_on=None,
                    owner_staff_id=cmd.owner_staff_id,
                    campaign_id=cmd.campaign_id,
                    weights=weights,
                    actor=actor,
                    now=work.now,
                )
                for partner_id, opportunity_id in wanted.items()
                if partner_id in claimed
            ]
            await work.repo.add_many(moves)
            await work.publisher.opened_many(moves)
            return [move.opportunity for move in moves]

    async def partner_changed(self, cmd: KeepPartner) -> None:
        """Keep partner names and kinds for lists and pickers."""
        async with self.uow() as work:
            await work.repo.upsert_partner(cmd.partner)

    async def partners_registered(self, cmds: Sequence[KeepPartner]) -> None:
        """Keep newly registered partners (a CSV import brings 100,000), in one statement.

        A partner already known keeps what it has: a later change of it may have arrived first, and a
        replayed registration must not undo it.
        """
        async with self.uow() as work:
            await work.repo.add_new_partners(list({c.partner.partner_id: c.partner for c in cmds}.values()))

    async def article_changed(self, cmd: KeepArticle) -> None:
        """Keep the article catalogue for the document lines' picker (C5)."""
        async with self.uow() as work:
            await work.repo.upsert_article(cmd.article)

    async def campaign_changed(self, cmd: KeepCampaign) -> None:
        """Keep campaign names: they title the opportunities opened for a campaign."""
        async with self.uow() as work:
            await work.repo.upsert_campaign(cmd.campaign_id, cmd.name)

    # -- catalogues (O3, O6) ----------------------------------------------------------------------------

    async def add_lost_reason(self, cmd: AddLostReason) -> LostReason:
        """Add a reason to the catalogue.

        Raises:
            Conflict: the code is taken.
            Invalid: a blank text.
        """
        reason = model.new_lost_reason(cmd.code, cmd.text)
        async with self.uow() as work:
            if not await work.repo.add_lost_reason(reason):
                raise Conflict(
                    f"the lost reason code '{cmd.code}' already exists",
                    field="code",
                    code="lost_reason.code_taken",
                    params={"code": cmd.code},
                )
        return reason

    async def change_lost_reason(self, cmd: ChangeLostReason) -> LostReason:
        """Change a reason's text, or retire it.

        Raises:
            NotFound: no such reason.
            Invalid: a blank text.
        """
        async with self.uow() as work:
            reason = (await work.repo.lost_reasons()).get(cmd.code)
            if reason is None:
                raise NotFound(f"no lost reason '{cmd.code}'", code="record.not_found")
            reason = reason.amended(text=cmd.text, active=cmd.active)
            await work.repo.save_lost_reason(reason)
        return reason

    async def set_weights(self, cmd: SetStageWeights) -> StageWeights:
        """Set the weights of some or all stages (O3).

        Raises:
            Invalid: an unknown stage, a weight out of 0-100, or a non-zero weight of 'lost'.
        """
        weights = validate_weights(cmd.weights)
        async with self.uow() as work:
            await work.repo.set_weights(weights, by=cmd.by, now=work.now)
            return StageWeights(await work.repo.weights(), updated_at=work.now, updated_by=cmd.by)

    # -- queries ----------------------------------------------------------------------------------------

    async def dossier(self, opportunity_id: UUID) -> Dossier:
        """One opportunity with its partner's name, the stage weights, its documents and stage history.

        Raises:
            NotFound: no such opportunity.
        """
        async with self.uow.reading() as repo:
            opp = await _get(repo, opportunity_id)
            partner = await repo.partner(opp.partner_id)
            return Dossier(
                opportunity=opp,
                partner_name=partner.name if partner else None,
                weights=await repo.weights(),
                documents=tuple(await repo.documents_of(opportunity_id)),
                history=tuple(await repo.history(opportunity_id)),
                campaign_name=await repo.campaign_name(opp.campaign_id) if opp.campaign_id else None,
            )

    async def find(self, flt: OpportunityFilter, *, limit: int, offset: int) -> OpportunityList:
        """A page of opportunities, newest first, with their partner names."""
        async with self.uow.reading() as repo:
            rows, total = await repo.find(flt, limit=limit, offset=offset)
            return OpportunityList(rows, total, await repo.weights())

    async def stage_history(self, opportunity_id: UUID) -> list[StageEntry]:
        """The opportunity's stays, oldest first.

        Raises:
            NotFound: no such opportunity.
        """
        async with self.uow.reading() as repo:
            await _get(repo, opportunity_id)
            return await repo.history(opportunity_id)

    async def documents(self, opportunity_id: UUID) -> list[Document]:
        """The documents requested for the opportunity and those commercial issued.

        Raises:
            NotFound: no such opportunity.
        """
        async with self.uow.reading() as repo:
            await _get(repo, opportunity_id)
            return await repo.documents_of(opportunity_id)

    async def articles(self, *, q: str | None, limit: int) -> list[Article]:
        """The article picker (C5): articles commercial published, by code or name."""
        async with self.uow.reading() as repo:
            return await repo.search_articles(q=q, limit=limit)

    async def partners(self, *, name: str | None, limit: int) -> list[Partner]:
        """The partner picker: partners the directory published, by name."""
        async with self.uow.reading() as repo:
            return await repo.partners(name=name, limit=limit)

    async def lost_reasons(self, *, active: bool | None = None) -> list[LostReason]:
        """The catalogue by text: every reason, or only the active (or retired) ones."""
        async with self.uow.reading() as repo:
            reasons = list((await repo.lost_reasons()).values())
        return [r for r in reasons if active is None or r.active == active]

    async def weights(self) -> StageWeights:
        """The weight of each stage, and when and by whom they were set last."""
        async with self.uow.reading() as repo:
            values = await repo.weights()
            at, by = await repo.weights_meta()
        return StageWeights(values, updated_at=at, updated_by=by)

    async def pipeline(self, *, owner_staff_id: UUID | None = None, campaign_id: UUID | None = None) -> Pipeline:
        """Count and potential per stage, with the weights to value them (O3)."""
        async with self.uow.reading() as repo:
            totals = await repo.stage_totals(owner_staff_id=owner_staff_id, campaign_id=campaign_id)
            return Pipeline(totals, await repo.weights())

    # -- steps shared by several use cases, inside one unit of work ----------------------------------------

    async def _open(self, work: Unit, cmd: OpenOpportunity, *, opportunity_id: UUID) -> Opportunity:
        move = model.open_opportunity(
            opportunity_id=opportunity_id,
            partner_id=cmd.partner_id,
            title=cmd.title,
            potential=cmd.potential,
            probability=cmd.probability,
            expected_signing_on=cmd.expected_signing_on,
            owner_staff_id=cmd.owner_staff_id,
            campaign_id=cmd.campaign_id,
            weights=await work.repo.weights(),
            actor=cmd.actor,
            now=work.now,
        )
        await work.repo.add(move)
        await work.publisher.opened(move)
        return move.opportunity

    async def _change_stage(self, work: Unit, opportunity_id: UUID, request: StageRequest, actor: Actor) -> StageMove:
        opp = await _get(work.repo, opportunity_id, for_update=True)
        move = model.change_stage(
            opp,
            await work.repo.current_entry(opportunity_id),
            request,
            weights=await work.repo.weights(),
            reasons=await work.repo.lost_reasons(),
            actor=actor,
            now=work.now,
        )
        await work.repo.save_move(move)
        await work.publisher.stage_changed(move)
        if move.opportunity.stage == "lost":
            await self._reject_open_offers(work, move.opportunity, by=actor.name, note=move.entry.note)
        return move

    async def _reject_open_offers(self, work: Unit, opp: Opportunity, *, by: str | None, note: str | None) -> None:
        """A lost opportunity's open offers are rejected with it, for its lost reason (O6).

        The reasons an offer was not agreed are chosen on the opportunity (the source's *Motive*); an offer
        left open on a lost opportunity could be neither accepted (it is closed) nor rejected any more.
        """
        for doc in await work.repo.documents_of(opp.id):
            if doc.kind == "offer" and doc.issued and doc.decision in (None, "open"):
                rejected = decide_offer(
                    doc, "rejected", by=by, now=work.now, reason_code=opp.lost_reason_code, note=note
                )
                await work.repo.save_decision(rejected)
                if rejected.reason_code:  # a lost opportunity has its reason: commercial's offer follows
                    await work.publisher.offer_rejected(opp, rejected)

    async def _follow(self, work: Unit, opp: Opportunity, stage: Stage, note: str) -> StageMove | None:
        """Move the opportunity forward along with commercial's documents, when the pipeline allows it."""
        if not is_advance(opp.stage, stage):
            return None
        return await self._change_stage(work, opp.id, StageRequest(stage=stage, note=note), COMMERCIAL)

    async def _request_document(
        self,
        work: Unit,
        opportunity_id: UUID,
        kind: DocumentKind,
        lines: list[Line],
        actor: Actor,
        *,
        valid_until: date | None = None,
        terms: ContractTerms | None = None,
        from_offer_id: UUID | None = None,
        note: str | None = None,
    ) -> Document:
        opp = await _get(work.repo, opportunity_id, for_update=True)
        stage = target_stage(opp.stage, kind)
        checked = check_lines(lines, await work.repo.articles([x.article_code for x in lines]))
        now = work.now
        if kind == "offer":
            valid_until = valid_until or (now + timedelta(days=self.offer_validity_days)).date()
            if valid_until < now.date():
                raise Invalid(
                    "the offer cannot be valid until a day in the past",
                    field="valid_until",
                    code="offer.valid_until_past",
                )
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
        await work.repo.add_document(doc)
        await work.publisher.document_requested(
            opp, doc, requested_by_staff_id=actor.staff_id, valid_until=doc.valid_until, terms=terms
        )
        if stage is not None:
            await self._change_stage(work, opp.id, StageRequest(stage=stage, note=REQUESTED_LABEL[kind]), actor)
        return doc


async def _get(repo: Repository, opportunity_id: UUID, *, for_update: bool = False) -> Opportunity:
    opp = await repo.get(opportunity_id, for_update=for_update)
    if opp is None:
        raise NotFound(f"no opportunity {opportunity_id}", code="record.not_found")
    return opp


async def _offer(repo: Repository, opportunity_id: UUID, offer_id: UUID) -> Document:
    doc = await repo.document_by_document_id(offer_id)
    if doc is None or doc.opportunity_id != opportunity_id or doc.kind != "offer":
        raise NotFound(f"no offer {offer_id} on the opportunity {opportunity_id}", code="record.not_found")
    return doc
