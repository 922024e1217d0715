"""The pipeline's rules, without a store: transitions, lost reasons, follow-ups, time in stage, weights."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from crm_kit.errors import Conflict, Invalid
from crm_opportunities.domain.documents import Article, Line, check_lines, target_stage
from crm_opportunities.domain.model import (
    Actor,
    LostReason,
    StageRequest,
    change_stage,
    open_opportunity,
    time_in_stages,
)
from crm_opportunities.domain.stages import DEFAULT_WEIGHTS, check_transition, is_advance, validate_weights

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AGENT = Actor(name="ana", staff_id=uuid4())
REASONS = {"price_too_high": LostReason("price_too_high", "Preț prea mare"), "old": LostReason("old", "x", False)}


def opened(potential: str = "10000", probability: str | None = None):
    return open_opportunity(
        opportunity_id=uuid4(),
        partner_id=uuid4(),
        title="ERP licences",
        potential=Decimal(potential),
        probability=Decimal(probability) if probability is not None else None,
        expected_signing_on=None,
        owner_staff_id=AGENT.staff_id,
        campaign_id=None,
        weights=DEFAULT_WEIGHTS,
        actor=AGENT,
        now=T0,
    )


def move(prev, request: StageRequest, at: datetime):
    return change_stage(
        prev.opportunity, prev.entry, request, weights=DEFAULT_WEIGHTS, reasons=REASONS, actor=AGENT, now=at
    )


def test_a_new_opportunity_starts_at_new_with_zero_weight() -> None:
    first = opened()
    assert first.opportunity.stage == "new"
    assert first.entry.weighted_potential == Decimal("0.00")
    assert first.entry.from_stage is None


def test_the_first_history_entry_is_worth_the_potential_times_the_probability_the_user_gave() -> None:
    first = opened("10000", probability="30")
    # the stage 'new' weighs 0% (O2): the history still reads 10,000 x 30% = 3,000
    assert (first.entry.weight, first.entry.weighted_potential) == (Decimal(0), Decimal("0.00"))
    assert first.entry.expected_value == Decimal("3000.00")
    assert first.opportunity.expected_value == Decimal("3000.00")


def test_moving_records_who_when_and_the_time_spent_in_the_previous_stage() -> None:
    first = opened()
    second = move(first, StageRequest(stage="presentation", note="meeting booked"), T0 + timedelta(hours=5))
    assert second.previous is not None
    assert second.previous.left_at == T0 + timedelta(hours=5)
    assert second.seconds_in_previous_stage == 5 * 3600
    assert second.entry.changed_by == "ana"
    assert second.entry.probability == Decimal("25.00")
    assert second.entry.weighted_potential == Decimal("2500.00")


def test_a_jump_the_pipeline_does_not_allow_is_refused_naming_the_allowed_moves() -> None:
    with pytest.raises(Conflict) as refused:
        check_transition("new", "sale")
    assert "cannot move from 'new' to 'sale'" in refused.value.message
    assert "'presentation'" in refused.value.message


def test_a_closed_opportunity_does_not_move() -> None:
    with pytest.raises(Conflict, match="closed"):
        check_transition("sale", "negotiation")
    with pytest.raises(Conflict, match="already at the stage"):
        check_transition("offer", "offer")


def test_losing_needs_an_active_reason_from_the_catalogue() -> None:
    first = opened()
    with pytest.raises(Invalid, match="needs a reason"):
        move(first, StageRequest(stage="lost"), T0)
    with pytest.raises(Invalid, match="not in the lost-reasons catalogue"):
        move(first, StageRequest(stage="lost", reason_code="old"), T0)
    lost = move(first, StageRequest(stage="lost", reason_code="price_too_high", note="too dear"), T0)
    assert lost.opportunity.lost_reason_code == "price_too_high"
    assert lost.reason is not None
    assert lost.reason.text == "Preț prea mare"
    assert lost.opportunity.probability == 0


def test_a_follow_up_date_schedules_a_follow_up_for_the_delegate_or_the_user() -> None:
    delegate = uuid4()
    at = T0 + timedelta(days=3)
    delegated = move(opened(), StageRequest(stage="presentation", delegate_staff_id=delegate, follow_up_at=at), T0)
    assert delegated.follow_up is not None
    assert (delegated.follow_up.delegate_staff_id, delegated.follow_up.follow_up_at) == (delegate, at)
    assert (delegated.follow_up.created_by_staff_id, delegated.follow_up.created_by) == (AGENT.staff_id, "ana")
    mine = move(opened(), StageRequest(stage="presentation", follow_up_at=at), T0)
    assert mine.follow_up is not None
    assert mine.follow_up.delegate_staff_id == AGENT.staff_id
    assert move(opened(), StageRequest(stage="presentation"), T0).follow_up is None


def test_a_follow_up_date_without_a_time_zone_is_refused() -> None:
    with pytest.raises(Invalid, match="time zone"):
        move(opened(), StageRequest(stage="presentation", follow_up_at=datetime(2026, 3, 5, 10)), T0)


def test_time_in_stage_sums_every_stay() -> None:
    a = opened()
    b = move(a, StageRequest(stage="offer"), T0 + timedelta(hours=1))
    c = move(b, StageRequest(stage="presentation"), T0 + timedelta(hours=3))
    d = move(c, StageRequest(stage="offer"), T0 + timedelta(hours=4))
    history = [b.previous, c.previous, d.previous, d.entry]
    totals = time_in_stages([h for h in history if h is not None], T0 + timedelta(hours=10))
    assert totals == {"new": 3600, "offer": 2 * 3600 + 6 * 3600, "presentation": 3600}


def test_weights_stay_between_0_and_100_and_lost_weighs_nothing() -> None:
    assert validate_weights({"offer": Decimal("40")}) == {"offer": Decimal("40.00")}
    with pytest.raises(Invalid, match="between 0 and 100"):
        validate_weights({"offer": Decimal("140")})
    with pytest.raises(Invalid, match="lost"):
        validate_weights({"lost": Decimal("10")})
    with pytest.raises(Invalid, match="unknown stage"):
        validate_weights({"won": Decimal("10")})


def test_documents_are_generated_at_their_stage_and_move_the_opportunity_forward() -> None:
    assert target_stage("presentation", "offer") == "offer"
    assert target_stage("negotiation", "offer") is None
    assert target_stage("offer", "order") == "negotiation"
    with pytest.raises(Conflict, match="generated at the 'negotiation' stage"):
        target_stage("new", "contract")
    with pytest.raises(Conflict, match="closed"):
        target_stage("lost", "offer")


def test_document_lines_come_from_the_article_catalogue() -> None:
    catalogue = {"SRV-1": Article("SRV-1", "Support hour", "h", Decimal("150.00"), Decimal(21))}
    (line,) = check_lines([Line("SRV-1", Decimal(2))], catalogue)
    assert (line.price, line.description, line.net) == (Decimal("150.00"), "Support hour", Decimal("300.00"))
    with pytest.raises(Invalid, match="not in the article catalogue"):
        check_lines([Line("NOPE", Decimal(1))], catalogue)
    with pytest.raises(Invalid, match="greater than zero"):
        check_lines([Line("SRV-1", Decimal(0))], catalogue)
    with pytest.raises(Invalid, match="at least one line"):
        check_lines([], catalogue)
    with pytest.raises(Invalid, match="too large"):
        check_lines([Line("SRV-1", Decimal("1e30"))], catalogue)


def test_documents_only_ever_push_the_pipeline_forward() -> None:
    assert is_advance("presentation", "offer")
    assert not is_advance("negotiation", "offer")
    assert not is_advance("lost", "sale")
