"""The ports the partners use cases talk to: the store, the outgoing facts and the blob store, in domain terms."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from crm_kit.scoping import TaskOwners
from crm_partners.domain.dossiers import CategoryTotals, Dossier, FiledDocument, FoundDossier
from crm_partners.domain.imports import PartnerImport
from crm_partners.domain.opportunities import PartnerOpportunity
from crm_partners.domain.partners import Partner, PartnerFilter
from crm_partners.domain.staff import StaffMember
from crm_partners.domain.timeline import PageRequest, TimelineEntry


class Repository(Protocol):
    """The partners store, inside one unit of work."""

    # partners
    async def add_partners(self, partners: Sequence[Partner]) -> None:
        """Add partners with their sites, emails and contacts (many at once: the CSV import's bulk path)."""
        ...

    async def replace_partner(self, partner: Partner) -> None:
        """Store a partner's new state over the version before it (Conflict when another change won)."""
        ...

    async def convert_to_client(self, partner: Partner) -> None:
        """Store a converted lead (its kind, time and version change)."""
        ...

    async def get_partner(self, partner_id: str, *, for_update: bool = False) -> Partner | None:
        """One partner, whole (locked for this unit of work when ``for_update``), or None."""
        ...

    async def partner_exists(self, partner_id: str) -> bool:
        """Whether the directory has the partner."""
        ...

    async def email_owners(self, emails: Iterable[str]) -> dict[str, str]:
        """Which partner each of these site emails belongs to (those that belong to one)."""
        ...

    async def fiscal_owners(self, digits: Iterable[str]) -> dict[str, str]:
        """Which partner has each of these CUIs (digits without RO)."""
        ...

    async def partner_names(self, partner_ids: Iterable[str]) -> dict[str, str]:
        """The names of these partners by id (those that exist)."""
        ...

    async def search_partners(self, f: PartnerFilter, *, limit: int, offset: int) -> tuple[list[Partner], int]:
        """A page of partners matching the filter, by name, and how many match in all."""
        ...

    async def find_partners(self, q: str, *, kind: str | None, limit: int) -> list[Partner]:
        """At most ``limit`` partners whose folded name has a word starting with each word of ``q``."""
        ...

    # opportunities shown on partners (L2)
    async def get_opportunity(self, opportunity_id: str) -> PartnerOpportunity | None:
        """An opportunity as its partner shows it, or None."""
        ...

    async def save_opportunity(self, opportunity: PartnerOpportunity) -> None:
        """Keep an opportunity's current state (added, or replacing the one kept)."""
        ...

    async def add_new_opportunities(self, opportunities: Sequence[PartnerOpportunity]) -> None:
        """Keep opportunities not kept yet, in one statement; one already kept stays as it is."""
        ...

    async def partner_opportunities(self, partner_id: str) -> list[PartnerOpportunity]:
        """The partner's opportunities, newest change first."""
        ...

    # staff
    async def add_staff(self, member: StaffMember) -> None:
        """Add a staff member."""
        ...

    async def replace_staff(self, member: StaffMember) -> None:
        """Store a staff member's new state over the version before it (Conflict when another change won)."""
        ...

    async def get_staff(self, staff_id: str) -> StaffMember | None:
        """One staff member, or None."""
        ...

    async def login_owner(self, login: str) -> str | None:
        """The staff member a user login is linked to, if any."""
        ...

    async def known_staff(self, ids: Iterable[str]) -> set[str]:
        """The ids among these that are staff members."""
        ...

    async def staff_by_references(self, references: Iterable[str]) -> list[StaffMember]:
        """The staff members whose email, user login or folded name is one of ``references`` (case ignored)."""
        ...

    async def team_of(self, staff_id: str) -> frozenset[str]:
        """The staff ids of a person's team (the person included)."""
        ...

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
        """A page of the staff directory by name, and how many match."""
        ...

    async def find_staff(self, q: str, *, active: bool | None, limit: int) -> list[StaffMember]:
        """At most ``limit`` staff members whose folded name has a word starting with each word of ``q``."""
        ...

    # task owners (who may read a task's history entries)
    async def task_owners(self, task_ids: Iterable[str]) -> dict[str, TaskOwners]:
        """Who the given tasks are for and from (tasks never heard of are missing)."""
        ...

    async def keep_task_owners(self, task_id: str, owners: TaskOwners) -> None:
        """Keep who a task is for and from."""
        ...

    async def add_task_creators(self, owners: Mapping[str, TaskOwners]) -> None:
        """Keep new tasks' owners in one statement.

        A task already kept (reassigned since) keeps its responsible and gets its creator.
        """
        ...

    # dossiers (D1)
    async def add_dossier(self, dossier: Dossier, *, created_by: str | None) -> None:
        """Add a dossier."""
        ...

    async def get_dossier(self, dossier_id: str) -> Dossier | None:
        """One dossier, or None."""
        ...

    async def add_document(self, doc: FiledDocument) -> None:
        """File a document in its dossier."""
        ...

    async def blob_in_dossier(self, dossier_id: str, sha256: str) -> bool:
        """Whether the dossier holds the blob already."""
        ...

    async def dossier_documents(self, dossier_id: str) -> list[FiledDocument]:
        """The dossier's documents, newest first."""
        ...

    async def list_dossiers(
        self, *, partner_id: str | None, category: str | None, limit: int, offset: int
    ) -> tuple[list[tuple[Dossier, int, int]], int]:
        """Dossiers with their document count and total size, newest first, and how many match."""
        ...

    async def dossier_categories(self, *, partner_id: str | None) -> list[CategoryTotals]:
        """Per category: how many dossiers, documents and bytes."""
        ...

    async def find_dossiers(self, q: str, *, partner_id: str | None, limit: int) -> list[FoundDossier]:
        """At most ``limit`` dossiers whose folded name or partner's name has a word starting with each query word.

        With a blank ``q``, the partner's newest dossiers.
        """
        ...

    # partner history (H1): the live projection, and the rebuild a replay fills
    async def add_entries(self, entries: Sequence[TimelineEntry]) -> int:
        """Record live entries in a few statements, each (partner, event) once. Returns how many were new."""
        ...

    async def history_page(self, partner_id: str, req: PageRequest) -> tuple[list[TimelineEntry], int]:
        """A page of a partner's live history, newest first, and how many entries it has (of those kinds)."""
        ...

    async def clear_rebuilt_history(self) -> None:
        """Empty the rebuild projection."""
        ...

    async def add_rebuilt_entries(self, entries: Sequence[TimelineEntry], *, recorded_at: datetime) -> int:
        """Record entries in the rebuild projection (each (partner, event) once); returns how many were new."""
        ...

    async def rebuilt_history_page(self, partner_id: str, req: PageRequest) -> tuple[list[TimelineEntry], int]:
        """A page of a partner's rebuilt history, as ``history_page``."""
        ...

    async def rebuilt_history_partners(self) -> int:
        """How many partners the rebuild projection has entries for."""
        ...

    async def history_differences(self) -> tuple[int, int]:
        """How many entries are only in the rebuild, and how many only in the live history."""
        ...

    async def swap_in_rebuilt_history(self, *, replay_started_at: datetime) -> int:
        """Make the rebuild the live history (keeping live entries recorded since the replay started)."""
        ...

    # CSV imports
    async def add_import(self, item: PartnerImport) -> None:
        """Add an import."""
        ...

    async def save_import(self, item: PartnerImport) -> None:
        """Store an import's progress or outcome."""
        ...

    async def get_import(self, import_id: str) -> PartnerImport | None:
        """One import, or None."""
        ...

    async def list_imports(self, *, limit: int, offset: int) -> tuple[list[PartnerImport], int]:
        """A page of imports, newest first, and how many there are."""
        ...


class Publisher(Protocol):
    """The partners service's outgoing facts, written with the unit of work's state."""

    async def partner_registered(self, partner: Partner) -> None:
        """A partner was added to the directory."""
        ...

    async def partners_registered(self, partners: Sequence[Partner]) -> None:
        """Many partners were added at once (a CSV import)."""
        ...

    async def partner_updated(self, partner: Partner) -> None:
        """A partner changed (its whole new state)."""
        ...

    async def lead_converted(self, client: Partner, opportunity_id: str | None) -> None:
        """A lead became a client by winning an opportunity."""
        ...

    async def staff_registered(self, member: StaffMember) -> None:
        """A person was added to the staff directory."""
        ...

    async def staff_updated(self, member: StaffMember) -> None:
        """A staff member changed (the whole new state)."""
        ...

    async def document_filed(self, dossier: Dossier, doc: FiledDocument) -> None:
        """A stored blob was filed in a dossier."""
        ...


class Blobs(Protocol):
    """The blob store files are uploaded to (``crm_kit.blobs.BlobStore`` has this shape)."""

    def exists(self, sha256: str) -> bool:
        """Whether a blob is stored at this address."""
        ...

    def size(self, sha256: str) -> int:
        """The stored blob's size in bytes."""
        ...
