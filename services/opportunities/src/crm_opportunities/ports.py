"""What the opportunities use cases need from the outside: the store (``Repository``) and the events (``Publisher``).

The adapters are ``store.repository.SqlRepository`` and ``events.publisher.KafkaPublisher``; the unit tests'
in-memory twins are in ``tests/unit/fakes.py``. Only domain types and the standard library appear here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from crm_opportunities.domain.documents import Article, ContractTerms, Document
from crm_opportunities.domain.model import (
    LostReason,
    Opportunity,
    OpportunityFilter,
    Partner,
    StageEntry,
    StageMove,
    StageTotal,
)
from crm_opportunities.domain.stages import Stage


class Repository(Protocol):
    """Opportunities, their stage history and documents, the catalogues, and the read models of other contexts."""

    async def get(self, opportunity_id: UUID, *, for_update: bool = False) -> Opportunity | None:
        """One opportunity (``for_update``: held until the unit of work ends)."""
        ...

    async def add(self, move: StageMove) -> None:
        """Save a newly opened opportunity and its first history entry."""
        ...

    async def add_many(self, moves: Sequence[StageMove]) -> None:
        """Save newly opened opportunities and their first history entries, a few statements for all."""
        ...

    async def save(self, opp: Opportunity) -> None:
        """Save an opportunity's details."""
        ...

    async def save_move(self, move: StageMove) -> None:
        """Save a stage move; a ``Conflict`` when another request moved the opportunity first."""
        ...

    async def find(
        self, flt: OpportunityFilter, *, limit: int, offset: int
    ) -> tuple[list[tuple[Opportunity, str | None]], int]:
        """A page of opportunities (newest first) with their partner names, and how many match."""
        ...

    async def history(self, opportunity_id: UUID) -> list[StageEntry]:
        """Every stay of the opportunity, oldest first."""
        ...

    async def current_entry(self, opportunity_id: UUID) -> StageEntry:
        """The stay the opportunity is in now."""
        ...

    async def stage_totals(self, *, owner_staff_id: UUID | None, campaign_id: UUID | None) -> list[StageTotal]:
        """Count and summed potential per stage."""
        ...

    async def claim_campaign_openings(
        self, campaign_id: UUID, openings: Mapping[UUID, UUID], request_id: UUID
    ) -> set[UUID]:
        """Claim (campaign, partner) for each partner's new opportunity (``openings``: partner -> opportunity).

        Returns the partners claimed now; one already claimed (by an earlier or a concurrent request) is not.
        """
        ...

    async def campaign_name(self, campaign_id: UUID) -> str | None:
        """A campaign's name, as campaigns last published it."""
        ...

    async def upsert_campaign(self, campaign_id: UUID, name: str) -> None:
        """Remember a campaign's name."""
        ...

    async def add_document(self, doc: Document) -> None:
        """Save a newly requested (or first seen) document."""
        ...

    async def save_decision(self, offer: Document) -> None:
        """Save an offer's decision; a ``Conflict`` when another request decided it first."""
        ...

    async def save_document(self, doc: Document) -> None:
        """Save a document's new state."""
        ...

    async def documents_of(self, opportunity_id: UUID) -> list[Document]:
        """The opportunity's documents, in the order they were requested."""
        ...

    async def document_by_request(self, request_id: UUID) -> Document | None:
        """The document a request of ours asked for."""
        ...

    async def document_by_document_id(self, document_id: UUID) -> Document | None:
        """The document commercial issued under this id."""
        ...

    async def weights(self) -> dict[Stage, Decimal]:
        """The weight of every stage, in percent."""
        ...

    async def weights_meta(self) -> tuple[datetime | None, str | None]:
        """When and by whom the weights were set last."""
        ...

    async def set_weights(self, weights: dict[Stage, Decimal], *, by: str | None, now: datetime) -> None:
        """Set the weights of some stages."""
        ...

    async def lost_reasons(self) -> dict[str, LostReason]:
        """The lost-reasons catalogue by code (retired ones too), ordered by text."""
        ...

    async def add_lost_reason(self, reason: LostReason) -> bool:
        """Add a reason; False when its code is taken."""
        ...

    async def save_lost_reason(self, reason: LostReason) -> None:
        """Save a reason's text and state."""
        ...

    async def upsert_partner(self, partner: Partner) -> None:
        """Remember a partner as the directory published it."""
        ...

    async def add_new_partners(self, partners: Sequence[Partner]) -> None:
        """Remember newly registered partners in one statement; one already known keeps what it has."""
        ...

    async def partner(self, partner_id: UUID) -> Partner | None:
        """One partner of the read model."""
        ...

    async def partners(self, *, name: str | None, limit: int) -> list[Partner]:
        """Partners by name (a part of it, any case), at most ``limit``."""
        ...

    async def upsert_article(self, article: Article) -> None:
        """Remember an article as commercial published it."""
        ...

    async def articles(self, codes: list[str]) -> dict[str, Article]:
        """The named articles that exist, by code."""
        ...

    async def search_articles(self, *, q: str | None, limit: int) -> list[Article]:
        """Articles by a part of their code or name, at most ``limit``."""
        ...


class Publisher(Protocol):
    """What the opportunities context tells the others, in domain terms."""

    async def opened(self, move: StageMove) -> None:
        """A new opportunity (and its first stage)."""
        ...

    async def opened_many(self, moves: Sequence[StageMove]) -> None:
        """New opportunities (and their first stages), told at once."""
        ...

    async def updated(self, opp: Opportunity) -> None:
        """An opportunity's details changed."""
        ...

    async def stage_changed(self, move: StageMove) -> None:
        """An opportunity moved (with the follow-up, sale or loss the move implies)."""
        ...

    async def document_requested(
        self,
        opp: Opportunity,
        doc: Document,
        *,
        requested_by_staff_id: UUID | None,
        valid_until: date | None,
        terms: ContractTerms | None,
    ) -> None:
        """Ask commercial for an offer, a client order or a contract."""
        ...

    async def offer_rejected(self, opp: Opportunity, offer: Document) -> None:
        """Tell commercial the client rejected one of its offers (the reason and who are on ``offer``)."""
        ...
