"""HTTP request bodies and response shapes (not the event contracts, not the domain objects)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from crm_partners.domain.dossiers import CategoryTotals, Dossier, FiledDocument, FoundDossier
from crm_partners.domain.imports import PartnerImport
from crm_partners.domain.opportunities import PartnerOpportunity
from crm_partners.domain.partners import ContactInput, Partner, PartnerInput, SiteInput
from crm_partners.domain.staff import StaffInput, StaffMember
from crm_partners.domain.timeline import TimelineEntry, link_of


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SiteIn(_Body):
    name: str = Field(default="", max_length=200, description="Site (sediu) name.")
    emails: list[str] = Field(default_factory=list, max_length=50, description="Email addresses of the site.")
    site_id: UUID | None = Field(default=None, description="On update: the existing site's id, to keep it.")


class ContactIn(_Body):
    name: str = Field(max_length=200, description="Full name.")
    role: str | None = Field(default=None, max_length=200, description="Role at the partner.")
    email: str | None = Field(default=None, max_length=254, description="Email address.")
    phone: str | None = Field(default=None, max_length=60, description="Phone number.")
    contact_id: UUID | None = Field(default=None, description="On update: the existing contact's id, to keep it.")


class _PartnerFields(_Body):
    fiscal_code: str | None = Field(default=None, max_length=20, description="CUI/CIF, RO prefix optional.")
    trade_register: str | None = Field(default=None, max_length=40, description="Trade register number (J..).")
    locality: str | None = Field(default=None, max_length=120, description="Locality.")
    county: str | None = Field(default=None, max_length=60, description="County (name or plate code).")
    address: str | None = Field(default=None, max_length=400, description="Street address.")
    turnover: Decimal | None = Field(default=None, description="Turnover (cifra de afaceri), RON.")
    employees: int | None = Field(default=None, description="Number of employees.")
    activity_domain: str | None = Field(default=None, max_length=200, description="Activity domain.")
    sales_rep_staff_id: UUID | None = Field(default=None, description="Sales representative (T4).")
    service_rep_staff_id: UUID | None = Field(default=None, description="Service representative (T4).")
    campaign_id: UUID | None = Field(default=None, description="Lead: the campaign it came from (L1).")
    service_responsible: str | None = Field(default=None, max_length=200, description="Lead: service responsible.")


class PartnerIn(_PartnerFields):
    kind: Literal["client", "lead", "supplier"] = Field(default="client", description="client, lead or supplier.")
    name: str = Field(max_length=300, description="Partner name.")
    sites: list[SiteIn] = Field(default_factory=list, max_length=200, description="Sites with their emails.")
    contacts: list[ContactIn] = Field(default_factory=list, max_length=200, description="Contact persons.")
    competitors: list[str] = Field(default_factory=list, max_length=50, description="Lead: competitors (L1).")
    interests: list[str] = Field(default_factory=list, max_length=50, description="Lead: our activities of interest.")


class PartnerPatch(_PartnerFields):
    kind: Literal["client", "lead", "supplier"] | None = Field(default=None, description="client, lead or supplier.")
    name: str | None = Field(default=None, max_length=300, description="Partner name.")
    sites: list[SiteIn] | None = Field(default=None, max_length=200, description="The whole new list of sites.")
    contacts: list[ContactIn] | None = Field(default=None, max_length=200, description="The whole new contact list.")
    competitors: list[str] | None = Field(default=None, max_length=50, description="Lead: competitors.")
    interests: list[str] | None = Field(default=None, max_length=50, description="Lead: activities of interest.")


def _s(value: object) -> str | None:
    return str(value) if value is not None else None


def _sites(items: list[SiteIn]) -> list[SiteInput]:
    return [SiteInput(name=s.name, emails=s.emails, site_id=_s(s.site_id)) for s in items]


def _contacts(items: list[ContactIn]) -> list[ContactInput]:
    return [
        ContactInput(name=c.name, role=c.role, email=c.email, phone=c.phone, contact_id=_s(c.contact_id)) for c in items
    ]


def partner_input(body: PartnerIn) -> PartnerInput:
    return PartnerInput(
        name=body.name,
        kind=body.kind,
        fiscal_code=body.fiscal_code,
        trade_register=body.trade_register,
        locality=body.locality,
        county=body.county,
        address=body.address,
        turnover=body.turnover,
        employees=body.employees,
        activity_domain=body.activity_domain,
        sites=_sites(body.sites),
        contacts=_contacts(body.contacts),
        sales_rep_staff_id=_s(body.sales_rep_staff_id),
        service_rep_staff_id=_s(body.service_rep_staff_id),
        campaign_id=_s(body.campaign_id),
        competitors=body.competitors,
        interests=body.interests,
        service_responsible=body.service_responsible,
    )


def partner_changes(body: PartnerPatch) -> dict[str, Any]:
    """The fields the request sets (an explicit null clears a field; required ones cannot be cleared)."""
    changes: dict[str, Any] = {}
    for name in body.model_fields_set:
        value = getattr(body, name)
        if name == "sites":
            value = _sites(value or [])
        elif name == "contacts":
            value = _contacts(value or [])
        elif name in ("competitors", "interests"):
            value = value or []
        elif name in ("kind", "name") and value is None:
            continue
        elif isinstance(value, UUID):
            value = str(value)
        changes[name] = value
    return changes


def money(value: Decimal | None) -> str | None:
    return f"{value:.2f}" if value is not None else None


def partner_summary(p: Partner) -> dict[str, Any]:
    return {
        "id": p.id,
        "kind": p.kind,
        "name": p.name,
        "fiscal_code": p.fiscal_code,
        "trade_register": p.trade_register,
        "locality": p.locality,
        "county": p.county,
        "address": p.address,
        "turnover": money(p.turnover),
        "employees": p.employees,
        "activity_domain": p.activity_domain,
        "sales_rep_staff_id": p.sales_rep_staff_id,
        "service_rep_staff_id": p.service_rep_staff_id,
        "campaign_id": p.campaign_id,
        "competitors": list(p.competitors),
        "interests": list(p.interests),
        "service_responsible": p.service_responsible,
        "created_at": p.created_at.isoformat(),
        "updated_at": p.updated_at.isoformat(),
        "version": p.version,
    }


def partner_out(p: Partner, opportunities: Sequence[PartnerOpportunity] = ()) -> dict[str, Any]:
    out = partner_summary(p)
    out["sites"] = [{"site_id": s.site_id, "name": s.name, "emails": list(s.emails)} for s in p.sites]
    out["contacts"] = [
        {"contact_id": c.contact_id, "name": c.name, "role": c.role, "email": c.email, "phone": c.phone}
        for c in p.contacts
    ]
    out["opportunities"] = [
        {
            "opportunity_id": o.opportunity_id,
            "title": o.title,
            "potential": money(o.potential),
            "probability": str(o.probability),
            "stage": o.stage,
            "expected_signing_on": o.expected_signing_on.isoformat() if o.expected_signing_on else None,
            "owner_staff_id": o.owner_staff_id,
            "campaign_id": o.campaign_id,
            "updated_at": o.updated_at.isoformat(),
        }
        for o in opportunities
    ]
    return out


def entry_out(e: TimelineEntry) -> dict[str, Any]:
    return {
        "event_id": e.event_id,
        "kind": e.kind,
        "type": e.type,
        "title": e.title,
        "occurred_at": e.occurred_at.isoformat(),
        "ref_type": e.ref_type,
        "ref_id": e.ref_id,
        "details": e.details,
        "link": link_of(e),
    }


class StaffIn(_Body):
    name: str = Field(max_length=200, description="Full name.")
    email: str | None = Field(default=None, max_length=254, description="Email address.")
    user_login: str | None = Field(default=None, max_length=100, description="System user login; empty if none.")
    hours_per_day: Decimal = Field(default=Decimal(8), description="Hours available per working day (T6).")
    categories: list[str] = Field(default_factory=list, max_length=50, description="Categories for broadcasts (T2).")
    team: str | None = Field(default=None, max_length=100, description="Team (managers' views).")
    active: bool = Field(default=True, description="False once the person left.")


class StaffPatch(_Body):
    name: str | None = Field(default=None, max_length=200, description="Full name.")
    email: str | None = Field(default=None, max_length=254, description="Email address.")
    user_login: str | None = Field(default=None, max_length=100, description="System user login.")
    hours_per_day: Decimal | None = Field(default=None, description="Hours per day.")
    categories: list[str] | None = Field(default=None, max_length=50, description="Categories.")
    team: str | None = Field(default=None, max_length=100, description="Team.")
    active: bool | None = Field(default=None, description="Active.")


def staff_input(body: StaffIn) -> StaffInput:
    return StaffInput(**body.model_dump())


def staff_changes(body: StaffPatch) -> dict[str, Any]:
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    for required in ("name", "hours_per_day", "active"):
        if changes.get(required, "") is None:
            del changes[required]
    if "categories" in changes and changes["categories"] is None:
        changes["categories"] = []
    return changes


def staff_out(s: StaffMember) -> dict[str, Any]:
    return {
        "id": s.id,
        "name": s.name,
        "email": s.email,
        "user_login": s.user_login,
        "hours_per_day": str(s.hours_per_day),
        "categories": list(s.categories),
        "team": s.team,
        "active": s.active,
        "created_at": s.created_at.isoformat(),
        "updated_at": s.updated_at.isoformat(),
        "version": s.version,
    }


class DossierIn(_Body):
    name: str = Field(max_length=200, description="Dossier name.")
    partner_id: UUID | None = Field(default=None, description="The partner it is about.")
    category: str | None = Field(default=None, max_length=100, description="Category (default: general).")


class FileIn(_Body):
    sha256: str = Field(max_length=64, description="The stored blob (from POST /api/blobs).")
    file_name: str = Field(max_length=300, description="File name to show.")
    source_type: str | None = Field(default=None, max_length=40, description="Document type it came from.")
    source_id: UUID | None = Field(default=None, description="Document id it came from.")


def dossier_pick(f: FoundDossier) -> dict[str, Any]:
    """What a picker shows of a dossier: its name, category and partner, to tell two of a name apart."""
    d = f.dossier
    return {
        "id": d.id,
        "name": d.name,
        "category": d.category,
        "partner_id": d.partner_id,
        "partner_name": f.partner_name,
    }


def dossier_out(d: Dossier, documents: int, size: int) -> dict[str, Any]:
    return {
        "id": d.id,
        "name": d.name,
        "category": d.category,
        "partner_id": d.partner_id,
        "created_at": d.created_at.isoformat(),
        "documents": documents,
        "bytes": size,
    }


def document_out(doc: FiledDocument) -> dict[str, Any]:
    return {
        "id": doc.id,
        "dossier_id": doc.dossier_id,
        "sha256": doc.sha256,
        "file_name": doc.file_name,
        "size": doc.size,
        "source_type": doc.source_type,
        "source_id": doc.source_id,
        "filed_at": doc.filed_at.isoformat(),
        "filed_by": doc.filed_by,
    }


class ImportIn(_Body):
    file_name: str = Field(default="partners.csv", max_length=200, description="The uploaded file's name.")
    content: str = Field(max_length=64 * 1024 * 1024, description="The CSV text (UTF-8), header line first.")
    campaign_id: UUID | None = Field(
        default=None, description="The marketing campaign of every row whose campaign_id column is empty or missing."
    )


def import_out(item: PartnerImport) -> dict[str, Any]:
    return {
        "id": item.id,
        "file_name": item.file_name,
        "status": item.status,
        "total_rows": item.total_rows,
        "processed_rows": item.processed_rows,
        "imported": item.imported,
        "errors": list(item.errors),
        "message": item.message,
        "created_at": item.created_at.isoformat(),
        "finished_at": item.finished_at.isoformat() if item.finished_at else None,
        "created_by": item.created_by,
    }


def category_out(c: CategoryTotals) -> dict[str, Any]:
    return {"category": c.category, "dossiers": c.dossiers, "documents": c.documents, "bytes": c.bytes}
