"""In-memory twins of the opportunities ports, for unit tests of the use cases (no database, no broker)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from crm_kit.errors import Conflict
from crm_kit.testing.fakes import FakeClock, FakeUnitOfWork
from crm_opportunities.domain.documents import Article, ContractTerms, Document, already_decided
from crm_opportunities.domain.model import (
    LostReason,
    Opportunity,
    OpportunityFilter,
    Partner,
    StageEntry,
    StageMove,
    StageTotal,
)
from crm_opportunities.domain.stages import DEFAULT_WEIGHTS, STAGES, Stage
from crm_opportunities.ports import Publisher, Repository
from crm_opportunities.service_layer import UseCases

SEEDED_REASONS = {
    "competitor": LostReason("competitor", "Concurent prezent"),
    "price_too_high": LostReason("price_too_high", "Preț prea mare"),
    "no_budget": LostReason("no_budget", "Fără buget"),
    "no_answer": LostReason("no_answer", "Fără răspuns"),
}
"""The catalogue the first migration seeds."""


@dataclass
class InMemoryRepository:
    """The ``Repository`` port in dicts; a stage move or offer decision that lost a race raises like the store."""

    opportunities: dict[UUID, Opportunity] = field(default_factory=dict)
    entries: dict[UUID, list[StageEntry]] = field(default_factory=dict)
    docs: dict[UUID, Document] = field(default_factory=dict)
    stage_weights: dict[Stage, Decimal] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    weights_set: tuple[datetime | None, str | None] = (None, None)
    reasons: dict[str, LostReason] = field(default_factory=lambda: dict(SEEDED_REASONS))
    known_partners: dict[UUID, Partner] = field(default_factory=dict)
    known_articles: dict[str, Article] = field(default_factory=dict)
    campaigns: dict[UUID, str] = field(default_factory=dict)
    openings: dict[tuple[UUID, UUID], UUID] = field(default_factory=dict)

    async def get(self, opportunity_id: UUID, *, for_update: bool = False) -> Opportunity | None:
        return self.opportunities.get(opportunity_id)

    async def add(self, move: StageMove) -> None:
        self.opportunities[move.opportunity.id] = move.opportunity
        self.entries[move.opportunity.id] = [move.entry]

    async def add_many(self, moves: Sequence[StageMove]) -> None:
        for move in moves:
            await self.add(move)

    async def save(self, opp: Opportunity) -> None:
        self.opportunities[opp.id] = opp

    async def save_move(self, move: StageMove) -> None:
        opp = move.opportunity
        stays = self.entries[opp.id]
        if move.previous is not None:
            if self.opportunities[opp.id].stage != move.previous.stage:
                raise Conflict(f"the opportunity moved to '{self.opportunities[opp.id].stage}' meanwhile")
            stays[-1] = move.previous
        self.opportunities[opp.id] = opp
        stays.append(move.entry)

    async def find(
        self, flt: OpportunityFilter, *, limit: int, offset: int
    ) -> tuple[list[tuple[Opportunity, str | None]], int]:
        def matches(o: Opportunity) -> bool:
            return (
                flt.partner_id in (None, o.partner_id)
                and flt.stage in (None, o.stage)
                and flt.campaign_id in (None, o.campaign_id)
                and flt.owner_staff_id in (None, o.owner_staff_id)
                and (not flt.title or flt.title.lower() in o.title.lower())
            )

        found = sorted(
            (o for o in self.opportunities.values() if matches(o)), key=lambda o: (o.created_at, o.id), reverse=True
        )
        page = found[offset : offset + limit]
        return [(o, self._partner_name(o.partner_id)) for o in page], len(found)

    def _partner_name(self, partner_id: UUID) -> str | None:
        partner = self.known_partners.get(partner_id)
        return partner.name if partner else None

    async def history(self, opportunity_id: UUID) -> list[StageEntry]:
        return list(self.entries.get(opportunity_id, []))

    async def current_entry(self, opportunity_id: UUID) -> StageEntry:
        return self.entries[opportunity_id][-1]

    async def stage_totals(self, *, owner_staff_id: UUID | None, campaign_id: UUID | None) -> list[StageTotal]:
        chosen = [
            o
            for o in self.opportunities.values()
            if owner_staff_id in (None, o.owner_staff_id) and campaign_id in (None, o.campaign_id)
        ]
        return [
            StageTotal(
                stage=s,
                count=sum(1 for o in chosen if o.stage == s),
                potential=sum((o.potential for o in chosen if o.stage == s), Decimal(0)),
            )
            for s in STAGES
        ]

    async def claim_campaign_openings(
        self, campaign_id: UUID, openings: Mapping[UUID, UUID], request_id: UUID
    ) -> set[UUID]:
        claimed = {p for p in openings if (campaign_id, p) not in self.openings}
        self.openings.update({(campaign_id, p): openings[p] for p in claimed})
        return claimed

    async def campaign_name(self, campaign_id: UUID) -> str | None:
        return self.campaigns.get(campaign_id)

    async def upsert_campaign(self, campaign_id: UUID, name: str) -> None:
        self.campaigns[campaign_id] = name

    async def add_document(self, doc: Document) -> None:
        self.docs[doc.id] = doc

    async def save_decision(self, offer: Document) -> None:
        stored = self.docs[offer.id]
        if stored.decision not in (None, "open"):
            raise already_decided(stored.number, stored.decision, stored.decided_at, stored.decided_by)
        self.docs[offer.id] = offer

    async def save_document(self, doc: Document) -> None:
        self.docs[doc.id] = doc

    async def documents_of(self, opportunity_id: UUID) -> list[Document]:
        found = [d for d in self.docs.values() if d.opportunity_id == opportunity_id]
        return sorted(found, key=lambda d: (d.requested_at, d.id))

    async def document_by_request(self, request_id: UUID) -> Document | None:
        return next((d for d in self.docs.values() if d.request_id == request_id), None)

    async def document_by_document_id(self, document_id: UUID) -> Document | None:
        return next((d for d in self.docs.values() if d.document_id == document_id), None)

    async def weights(self) -> dict[Stage, Decimal]:
        return dict(self.stage_weights)

    async def weights_meta(self) -> tuple[datetime | None, str | None]:
        return self.weights_set

    async def set_weights(self, weights: dict[Stage, Decimal], *, by: str | None, now: datetime) -> None:
        self.stage_weights.update(weights)
        self.weights_set = (now, by)

    async def lost_reasons(self) -> dict[str, LostReason]:
        return {r.code: r for r in sorted(self.reasons.values(), key=lambda r: r.text)}

    async def add_lost_reason(self, reason: LostReason) -> bool:
        if reason.code in self.reasons:
            return False
        self.reasons[reason.code] = reason
        return True

    async def save_lost_reason(self, reason: LostReason) -> None:
        self.reasons[reason.code] = reason

    async def upsert_partner(self, partner: Partner) -> None:
        self.known_partners[partner.partner_id] = partner

    async def add_new_partners(self, partners: Sequence[Partner]) -> None:
        for p in partners:
            self.known_partners.setdefault(p.partner_id, p)

    async def partner(self, partner_id: UUID) -> Partner | None:
        return self.known_partners.get(partner_id)

    async def partners(self, *, name: str | None, limit: int) -> list[Partner]:
        found = [p for p in self.known_partners.values() if not name or name.lower() in p.name.lower()]
        return sorted(found, key=lambda p: p.name)[:limit]

    async def upsert_article(self, article: Article) -> None:
        self.known_articles[article.code] = article

    async def articles(self, codes: list[str]) -> dict[str, Article]:
        return {c: self.known_articles[c] for c in codes if c in self.known_articles}

    async def search_articles(self, *, q: str | None, limit: int) -> list[Article]:
        wanted = (q or "").lower()
        found = [a for a in self.known_articles.values() if wanted in a.code.lower() or wanted in a.name.lower()]
        return sorted(found, key=lambda a: a.code)[:limit]


@dataclass
class FakePublisher:
    """The ``Publisher`` port as a list of what the use cases said: ``("stage_changed", move)``."""

    calls: list[tuple[str, Any]] = field(default_factory=list)

    async def opened(self, move: StageMove) -> None:
        self.calls.append(("opened", move))

    async def opened_many(self, moves: Sequence[StageMove]) -> None:
        self.calls += [("opened", move) for move in moves]

    async def updated(self, opp: Opportunity) -> None:
        self.calls.append(("updated", opp))

    async def stage_changed(self, move: StageMove) -> None:
        self.calls.append(("stage_changed", move))

    async def document_requested(
        self,
        opp: Opportunity,
        doc: Document,
        *,
        requested_by_staff_id: UUID | None,
        valid_until: date | None,
        terms: ContractTerms | None,
    ) -> None:
        self.calls.append(("document_requested", (doc, terms)))

    async def offer_rejected(self, opp: Opportunity, offer: Document) -> None:
        self.calls.append(("offer_rejected", offer))

    def said(self) -> list[str]:
        """What was published, in order, by name."""
        return [name for name, _ in self.calls]

    def of(self, name: str) -> list[Any]:
        """The arguments of every call of one kind."""
        return [arg for said, arg in self.calls if said == name]


T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class World:
    """Use cases on fakes, with the fakes at hand to arrange and to look at."""

    repo: InMemoryRepository
    publisher: FakePublisher
    clock: FakeClock
    uow: FakeUnitOfWork[Repository, Publisher]
    uses: UseCases


def world() -> World:
    """Fresh fakes (the seeded catalogue and default weights), a clock at ``T0``, and the use cases on them."""
    repo, publisher, clock = InMemoryRepository(), FakePublisher(), FakeClock(T0)
    uow = FakeUnitOfWork[Repository, Publisher](repo, publisher, clock)
    return World(repo, publisher, clock, uow, UseCases(uow))
