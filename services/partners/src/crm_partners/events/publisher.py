"""The publisher adapter: partners-domain facts as crm.partners contract events, queued through the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

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
from crm_kit.transactions import OutboxEmit
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


class KafkaPublisher:
    """``ports.Publisher``: the partners facts as crm.partners contract events, queued in the unit of work's outbox.

    The only place that knows the contract classes (their topic and key follow from the class).
    """

    def __init__(self, emit: OutboxEmit) -> None:
        self.emit = emit

    async def partner_registered(self, partner: Partner) -> None:
        await self.emit(partner_event(PartnerRegistered, partner))

    async def partners_registered(self, partners: Sequence[Partner]) -> None:
        # A CSV import: every row's event in one multi-row insert (a tenth of one statement per event on SQLite).
        outbox, now = self.emit.outbox, self.emit.now
        await self.emit.write([outbox.prepare(partner_event(PartnerRegistered, p), now=now)[1] for p in partners])

    async def partner_updated(self, partner: Partner) -> None:
        await self.emit(partner_event(PartnerUpdated, partner))

    async def lead_converted(self, client: Partner, opportunity_id: str | None) -> None:
        await self.emit(LeadConverted(partner_id=UUID(client.id), opportunity_id=_uuid(opportunity_id)))

    async def staff_registered(self, member: StaffMember) -> None:
        await self.emit(staff_event(StaffMemberRegistered, member))

    async def staff_updated(self, member: StaffMember) -> None:
        await self.emit(staff_event(StaffMemberUpdated, member))

    async def document_filed(self, dossier: Dossier, doc: FiledDocument) -> None:
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
        await self.emit(event)
