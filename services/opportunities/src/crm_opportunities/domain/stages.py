"""The pipeline's stages (O2), which moves between them are allowed, and their default weights (O3)."""

from __future__ import annotations

from decimal import Decimal
from typing import Final, Literal, get_args

from crm_kit.errors import Conflict, Invalid

Stage = Literal["new", "presentation", "offer", "negotiation", "sale", "lost"]

STAGES: Final[tuple[Stage, ...]] = get_args(Stage)
"""Every stage, in pipeline order (lost last)."""

OPEN_STAGES: Final[tuple[Stage, ...]] = ("new", "presentation", "offer", "negotiation")
"""Stages of an opportunity still being worked on."""

CLOSED_STAGES: Final[tuple[Stage, ...]] = ("sale", "lost")
"""Final stages: nothing moves out of them."""

LABELS: Final[dict[Stage, str]] = {
    "new": "Nou",
    "presentation": "1 Prezentare / întâlnire",
    "offer": "2 Ofertă",
    "negotiation": "3 Negociere / contract sau comandă",
    "sale": "4 Vânzare / contract semnat",
    "lost": "X Pierdut",
}
"""The stages' names as users know them (Romanian, translated by the UI)."""

TRANSITIONS: Final[dict[Stage, tuple[Stage, ...]]] = {
    "new": ("presentation", "offer", "lost"),
    "presentation": ("offer", "negotiation", "lost"),
    "offer": ("presentation", "negotiation", "sale", "lost"),
    "negotiation": ("offer", "sale", "lost"),
    "sale": (),
    "lost": (),
}
"""Allowed moves: forward (skipping at most one step early on), one step back while open, lost from any open stage."""

DEFAULT_WEIGHTS: Final[dict[Stage, Decimal]] = {
    "new": Decimal(0),
    "presentation": Decimal(25),
    "offer": Decimal(50),
    "negotiation": Decimal(75),
    "sale": Decimal(100),
    "lost": Decimal(0),
}
"""Weights in percent matching the zero / low / medium / high / very high ladder of O2."""


def parse_stage(value: str) -> Stage:
    """A stage from user input.

    Raises:
        Invalid: not one of the six stages.
    """
    if value not in STAGES:
        raise Invalid(
            f"unknown stage {value!r}: use one of {', '.join(STAGES)}",
            field="stage",
            code="record.choose_from_list",
            params={"value": value},
        )
    return value  # type: ignore[return-value]


def check_transition(current: Stage, target: Stage) -> None:
    """Refuse a move the pipeline does not allow, saying which moves are allowed.

    Raises:
        Conflict: the move is not allowed from the current stage.
    """
    if current == target:
        raise Conflict(
            f"the opportunity is already at the stage '{target}'",
            code="opportunity.already_at_stage",
            params={"stage": target},
            stage=current,
        )
    allowed = TRANSITIONS[current]
    if target in allowed:
        return
    if not allowed:
        raise Conflict(
            f"the opportunity is closed ('{current}'): it cannot move to '{target}'",
            code="opportunity.stage_not_allowed",
            params={"stage": target},
            stage=current,
            allowed=[],
        )
    raise Conflict(
        f"cannot move from '{current}' to '{target}': from '{current}' the opportunity can move to "
        + ", ".join(f"'{s}'" for s in allowed),
        code="opportunity.stage_not_allowed",
        params={"stage": target},
        stage=current,
        allowed=list(allowed),
    )


def can_move(current: Stage, target: Stage) -> bool:
    """Whether ``current -> target`` is an allowed move."""
    return target in TRANSITIONS[current]


def is_advance(current: Stage, target: Stage) -> bool:
    """Whether ``current -> target`` is an allowed move forward (documents only ever push the pipeline on)."""
    return can_move(current, target) and STAGES.index(target) > STAGES.index(current)


def validate_weights(weights: dict[str, Decimal]) -> dict[Stage, Decimal]:
    """Stage weights a company configures: every value 0-100, lost fixed at zero.

    Raises:
        Invalid: an unknown stage or a weight out of range.
    """
    result: dict[Stage, Decimal] = {}
    for name, value in weights.items():
        stage = parse_stage(name)
        if not value.is_finite() or value < 0 or value > 100:
            raise Invalid(
                f"the weight of '{stage}' must be between 0 and 100 (percent), not {value}",
                stage=stage,
                code="opportunity.stage_weight_range",
                params={"stage": stage, "value": str(value)},
            )
        if stage == "lost" and value != 0:
            raise Invalid(
                "a lost opportunity has no potential: the weight of 'lost' stays 0",
                stage=stage,
                code="opportunity.lost_weight_zero",
            )
        result[stage] = value.quantize(Decimal("0.01"))
    return result
