"""Litestar controllers: partners, staff, dossiers and partner imports; each parses, calls one use case, renders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, SkipValidation

from crm_kit.identity import Identity, requires_role
from crm_kit.pagination import Limit, Offset
from crm_partners.api import schemas as s
from crm_partners.domain.partners import Partner, PartnerFilter
from crm_partners.domain.visibility import Reader
from crm_partners.service_layer import (
    CreateDossier,
    FileDocument,
    RegisterPartner,
    RegisterStaff,
    StartImport,
    UpdatePartner,
    UpdateStaff,
    UseCases,
)

Uses = NamedDependency[SkipValidation[UseCases]]
"""The one dependency of every handler: the service's use cases."""


def _page(items: list[dict[str, Any]], total: int) -> dict[str, Any]:
    return {"items": items, "total": total}


SEARCH_LIMIT_MAX = 50


def _pick(p: Partner) -> dict[str, Any]:
    """What a picker shows of a partner: enough to tell two of the same name apart."""
    return {"id": p.id, "name": p.name, "kind": p.kind, "locality": p.locality, "fiscal_code": p.fiscal_code}


def _s(value: UUID | None) -> str | None:
    return str(value) if value else None


class PartnerController(Controller):
    """The partner directory: clients, leads, suppliers (L1, L2, T4) and their history (H1)."""

    path = "/api/partners"
    tags = ["partners"]

    @post(summary="Register a partner")
    async def create(self, data: JSONBody[s.PartnerIn], uses: Uses) -> dict[str, Any]:
        partner = await uses.register_partner(RegisterPartner(s.partner_input(data)))
        return s.partner_out(partner)

    @get(summary="List partners by the filters of M2")
    async def list_partners(
        self,
        uses: Uses,
        kind: FromQuery[str | None] = None,
        name: FromQuery[str | None] = None,
        fiscal_code: FromQuery[str | None] = None,
        locality: FromQuery[str | None] = None,
        county: FromQuery[str | None] = None,
        activity_domain: FromQuery[str | None] = None,
        turnover_min: FromQuery[Decimal | None] = None,
        turnover_max: FromQuery[Decimal | None] = None,
        employees_min: FromQuery[int | None] = None,
        employees_max: FromQuery[int | None] = None,
        sales_rep_staff_id: FromQuery[UUID | None] = None,
        service_rep_staff_id: FromQuery[UUID | None] = None,
        campaign_id: FromQuery[UUID | None] = None,
        email: FromQuery[str | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        f = PartnerFilter(
            kind=kind,
            name=name,
            fiscal_code=fiscal_code,
            locality=locality,
            county=county,
            activity_domain=activity_domain,
            turnover_min=turnover_min,
            turnover_max=turnover_max,
            employees_min=employees_min,
            employees_max=employees_max,
            sales_rep_staff_id=_s(sales_rep_staff_id),
            service_rep_staff_id=_s(service_rep_staff_id),
            campaign_id=_s(campaign_id),
            email=email,
        )
        partners, total = await uses.partners(f, limit=limit, offset=offset)
        return _page([s.partner_summary(p) for p in partners], total)

    @get("/search", summary="Partners named like the query, for pickers (prefix or word start, accents ignored)")
    async def search(
        self,
        uses: Uses,
        q: FromQuery[str] = "",
        kind: FromQuery[str | None] = None,
        limit: int = Parameter(ge=1, le=SEARCH_LIMIT_MAX, default=20),
    ) -> dict[str, Any]:
        """At most ``limit`` partners, those whose name starts with ``q`` first; no total, so it stays fast."""
        found = await uses.find_partners(q, kind=kind, limit=limit)
        return {"items": [_pick(p) for p in found]}

    @get("/{partner_id:uuid}", summary="A partner, whole, with its opportunities")
    async def read(self, partner_id: FromPath[UUID], uses: Uses) -> dict[str, Any]:
        view = await uses.partner(str(partner_id))
        return s.partner_out(view.partner, view.opportunities)

    @patch("/{partner_id:uuid}", summary="Change some fields of a partner")
    async def update(self, partner_id: FromPath[UUID], data: JSONBody[s.PartnerPatch], uses: Uses) -> dict[str, Any]:
        view = await uses.update_partner(UpdatePartner(str(partner_id), s.partner_changes(data)))
        return s.partner_out(view.partner, view.opportunities)

    @get("/{partner_id:uuid}/history", summary="The partner's history, newest first (H1)")
    async def history(
        self,
        partner_id: FromPath[UUID],
        uses: Uses,
        identity: NamedDependency[Identity],
        kind: str | None = Parameter(default=None, description="One kind or several, comma separated."),
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Entries about a task, email or import the caller may not see come redacted (docs/security-scoping.md)."""
        reader = Reader(identity.role, identity.username, identity.staff_id)
        entries, total = await uses.history(str(partner_id), reader, kind=kind, limit=limit, offset=offset)
        return _page([s.entry_out(e) for e in entries], total)


class StaffController(Controller):
    """The staff directory: hours per day, categories, team, user login."""

    path = "/api/staff"
    tags = ["staff"]

    @post(summary="Add a staff member", guards=[requires_role("admin", "manager")])
    async def create(self, data: JSONBody[s.StaffIn], uses: Uses) -> dict[str, Any]:
        return s.staff_out(await uses.register_staff(RegisterStaff(s.staff_input(data))))

    @get(summary="The staff directory")
    async def list_staff(
        self,
        uses: Uses,
        name: FromQuery[str | None] = None,
        team: FromQuery[str | None] = None,
        category: FromQuery[str | None] = None,
        active: FromQuery[bool | None] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        members, total = await uses.staff(
            name=name, team=team, category=category, active=active, limit=limit, offset=offset
        )
        return _page([s.staff_out(m) for m in members], total)

    @get("/search", summary="Staff members named like the query, for pickers (prefix or word start, accents ignored)")
    async def search(
        self,
        uses: Uses,
        q: FromQuery[str] = "",
        active: FromQuery[bool | None] = None,
        limit: int = Parameter(ge=1, le=SEARCH_LIMIT_MAX, default=20),
    ) -> dict[str, Any]:
        """At most ``limit`` staff members, those whose name starts with ``q`` first."""
        found = await uses.find_staff(q, active=active, limit=limit)
        return {"items": [{"id": m.id, "name": m.name, "team": m.team, "active": m.active} for m in found]}

    @get("/{staff_id:uuid}", summary="A staff member")
    async def read(self, staff_id: FromPath[UUID], uses: Uses) -> dict[str, Any]:
        return s.staff_out(await uses.staff_member(str(staff_id)))

    @patch("/{staff_id:uuid}", summary="Change a staff member", guards=[requires_role("admin", "manager")])
    async def update(self, staff_id: FromPath[UUID], data: JSONBody[s.StaffPatch], uses: Uses) -> dict[str, Any]:
        return s.staff_out(await uses.update_staff(UpdateStaff(str(staff_id), s.staff_changes(data))))


class DossierController(Controller):
    """Dossiers (D1): file any stored attachment; browse per partner and category with counts and sizes."""

    path = "/api/dossiers"
    tags = ["dossiers"]

    @post(summary="Create a dossier")
    async def create(
        self, data: JSONBody[s.DossierIn], uses: Uses, identity: NamedDependency[Identity]
    ) -> dict[str, Any]:
        dossier = await uses.create_dossier(
            CreateDossier(name=data.name, category=data.category, partner_id=_s(data.partner_id), by=identity.username)
        )
        return s.dossier_out(dossier, 0, 0)

    @get(summary="Dossiers, newest first, with document counts and sizes")
    async def list_dossiers(
        self,
        uses: Uses,
        partner_id: FromQuery[UUID | None] = None,
        category: FromQuery[str | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        rows, total = await uses.dossiers(
            partner_id=_s(partner_id), category=category or None, limit=limit, offset=offset
        )
        return _page([s.dossier_out(d, n, size) for d, n, size in rows], total)

    @get("/search", summary="Dossiers named like the query, for pickers (prefix or word start, accents ignored)")
    async def search(
        self,
        uses: Uses,
        q: FromQuery[str] = "",
        partner_id: FromQuery[UUID | None] = None,
        limit: int = Parameter(ge=1, le=SEARCH_LIMIT_MAX, default=20),
    ) -> dict[str, Any]:
        """At most ``limit`` dossiers named like ``q`` (or about a partner named so), no total, so it stays fast.

        With ``partner_id`` only that partner's, and with a blank ``q`` its newest.
        """
        found = await uses.find_dossiers(q, partner_id=_s(partner_id), limit=limit)
        return {"items": [s.dossier_pick(f) for f in found]}

    @get("/categories", summary="Per category: dossiers, documents and bytes")
    async def categories(self, uses: Uses, partner_id: FromQuery[UUID | None] = None) -> dict[str, Any]:
        items = await uses.dossier_categories(partner_id=_s(partner_id))
        return _page([s.category_out(c) for c in items], len(items))

    @get("/{dossier_id:uuid}", summary="A dossier with its documents")
    async def read(self, dossier_id: FromPath[UUID], uses: Uses) -> dict[str, Any]:
        dossier, documents = await uses.dossier(str(dossier_id))
        out = s.dossier_out(dossier, len(documents), sum(d.size for d in documents))
        out["items"] = [s.document_out(d) for d in documents]
        return out

    @post("/{dossier_id:uuid}/documents", summary="File a stored blob in the dossier")
    async def file(
        self,
        dossier_id: FromPath[UUID],
        data: JSONBody[s.FileIn],
        uses: Uses,
        identity: NamedDependency[Identity],
    ) -> dict[str, Any]:
        doc = await uses.file_document(
            FileDocument(
                str(dossier_id),
                sha256=data.sha256,
                file_name=data.file_name,
                source_type=data.source_type,
                source_id=_s(data.source_id),
                by=identity.username,
            )
        )
        return s.document_out(doc)


class ImportController(Controller):
    """CSV import of partners: every row checked, all valid rows imported or none, progress kept."""

    path = "/api/partner-imports"
    tags = ["partners"]

    @post(status_code=202, summary="Start importing partners from a CSV file")
    async def create(
        self, data: JSONBody[s.ImportIn], uses: Uses, identity: NamedDependency[Identity]
    ) -> dict[str, Any]:
        item = await uses.start_import(
            StartImport(data.file_name, data.content, by=identity.username, campaign_id=_s(data.campaign_id))
        )
        return s.import_out(item)

    @get(summary="Partner imports, newest first")
    async def list_imports(self, uses: Uses, limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        items, total = await uses.imports(limit=limit, offset=offset)
        return _page([s.import_out(i) for i in items], total)

    @get("/{import_id:uuid}", summary="An import's status, progress and per-row errors")
    async def read(self, import_id: FromPath[UUID], uses: Uses) -> dict[str, Any]:
        return s.import_out(await uses.import_status(str(import_id)))


controllers = [PartnerController, StaffController, DossierController, ImportController]
