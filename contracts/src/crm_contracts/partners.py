"""Events on crm.partners: the partner and staff directories, leads, dossiers (see EVENTS.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from crm_contracts import topics
from crm_contracts.base import Event, Money
from crm_contracts.common import Part

PartnerKind = Literal["client", "lead", "supplier"]
"""What a partner is to the company."""


class _PartnersEvent(Event):
    topic: ClassVar[str] = topics.PARTNERS


class Site(Part):
    site_id: UUID = Field(description="The site's id.")
    name: str = Field(description="Site (sediu) name.")
    emails: list[str] = Field(default_factory=list, description="Email addresses of the site, lower case.")


class Contact(Part):
    contact_id: UUID | None = Field(default=None, description="The contact person's id.")
    name: str = Field(description="Full name.")
    role: str | None = Field(default=None, description="Role at the partner.")
    email: str | None = Field(default=None, description="Email address.")
    phone: str | None = Field(default=None, description="Phone number.")


class _PartnerState(_PartnersEvent):
    key_field: ClassVar[str] = "partner_id"
    partner_id: UUID = Field(description="The partner's id.")
    kind: PartnerKind = Field(description="client, lead or supplier.")
    name: str = Field(description="Partner name.")
    fiscal_code: str | None = Field(default=None, description="Romanian CUI/CIF, normalised (with RO when VAT payer).")
    trade_register: str | None = Field(default=None, description="Trade register number (J..).")
    locality: str | None = Field(default=None, description="Locality.")
    county: str | None = Field(default=None, description="County (judet) name.")
    address: str | None = Field(default=None, description="Street address.")
    turnover: Money | None = Field(default=None, description="Turnover (cifra de afaceri), RON.")
    employees: int | None = Field(default=None, description="Number of employees.")
    activity_domain: str | None = Field(default=None, description="Activity domain.")
    sites: list[Site] = Field(default_factory=list, description="Sites with their email addresses.")
    contacts: list[Contact] = Field(default_factory=list, description="Contact persons.")
    sales_rep_staff_id: UUID | None = Field(default=None, description="Sales representative (staff id).")
    service_rep_staff_id: UUID | None = Field(default=None, description="Service representative (staff id).")
    campaign_id: UUID | None = Field(default=None, description="Lead: the marketing campaign it came from.")
    competitors: list[str] = Field(default_factory=list, description="Lead: competitors present.")
    interests: list[str] = Field(default_factory=list, description="Lead: our activities of interest to the partner.")
    service_responsible: str | None = Field(default=None, description="Lead: the service responsible at the client.")


class PartnerRegistered(_PartnerState):
    """A partner was added to the directory."""

    event_name: ClassVar[str] = "PartnerRegistered"


class PartnerUpdated(_PartnerState):
    """A partner's details changed; the payload is the whole new state."""

    event_name: ClassVar[str] = "PartnerUpdated"


class LeadConverted(_PartnersEvent):
    """A won lead became a client (L2)."""

    event_name: ClassVar[str] = "LeadConverted"
    key_field: ClassVar[str] = "partner_id"
    partner_id: UUID = Field(description="The partner, now a client.")
    opportunity_id: UUID | None = Field(default=None, description="The won opportunity that converted it.")


class _StaffState(_PartnersEvent):
    key_field: ClassVar[str] = "staff_id"
    staff_id: UUID = Field(description="The staff member's id.")
    name: str = Field(description="Full name.")
    email: str | None = Field(default=None, description="Email address in the staff directory.")
    user_login: str | None = Field(default=None, description="System user login; null when not a system user.")
    hours_per_day: Decimal = Field(default=Decimal(8), description="Hours available per working day.")
    categories: list[str] = Field(default_factory=list, description="Categories, for broadcasts (T2).")
    team: str | None = Field(default=None, description="Team, for managers' views.")
    active: bool = Field(default=True, description="False once the person left.")


class StaffMemberRegistered(_StaffState):
    """A person was added to the staff directory."""

    event_name: ClassVar[str] = "StaffMemberRegistered"


class StaffMemberUpdated(_StaffState):
    """A staff member's details changed; the payload is the whole new state."""

    event_name: ClassVar[str] = "StaffMemberUpdated"


class DocumentFiled(_PartnersEvent):
    """An attachment was filed in a dossier (D1)."""

    event_name: ClassVar[str] = "DocumentFiled"
    key_field: ClassVar[str] = "dossier_id"
    dossier_id: UUID = Field(description="The dossier.")
    document_id: UUID = Field(description="The filed document entry's id.")
    sha256: str = Field(description="The blob filed.")
    file_name: str = Field(description="File name (metadata).")
    size: int = Field(default=0, description="Size in bytes.")
    source_type: str | None = Field(default=None, description="Type of the document it came from (offer, task, ...).")
    source_id: UUID | None = Field(default=None, description="Id of the document it came from.")
    partner_id: UUID | None = Field(default=None, description="The dossier's partner.")
    dossier_name: str | None = Field(default=None, description="The dossier's name.")
    category: str | None = Field(default=None, description="The dossier's category.")
