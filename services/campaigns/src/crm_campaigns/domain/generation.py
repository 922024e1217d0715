"""Opportunities generated for campaign members (M7): one request per member, ever, and the progress made."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from uuid import UUID

from crm_kit.errors import Conflict, Invalid


@dataclass(frozen=True)
class RequestStamp:
    """When, and by whom, opportunities were last requested for a campaign."""

    requested_at: dt.datetime
    requested_by: str | None


@dataclass(frozen=True)
class Progress:
    """A campaign's members, and the opportunities requested and opened for them."""

    members: int
    requested: int
    opened: int

    @property
    def pending(self) -> int:
        return self.requested - self.opened


@dataclass(frozen=True)
class Opened:
    """An opportunity the opportunities context opened (maybe for a campaign's member), and when."""

    opportunity_id: UUID
    partner_id: UUID
    campaign_id: UUID | None
    title: str | None
    at: dt.datetime


def once_each(opened: Sequence[Opened]) -> list[Opened]:
    """Each opportunity once, as its events one after another leave it: the last details, the first time.

    A batch of OpportunityOpened may name an opportunity twice (a republished event); the read model
    keeps when it was first seen opened and the details it was told last.
    """
    found: dict[UUID, Opened] = {}
    for o in opened:
        first = found.get(o.opportunity_id)
        found[o.opportunity_id] = o if first is None else replace(o, at=first.at)
    return list(found.values())


def check_members(outsiders: list[UUID]) -> None:
    """Refuse to generate opportunities for partners that are not members.

    Raises:
        Invalid: some partners are not members (the first 50 are listed).
    """
    if outsiders:
        raise Invalid(
            f"{len(outsiders)} partner(s) are not members of this campaign; add them first",
            code="campaign.not_members",
            params={"count": len(outsiders)},
            not_members=[str(p) for p in outsiders[:50]],
        )


def chunks(partner_ids: list[UUID], size: int) -> list[list[UUID]]:
    """The partners in requests of at most ``size`` (one event each, so no record grows huge)."""
    return [partner_ids[start : start + size] for start in range(0, len(partner_ids), size)]


def all_requested(count: int, latest: RequestStamp | None) -> Conflict:
    """What a request that asked only for members already requested is told (a twin of a request that won)."""
    text = f"opportunities were already requested for all {count} chosen members"
    params: dict[str, object] = {"count": count}
    if latest is not None:
        at = f"{latest.requested_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
        params |= {"at": at, "by": latest.requested_by or ""}
        text += f" (last at {at}"
        text += f" by {latest.requested_by})" if latest.requested_by else ")"
    return Conflict(text, code="campaign.already_requested", params=params)
