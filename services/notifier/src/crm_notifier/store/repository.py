"""The notifier's store: ``SqlRepository``, the repository port on one connection (SQLAlchemy Core)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_kit import blobrefs
from crm_kit.ids import is_uuid
from crm_kit.store import dialect_insert, lock_keys
from crm_notifier.domain.composing import PartnerCard
from crm_notifier.domain.models import EmailViewer, Preferences, Row, StaffMember
from crm_notifier.store import tables as t


async def _upsert(conn: AsyncConnection, table: sa.Table, keys: list[str], values: Row) -> None:
    stmt = dialect_insert(conn)(table).values(**values)
    update = {k: v for k, v in values.items() if k not in keys}
    await conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=update))


def _staff(row: Any) -> StaffMember:
    return StaffMember(row.staff_id, row.name, row.email, row.user_login, row.active)


_SEALED = {"mail_server": (t.mail_servers, "id"), "credentials": (t.user_credentials, "user_login")}
"""Where SMTP passwords are stored sealed: a mail server's, and each user's own credentials."""


def _blobs_of(rows: Sequence[Row]) -> list[tuple[str, str]]:
    """(delivery id, sha256) of the deliveries' attachments (most deliveries have none)."""
    return [(str(r["id"]), a["sha256"]) for r in rows for a in r.get("attachments") or [] if a.get("sha256")]


async def _existing_ids(conn: AsyncConnection, table: sa.Table, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        found |= {r.id for r in await conn.execute(sa.select(table.c.id).where(table.c.id.in_(chunk)))}
    return found


def _uuids(ids: Sequence[str]) -> list[str]:
    """The ids that can name a row: the id columns are UUIDs, so any other text names none (and is not sent)."""
    return [i for i in ids if is_uuid(i)]


def _email_scope(viewer: EmailViewer) -> list[Any]:
    """``may_see_email`` as SQL: managers and admins see all; an agent what they asked for or what went to them."""
    d = t.deliveries
    if viewer.role in ("admin", "manager"):
        return []
    mine: list[Any] = [d.c.requested_by == viewer.username]
    if viewer.staff_id is not None and is_uuid(viewer.staff_id):
        mine.append(d.c.staff_id == viewer.staff_id)
    return [sa.or_(*mine)]


class SqlRepository:
    """The notifier's store on one connection (the unit of work's transaction); implements ``ports.Repository``."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    # Read models -----------------------------------------------------------------------------------------------

    async def save_staff(self, member: StaffMember) -> None:
        await _upsert(
            self.conn,
            t.staff,
            ["staff_id"],
            {
                "staff_id": member.staff_id,
                "name": member.name,
                "email": member.email,
                "user_login": member.user_login,
                "active": member.active,
            },
        )

    async def get_staff(self, staff_id: str) -> StaffMember | None:
        if not is_uuid(staff_id):
            return None
        row = (await self.conn.execute(sa.select(t.staff).where(t.staff.c.staff_id == staff_id))).first()
        return _staff(row) if row else None

    async def staff_and_preferences_many(
        self, staff_ids: Sequence[str]
    ) -> dict[str, tuple[StaffMember, Preferences | None]]:
        """Several staff members with their notification settings (one query; the unknown ones are missing)."""
        if not staff_ids:
            return {}
        n = t.notification_settings
        query = sa.select(t.staff, n.c.language, n.c.task_message, n.c.task_email).select_from(
            t.staff.outerjoin(n, n.c.user_login == t.staff.c.user_login)
        )
        found: dict[str, tuple[StaffMember, Preferences | None]] = {}
        for row in await self.conn.execute(query.where(t.staff.c.staff_id.in_(_uuids(list(set(staff_ids)))))):
            prefs = Preferences(row.language, row.task_message, row.task_email) if row.language is not None else None
            found[row.staff_id] = (_staff(row), prefs)
        return found

    async def staff_by_ids(self, ids: Sequence[str]) -> dict[str, StaffMember]:
        rows = await self.conn.execute(sa.select(t.staff).where(t.staff.c.staff_id.in_(_uuids(ids))))
        return {r.staff_id: _staff(r) for r in rows}

    async def save_partner(self, card: PartnerCard) -> None:
        await _upsert(
            self.conn,
            t.partners,
            ["partner_id"],
            {
                "partner_id": card.partner_id,
                "name": card.name,
                "site_emails": card.site_emails,
                "contacts": card.contacts,
            },
        )

    async def get_partner(self, partner_id: str) -> PartnerCard | None:
        if not is_uuid(partner_id):
            return None
        row = (await self.conn.execute(sa.select(t.partners).where(t.partners.c.partner_id == partner_id))).first()
        if row is None:
            return None
        return PartnerCard(row.partner_id, row.name, list(row.site_emails), list(row.contacts))

    async def partner_names(self, partner_ids: Sequence[str]) -> dict[str, str]:
        """The names of the known partners among these (one query)."""
        if not partner_ids:
            return {}
        p = t.partners
        rows = await self.conn.execute(
            sa.select(p.c.partner_id, p.c.name).where(p.c.partner_id.in_(_uuids(list(set(partner_ids)))))
        )
        return {r.partner_id: r.name for r in rows}

    async def partner_of_contacts(self, contact_ids: Sequence[str]) -> PartnerCard | None:
        """The partner whose contact persons these are (when the caller chose contacts but no partner)."""
        wanted = set(contact_ids)
        for row in await self.conn.execute(sa.select(t.partners)):
            if wanted & {str(c.get("contact_id")) for c in row.contacts}:
                return PartnerCard(row.partner_id, row.name, list(row.site_emails), list(row.contacts))
        return None

    async def save_article(self, code: str, name: str, photos: list[str]) -> None:
        await _upsert(self.conn, t.articles, ["code"], {"code": code, "name": name, "photos": photos})

    async def articles(self, codes: Sequence[str]) -> dict[str, Row]:
        rows = await self.conn.execute(sa.select(t.articles).where(t.articles.c.code.in_(list(codes))))
        return {r.code: dict(r._mapping) for r in rows}

    async def save_document(
        self, document_id: str, partner_id: str | None, kind: str, number: str, printout: str | None
    ) -> None:
        await _upsert(
            self.conn,
            t.documents,
            ["document_id"],
            {
                "document_id": document_id,
                "partner_id": partner_id,
                "kind": kind,
                "number": number,
                "printout_sha256": printout,
            },
        )

    async def get_document(self, document_id: str) -> Row | None:
        if not is_uuid(document_id):
            return None
        row = (await self.conn.execute(sa.select(t.documents).where(t.documents.c.document_id == document_id))).first()
        return dict(row._mapping) if row else None

    async def add_document_file(self, document_id: str, sha256: str, file_name: str, size: int) -> None:
        await _upsert(
            self.conn,
            t.document_files,
            ["document_id", "sha256"],
            {"document_id": document_id, "sha256": sha256, "file_name": file_name, "size": size},
        )

    async def document_files(self, document_id: str) -> list[Row]:
        rows = await self.conn.execute(
            sa.select(t.document_files).where(t.document_files.c.document_id == document_id).order_by("file_name")
        )
        return [dict(r._mapping) for r in rows]

    # Notices waiting for their staff member ------------------------------------------------------------------

    async def lock_staff(self, staff_ids: Sequence[str]) -> None:
        await lock_keys(self.conn, "notifier.staff", staff_ids)

    async def park_many(self, rows: Sequence[Row]) -> None:
        """Park several notices in one statement (a repeated notice is ignored)."""
        if rows:
            await self.conn.execute(dialect_insert(self.conn)(t.parked).on_conflict_do_nothing(), list(rows))

    async def take_parked(self, staff_id: str) -> list[Row]:
        rows = (
            await self.conn.execute(
                sa.select(t.parked).where(t.parked.c.staff_id == staff_id).order_by(t.parked.c.created_at)
            )
        ).all()
        if rows:
            await self.conn.execute(t.parked.delete().where(t.parked.c.staff_id == staff_id))
        return [dict(r._mapping) for r in rows]

    # Notification settings -----------------------------------------------------------------------------------

    async def preferences(self, login: str) -> Preferences | None:
        t_ = t.notification_settings
        row = (await self.conn.execute(sa.select(t_).where(t_.c.user_login == login))).first()
        return Preferences(row.language, row.task_message, row.task_email) if row else None

    async def save_preferences(self, login: str, prefs: Preferences) -> None:
        await _upsert(
            self.conn,
            t.notification_settings,
            ["user_login"],
            {
                "user_login": login,
                "language": prefs.language,
                "task_message": prefs.task_message,
                "task_email": prefs.task_email,
            },
        )

    # Mail servers and credentials ----------------------------------------------------------------------------

    async def mail_servers(self) -> list[Row]:
        rows = await self.conn.execute(sa.select(t.mail_servers).order_by(t.mail_servers.c.created_at))
        return [dict(r._mapping) for r in rows]

    async def mail_server(self, server_id: str) -> Row | None:
        if not is_uuid(server_id):
            return None
        row = (await self.conn.execute(sa.select(t.mail_servers).where(t.mail_servers.c.id == server_id))).first()
        return dict(row._mapping) if row else None

    async def insert_mail_server(self, values: Row) -> None:
        if values.get("is_default"):
            await self.conn.execute(t.mail_servers.update().values(is_default=False))
        await self.conn.execute(t.mail_servers.insert().values(**values))

    async def update_mail_server(self, server_id: str, values: Row) -> None:
        if values.get("is_default"):
            await self.conn.execute(
                t.mail_servers.update().where(t.mail_servers.c.id != server_id).values(is_default=False)
            )
        await self.conn.execute(t.mail_servers.update().where(t.mail_servers.c.id == server_id).values(**values))

    async def mail_server_users(self, server_id: str) -> int:
        t_ = t.user_credentials
        users = await self.conn.execute(sa.select(sa.func.count()).where(t_.c.server_id == server_id))
        return int(users.scalar_one())

    async def delete_mail_server(self, server_id: str) -> None:
        await self.conn.execute(t.mail_servers.delete().where(t.mail_servers.c.id == server_id))

    async def credentials(self, login: str) -> Row | None:
        t_ = t.user_credentials
        row = (await self.conn.execute(sa.select(t_).where(t_.c.user_login == login))).first()
        return dict(row._mapping) if row else None

    async def credentials_for(self, logins: Sequence[str]) -> dict[str, Row]:
        t_ = t.user_credentials
        rows = await self.conn.execute(sa.select(t_).where(t_.c.user_login.in_(list(logins))))
        return {r.user_login: dict(r._mapping) for r in rows}

    async def save_credentials(self, values: Row) -> None:
        await _upsert(self.conn, t.user_credentials, ["user_login"], values)

    async def delete_credentials(self, login: str) -> None:
        await self.conn.execute(t.user_credentials.delete().where(t.user_credentials.c.user_login == login))

    async def sealed_passwords(self) -> list[tuple[str, str, str]]:
        """Every stored sealed password as ``(kind, key, sealed)``, kind ``mail_server`` or ``credentials``."""
        found: list[tuple[str, str, str]] = []
        for kind, (table, key) in _SEALED.items():
            rows = await self.conn.execute(
                sa.select(table.c[key], table.c.password_enc).where(table.c.password_enc.is_not(None))
            )
            found += [(kind, str(row[0]), str(row[1])) for row in rows]
        return found

    async def replace_sealed_password(self, kind: str, key: str, sealed: str) -> None:
        """Store a password sealed again (under another key) in place of the old one."""
        table, column = _SEALED[kind]
        await self.conn.execute(table.update().where(table.c[column] == key).values(password_enc=sealed))

    # Deliveries ----------------------------------------------------------------------------------------------

    async def add_deliveries(self, rows: Sequence[Row]) -> set[str]:
        """Record several deliveries in one statement; the ids of those actually recorded (not seen before)."""
        if not rows:
            return set()
        stmt = dialect_insert(self.conn)(t.deliveries)
        await self.conn.execute(
            stmt.on_conflict_do_nothing(index_elements=["cause_event_id", "recipient", "channel"]), list(rows)
        )
        recorded = await _existing_ids(self.conn, t.deliveries, [r["id"] for r in rows])
        await blobrefs.add_refs(self.conn, t.blob_refs, _blobs_of([r for r in rows if r["id"] in recorded]))
        return recorded

    async def claim(self, token: str, now: datetime, limit: int) -> list[Row]:
        """Claim due email deliveries: pending -> sending, one more attempt (SKIP LOCKED on PostgreSQL)."""
        d = t.deliveries
        due = (
            sa.select(d.c.id)
            .where(d.c.status == "pending")
            .where(d.c.channel == "email")
            .where(d.c.next_attempt_at <= now)
            .order_by(d.c.next_attempt_at, d.c.id)
            .limit(limit)
        )
        if self.conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = [r.id for r in await self.conn.execute(due)]
        if not ids:
            return []
        await self.conn.execute(
            d.update()
            .where(d.c.id.in_(ids))
            .where(d.c.status == "pending")
            .values(status="sending", claim_token=token, claimed_at=now, attempts=d.c.attempts + 1)
        )
        rows = await self.conn.execute(sa.select(d).where(d.c.id.in_(ids)).where(d.c.claim_token == token))
        return [dict(r._mapping) for r in rows]

    async def hand_over_many(
        self, items: Sequence[tuple[str, str, str]], message_id: tuple[str, str]
    ) -> set[tuple[str, str]]:
        """Move several (delivery id, claim token, server) sending -> handed_over; the (id, token) pairs moved.

        Each row moves only while its claim still owns it. Its Message-ID is ``prefix + id + suffix``.
        """
        d = t.deliveries
        groups: dict[tuple[str, str], list[str]] = {}
        for delivery_id, token, server in items:
            groups.setdefault((token, server), []).append(delivery_id)
        prefix, suffix = message_id
        moved: set[tuple[str, str]] = set()
        for (token, server), ids in groups.items():
            result = await self.conn.execute(
                d.update()
                .where(d.c.id.in_(ids))
                .where(d.c.claim_token == token)
                .where(d.c.status == "sending")
                .values(
                    status="handed_over",
                    server=server,
                    # From each id as the domain spells it: SQLite keeps the id without its dashes.
                    message_id=sa.case(*((d.c.id == i, f"{prefix}{i}{suffix}") for i in ids)),
                )
                .returning(d.c.id)
            )
            moved.update((r.id, token) for r in result)
        return moved

    async def finish(self, delivery_id: str, token: str, from_status: Sequence[str], values: Row) -> Row | None:
        """Move a claimed delivery to its outcome; the row as it was, or None if the claim was lost."""
        d = t.deliveries
        result = await self.conn.execute(
            d.update()
            .where(d.c.id == delivery_id)
            .where(d.c.claim_token == token)
            .where(d.c.status.in_(list(from_status)))
            .values(**values)
        )
        if not result.rowcount:
            return None
        row = (await self.conn.execute(sa.select(d).where(d.c.id == delivery_id))).first()
        return dict(row._mapping) if row else None

    async def finish_many(self, delivery_ids: Sequence[str], token: str, from_status: str, values: Row) -> list[Row]:
        """Move several deliveries of one claim to the same outcome; the rows this claim still owned."""
        d = t.deliveries
        result = await self.conn.execute(
            d.update()
            .where(d.c.id.in_(list(delivery_ids)))
            .where(d.c.claim_token == token)
            .where(d.c.status == from_status)
            .values(**values)
            .returning(*d.c)
        )
        return [dict(r._mapping) for r in result]

    async def stale(self, status: str, before: datetime, limit: int = 500) -> list[Row]:
        d = t.deliveries
        query = (
            sa.select(d)
            .where(d.c.status == status)
            .where(d.c.claimed_at < before)
            .order_by(d.c.claimed_at)
            .limit(limit)
        )
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def emails(
        self,
        viewer: EmailViewer,
        *,
        partner_id: str | None,
        status: str | None,
        email_id: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Row], int]:
        """The email deliveries the viewer may see, newest first, and how many there are."""
        d = t.deliveries
        where: list[Any] = [d.c.channel == "email", *_email_scope(viewer)]
        if partner_id:
            where.append(d.c.partner_id == partner_id if is_uuid(partner_id) else sa.false())
        if status:
            where.append(d.c.status == status)
        if email_id:
            where.append(d.c.email_id == email_id if is_uuid(email_id) else sa.false())
        total = (await self.conn.execute(sa.select(sa.func.count()).select_from(d).where(*where))).scalar_one()
        rows = await self.conn.execute(
            sa.select(d).where(*where).order_by(d.c.created_at.desc(), d.c.id.desc()).limit(limit).offset(offset)
        )
        return [dict(r._mapping) for r in rows], int(total)

    async def email_references_blob(self, viewer: EmailViewer, sha256: str) -> bool:
        """Whether an email the viewer may see carries this blob as an attachment."""
        d = t.deliveries
        ids = await blobrefs.records_referencing(self.conn, t.blob_refs, sha256)
        if not ids:
            return False
        where = [d.c.channel == "email", *_email_scope(viewer), d.c.id.in_(ids)]
        return (await self.conn.execute(sa.select(d.c.id).where(*where).limit(1))).first() is not None

    async def delivery(self, delivery_id: str) -> Row | None:
        if not is_uuid(delivery_id):
            return None
        row = (await self.conn.execute(sa.select(t.deliveries).where(t.deliveries.c.id == delivery_id))).first()
        return dict(row._mapping) if row else None

    # In-app messages -----------------------------------------------------------------------------------------

    async def add_messages(self, rows: Sequence[Row]) -> set[str]:
        """Store several in-app messages in one statement; the ids of those stored (once per cause and user)."""
        if not rows:
            return set()
        stmt = (
            dialect_insert(self.conn)(t.messages)
            .on_conflict_do_nothing(index_elements=["cause_event_id", "recipient"])
            .returning(t.messages.c.id)
        )
        # The rows inserted say which are new, without a second query for them (a broadcast's 1,000 at a time).
        return {str(i) for i in (await self.conn.execute(stmt, list(rows))).scalars()}

    async def messages(self, login: str, *, unread: bool, limit: int, offset: int) -> tuple[list[Row], int, int]:
        m = t.messages
        where: list[Any] = [m.c.recipient == login]
        if unread:
            where.append(m.c.read_at.is_(None))
        total = (await self.conn.execute(sa.select(sa.func.count()).select_from(m).where(*where))).scalar_one()
        unread_count = (
            await self.conn.execute(
                sa.select(sa.func.count()).select_from(m).where(m.c.recipient == login).where(m.c.read_at.is_(None))
            )
        ).scalar_one()
        rows = await self.conn.execute(
            sa.select(m).where(*where).order_by(m.c.created_at.desc(), m.c.id.desc()).limit(limit).offset(offset)
        )
        return [dict(r._mapping) for r in rows], int(total), int(unread_count)

    async def message(self, message_id: str) -> Row | None:
        if not is_uuid(message_id):
            return None
        row = (await self.conn.execute(sa.select(t.messages).where(t.messages.c.id == message_id))).first()
        return dict(row._mapping) if row else None

    async def mark_read(self, message_id: str, now: datetime) -> None:
        m = t.messages
        await self.conn.execute(m.update().where(m.c.id == message_id).where(m.c.read_at.is_(None)).values(read_at=now))

    async def mark_all_read(self, login: str, now: datetime) -> int:
        m = t.messages
        result = await self.conn.execute(
            m.update().where(m.c.recipient == login).where(m.c.read_at.is_(None)).values(read_at=now)
        )
        return int(result.rowcount)
