"""The publisher: turns partners-domain facts into crm.partners contract events in the outbox."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from crm_contracts.base import Envelope
from crm_contracts.partners import (
    Contact as ContactPart,
)
from crm_contracts.partners import (
    DocumentFiled,
    LeadConverted,
    PartnerRegistered,
    PartnerUpdated,
    StaffMemberRegistered,
    StaffMemberUpdated,
)
from crm_contracts.partners import (
    Site as SitePart,
)
from crm_kit.outbox import Outbox
from crm_partners.domain.dossiers import Dossier, FiledDocument
from crm_partners.domain.partners import Partner
from crm_partners.domain.staff import StaffMember


def _uuid(value: str | None) -> UUID | None:
    return UUID(value) if value else None


def partner_event(
    cls: type[PartnerRegistered] | type[PartnerUpdated], p: Partner
) -> PartnerRegistered | PartnerUpdated:
    """The whole state of a partner as a contract event."""
    return cls(
        partner_id=UUID(p.id),
        kind=p.kind,  # type: ignore[arg-type]
        name=p.name,
        fiscal_code=p.fiscal_code,
        trade_register=p.trade_register,
        locality=p.locality,
        county=p.county,
        address=p.address,
        turnover=p.turnover,
        employees=p.employees,
        activity_domain=p.activity_domain,
        sites=[SitePart(site_id=UUID(s.site_id), name=s.name, emails=list(s.emails)) for s in p.sites],
        contacts=[
            ContactPart(contact_id=UUID(c.contact_id), name=c.name, role=c.role, email=c.email, phone=c.phone)
            for c in p.contacts
        ],
        sales_rep_staff_id=_uuid(p.sales_rep_staff_id),
        service_rep_staff_id=_uuid(p.service_rep_staff_id),
        campaign_id=_uuid(p.campaign_id),
        competitors=list(p.competitors),
        interests=list(p.interests),
        service_responsible=p.service_responsible,
    )


def staff_event(
    cls: type[StaffMemberRegistered] | type[StaffMemberUpdated], s: StaffMember
) -> StaffMemberRegistered | StaffMemberUpdated:
    """The whole state of a staff member as a contract event."""
    return cls(
        staff_id=UUID(s.id),
        name=s.name,
        email=s.email,
        user_login=s.user_login,
        hours_per_day=s.hours_per_day,
        categories=list(s.categories),
        team=s.team,
        active=s.active,
    )


def lead_converted(partner_id: str, opportunity_id: str | None) -> LeadConverted:
    return LeadConverted(partner_id=UUID(partner_id), opportunity_id=_uuid(opportunity_id))


class Publisher:
    """The partners service's outgoing facts; each is written in the caller's transaction."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def partner_registered(self, conn: AsyncConnection, partner: Partner, *, now: datetime) -> Envelope:
        return await self.outbox.add(conn, partner_event(PartnerRegistered, partner), now=now)

    async def partner_updated(self, conn: AsyncConnection, partner: Partner, *, now: datetime) -> Envelope:
        return await self.outbox.add(conn, partner_event(PartnerUpdated, partner), now=now)

    async def staff_registered(self, conn: AsyncConnection, member: StaffMember, *, now: datetime) -> Envelope:
        return await self.outbox.add(conn, staff_event(StaffMemberRegistered, member), now=now)

    async def staff_updated(self, conn: AsyncConnection, member: StaffMember, *, now: datetime) -> Envelope:
        return await self.outbox.add(conn, staff_event(StaffMemberUpdated, member), now=now)

    async def document_filed(
        self, conn: AsyncConnection, dossier: Dossier, doc: FiledDocument, *, now: datetime
    ) -> Envelope:
        event = DocumentFiled(
            dossier_id=UUID(dossier.id),
            document_id=UUID(doc.id),
            sha256=doc.sha256,
            file_name=doc.file_name,
            size=doc.size,
            source_type=doc.source_type,
            source_id=_uuid(doc.source_id),
            partner_id=_uuid(dossier.partner_id),
            dossier_name=dossier.name,
            category=dossier.category,
        )
        return await self.outbox.add(conn, event, now=now)
