"""Use cases of the partners service: each checks the rules, then writes its state and events in one transaction."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from crm_kit.blobs import BlobError, BlobStore
from crm_kit.errors import Conflict, Invalid, NotFound
from crm_kit.ids import new_id
from crm_kit.store import Database
from crm_partners.domain import imports
from crm_partners.domain.dossiers import Dossier, FiledDocument, file_document, new_dossier
from crm_partners.domain.partners import Partner, PartnerInput, build_partner, update_partner
from crm_partners.domain.staff import StaffInput, StaffMember, build_staff, update_staff
from crm_partners.domain.timeline import TimelineEntry, page_request
from crm_partners.domain.visibility import Reader, for_reader, task_of
from crm_partners.events.publisher import Publisher
from crm_partners.settings import PartnersSettings
from crm_partners.store import repository as repo

log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(new_id())


@dataclass
class Directory:
    """The partners service's use cases, over its store, its publisher and the blob store."""

    db: Database
    publisher: Publisher
    blobs: BlobStore
    settings: PartnersSettings
    clock: Callable[[], datetime] = _utcnow
    ids: Callable[[], str] = _new_id
    _jobs: set[asyncio.Task[None]] = field(default_factory=set)

    # ------------------------------------------------------------ partners

    async def _check_directory(self, conn: AsyncConnection, partner: Partner) -> None:
        """The rules that need the rest of the directory: unique site emails and CUI, known representatives."""
        errors = [
            {"field": "sites", "message": f"{email} already belongs to another partner ({owner})"}
            for email, owner in sorted((await repo.email_owners(conn, partner.emails)).items())
            if owner != partner.id
        ]
        if partner.fiscal_digits:
            owner = (await repo.fiscal_owners(conn, [partner.fiscal_digits])).get(partner.fiscal_digits)
            if owner and owner != partner.id:
                errors.append(
                    {"field": "fiscal_code", "message": f"fiscal code {partner.fiscal_code} is already partner {owner}"}
                )
        if errors:
            raise Conflict(errors[0]["message"], errors=errors)
        missing = partner.staff_ids - await repo.known_staff(conn, partner.staff_ids)
        if missing:
            raise Invalid(f"no staff member {sorted(missing)[0]} in the staff directory", staff_ids=sorted(missing))

    async def register_partner(self, data: PartnerInput) -> Partner:
        """Add a partner (client, lead or supplier) and publish PartnerRegistered."""
        now = self.clock()
        partner = build_partner(data, partner_id=self.ids(), now=now, new_id=self.ids)
        async with self.db.transaction() as conn:
            await self._check_directory(conn, partner)
            await repo.insert_partners(conn, [partner])
            await self.publisher.partner_registered(conn, partner, now=now)
        return partner

    async def update_partner(self, partner_id: str, changes: Mapping[str, Any]) -> Partner:
        """Change some of a partner's fields and publish PartnerUpdated (nothing when nothing changed)."""
        now = self.clock()
        async with self.db.transaction() as conn:
            current = await repo.get_partner(conn, partner_id, for_update=True)
            if current is None:
                raise NotFound(f"no partner {partner_id}")
            partner = update_partner(current, changes, now=now, new_id=self.ids)
            if _same_partner(current, partner):
                return current
            await self._check_directory(conn, partner)
            await repo.replace_partner(conn, partner)
            await self.publisher.partner_updated(conn, partner, now=now)
        return partner

    async def partner(self, partner_id: str) -> tuple[Partner, list[dict[str, Any]]]:
        """A partner with its opportunities (L2).

        Raises:
            NotFound: no such partner.
        """
        async with self.db.read() as conn:
            partner = await repo.get_partner(conn, partner_id)
            if partner is None:
                raise NotFound(f"no partner {partner_id}")
            return partner, await repo.partner_opportunities(conn, partner_id)

    async def partners(self, f: repo.PartnerFilter, *, limit: int, offset: int) -> tuple[list[Partner], int]:
        _check_page(limit, offset, self.settings.list_page_max)
        async with self.db.read() as conn:
            return await repo.search_partners(conn, f, limit=limit, offset=offset)

    async def find_partners(self, q: str, *, kind: str | None, limit: int) -> list[Partner]:
        """At most ``limit`` partners named like ``q`` (prefix or word start, accents ignored), for pickers."""
        async with self.db.read() as conn:
            return await repo.find_partners(conn, q, kind=kind, limit=limit)

    async def history(
        self, partner_id: str, reader: Reader, *, kind: str | None, limit: int, offset: int
    ) -> tuple[list[TimelineEntry], int]:
        """A page of the partner's history (H1), newest first, optionally only some kinds.

        Entries about a task, an email or a mail import the reader may not see are redacted
        (``crm_partners.domain.visibility``).
        """
        req = page_request(kind, limit, offset, max_limit=self.settings.history_page_max)
        async with self.db.read() as conn:
            if not await repo.partner_exists(conn, partner_id):
                raise NotFound(f"no partner {partner_id}")
            entries, total = await repo.history_page(conn, repo.LIVE, partner_id, req)
            if reader.role == "manager" and reader.staff_id is not None:
                reader = replace(reader, team=await repo.team_of(conn, reader.staff_id))
            owners = await repo.task_owners(conn, [t for e in entries if (t := task_of(e)) is not None])
        return for_reader(entries, reader, owners), total

    # ------------------------------------------------------------ staff

    async def register_staff(self, data: StaffInput) -> StaffMember:
        """Add a person to the staff directory and publish StaffMemberRegistered."""
        now = self.clock()
        member = build_staff(data, staff_id=self.ids(), now=now)
        async with self.db.transaction() as conn:
            await _check_login(conn, member)
            await repo.insert_staff(conn, member)
            await self.publisher.staff_registered(conn, member, now=now)
        return member

    async def update_staff(self, staff_id: str, changes: Mapping[str, Any]) -> StaffMember:
        """Change a staff member and publish StaffMemberUpdated."""
        now = self.clock()
        async with self.db.transaction() as conn:
            current = await repo.get_staff(conn, staff_id)
            if current is None:
                raise NotFound(f"no staff member {staff_id}")
            member = update_staff(current, changes, now=now)
            await _check_login(conn, member)
            await repo.replace_staff(conn, member)
            await self.publisher.staff_updated(conn, member, now=now)
        return member

    async def staff_member(self, staff_id: str) -> StaffMember:
        async with self.db.read() as conn:
            member = await repo.get_staff(conn, staff_id)
        if member is None:
            raise NotFound(f"no staff member {staff_id}")
        return member

    async def find_staff(self, q: str, *, active: bool | None, limit: int) -> list[StaffMember]:
        """At most ``limit`` staff members named like ``q`` (prefix or word start, accents ignored), for pickers."""
        async with self.db.read() as conn:
            return await repo.find_staff(conn, q, active=active, limit=limit)

    async def staff(
        self, *, name: str | None, team: str | None, category: str | None, active: bool | None, limit: int, offset: int
    ) -> tuple[list[StaffMember], int]:
        _check_page(limit, offset, self.settings.list_page_max)
        async with self.db.read() as conn:
            return await repo.list_staff(
                conn, name=name, team=team, category=category, active=active, limit=limit, offset=offset
            )

    # ------------------------------------------------------------ dossiers (D1)

    async def create_dossier(
        self, *, name: str, category: str | None, partner_id: str | None, by: str | None
    ) -> Dossier:
        dossier = new_dossier(
            dossier_id=self.ids(), name=name, category=category, partner_id=partner_id, now=self.clock()
        )
        async with self.db.transaction() as conn:
            if partner_id and not await repo.partner_exists(conn, partner_id):
                raise Invalid(f"no partner {partner_id}")
            await repo.insert_dossier(conn, dossier, by)
        return dossier

    async def file_document(
        self,
        dossier_id: str,
        *,
        sha256: str,
        file_name: str,
        source_type: str | None,
        source_id: str | None,
        by: str | None,
    ) -> FiledDocument:
        """File a stored blob in a dossier and publish DocumentFiled."""
        now = self.clock()
        async with self.db.transaction() as conn:
            dossier = await repo.get_dossier(conn, dossier_id)
            if dossier is None:
                raise NotFound(f"no dossier {dossier_id}")
            doc = file_document(
                dossier,
                document_id=self.ids(),
                sha256=sha256,
                file_name=file_name,
                size=0,
                now=now,
                source_type=source_type,
                source_id=source_id,
                filed_by=by,
            )
            try:
                if not self.blobs.exists(doc.sha256):
                    raise Invalid(f"no stored file {doc.sha256}: upload it first (POST /api/blobs)")
                size = self.blobs.size(doc.sha256)
            except BlobError as exc:
                raise Invalid(str(exc)) from None
            doc = FiledDocument(**{**doc.__dict__, "size": size})
            if await repo.blob_in_dossier(conn, dossier_id, doc.sha256):
                raise Conflict(f"{doc.file_name} is already in the dossier {dossier.name}")
            await repo.insert_document(conn, doc)
            await self.publisher.document_filed(conn, dossier, doc, now=now)
        return doc

    async def dossier(self, dossier_id: str) -> tuple[Dossier, list[FiledDocument]]:
        async with self.db.read() as conn:
            dossier = await repo.get_dossier(conn, dossier_id)
            if dossier is None:
                raise NotFound(f"no dossier {dossier_id}")
            return dossier, await repo.dossier_documents(conn, dossier_id)

    async def dossiers(
        self, *, partner_id: str | None, category: str | None, limit: int, offset: int
    ) -> tuple[list[tuple[Dossier, int, int]], int]:
        _check_page(limit, offset, self.settings.list_page_max)
        async with self.db.read() as conn:
            return await repo.list_dossiers(conn, partner_id=partner_id, category=category, limit=limit, offset=offset)

    async def dossier_categories(self, *, partner_id: str | None) -> list[dict[str, Any]]:
        async with self.db.read() as conn:
            return await repo.dossier_categories(conn, partner_id=partner_id)

    # ------------------------------------------------------------ CSV import

    async def start_import(self, *, file_name: str, content: str, by: str | None) -> dict[str, Any]:
        """Read the file and start checking its rows in the background; the import's progress is kept.

        Raises:
            Invalid: the file itself is unreadable (no header, unknown columns, too many rows).
        """
        rows = imports.read_rows(content, max_rows=self.settings.import_max_rows)
        import_id = self.ids()
        async with self.db.transaction() as conn:
            await repo.create_import(conn, import_id, file_name[:200] or "partners.csv", len(rows), by, self.clock())
        task = asyncio.create_task(self._run_import(import_id, rows))
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)
        return await self.import_status(import_id)

    async def _run_import(self, import_id: str, rows: list[tuple[int, dict[str, str]]]) -> None:
        try:
            await self._import(import_id, rows)
        except Exception as exc:
            log.exception("partner import %s failed", import_id)
            async with self.db.transaction() as conn:
                await repo.update_import(
                    conn,
                    import_id,
                    status="failed",
                    message=f"{type(exc).__name__}: {exc}"[:500],
                    finished_at=self.clock(),
                )

    async def _import(self, import_id: str, rows: list[tuple[int, dict[str, str]]]) -> None:
        now = self.clock()
        step = self.settings.import_progress_every
        built: list[tuple[int, Partner]] = []
        errors: list[imports.RowError] = []
        for start in range(0, len(rows), step):
            part_built, part_errors = imports.check_rows(
                rows[start : start + step],
                lambda data: build_partner(data, partner_id=self.ids(), now=now, new_id=self.ids),
            )
            built += part_built
            errors += part_errors
            async with self.db.transaction() as conn:
                await repo.update_import(conn, import_id, processed_rows=min(start + step, len(rows)))
            await asyncio.sleep(0)
        errors += imports.repeated_in_file(built)
        async with self.db.transaction() as conn:
            partners = [p for _, p in built]
            errors += imports.check_against_directory(
                built,
                email_owners=await repo.email_owners(conn, [e for p in partners for e in p.emails]),
                fiscal_owners=await repo.fiscal_owners(conn, [p.fiscal_digits for p in partners if p.fiscal_digits]),
                known_staff=await repo.known_staff(conn, {s for p in partners for s in p.staff_ids}),
            )
            if errors:
                errors.sort(key=lambda e: (e.row, e.field))
                await repo.update_import(
                    conn,
                    import_id,
                    status="rejected",
                    errors=[e.as_dict() for e in errors[:1000]],
                    message=f"{len({e.row for e in errors})} of {len(rows)} rows have errors; nothing was imported",
                    finished_at=self.clock(),
                )
                return
            await repo.insert_partners(conn, partners)
            for partner in partners:
                await self.publisher.partner_registered(conn, partner, now=now)
            await repo.update_import(
                conn,
                import_id,
                status="imported",
                imported=len(partners),
                message=f"{len(partners)} partners imported",
                finished_at=self.clock(),
            )

    async def import_status(self, import_id: str) -> dict[str, Any]:
        async with self.db.read() as conn:
            found = await repo.get_import(conn, import_id)
        if found is None:
            raise NotFound(f"no partner import {import_id}")
        return found

    async def imports(self, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        _check_page(limit, offset, self.settings.list_page_max)
        async with self.db.read() as conn:
            return await repo.list_imports(conn, limit=limit, offset=offset)

    async def wait_for_imports(self) -> None:
        """Wait until the background imports end (shutdown and tests)."""
        if self._jobs:
            await asyncio.gather(*self._jobs, return_exceptions=True)


async def _check_login(conn: AsyncConnection, member: StaffMember) -> None:
    if member.user_login:
        owner = await repo.login_owner(conn, member.user_login)
        if owner and owner != member.id:
            raise Conflict(f"the user login {member.user_login} is already linked to staff member {owner}")


def _same_partner(a: Partner, b: Partner) -> bool:
    ignore = {"updated_at": None, "version": 0}
    return {**a.__dict__, **ignore} == {**b.__dict__, **ignore}


def _check_page(limit: int, offset: int, max_limit: int) -> None:
    if not 1 <= limit <= max_limit:
        raise Invalid(f"limit must be between 1 and {max_limit}")
    if offset < 0:
        raise Invalid("offset cannot be negative")
