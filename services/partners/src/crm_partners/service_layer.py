"""The partners use cases: each takes one command, asks the domain, saves through the repository, publishes.

Controllers, subscribers, the CSV import job and the history rebuild all call these methods; none of
them knows about connections, topics or contract classes (the adapters behind ``ports`` do).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crm_kit.errors import Invalid, NotFound
from crm_kit.ids import new_id
from crm_kit.scoping import TaskOwners
from crm_kit.unit_of_work import UnitOfWork
from crm_partners.domain import imports, opportunities
from crm_partners.domain.dossiers import (
    CategoryTotals,
    Dossier,
    FiledDocument,
    FoundDossier,
    check_not_filed,
    new_dossier,
    stored_file,
)
from crm_partners.domain.dossiers import file_document as filed_document
from crm_partners.domain.imports import PartnerImport
from crm_partners.domain.opportunities import PartnerOpportunity
from crm_partners.domain.pages import check_page
from crm_partners.domain.partners import (
    Partner,
    PartnerFilter,
    PartnerInput,
    build_partner,
    check_in_directory,
    check_kind,
    check_search,
    checked_filter,
    convert_lead,
    unchanged,
    update_partner,
)
from crm_partners.domain.staff import StaffInput, StaffMember, build_staff, check_login, update_staff
from crm_partners.domain.timeline import Fact, TimelineEntry, entries_for, page_request
from crm_partners.domain.visibility import Reader, for_reader, task_of
from crm_partners.ports import Blobs, Publisher, Repository

log = logging.getLogger(__name__)


def _new_id() -> str:
    return str(new_id())


# ---------------------------------------------------------------- commands


@dataclass(frozen=True)
class RegisterPartner:
    """Add a partner (client, lead or supplier) to the directory."""

    data: PartnerInput


@dataclass(frozen=True)
class UpdatePartner:
    """Change some fields of a partner (an explicit None clears a field)."""

    partner_id: str
    changes: Mapping[str, Any]


@dataclass(frozen=True)
class RegisterStaff:
    """Add a person to the staff directory."""

    data: StaffInput


@dataclass(frozen=True)
class UpdateStaff:
    """Change some fields of a staff member."""

    staff_id: str
    changes: Mapping[str, Any]


@dataclass(frozen=True)
class CreateDossier:
    """Open a dossier, about a partner or not."""

    name: str
    category: str | None = None
    partner_id: str | None = None
    by: str | None = None


@dataclass(frozen=True)
class FileDocument:
    """File a stored blob in a dossier."""

    dossier_id: str
    sha256: str
    file_name: str
    source_type: str | None = None
    source_id: str | None = None
    by: str | None = None


@dataclass(frozen=True)
class StartImport:
    """Import partners from a CSV file: every row checked, all rows imported or none."""

    file_name: str
    content: str
    by: str | None = None
    campaign_id: str | None = None
    """The campaign (L1) of every row that names none: a file of leads usually comes from one campaign."""


@dataclass(frozen=True)
class RecordHistory:
    """Put a fact of any context on the history of every partner it names (H1)."""

    fact: Fact


@dataclass(frozen=True)
class KeepTaskOwners:
    """Remember who a task is for and from; a reassignment changes only its responsible."""

    task_id: str
    responsible_staff_id: str | None
    creator_staff_id: str | None = None
    creator_user: str | None = None
    reassigned: bool = False


@dataclass(frozen=True)
class KeepOpportunity:
    """An opportunity of a partner was opened or changed: show its whole new state (L2)."""

    opportunity_id: str
    partner_id: str
    title: str
    potential: Decimal
    probability: Decimal
    stage: str
    expected_signing_on: date | None = None
    owner_staff_id: str | None = None
    campaign_id: str | None = None


@dataclass(frozen=True)
class ChangeOpportunityStage:
    """An opportunity moved to another stage: show its stage, title and figures (L2)."""

    opportunity_id: str
    partner_id: str
    title: str
    potential: Decimal
    probability: Decimal
    stage: str


@dataclass(frozen=True)
class LoseOpportunity:
    """An opportunity was lost."""

    opportunity_id: str
    partner_id: str


@dataclass(frozen=True)
class WinOpportunity:
    """An opportunity was won: it shows as a sale, and a lead that won it becomes a client (L2)."""

    opportunity_id: str
    partner_id: str
    potential: Decimal


@dataclass(frozen=True)
class BeginHistoryRebuild:
    """Start a rebuild of the history from offset 0: the rebuild projection is emptied."""


@dataclass(frozen=True)
class ReplayFacts:
    """Replayed facts (in topic order) for the rebuild projection, and the task owners they name."""

    facts: Sequence[Fact]
    owners: Sequence[KeepTaskOwners]
    recorded_at: datetime


@dataclass(frozen=True)
class SwapInHistory:
    """Make the rebuilt history the live one."""

    replay_started_at: datetime


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class PartnerView:
    """A partner with the opportunities it shows."""

    partner: Partner
    opportunities: list[PartnerOpportunity]


@dataclass(frozen=True)
class HistoryComparison:
    """How the rebuilt history compares with the live one."""

    partners: int
    missing_from_live: int
    only_in_live: int


# ---------------------------------------------------------------- use cases


class UseCases:
    """Every use case of the partners service, over one unit of work (its store and publisher) and the blobs.

    Args:
        uow: units of work on the partners store and its publisher.
        blobs: the blob store documents are filed from.
        list_page_max: the largest page of a directory list.
        history_page_max: the largest page of a partner history.
        import_max_rows: the most rows one CSV import may hold.
        import_progress_every: an import records its progress after this many checked rows.
        import_store_every: an import writes its partners in chunks of this many, counting each.
        ids: makes new record ids.
    """

    def __init__(
        self,
        uow: UnitOfWork[Repository, Publisher],
        *,
        blobs: Blobs,
        list_page_max: int = 500,
        history_page_max: int = 200,
        import_max_rows: int = 50_000,
        import_progress_every: int = 500,
        import_store_every: int = 2000,
        ids: Callable[[], str] = _new_id,
    ) -> None:
        self.uow = uow
        self.blobs = blobs
        self.list_page_max = list_page_max
        self.history_page_max = history_page_max
        self.import_max_rows = import_max_rows
        self.import_progress_every = import_progress_every
        self.import_store_every = import_store_every
        self.ids = ids
        self._jobs: set[asyncio.Task[None]] = set()
        self._live: dict[str, PartnerImport] = {}

    # ------------------------------------------------------------ partners

    async def register_partner(self, cmd: RegisterPartner) -> Partner:
        """Add a partner and publish PartnerRegistered.

        Raises:
            Invalid: a field breaks a rule, or a representative is not a staff member.
            Conflict: a site email or the CUI belongs to another partner.
        """
        async with self.uow() as work:
            partner = build_partner(cmd.data, partner_id=self.ids(), now=work.now, new_id=self.ids)
            await self._check_in_directory(work.repo, partner)
            await work.repo.add_partners([partner])
            await work.publisher.partner_registered(partner)
        return partner

    async def update_partner(self, cmd: UpdatePartner) -> PartnerView:
        """Change some of a partner's fields and publish PartnerUpdated (nothing when nothing changed).

        Raises:
            NotFound: no such partner.
            Invalid: a field breaks a rule.
            Conflict: an email or the CUI is another partner's, or a concurrent change won.
        """
        async with self.uow() as work:
            current = await work.repo.get_partner(cmd.partner_id, for_update=True)
            if current is None:
                raise NotFound(f"no partner {cmd.partner_id}", code="record.not_found")
            partner = update_partner(current, cmd.changes, now=work.now, new_id=self.ids)
            if unchanged(current, partner):
                partner = current
            else:
                await self._check_in_directory(work.repo, partner)
                await work.repo.replace_partner(partner)
                await work.publisher.partner_updated(partner)
        # The opportunities the answer shows are read after the change committed, not inside it.
        async with self.uow.reading() as repo:
            return PartnerView(partner, await repo.partner_opportunities(partner.id))

    async def _check_in_directory(self, repo: Repository, partner: Partner) -> None:
        digits = [partner.fiscal_digits] if partner.fiscal_digits else []
        email_owners = await repo.email_owners(partner.emails)
        fiscal_owners = await repo.fiscal_owners(digits)
        # A refusal names the other partner by name, not by id (read only when there is one).
        names: dict[str, str] = {}
        for owner in {*email_owners.values(), *fiscal_owners.values()} - {partner.id}:
            other = await repo.get_partner(owner)
            if other is not None:
                names[owner] = other.name
        check_in_directory(
            partner,
            email_owners=email_owners,
            fiscal_owners=fiscal_owners,
            known_staff=await repo.known_staff(partner.staff_ids),
            owner_names=names,
        )

    async def partner(self, partner_id: str) -> PartnerView:
        """A partner with its opportunities (L2).

        Raises:
            NotFound: no such partner.
        """
        async with self.uow.reading() as repo:
            partner = await repo.get_partner(partner_id)
            if partner is None:
                raise NotFound(f"no partner {partner_id}", code="record.not_found")
            return PartnerView(partner, await repo.partner_opportunities(partner_id))

    async def partners(self, f: PartnerFilter, *, limit: int, offset: int) -> tuple[list[Partner], int]:
        """A page of the partners matching the filter, by name, and how many match.

        Raises:
            Invalid: an unknown kind or county, or a page out of bounds.
        """
        checked = checked_filter(f)
        check_page(limit, offset, self.list_page_max)
        async with self.uow.reading() as repo:
            return await repo.search_partners(checked, limit=limit, offset=offset)

    async def find_partners(self, q: str, *, kind: str | None, limit: int) -> list[Partner]:
        """At most ``limit`` partners named like ``q`` (prefix or word start, accents ignored), for pickers.

        Raises:
            Invalid: an unknown kind or a query too long.
        """
        wanted = check_kind(kind)
        async with self.uow.reading() as repo:
            return await repo.find_partners(check_search(q), kind=wanted, limit=limit)

    async def history(
        self, partner_id: str, reader: Reader, *, kind: str | None, limit: int, offset: int
    ) -> tuple[list[TimelineEntry], int]:
        """A page of the partner's history (H1), newest first, optionally only some kinds.

        Entries about a task, an email or a mail import the reader may not see are redacted
        (``crm_partners.domain.visibility``).

        Raises:
            NotFound: no such partner.
            Invalid: an unknown kind or a page out of bounds.
        """
        req = page_request(kind, limit, offset, max_limit=self.history_page_max)
        async with self.uow.reading() as repo:
            if not await repo.partner_exists(partner_id):
                raise NotFound(f"no partner {partner_id}", code="record.not_found")
            entries, total = await repo.history_page(partner_id, req)
            if reader.role == "manager" and reader.staff_id is not None:
                reader = replace(reader, team=await repo.team_of(reader.staff_id))
            owners = await repo.task_owners([t for e in entries if (t := task_of(e)) is not None])
        return for_reader(entries, reader, owners), total

    # ------------------------------------------------------------ staff

    async def register_staff(self, cmd: RegisterStaff) -> StaffMember:
        """Add a person to the staff directory and publish StaffMemberRegistered.

        Raises:
            Invalid: a field breaks a rule.
            Conflict: the user login is another staff member's.
        """
        async with self.uow() as work:
            member = build_staff(cmd.data, staff_id=self.ids(), now=work.now)
            if member.user_login:
                check_login(member, await work.repo.login_owner(member.user_login))
            await work.repo.add_staff(member)
            await work.publisher.staff_registered(member)
        return member

    async def update_staff(self, cmd: UpdateStaff) -> StaffMember:
        """Change a staff member and publish StaffMemberUpdated.

        Raises:
            NotFound: no such staff member.
            Invalid: a field breaks a rule.
            Conflict: the user login is another staff member's, or a concurrent change won.
        """
        async with self.uow() as work:
            current = await work.repo.get_staff(cmd.staff_id)
            if current is None:
                raise NotFound(f"no staff member {cmd.staff_id}", code="record.not_found")
            member = update_staff(current, cmd.changes, now=work.now)
            if member.user_login:
                check_login(member, await work.repo.login_owner(member.user_login))
            await work.repo.replace_staff(member)
            await work.publisher.staff_updated(member)
        return member

    async def staff_member(self, staff_id: str) -> StaffMember:
        """One staff member.

        Raises:
            NotFound: no such staff member.
        """
        async with self.uow.reading() as repo:
            member = await repo.get_staff(staff_id)
        if member is None:
            raise NotFound(f"no staff member {staff_id}", code="record.not_found")
        return member

    async def find_staff(self, q: str, *, active: bool | None, limit: int) -> list[StaffMember]:
        """At most ``limit`` staff members named like ``q`` (prefix or word start, accents ignored), for pickers.

        Raises:
            Invalid: a query too long.
        """
        async with self.uow.reading() as repo:
            return await repo.find_staff(check_search(q), active=active, limit=limit)

    async def staff(
        self, *, name: str | None, team: str | None, category: str | None, active: bool | None, limit: int, offset: int
    ) -> tuple[list[StaffMember], int]:
        """A page of the staff directory by name, and how many match.

        Raises:
            Invalid: a page out of bounds.
        """
        check_page(limit, offset, self.list_page_max)
        async with self.uow.reading() as repo:
            return await repo.list_staff(
                name=name, team=team, category=category, active=active, limit=limit, offset=offset
            )

    # ------------------------------------------------------------ dossiers (D1)

    async def create_dossier(self, cmd: CreateDossier) -> Dossier:
        """Open a dossier.

        Raises:
            Invalid: no name, names too long, or no such partner.
        """
        async with self.uow() as work:
            dossier = new_dossier(
                dossier_id=self.ids(), name=cmd.name, category=cmd.category, partner_id=cmd.partner_id, now=work.now
            )
            if cmd.partner_id and not await work.repo.partner_exists(cmd.partner_id):
                raise Invalid(
                    f"no partner {cmd.partner_id}", code="partner.unknown", params={"partner_id": cmd.partner_id}
                )
            await work.repo.add_dossier(dossier, created_by=cmd.by)
        return dossier

    async def file_document(self, cmd: FileDocument) -> FiledDocument:
        """File a stored blob in a dossier and publish DocumentFiled.

        Raises:
            NotFound: no such dossier.
            Invalid: not a blob address, a blob never uploaded, or no file name.
            Conflict: the dossier holds the blob already.
        """
        async with self.uow() as work:
            dossier = await work.repo.get_dossier(cmd.dossier_id)
            if dossier is None:
                raise NotFound(f"no dossier {cmd.dossier_id}", code="record.not_found")
            doc = filed_document(
                dossier,
                document_id=self.ids(),
                sha256=cmd.sha256,
                file_name=cmd.file_name,
                size=0,
                now=work.now,
                source_type=cmd.source_type,
                source_id=cmd.source_id,
                filed_by=cmd.by,
            )
            doc = stored_file(doc, self._blob_size(doc.sha256))
            check_not_filed(dossier, doc, already_there=await work.repo.blob_in_dossier(dossier.id, doc.sha256))
            await work.repo.add_document(doc)
            await work.publisher.document_filed(dossier, doc)
        return doc

    def _blob_size(self, sha256: str) -> int | None:
        try:
            return self.blobs.size(sha256) if self.blobs.exists(sha256) else None
        except ValueError as exc:  # the blob store refuses the address (crm_kit.blobs.BlobError)
            raise Invalid(str(exc), code="document.file_address_invalid") from None

    async def dossier(self, dossier_id: str) -> tuple[Dossier, list[FiledDocument]]:
        """A dossier with its documents, newest first.

        Raises:
            NotFound: no such dossier.
        """
        async with self.uow.reading() as repo:
            dossier = await repo.get_dossier(dossier_id)
            if dossier is None:
                raise NotFound(f"no dossier {dossier_id}", code="record.not_found")
            return dossier, await repo.dossier_documents(dossier_id)

    async def dossiers(
        self, *, partner_id: str | None, category: str | None, limit: int, offset: int
    ) -> tuple[list[tuple[Dossier, int, int]], int]:
        """A page of dossiers with their document counts and sizes, newest first.

        Raises:
            Invalid: a page out of bounds.
        """
        check_page(limit, offset, self.list_page_max)
        async with self.uow.reading() as repo:
            return await repo.list_dossiers(partner_id=partner_id, category=category, limit=limit, offset=offset)

    async def find_dossiers(self, q: str, *, partner_id: str | None, limit: int) -> list[FoundDossier]:
        """At most ``limit`` dossiers named like ``q`` (or about a partner named so), for pickers (D1).

        Prefix or word start, accents ignored; ``partner_id`` keeps one partner's dossiers, whose newest come
        with a blank ``q``.

        Raises:
            Invalid: a query too long.
        """
        async with self.uow.reading() as repo:
            return await repo.find_dossiers(check_search(q), partner_id=partner_id, limit=limit)

    async def dossier_categories(self, *, partner_id: str | None) -> list[CategoryTotals]:
        """Per category: how many dossiers, documents and bytes (of one partner, or of all)."""
        async with self.uow.reading() as repo:
            return await repo.dossier_categories(partner_id=partner_id)

    # ------------------------------------------------------------ CSV import

    async def start_import(self, cmd: StartImport) -> PartnerImport:
        """Read the file and start checking its rows in the background; the import's progress is kept.

        Raises:
            Invalid: the file itself is unreadable (no header, unknown columns, too many rows).
        """
        rows = imports.with_campaign(imports.read_rows(cmd.content, max_rows=self.import_max_rows), cmd.campaign_id)
        async with self.uow() as work:
            item = imports.new_import(
                import_id=self.ids(), file_name=cmd.file_name, total_rows=len(rows), by=cmd.by, now=work.now
            )
            await work.repo.add_import(item)
        task = asyncio.create_task(self._run_import(item, rows))
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)
        return item

    async def _run_import(self, item: PartnerImport, rows: list[tuple[int, dict[str, str]]]) -> None:
        try:
            await self._import(item, rows)
        except Exception as exc:
            log.exception("partner import %s failed", item.id)
            async with self.uow() as work:
                current = await work.repo.get_import(item.id) or item
                await work.repo.save_import(imports.failed(current, f"{type(exc).__name__}: {exc}", now=work.now))

    async def _import(self, item: PartnerImport, rows: list[tuple[int, dict[str, str]]]) -> None:
        try:
            await self._check_and_store(item, rows)
        finally:
            self._live.pop(item.id, None)

    def _progressed(self, item: PartnerImport) -> PartnerImport:
        # The replica running the import answers its progress from memory: the rows being written are one
        # transaction (all rows or none), so no other transaction can see how far it is.
        self._live[item.id] = item
        return item

    async def _check_and_store(self, item: PartnerImport, rows: list[tuple[int, dict[str, str]]]) -> None:
        # Every partner of one file is created at the time the import started.
        now = item.created_at
        step = self.import_progress_every
        built: list[tuple[int, Partner]] = []
        # Representatives named by email, login or name: every name of the file looked up at once.
        references = imports.staff_references(rows)
        staff: list[StaffMember] = []
        if references:
            async with self.uow.reading() as repo:
                staff = await repo.staff_by_references(references)
        errors: list[imports.RowError] = imports.resolve_staff(rows, imports.StaffDirectory.of(staff))
        for start in range(0, len(rows), step):
            part_built, part_errors = imports.check_rows(
                rows[start : start + step],
                lambda data: build_partner(data, partner_id=self.ids(), now=now, new_id=self.ids),
            )
            built += part_built
            errors += part_errors
            item = self._progressed(imports.progressed(item, start + step))
            async with self.uow() as work:
                await work.repo.save_import(item)
            await asyncio.sleep(0)
        errors += imports.repeated_in_file(built)
        partners = [p for _, p in built]
        async with self.uow() as work:
            email_owners = await work.repo.email_owners([e for p in partners for e in p.emails])
            fiscal_owners = await work.repo.fiscal_owners([p.fiscal_digits for p in partners if p.fiscal_digits])
            owners = {*email_owners.values(), *fiscal_owners.values()}
            errors += imports.check_against_directory(
                built,
                email_owners=email_owners,
                fiscal_owners=fiscal_owners,
                known_staff=await work.repo.known_staff({s for p in partners for s in p.staff_ids}),
                # A row error names the other partner, not its id (read only when there is one).
                owner_names=await work.repo.partner_names(owners) if owners else {},
            )
            if errors:
                await work.repo.save_import(imports.rejected(item, errors, now=work.now))
                return
            item = self._progressed(imports.storing(item, 0))
            for start in range(0, len(partners), self.import_store_every):
                chunk = partners[start : start + self.import_store_every]
                await work.repo.add_partners(chunk)
                await work.publisher.partners_registered(chunk)
                item = self._progressed(imports.storing(item, start + len(chunk)))
                await asyncio.sleep(0)
            await work.repo.save_import(imports.imported(item, len(partners), now=work.now))

    async def import_status(self, import_id: str) -> PartnerImport:
        """An import's status, progress and per-row errors.

        Raises:
            NotFound: no such import.
        """
        live = self._live.get(import_id)
        if live is not None:
            return live
        async with self.uow.reading() as repo:
            found = await repo.get_import(import_id)
            if found is None:
                raise NotFound(f"no partner import {import_id}", code="record.not_found")
            # Errors stored before they had codes, or naming the other partner by id, read as today's.
            unnamed = imports.unnamed_owners(imports.coded(e) for e in found.errors)
            return imports.readable(found, await repo.partner_names(unnamed) if unnamed else {})

    async def imports(self, *, limit: int, offset: int) -> tuple[list[PartnerImport], int]:
        """A page of imports, newest first, and how many there are.

        Raises:
            Invalid: a page out of bounds.
        """
        check_page(limit, offset, self.list_page_max)
        async with self.uow.reading() as repo:
            return await repo.list_imports(limit=limit, offset=offset)

    async def wait_for_imports(self) -> None:
        """Wait until the background imports end (shutdown and tests)."""
        if self._jobs:
            await asyncio.gather(*self._jobs, return_exceptions=True)

    # ------------------------------------------------------------ other contexts' facts

    async def record_histories(self, cmds: Sequence[RecordHistory]) -> int:
        """Put a batch of facts on the history of every partner each names; returns the new entries.

        Each (partner, fact) is recorded once, in a few statements for the whole batch.
        """
        entries = [entry for cmd in cmds for entry in entries_for(cmd.fact)]
        if not entries:
            return 0
        async with self.uow() as work:
            return await work.repo.add_entries(entries)

    async def keep_task_owners(self, cmd: KeepTaskOwners) -> None:
        """Remember who a task is for and from, so its history entries are shown only to those who may see it (T1)."""
        async with self.uow() as work:
            await self._keep_task_owners(work.repo, cmd)

    @staticmethod
    async def _keep_task_owners(repo: Repository, cmd: KeepTaskOwners) -> None:
        if cmd.reassigned:
            current = (await repo.task_owners([cmd.task_id])).get(cmd.task_id) or TaskOwners()
            owners = replace(current, responsible_staff_id=cmd.responsible_staff_id)
        else:
            owners = TaskOwners(cmd.responsible_staff_id, cmd.creator_staff_id, cmd.creator_user)
        await repo.keep_task_owners(cmd.task_id, owners)

    async def tasks_created(self, cmds: Sequence[KeepTaskOwners]) -> None:
        """Keep new tasks' owners, a batch in one statement (a broadcast brings a thousand).

        A task kept already was reassigned since (its ``TaskAssigned`` was handled first): it keeps its
        responsible and gets its creator.
        """
        owners = {c.task_id: TaskOwners(c.responsible_staff_id, c.creator_staff_id, c.creator_user) for c in cmds}
        if owners:
            async with self.uow() as work:
                await work.repo.add_task_creators(owners)

    async def opportunities_opened(self, cmds: Sequence[KeepOpportunity]) -> None:
        """Show newly opened opportunities on their partners, a batch in one statement (M7 opens 10,000).

        One kept already was changed since (its change was handled first) and stays as it is.
        """
        if not cmds:
            return
        async with self.uow() as work:
            await work.repo.add_new_opportunities([_kept(c, work.now) for c in cmds])

    async def keep_opportunity(self, cmd: KeepOpportunity) -> PartnerOpportunity:
        """Show an opened or changed opportunity on its partner as it is now (L2)."""
        async with self.uow() as work:
            kept = _kept(cmd, work.now)
            await work.repo.save_opportunity(kept)
        return kept

    async def change_opportunity_stage(self, cmd: ChangeOpportunityStage) -> PartnerOpportunity:
        """Show the opportunity's new stage, potential and probability on its partner (L2)."""
        async with self.uow() as work:
            kept = opportunities.staged(
                await work.repo.get_opportunity(cmd.opportunity_id),
                opportunity_id=cmd.opportunity_id,
                partner_id=cmd.partner_id,
                title=cmd.title,
                potential=cmd.potential,
                probability=cmd.probability,
                stage=cmd.stage,
                at=work.now,
            )
            await work.repo.save_opportunity(kept)
        return kept

    async def lose_opportunity(self, cmd: LoseOpportunity) -> PartnerOpportunity:
        """Show a lost opportunity as lost on its partner."""
        async with self.uow() as work:
            kept = opportunities.lost(
                await work.repo.get_opportunity(cmd.opportunity_id),
                opportunity_id=cmd.opportunity_id,
                partner_id=cmd.partner_id,
                at=work.now,
            )
            await work.repo.save_opportunity(kept)
        return kept

    async def win_opportunity(self, cmd: WinOpportunity) -> Partner | None:
        """Show a won opportunity as a sale; a lead that won it becomes a client (LeadConverted, PartnerUpdated).

        Returns:
            The new client, or None when the partner was not a lead (or is unknown here).
        """
        async with self.uow() as work:
            kept = opportunities.won(
                await work.repo.get_opportunity(cmd.opportunity_id),
                opportunity_id=cmd.opportunity_id,
                partner_id=cmd.partner_id,
                potential=cmd.potential,
                at=work.now,
            )
            await work.repo.save_opportunity(kept)
            partner = await work.repo.get_partner(cmd.partner_id, for_update=True)
            if partner is None or partner.kind != "lead":
                return None
            client = convert_lead(partner, now=work.now)
            await work.repo.convert_to_client(client)
            await work.publisher.lead_converted(client, cmd.opportunity_id)
            await work.publisher.partner_updated(client)
        return client

    # ------------------------------------------------------------ history rebuild (a replay from offset 0)

    async def begin_history_rebuild(self, cmd: BeginHistoryRebuild) -> None:
        """Empty the rebuild projection before a replay fills it."""
        async with self.uow() as work:
            await work.repo.clear_rebuilt_history()

    async def replay_facts(self, cmd: ReplayFacts) -> int:
        """Record replayed facts in the rebuild projection, and the task owners they name; returns the new entries.

        The owners are kept in the live table: a store that predates them gets them from the replay.
        """
        async with self.uow() as work:
            entries = [entry for fact in cmd.facts for entry in entries_for(fact)]
            added = await work.repo.add_rebuilt_entries(entries, recorded_at=cmd.recorded_at)
            for owners in cmd.owners:
                await self._keep_task_owners(work.repo, owners)
        return added

    async def rebuilt_history(self, partner_id: str, *, limit: int, offset: int) -> tuple[list[TimelineEntry], int]:
        """A page of a partner's rebuilt history, newest first (every entry, unredacted: for the operator).

        Raises:
            Invalid: a page out of bounds.
        """
        req = page_request(None, limit, offset, max_limit=self.history_page_max)
        async with self.uow.reading() as repo:
            return await repo.rebuilt_history_page(partner_id, req)

    async def compare_rebuilt_history(self) -> HistoryComparison:
        """How the rebuilt history differs from the live one."""
        async with self.uow.reading() as repo:
            missing_from_live, only_in_live = await repo.history_differences()
            return HistoryComparison(await repo.rebuilt_history_partners(), missing_from_live, only_in_live)

    async def swap_in_rebuilt_history(self, cmd: SwapInHistory) -> int:
        """Make the rebuilt history the live one; returns the number of live entries after."""
        async with self.uow() as work:
            return await work.repo.swap_in_rebuilt_history(replay_started_at=cmd.replay_started_at)


def _kept(cmd: KeepOpportunity, now: datetime) -> PartnerOpportunity:
    """The opportunity as its partner shows it, as of ``now``."""
    return PartnerOpportunity(
        opportunity_id=cmd.opportunity_id,
        partner_id=cmd.partner_id,
        title=cmd.title,
        potential=cmd.potential,
        probability=cmd.probability,
        stage=cmd.stage,
        updated_at=now,
        expected_signing_on=cmd.expected_signing_on,
        owner_staff_id=cmd.owner_staff_id,
        campaign_id=cmd.campaign_id,
    )
