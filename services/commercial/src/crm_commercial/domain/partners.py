"""The partners commercial knows of: a read model of the partner directory (crm.partners)."""

from __future__ import annotations

from dataclasses import dataclass

from crm_kit.errors import Invalid


class UnknownPartner(Invalid):
    """A document names a partner the partner directory has not told us about."""


@dataclass(frozen=True)
class Partner:
    """A client, lead or supplier as printed on documents."""

    partner_id: str
    kind: str
    name: str
    fiscal_code: str | None = None
    locality: str | None = None
    county: str | None = None
    address: str | None = None

    @property
    def place(self) -> str:
        """Address, locality and county on one line."""
        return ", ".join(p for p in (self.address, self.locality, self.county) if p)


def known(partner: Partner | None, partner_id: str) -> Partner:
    """The partner a document names, which the directory must have announced.

    Raises:
        UnknownPartner: the directory has not told us about ``partner_id`` (yet).
    """
    if partner is None:
        raise UnknownPartner(
            f"unknown partner {partner_id}: register it in the partner directory first",
            field="partner_id",
            code="partner.unknown",
            params={"partner_id": partner_id},
        )
    return partner
