"""``ports.Repository`` on SQLAlchemy Core: the import log, message identities and the partner read model."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_kit import blobrefs
from crm_kit.ids import is_uuid
from crm_kit.store import dialect_insert
from crm_mail_ingest.domain.import_settings import ImportSettings
from crm_mail_ingest.domain.importing import FirstImport, ImportRow, PartnerDirectoryEntry, Viewer
from crm_mail_ingest.domain.routing import PartnerContact
from crm_mail_ingest.ports import ImportQuery, MessageSeen
from crm_mail_ingest.store.tables import blob_refs, import_settings, imports, messages, partner_emails, partners

_CHUNK = 400
_IMPORT_SETTINGS = "import"
"""The name of the one row of ``mail_import_settings``."""


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class SqlRepository:
    """The store of mail-ingest, bound to one connection (one unit of work)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def partners_by_email(self, emails: Sequence[str]) -> dict[str, list[PartnerContact]]:
        """Partners whose sites have each address (addresses compared in lower case)."""
        wanted = sorted({e.lower() for e in emails if e})
        found: dict[str, list[PartnerContact]] = {}
        for chunk in _chunks(wanted):
            rows = await self.conn.execute(
                sa.select(
                    partner_emails.c.email,
                    partners.c.partner_id,
                    partners.c.name,
                    partners.c.sales_rep_staff_id,
                    partners.c.service_rep_staff_id,
                )
                .join(partners, partners.c.partner_id == partner_emails.c.partner_id)
                .where(partner_emails.c.email.in_(chunk))
            )
            for row in rows:
                found.setdefault(row.email, []).append(
                    PartnerContact(row.partner_id, row.name, row.sales_rep_staff_id, row.service_rep_staff_id)
                )
        return found

    async def save_partner(self, partner: PartnerDirectoryEntry) -> None:
        """Replace what the read model knows of one partner (its reps and its sites' addresses)."""
        conn, partner_id = self.conn, partner.partner_id
        await conn.execute(partner_emails.delete().where(partner_emails.c.partner_id == partner_id))
        await conn.execute(partners.delete().where(partners.c.partner_id == partner_id))
        await conn.execute(
            partners.insert().values(
                partner_id=partner_id,
                name=partner.name[:300],
                sales_rep_staff_id=partner.sales_rep_staff_id,
                service_rep_staff_id=partner.service_rep_staff_id,
            )
        )
        unique = sorted({e.strip().lower()[:320] for e in partner.emails if e and e.strip()})
        if unique:
            await conn.execute(partner_emails.insert(), [{"email": e, "partner_id": partner_id} for e in unique])

    async def known_messages(self, keys: Sequence[str]) -> dict[str, FirstImport]:
        """Already imported message keys, with the import entry that first took each."""
        wanted = sorted(set(keys))
        found: dict[str, FirstImport] = {}
        for chunk in _chunks(wanted):
            rows = await self.conn.execute(
                sa.select(messages.c.message_key, messages.c.import_id, messages.c.task_id, imports.c.file_name)
                .select_from(messages.outerjoin(imports, imports.c.id == messages.c.import_id))
                .where(messages.c.message_key.in_(chunk))
            )
            for row in rows:
                found[row.message_key] = FirstImport(row.import_id, row.file_name, row.task_id)
        return found

    async def add_messages(self, seen: Sequence[MessageSeen]) -> None:
        """Record message identities; a key seen before breaks the unique constraint (IntegrityError)."""
        if seen:
            await self.conn.execute(
                messages.insert(),
                [
                    {
                        "message_key": m.message_key,
                        "import_id": m.import_id,
                        "task_id": m.task_id,
                        "created_at": m.created_at,
                    }
                    for m in seen
                ],
            )

    async def add_imports(self, rows: Sequence[ImportRow]) -> None:
        """Record import log entries and the blobs their attachments reference."""
        if rows:
            await self.conn.execute(imports.insert(), list(rows))
            pairs = [(str(r["id"]), a["sha256"]) for r in rows for a in r.get("attachments") or [] if a.get("sha256")]
            await blobrefs.add_refs(self.conn, blob_refs, pairs)

    async def unmoved_import(self, file_name: str, file_sha256: str) -> ImportRow | None:
        """A recorded import of this very file whose move to done/ or failed/ did not happen (a crash)."""
        row = (
            await self.conn.execute(
                sa.select(imports)
                .where(imports.c.file_name == file_name)
                .where(imports.c.file_sha256 == file_sha256)
                .where(imports.c.moved_at.is_(None))
                .where(imports.c.status != "retried")
                .order_by(imports.c.created_at.desc())
                .limit(1)
            )
        ).first()
        return dict(row._mapping) if row else None

    async def kept_failures(self, file_sha256s: Sequence[str]) -> dict[str, str]:
        """Where failed/ already keeps a file of each content (sha256 -> path relative to the inbox)."""
        if not file_sha256s:
            return {}
        rows = await self.conn.execute(
            sa.select(imports.c.file_sha256, imports.c.stored_path)
            .where(imports.c.status == "failed")
            .where(imports.c.file_sha256.in_(sorted(set(file_sha256s))))
            .where(imports.c.moved_at.is_not(None))
            .where(imports.c.stored_path.like("failed/%"))
            .order_by(imports.c.created_at)
        )
        found: dict[str, str] = {}
        for row in rows:
            found.setdefault(row.file_sha256, row.stored_path)
        return found

    async def mark_moved(self, moves: dict[str, str], now: datetime) -> None:
        """Set where each import's file now is (import id -> path relative to the inbox)."""
        if not moves:
            return
        stmt = (
            imports.update()
            .where(imports.c.id == sa.bindparam("import_id"))
            .values(stored_path=sa.bindparam("path"), moved_at=sa.bindparam("now"))
        )
        await self.conn.execute(stmt, [{"import_id": i, "path": p, "now": now} for i, p in moves.items()])

    async def get(self, import_id: str) -> ImportRow | None:
        """One import log entry, whoever may see it (an id that is not a UUID names none)."""
        if not is_uuid(import_id):
            return None
        row = (await self.conn.execute(sa.select(imports).where(imports.c.id == import_id))).first()
        return dict(row._mapping) if row else None

    async def references_blob(self, viewer: Viewer, sha256: str) -> bool:
        """Whether an import the viewer may see has this blob as an attachment."""
        ids = await blobrefs.records_referencing(self.conn, blob_refs, sha256)
        if not ids:
            return False
        where = [*_scope(viewer), imports.c.id.in_(ids)]
        return (await self.conn.execute(sa.select(imports.c.id).where(*where).limit(1))).first() is not None

    async def set_status(self, import_id: str, status: str) -> None:
        """Change an entry's status (a retried failure becomes ``retried``)."""
        await self.conn.execute(imports.update().where(imports.c.id == import_id).values(status=status))

    async def page(self, query: ImportQuery) -> tuple[list[ImportRow], int]:
        """The import log the viewer may see, newest first, optionally of one status."""
        scope = _scope(query.viewer)
        select = sa.select(imports).where(*scope)
        count = sa.select(sa.func.count()).select_from(imports).where(*scope)
        if query.status:
            select = select.where(imports.c.status == query.status)
            count = count.where(imports.c.status == query.status)
        rows = await self.conn.execute(
            select.order_by(imports.c.created_at.desc(), imports.c.id.desc()).limit(query.limit).offset(query.offset)
        )
        total = (await self.conn.execute(count)).scalar_one()
        return [dict(r._mapping) for r in rows], int(total)

    async def import_settings(self) -> ImportSettings | None:
        """C4: the saved import folder and default export format; None while nothing was saved."""
        query = sa.select(import_settings).where(import_settings.c.name == _IMPORT_SETTINGS)
        row = (await self.conn.execute(query)).first()
        if row is None:
            return None
        return ImportSettings(row.folder, row.export_format, row.updated_at, row.updated_by)

    async def save_import_settings(self, settings: ImportSettings) -> None:
        """C4: replace the saved record (one row; the last save wins, as a settings form does)."""
        values = {
            "folder": settings.folder,
            "export_format": settings.export_format,
            "updated_at": settings.updated_at,
            "updated_by": settings.updated_by,
        }
        stmt = dialect_insert(self.conn)(import_settings).values(name=_IMPORT_SETTINGS, **values)
        await self.conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=values))


def _scope(viewer: Viewer) -> list[Any]:
    """``crm_kit.scoping.may_see_mail_import`` as SQL: an agent sees the imports whose task went to them."""
    if viewer.role in ("admin", "manager"):
        return []
    staff_id = viewer.staff_id
    return [imports.c.responsible_staff_id == staff_id if staff_id is not None and is_uuid(staff_id) else sa.false()]
