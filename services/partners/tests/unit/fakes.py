"""In-memory twins of the partners ports (``crm_partners.ports``) for unit tests of the use cases."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from crm_kit.errors import Conflict
from crm_kit.scoping import TaskOwners
from crm_kit.testing.fakes import FakeClock, FakeUnitOfWork
from crm_partners.domain.dossiers import CategoryTotals, Dossier, FiledDocument, FoundDossier
from crm_partners.domain.imports import PartnerImport
from crm_partners.domain.opportunities import PartnerOpportunity
from crm_partners.domain.partners import Partner, PartnerFilter
from crm_partners.domain.staff import StaffMember
from crm_partners.domain.text import fold
from crm_partners.domain.timeline import PageRequest, TimelineEntry, newest_first
from crm_partners.ports import Publisher, Repository
from crm_partners.service_layer import UseCases

Key = tuple[str, str]


def _words_match(name: str, q: str) -> bool:
    """Every word of the query starts the name or one of its words (accents and case ignored)."""
    words = fold(name).split()
    return all(any(w.startswith(part) for w in words) for part in fold(q).split())


class InMemoryRepository:
    """``ports.Repository`` in dictionaries; the same rules of uniqueness and versions as the SQL store."""

    def __init__(self) -> None:
        self.partners: dict[str, Partner] = {}
        self.opportunities: dict[str, PartnerOpportunity] = {}
        self.staff: dict[str, StaffMember] = {}
        self.owners: dict[str, TaskOwners] = {}
        self.dossiers: dict[str, Dossier] = {}
        self.dossier_creators: dict[str, str | None] = {}
        self.documents: list[FiledDocument] = []
        self.history: dict[Key, TimelineEntry] = {}
        self.recorded_at: dict[Key, datetime] = {}
        self.rebuilt: dict[Key, TimelineEntry] = {}
        self.rebuilt_at: dict[Key, datetime] = {}
        self.imports: dict[str, PartnerImport] = {}
        self.locked: list[str] = []

    # partners
    async def add_partners(self, partners: Sequence[Partner]) -> None:
        for p in partners:
            if p.id in self.partners:
                raise Conflict(f"partner {p.id} exists")
            self.partners[p.id] = p

    async def replace_partner(self, partner: Partner) -> None:
        current = self.partners.get(partner.id)
        if current is None or current.version != partner.version - 1:
            raise Conflict(
                "the partner was changed by someone else meanwhile; reload it and try again",
                code="record.changed_meanwhile",
            )
        self.partners[partner.id] = partner

    async def convert_to_client(self, partner: Partner) -> None:
        self.partners[partner.id] = partner

    async def get_partner(self, partner_id: str, *, for_update: bool = False) -> Partner | None:
        if for_update:
            self.locked.append(partner_id)
        return self.partners.get(partner_id)

    async def partner_exists(self, partner_id: str) -> bool:
        return partner_id in self.partners

    async def email_owners(self, emails: Iterable[str]) -> dict[str, str]:
        wanted = set(emails)
        return {e: p.id for p in self.partners.values() for e in p.emails if e in wanted}

    async def fiscal_owners(self, digits: Iterable[str]) -> dict[str, str]:
        wanted = set(digits)
        return {p.fiscal_digits: p.id for p in self.partners.values() if p.fiscal_digits in wanted and p.fiscal_digits}

    async def partner_names(self, partner_ids: Iterable[str]) -> dict[str, str]:
        return {i: self.partners[i].name for i in set(partner_ids) if i in self.partners}

    async def search_partners(self, f: PartnerFilter, *, limit: int, offset: int) -> tuple[list[Partner], int]:
        def matches(p: Partner) -> bool:
            return (
                (not f.kind or p.kind == f.kind)
                and (not f.name or fold(f.name) in fold(p.name))
                and (not f.county or p.county == f.county)
                and (not f.locality or fold(p.locality or "") == fold(f.locality))
                and (not f.email or f.email.strip().lower() in p.emails)
                and (f.turnover_min is None or (p.turnover is not None and p.turnover >= f.turnover_min))
                and (not f.sales_rep_staff_id or p.sales_rep_staff_id == f.sales_rep_staff_id)
            )

        found = sorted((p for p in self.partners.values() if matches(p)), key=lambda p: (fold(p.name), p.id))
        return found[offset : offset + limit], len(found)

    async def find_partners(self, q: str, *, kind: str | None, limit: int) -> list[Partner]:
        if not fold(q).split():
            return []
        found = [p for p in self.partners.values() if _words_match(p.name, q) and (not kind or p.kind == kind)]
        found.sort(key=lambda p: (not fold(p.name).startswith(fold(q)), fold(p.name), p.id))
        return found[:limit]

    # opportunities
    async def get_opportunity(self, opportunity_id: str) -> PartnerOpportunity | None:
        return self.opportunities.get(opportunity_id)

    async def save_opportunity(self, opportunity: PartnerOpportunity) -> None:
        self.opportunities[opportunity.opportunity_id] = opportunity

    async def add_new_opportunities(self, opportunities: Sequence[PartnerOpportunity]) -> None:
        for o in opportunities:
            self.opportunities.setdefault(o.opportunity_id, o)

    async def partner_opportunities(self, partner_id: str) -> list[PartnerOpportunity]:
        mine = [o for o in self.opportunities.values() if o.partner_id == partner_id]
        return sorted(mine, key=lambda o: (o.updated_at, o.opportunity_id), reverse=True)

    # staff
    async def add_staff(self, member: StaffMember) -> None:
        self.staff[member.id] = member

    async def replace_staff(self, member: StaffMember) -> None:
        current = self.staff.get(member.id)
        if current is None or current.version != member.version - 1:
            raise Conflict(
                "the staff member was changed by someone else meanwhile; reload and try again",
                code="record.changed_meanwhile",
            )
        self.staff[member.id] = member

    async def get_staff(self, staff_id: str) -> StaffMember | None:
        return self.staff.get(staff_id)

    async def login_owner(self, login: str) -> str | None:
        return next((m.id for m in self.staff.values() if m.user_login == login), None)

    async def known_staff(self, ids: Iterable[str]) -> set[str]:
        return set(ids) & set(self.staff)

    async def staff_by_references(self, references: Iterable[str]) -> list[StaffMember]:
        keys = {fold(r) for r in references}
        return [m for m in self.staff.values() if keys & {fold(v) for v in (m.email, m.user_login, m.name) if v}]

    async def team_of(self, staff_id: str) -> frozenset[str]:
        me = self.staff.get(staff_id)
        if me is None or not me.team:
            return frozenset({staff_id})
        return frozenset({staff_id, *(m.id for m in self.staff.values() if m.team == me.team)})

    async def list_staff(
        self,
        *,
        name: str | None,
        team: str | None,
        category: str | None,
        active: bool | None,
        limit: int,
        offset: int,
    ) -> tuple[list[StaffMember], int]:
        found = [
            m
            for m in self.staff.values()
            if (not name or fold(name) in fold(m.name))
            and (not team or m.team == team)
            and (active is None or m.active == active)
            and (not category or any(fold(c) == fold(category) for c in m.categories))
        ]
        found.sort(key=lambda m: (fold(m.name), m.id))
        return found[offset : offset + limit], len(found)

    async def find_staff(self, q: str, *, active: bool | None, limit: int) -> list[StaffMember]:
        if not fold(q).split():
            return []
        found = [m for m in self.staff.values() if _words_match(m.name, q) and (active is None or m.active == active)]
        found.sort(key=lambda m: (not fold(m.name).startswith(fold(q)), fold(m.name), m.id))
        return found[:limit]

    # task owners
    async def task_owners(self, task_ids: Iterable[str]) -> dict[str, TaskOwners]:
        return {t: self.owners[t] for t in task_ids if t in self.owners}

    async def keep_task_owners(self, task_id: str, owners: TaskOwners) -> None:
        self.owners[task_id] = owners

    async def add_task_creators(self, owners: Mapping[str, TaskOwners]) -> None:
        for task_id, new in owners.items():
            kept = self.owners.get(task_id)
            self.owners[task_id] = new if kept is None else replace(new, responsible_staff_id=kept.responsible_staff_id)

    # dossiers
    async def add_dossier(self, dossier: Dossier, *, created_by: str | None) -> None:
        self.dossiers[dossier.id] = dossier
        self.dossier_creators[dossier.id] = created_by

    async def get_dossier(self, dossier_id: str) -> Dossier | None:
        return self.dossiers.get(dossier_id)

    async def add_document(self, doc: FiledDocument) -> None:
        self.documents.append(doc)

    async def blob_in_dossier(self, dossier_id: str, sha256: str) -> bool:
        return any(d.dossier_id == dossier_id and d.sha256 == sha256 for d in self.documents)

    async def dossier_documents(self, dossier_id: str) -> list[FiledDocument]:
        docs = [d for d in self.documents if d.dossier_id == dossier_id]
        docs.sort(key=lambda d: d.id)
        docs.sort(key=lambda d: d.filed_at, reverse=True)
        return docs

    async def list_dossiers(
        self, *, partner_id: str | None, category: str | None, limit: int, offset: int
    ) -> tuple[list[tuple[Dossier, int, int]], int]:
        found = [
            d
            for d in self.dossiers.values()
            if (not partner_id or d.partner_id == partner_id) and (not category or d.category == category)
        ]
        found.sort(key=lambda d: (d.created_at, d.id), reverse=True)
        rows = []
        for d in found[offset : offset + limit]:
            docs = [x for x in self.documents if x.dossier_id == d.id]
            rows.append((d, len(docs), sum(x.size for x in docs)))
        return rows, len(found)

    async def dossier_categories(self, *, partner_id: str | None) -> list[CategoryTotals]:
        totals: dict[str, list[int]] = {}
        for d in self.dossiers.values():
            if partner_id and d.partner_id != partner_id:
                continue
            docs = [x for x in self.documents if x.dossier_id == d.id]
            t = totals.setdefault(d.category, [0, 0, 0])
            t[0] += 1
            t[1] += len(docs)
            t[2] += sum(x.size for x in docs)
        return [CategoryTotals(c, *v) for c, v in sorted(totals.items())]

    async def find_dossiers(self, q: str, *, partner_id: str | None, limit: int) -> list[FoundDossier]:
        words = fold(q).split()
        if not words and not partner_id:
            return []
        found = []
        for d in self.dossiers.values():
            partner = self.partners.get(d.partner_id or "")
            named = all(_words_match(d.name, w) or (partner and _words_match(partner.name, w)) for w in words)
            if named and (not partner_id or d.partner_id == partner_id):
                found.append(FoundDossier(d, partner.name if partner else None))
        if words:
            found.sort(key=lambda f: (not fold(f.dossier.name).startswith(fold(q)), fold(f.dossier.name), f.dossier.id))
        else:
            found.sort(key=lambda f: (f.dossier.created_at, f.dossier.id), reverse=True)
        return found[:limit]

    # history
    @staticmethod
    def _page(entries: Iterable[TimelineEntry], partner_id: str, req: PageRequest) -> tuple[list[TimelineEntry], int]:
        mine = [e for e in entries if e.partner_id == partner_id and (not req.kinds or e.kind in req.kinds)]
        return newest_first(mine)[req.offset : req.offset + req.limit], len(mine)

    async def add_entries(self, entries: Sequence[TimelineEntry]) -> int:
        added = 0
        for entry in entries:
            key = (entry.partner_id, entry.event_id)
            if key not in self.history:
                self.history[key] = entry
                self.recorded_at[key] = datetime.now(UTC)
                added += 1
        return added

    async def history_page(self, partner_id: str, req: PageRequest) -> tuple[list[TimelineEntry], int]:
        return self._page(self.history.values(), partner_id, req)

    async def clear_rebuilt_history(self) -> None:
        self.rebuilt.clear()
        self.rebuilt_at.clear()

    async def add_rebuilt_entries(self, entries: Sequence[TimelineEntry], *, recorded_at: datetime) -> int:
        added = 0
        for entry in entries:
            key = (entry.partner_id, entry.event_id)
            if key not in self.rebuilt:
                self.rebuilt[key] = entry
                self.rebuilt_at[key] = recorded_at
                added += 1
        return added

    async def rebuilt_history_page(self, partner_id: str, req: PageRequest) -> tuple[list[TimelineEntry], int]:
        return self._page(self.rebuilt.values(), partner_id, req)

    async def rebuilt_history_partners(self) -> int:
        return len({pid for pid, _ in self.rebuilt})

    async def history_differences(self) -> tuple[int, int]:
        def rows(entries: dict[Key, TimelineEntry]) -> set[tuple[Any, ...]]:
            return {(e.partner_id, e.event_id, e.kind, e.type, e.title, e.occurred_at) for e in entries.values()}

        live, rebuilt = rows(self.history), rows(self.rebuilt)
        return len(rebuilt - live), len(live - rebuilt)

    async def swap_in_rebuilt_history(self, *, replay_started_at: datetime) -> int:
        kept = {k: e for k, e in self.history.items() if self.recorded_at[k] >= replay_started_at}
        for key, entry in self.rebuilt.items():
            if key not in kept:
                kept[key] = entry
                self.recorded_at[key] = self.rebuilt_at[key]
        self.history = kept
        return len(kept)

    # imports
    async def add_import(self, item: PartnerImport) -> None:
        self.imports[item.id] = item

    async def save_import(self, item: PartnerImport) -> None:
        self.imports[item.id] = replace(
            item, created_at=self.imports[item.id].created_at, created_by=self.imports[item.id].created_by
        )

    async def get_import(self, import_id: str) -> PartnerImport | None:
        return self.imports.get(import_id)

    async def list_imports(self, *, limit: int, offset: int) -> tuple[list[PartnerImport], int]:
        found = sorted(self.imports.values(), key=lambda i: (i.created_at, i.id), reverse=True)
        return found[offset : offset + limit], len(found)


class FakePublisher:
    """``ports.Publisher`` that records each domain call as ``(name, what)``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def named(self, name: str) -> list[Any]:
        """What the calls of one kind published, in order."""
        return [what for called, what in self.calls if called == name]

    async def partner_registered(self, partner: Partner) -> None:
        self.calls.append(("partner_registered", partner))

    async def partners_registered(self, partners: Sequence[Partner]) -> None:
        self.calls.append(("partners_registered", list(partners)))

    async def partner_updated(self, partner: Partner) -> None:
        self.calls.append(("partner_updated", partner))

    async def lead_converted(self, client: Partner, opportunity_id: str | None) -> None:
        self.calls.append(("lead_converted", (client, opportunity_id)))

    async def staff_registered(self, member: StaffMember) -> None:
        self.calls.append(("staff_registered", member))

    async def staff_updated(self, member: StaffMember) -> None:
        self.calls.append(("staff_updated", member))

    async def document_filed(self, dossier: Dossier, doc: FiledDocument) -> None:
        self.calls.append(("document_filed", (dossier, doc)))


class FakeBlobs:
    """``ports.Blobs``: the blobs uploaded so far, by address and size."""

    def __init__(self, sizes: dict[str, int] | None = None) -> None:
        self.sizes = dict(sizes or {})

    def exists(self, sha256: str) -> bool:
        return sha256 in self.sizes

    def size(self, sha256: str) -> int:
        return self.sizes[sha256]


class Harness:
    """The use cases over fresh fakes, and the fakes to look into."""

    def __init__(self, **settings: Any) -> None:
        self.repo = InMemoryRepository()
        self.publisher = FakePublisher()
        self.blobs = FakeBlobs()
        self.clock = FakeClock()
        # Typed by the ports: mypy checks here that the fakes implement them (the kit's UnitOfWork is
        # invariant in its types, so FakeUnitOfWork[InMemoryRepository, ...] would not pass as the port).
        self.uow: FakeUnitOfWork[Repository, Publisher] = FakeUnitOfWork(self.repo, self.publisher, self.clock)
        self.uses = UseCases(self.uow, blobs=self.blobs, **settings)
