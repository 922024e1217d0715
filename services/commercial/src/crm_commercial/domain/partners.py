"""The partners commercial knows of: a read model of the partner directory (crm.partners)."""

from __future__ import annotations

from dataclasses import dataclass


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
