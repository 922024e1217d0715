"""Opportunities and their stage history: opening, details, stage moves, follow-ups, loss (O1, O2, O6, O7)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from crm_kit.errors import Conflict, Invalid
from crm_opportunities.domain.documents import Document
from crm_opportunities.domain.money import money, weighted
from crm_opportunities.domain.stages import CLOSED_STAGES, Stage, check_transition


@dataclass(frozen=True)
class LostReason:
    """An entry of the lost-reasons catalogue (CRM > Nomenclatoare > Motive)."""

    code: str
    text: str
    active: bool = True

    def amended(self, *, text: str | None, active: bool | None) -> LostReason:
        """The reason with a new text and/or retired (or brought back); what is not given stays.

        Raises:
            Invalid: a blank text.
        """
        if text is not None and not text.strip():
            raise Invalid("the lost reason needs a text", field="text", code="lost_reason.text_missing")
        return replace(
            self,
            text=text.strip() if text else self.text,
            active=self.active if active is None else active,
        )


def new_lost_reason(code: str, text: str) -> LostReason:
    """A new, active catalogue entry (its text trimmed).

    Raises:
        Invalid: a blank text.
    """
    if not text.strip():
        raise Invalid("the lost reason needs a text", field="text", code="lost_reason.text_missing")
    return LostReason(code=code, text=text.strip())


@dataclass(frozen=True)
class Opportunity:
    """A chance to sell to a partner, moving through the pipeline's stages."""

    id: UUID
    partner_id: UUID
    title: str
    potential: Decimal
    probability: Decimal
    expected_signing_on: date | None
    owner_staff_id: UUID | None
    campaign_id: UUID | None
    stage: Stage
    stage_entered_at: datetime
    created_at: datetime
    updated_at: datetime
    lost_reason_code: str | None = None
    lost_note: str | None = None

    @property
    def is_closed(self) -> bool:
        return self.stage in CLOSED_STAGES

    @property
    def expected_value(self) -> Decimal:
        """The potential times the probability: what a user reads as the opportunity's weighted value."""
        return weighted(self.potential, self.probability)


@dataclass(frozen=True)
class StageEntry:
    """One stay of an opportunity in a stage: who moved it there, when, and what it was worth then."""

    opportunity_id: UUID
    seq: int
    from_stage: Stage | None
    stage: Stage
    entered_at: datetime
    potential: Decimal
    probability: Decimal
    weight: Decimal
    changed_by: str | None = None
    changed_by_staff_id: UUID | None = None
    note: str | None = None
    delegate_staff_id: UUID | None = None
    follow_up_at: datetime | None = None
    reason_code: str | None = None
    left_at: datetime | None = None

    @property
    def weighted_potential(self) -> Decimal:
        """The potential allocated to the stage by the stage's weight (O3), as ``StageChanged`` tells it."""
        return weighted(self.potential, self.weight)

    @property
    def expected_value(self) -> Decimal:
        """The potential times this stay's probability: the weighted value its history line shows.

        It differs from ``weighted_potential`` when the user set a probability of their own (e.g. 30% on a
        new opportunity, whose stage weighs 0%).
        """
        return weighted(self.potential, self.probability)

    def seconds_in_stage(self, now: datetime) -> int:
        """Time spent in this stage so far (until it was left, or until ``now``)."""
        end = self.left_at or now
        return max(0, int((end - self.entered_at).total_seconds()))


@dataclass(frozen=True)
class FollowUp:
    """A follow-up the stage's delegate must do by a date (tasks makes it a task, O7)."""

    opportunity_id: UUID
    partner_id: UUID
    title: str
    stage: Stage
    delegate_staff_id: UUID
    follow_up_at: datetime
    note: str | None
    created_by_staff_id: UUID | None
    created_by: str | None = None
    """The login of who scheduled it: the task's issuer even when that user has no staff record (an admin)."""


@dataclass(frozen=True)
class StageMove:
    """The outcome of a stage change: the new state, the stay it closed, the stay it opened, a follow-up."""

    opportunity: Opportunity
    previous: StageEntry | None
    entry: StageEntry
    follow_up: FollowUp | None = None
    reason: LostReason | None = None

    @property
    def seconds_in_previous_stage(self) -> int | None:
        if self.previous is None:
            return None
        return self.previous.seconds_in_stage(self.entry.entered_at)


@dataclass(frozen=True)
class Actor:
    """Who acts: a user (login and staff id) or another context (e.g. ``commercial``)."""

    name: str | None
    staff_id: UUID | None = None


@dataclass(frozen=True)
class StageRequest:
    """What a user asks when moving an opportunity (API: POST /opportunities/{id}/stage)."""

    stage: Stage
    note: str | None = None
    delegate_staff_id: UUID | None = None
    follow_up_at: datetime | None = None
    reason_code: str | None = None
    probability: Decimal | None = None
    potential: Decimal | None = None


def check_probability(value: Decimal) -> Decimal:
    """A probability in percent, 0-100.

    Raises:
        Invalid: out of range.
    """
    if not value.is_finite() or value < 0 or value > 100:
        raise Invalid(
            f"the probability is a percentage between 0 and 100, not {value}",
            field="probability",
            code="opportunity.probability_range",
            params={"value": str(value)},
        )
    return value.quantize(Decimal("0.01"))


def check_potential(value: Decimal) -> Decimal:
    """A sales potential: a non-negative amount.

    Raises:
        Invalid: negative or not a number.
    """
    if not value.is_finite() or value < 0:
        raise Invalid(
            f"the sales potential cannot be negative ({value})",
            field="potential",
            code="opportunity.potential_negative",
            params={"value": str(value)},
        )
    if value >= Decimal("1e12"):
        raise Invalid("the sales potential is too large", field="potential", code="opportunity.potential_too_large")
    return money(value)


def check_title(value: str) -> str:
    """A non-blank title of at most 200 characters.

    Raises:
        Invalid: blank or too long.
    """
    title = value.strip()
    if not title:
        raise Invalid("the opportunity needs a title", field="title", code="opportunity.title_missing")
    if len(title) > 200:
        raise Invalid(
            "the title is longer than 200 characters", field="title", code="record.too_long", params={"limit": 200}
        )
    return title


def open_opportunity(
    *,
    opportunity_id: UUID,
    partner_id: UUID,
    title: str,
    potential: Decimal,
    probability: Decimal | None,
    expected_signing_on: date | None,
    owner_staff_id: UUID | None,
    campaign_id: UUID | None,
    weights: dict[Stage, Decimal],
    actor: Actor,
    now: datetime,
    note: str | None = None,
) -> StageMove:
    """A new opportunity at the stage ``new``, with the first entry of its stage history.

    Its owner is the given staff member, else the staff member who opens it.
    """
    opportunity = Opportunity(
        id=opportunity_id,
        partner_id=partner_id,
        title=check_title(title),
        potential=check_potential(potential),
        probability=check_probability(probability if probability is not None else weights["new"]),
        expected_signing_on=expected_signing_on,
        owner_staff_id=owner_staff_id or actor.staff_id,
        campaign_id=campaign_id,
        stage="new",
        stage_entered_at=now,
        created_at=now,
        updated_at=now,
    )
    entry = StageEntry(
        opportunity_id=opportunity_id,
        seq=1,
        from_stage=None,
        stage="new",
        entered_at=now,
        potential=opportunity.potential,
        probability=opportunity.probability,
        weight=weights["new"],
        changed_by=actor.name,
        changed_by_staff_id=actor.staff_id,
        note=note,
    )
    return StageMove(opportunity=opportunity, previous=None, entry=entry)


def change_stage(
    opportunity: Opportunity,
    current: StageEntry,
    request: StageRequest,
    *,
    weights: dict[Stage, Decimal],
    reasons: dict[str, LostReason],
    actor: Actor,
    now: datetime,
) -> StageMove:
    """Move an opportunity to another stage, closing the current stay and opening the next.

    The probability defaults to the new stage's weight (the O2 ladder); a lost opportunity needs a
    reason from the catalogue (O6); a follow-up date makes a follow-up for the delegate (O7),
    by default the user who moved it.

    Raises:
        Conflict: the move is not allowed (already there: since when and by whom, for the twin of a request
            that just won).
        Invalid: a missing or unknown lost reason, a follow-up without a delegate, bad values.
    """
    if request.stage == opportunity.stage:
        by = f" by {current.changed_by}" if current.changed_by else ""
        raise Conflict(
            f"the opportunity is already at the stage '{opportunity.stage}' "
            f"(since {current.entered_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC{by})",
            code="opportunity.already_at_stage",
            params={"stage": opportunity.stage},
            stage=opportunity.stage,
        )
    check_transition(opportunity.stage, request.stage)
    reason: LostReason | None = None
    if request.stage == "lost":
        reason = _lost_reason(request.reason_code, reasons)
    elif request.reason_code:
        raise Invalid(
            "a reason is only given when the opportunity is lost",
            code="opportunity.reason_only_when_lost",
            field="reason_code",
        )
    if request.follow_up_at is not None and request.follow_up_at.tzinfo is None:
        raise Invalid(
            "follow_up_at needs a time zone offset (e.g. 2026-05-04T10:00:00+03:00)",
            field="follow_up_at",
            code="opportunity.follow_up_needs_offset",
        )
    delegate = request.delegate_staff_id
    if request.follow_up_at is not None and delegate is None:
        delegate = actor.staff_id
        if delegate is None:
            raise Invalid(
                "a follow-up date needs a delegate (delegate_staff_id)",
                field="delegate_staff_id",
                code="opportunity.follow_up_needs_delegate",
            )
    note = (request.note or "").strip() or None
    potential = check_potential(request.potential) if request.potential is not None else opportunity.potential
    if request.probability is not None:
        probability = check_probability(request.probability)
    elif request.stage == "lost":
        probability = Decimal("0.00")
    else:
        probability = check_probability(weights[request.stage])
    updated = replace(
        opportunity,
        stage=request.stage,
        stage_entered_at=now,
        updated_at=now,
        potential=potential,
        probability=probability,
        lost_reason_code=reason.code if reason else None,
        lost_note=note if reason else None,
    )
    entry = StageEntry(
        opportunity_id=opportunity.id,
        seq=current.seq + 1,
        from_stage=opportunity.stage,
        stage=request.stage,
        entered_at=now,
        potential=potential,
        probability=probability,
        weight=weights[request.stage],
        changed_by=actor.name,
        changed_by_staff_id=actor.staff_id,
        note=note,
        delegate_staff_id=delegate,
        follow_up_at=request.follow_up_at,
        reason_code=reason.code if reason else None,
    )
    follow_up = None
    if request.follow_up_at is not None and delegate is not None:
        follow_up = FollowUp(
            opportunity_id=opportunity.id,
            partner_id=opportunity.partner_id,
            title=opportunity.title,
            stage=request.stage,
            delegate_staff_id=delegate,
            follow_up_at=request.follow_up_at,
            note=note,
            created_by_staff_id=actor.staff_id,
            created_by=actor.name,
        )
    return StageMove(
        opportunity=updated,
        previous=replace(current, left_at=now),
        entry=entry,
        follow_up=follow_up,
        reason=reason,
    )


def _lost_reason(code: str | None, reasons: dict[str, LostReason]) -> LostReason:
    active = sorted(r.code for r in reasons.values() if r.active)
    if not code:
        raise Invalid(
            "a lost opportunity needs a reason from the lost-reasons catalogue (reason_code): " + ", ".join(active),
            code="opportunity.lost_needs_reason",
            field="reason_code",
            allowed=active,
        )
    reason = reasons.get(code)
    if reason is None or not reason.active:
        raise Invalid(
            f"'{code}' is not in the lost-reasons catalogue; use one of: " + ", ".join(active),
            code="opportunity.lost_needs_reason",
            field="reason_code",
            allowed=active,
        )
    return reason


def update_details(
    opportunity: Opportunity,
    *,
    title: str | None,
    potential: Decimal | None,
    probability: Decimal | None,
    expected_signing_on: date | None,
    owner_staff_id: UUID | None,
    clear_signing_date: bool,
    now: datetime,
) -> Opportunity:
    """The opportunity with new details (O1); the stage moves only through ``change_stage``.

    Raises:
        Conflict: the opportunity is closed.
        Invalid: bad values.
    """
    if opportunity.is_closed:
        raise Conflict(
            f"the opportunity is closed ('{opportunity.stage}'): its details no longer change",
            code="opportunity.closed",
            params={"stage": opportunity.stage},
        )
    return replace(
        opportunity,
        title=check_title(title) if title is not None else opportunity.title,
        potential=check_potential(potential) if potential is not None else opportunity.potential,
        probability=check_probability(probability) if probability is not None else opportunity.probability,
        expected_signing_on=None if clear_signing_date else (expected_signing_on or opportunity.expected_signing_on),
        owner_staff_id=owner_staff_id or opportunity.owner_staff_id,
        updated_at=now,
    )


def time_in_stages(history: list[StageEntry], now: datetime) -> dict[Stage, int]:
    """Seconds spent in each stage, summed over every stay (the report users ask for)."""
    totals: dict[Stage, int] = {}
    for entry in history:
        totals[entry.stage] = totals.get(entry.stage, 0) + entry.seconds_in_stage(now)
    return totals


@dataclass(frozen=True)
class Partner:
    """A partner as the partner directory last published it (the read model behind lists and pickers)."""

    partner_id: UUID
    name: str
    kind: str
    fiscal_code: str | None = None
    sales_rep_staff_id: UUID | None = None


@dataclass(frozen=True)
class OpportunityFilter:
    """Which opportunities a list shows."""

    partner_id: UUID | None = None
    stage: Stage | None = None
    campaign_id: UUID | None = None
    owner_staff_id: UUID | None = None
    title: str | None = None


@dataclass(frozen=True)
class StageTotal:
    """Count and summed potential of the opportunities at one stage."""

    stage: Stage
    count: int
    potential: Decimal


@dataclass(frozen=True)
class StageWeights:
    """The company's weight of each stage, in percent (O3), and who set them last, when."""

    weights: dict[Stage, Decimal]
    updated_at: datetime | None = None
    updated_by: str | None = None


@dataclass(frozen=True)
class Dossier:
    """An opportunity with everything its page shows: partner name, stage weights, documents, stage history.

    ``campaign_name`` names the campaign it came from (M7): its history's first author is that campaign.
    """

    opportunity: Opportunity
    partner_name: str | None
    weights: dict[Stage, Decimal]
    documents: tuple[Document, ...]
    history: tuple[StageEntry, ...]
    campaign_name: str | None = None
