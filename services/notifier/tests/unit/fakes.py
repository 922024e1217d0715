"""In-memory fakes of the notifier's ports, for unit tests of its use cases (no database, no broker, no SMTP)."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crm_kit.scoping import may_see_email
from crm_notifier.domain.composing import EmailRequest, PartnerCard
from crm_notifier.domain.models import EmailViewer, Outcome, Preferences, Row, ServerConfig, StaffMember

DELIVERY_DEFAULTS: Row = {
    "claim_token": None,
    "claimed_at": None,
    "message_id": None,
    "sent_at": None,
    "server": None,
    "error": None,
    "requested_by": None,
    "staff_id": None,
    "partner_id": None,
    "email_id": None,
    "document_id": None,
    "link": None,
}


class InMemoryRepository:
    """``ports.Repository`` in dictionaries, with the store's uniqueness and claim rules."""

    def __init__(self) -> None:
        self.staff: dict[str, StaffMember] = {}
        self.prefs: dict[str, Preferences] = {}
        self.partners: dict[str, PartnerCard] = {}
        self.article_rows: dict[str, Row] = {}
        self.documents: dict[str, Row] = {}
        self.files: dict[tuple[str, str], Row] = {}
        self.parked: list[Row] = []
        self.servers: dict[str, Row] = {}
        self.creds: dict[str, Row] = {}
        self.deliveries: dict[str, Row] = {}
        self.message_rows: dict[str, Row] = {}
        self.staff_reads = 0
        """Reads of staff members (a query each on the real store)."""

    # Read models -------------------------------------------------------------------------------------------

    async def save_staff(self, member: StaffMember) -> None:
        self.staff[member.staff_id] = member

    async def get_staff(self, staff_id: str) -> StaffMember | None:
        self.staff_reads += 1
        return self.staff.get(staff_id)

    async def staff_and_preferences_many(
        self, staff_ids: Sequence[str]
    ) -> dict[str, tuple[StaffMember, Preferences | None]]:
        self.staff_reads += 1
        found: dict[str, tuple[StaffMember, Preferences | None]] = {}
        for staff_id in set(staff_ids):
            member = self.staff.get(staff_id)
            if member is not None:
                found[staff_id] = (member, self.prefs.get(member.user_login or ""))
        return found

    async def staff_by_ids(self, ids: Sequence[str]) -> dict[str, StaffMember]:
        self.staff_reads += 1
        return {i: self.staff[i] for i in ids if i in self.staff}

    async def save_partner(self, card: PartnerCard) -> None:
        self.partners[card.partner_id] = card

    async def get_partner(self, partner_id: str) -> PartnerCard | None:
        return self.partners.get(partner_id)

    async def partner_names(self, partner_ids: Sequence[str]) -> dict[str, str]:
        return {p: self.partners[p].name for p in partner_ids if p in self.partners}

    async def partner_of_contacts(self, contact_ids: Sequence[str]) -> PartnerCard | None:
        wanted = set(contact_ids)
        return next(
            (p for p in self.partners.values() if wanted & {str(c.get("contact_id")) for c in p.contacts}), None
        )

    async def save_article(self, code: str, name: str, photos: list[str]) -> None:
        self.article_rows[code] = {"code": code, "name": name, "photos": photos}

    async def articles(self, codes: Sequence[str]) -> dict[str, Row]:
        return {c: dict(self.article_rows[c]) for c in codes if c in self.article_rows}

    async def save_document(
        self, document_id: str, partner_id: str | None, kind: str, number: str, printout: str | None
    ) -> None:
        self.documents[document_id] = {
            "document_id": document_id,
            "partner_id": partner_id,
            "kind": kind,
            "number": number,
            "printout_sha256": printout,
        }

    async def get_document(self, document_id: str) -> Row | None:
        row = self.documents.get(document_id)
        return dict(row) if row else None

    async def add_document_file(self, document_id: str, sha256: str, file_name: str, size: int) -> None:
        self.files[(document_id, sha256)] = {
            "document_id": document_id,
            "sha256": sha256,
            "file_name": file_name,
            "size": size,
        }

    async def document_files(self, document_id: str) -> list[Row]:
        return sorted((dict(f) for (d, _), f in self.files.items() if d == document_id), key=lambda f: f["file_name"])

    # Parked notices ----------------------------------------------------------------------------------------

    async def lock_staff(self, staff_ids: Sequence[str]) -> None:
        """Nothing runs beside an in-memory store: there is no other transaction to wait for."""

    async def park_many(self, rows: Sequence[Row]) -> None:
        keys = {(p["cause_event_id"], p["staff_id"], p["kind"]) for p in self.parked}
        for row in rows:
            key = (row["cause_event_id"], row["staff_id"], row["kind"])
            if key not in keys:
                keys.add(key)
                self.parked.append(dict(row))

    async def take_parked(self, staff_id: str) -> list[Row]:
        taken = [p for p in self.parked if p["staff_id"] == staff_id]
        self.parked = [p for p in self.parked if p["staff_id"] != staff_id]
        return sorted(taken, key=lambda p: p["created_at"])

    # Settings ----------------------------------------------------------------------------------------------

    async def preferences(self, login: str) -> Preferences | None:
        return self.prefs.get(login)

    async def save_preferences(self, login: str, prefs: Preferences) -> None:
        self.prefs[login] = prefs

    # Mail servers and credentials --------------------------------------------------------------------------

    async def mail_servers(self) -> list[Row]:
        return sorted((dict(s) for s in self.servers.values()), key=lambda s: s["created_at"])

    async def mail_server(self, server_id: str) -> Row | None:
        row = self.servers.get(server_id)
        return dict(row) if row else None

    async def insert_mail_server(self, values: Row) -> None:
        if values.get("is_default"):
            for server in self.servers.values():
                server["is_default"] = False
        self.servers[values["id"]] = dict(values)

    async def update_mail_server(self, server_id: str, values: Row) -> None:
        if values.get("is_default"):
            for other in self.servers.values():
                other["is_default"] = False
        self.servers[server_id].update(values)

    async def mail_server_users(self, server_id: str) -> int:
        return sum(1 for c in self.creds.values() if c["server_id"] == server_id)

    async def delete_mail_server(self, server_id: str) -> None:
        del self.servers[server_id]

    async def credentials(self, login: str) -> Row | None:
        row = self.creds.get(login)
        return dict(row) if row else None

    async def credentials_for(self, logins: Sequence[str]) -> dict[str, Row]:
        return {login: dict(self.creds[login]) for login in logins if login in self.creds}

    async def save_credentials(self, values: Row) -> None:
        self.creds[values["user_login"]] = dict(values)

    async def delete_credentials(self, login: str) -> None:
        self.creds.pop(login, None)

    async def sealed_passwords(self) -> list[tuple[str, str, str]]:
        found = [("mail_server", k, s["password_enc"]) for k, s in self.servers.items() if s["password_enc"]]
        return found + [("credentials", k, c["password_enc"]) for k, c in self.creds.items() if c["password_enc"]]

    async def replace_sealed_password(self, kind: str, key: str, sealed: str) -> None:
        (self.servers if kind == "mail_server" else self.creds)[key]["password_enc"] = sealed

    # Deliveries --------------------------------------------------------------------------------------------

    async def add_deliveries(self, rows: Sequence[Row]) -> set[str]:
        keys = {(d["cause_event_id"], d["recipient"], d["channel"]) for d in self.deliveries.values()}
        recorded: set[str] = set()
        for row in rows:
            key = (row["cause_event_id"], row["recipient"], row["channel"])
            if key not in keys:
                keys.add(key)
                self.deliveries[row["id"]] = {**DELIVERY_DEFAULTS, **row}
                recorded.add(row["id"])
        return recorded

    async def claim(self, token: str, now: datetime, limit: int) -> list[Row]:
        due = sorted(
            (
                d
                for d in self.deliveries.values()
                if d["status"] == "pending" and d["channel"] == "email" and d["next_attempt_at"] <= now
            ),
            key=lambda d: (d["next_attempt_at"], d["id"]),
        )[:limit]
        for row in due:
            row.update(status="sending", claim_token=token, claimed_at=now, attempts=row["attempts"] + 1)
        return [dict(d) for d in due]

    async def hand_over_many(
        self, items: Sequence[tuple[str, str, str]], message_id: tuple[str, str]
    ) -> set[tuple[str, str]]:
        moved: set[tuple[str, str]] = set()
        for delivery_id, token, server in items:
            row = self.deliveries.get(delivery_id)
            if row is not None and row["claim_token"] == token and row["status"] == "sending":
                row.update(status="handed_over", server=server, message_id=message_id[0] + delivery_id + message_id[1])
                moved.add((delivery_id, token))
        return moved

    async def finish(self, delivery_id: str, token: str, from_status: Sequence[str], values: Row) -> Row | None:
        row = self.deliveries.get(delivery_id)
        if row is None or row["claim_token"] != token or row["status"] not in from_status:
            return None
        row.update(values)
        return dict(row)

    async def finish_many(self, delivery_ids: Sequence[str], token: str, from_status: str, values: Row) -> list[Row]:
        done = [await self.finish(i, token, (from_status,), values) for i in delivery_ids]
        return [row for row in done if row is not None]

    async def stale(self, status: str, before: datetime, limit: int = 500) -> list[Row]:
        rows = [d for d in self.deliveries.values() if d["status"] == status and d["claimed_at"] < before]
        return [dict(d) for d in sorted(rows, key=lambda d: d["claimed_at"])[:limit]]

    def _visible(self, viewer: EmailViewer) -> list[Row]:
        return [
            d
            for d in self.deliveries.values()
            if d["channel"] == "email"
            and may_see_email(
                role=viewer.role,
                username=viewer.username,
                staff_id=viewer.staff_id,
                requested_by=d["requested_by"],
                recipient_staff_id=d["staff_id"],
            )
        ]

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
        rows = [
            d
            for d in self._visible(viewer)
            if (not partner_id or d["partner_id"] == partner_id)
            and (not status or d["status"] == status)
            and (not email_id or d["email_id"] == email_id)
        ]
        rows.sort(key=lambda d: (d["created_at"], d["id"]), reverse=True)
        return [dict(d) for d in rows[offset : offset + limit]], len(rows)

    async def email_references_blob(self, viewer: EmailViewer, sha256: str) -> bool:
        return any(a.get("sha256") == sha256 for d in self._visible(viewer) for a in d["attachments"])

    async def delivery(self, delivery_id: str) -> Row | None:
        row = self.deliveries.get(delivery_id)
        return dict(row) if row else None

    # Messages ----------------------------------------------------------------------------------------------

    async def add_messages(self, rows: Sequence[Row]) -> set[str]:
        keys = {(m["cause_event_id"], m["recipient"]) for m in self.message_rows.values()}
        stored: set[str] = set()
        for row in rows:
            if (row["cause_event_id"], row["recipient"]) not in keys:
                keys.add((row["cause_event_id"], row["recipient"]))
                self.message_rows[row["id"]] = {"read_at": None, **row}
                stored.add(row["id"])
        return stored

    async def messages(self, login: str, *, unread: bool, limit: int, offset: int) -> tuple[list[Row], int, int]:
        mine = [m for m in self.message_rows.values() if m["recipient"] == login]
        unread_count = sum(1 for m in mine if m["read_at"] is None)
        rows = [m for m in mine if not unread or m["read_at"] is None]
        rows.sort(key=lambda m: (m["created_at"], m["id"]), reverse=True)
        return [dict(m) for m in rows[offset : offset + limit]], len(rows), unread_count

    async def message(self, message_id: str) -> Row | None:
        row = self.message_rows.get(message_id)
        return dict(row) if row else None

    async def mark_read(self, message_id: str, now: datetime) -> None:
        row = self.message_rows[message_id]
        if row["read_at"] is None:
            row["read_at"] = now

    async def mark_all_read(self, login: str, now: datetime) -> int:
        unread = [m for m in self.message_rows.values() if m["recipient"] == login and m["read_at"] is None]
        for row in unread:
            row["read_at"] = now
        return len(unread)


class FakePublisher:
    """``ports.Publisher`` that records each fact: ``("messages_posted", message)``, ``("email_failed", row)``..."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    async def email_requested(self, request: EmailRequest) -> None:
        self.calls.append(("email_requested", request))

    async def emails_sent(self, deliveries: Sequence[Row]) -> None:
        self.calls += [("email_sent", copy.deepcopy(d)) for d in deliveries]

    async def email_failed(self, delivery: Row) -> None:
        self.calls.append(("email_failed", copy.deepcopy(delivery)))

    async def messages_posted(self, messages: Sequence[Row]) -> None:
        self.calls += [("message_posted", copy.deepcopy(m)) for m in messages]

    def of(self, name: str) -> list[Any]:
        """What was published under one name."""
        return [what for called, what in self.calls if called == name]


class FakeSealer:
    """``ports.Sealer`` with a key name: it opens only what it sealed."""

    def __init__(self, key: str = "current") -> None:
        self.key = key

    def seal(self, password: str | None) -> str | None:
        return f"{self.key}:{password}" if password else None

    def open(self, sealed: str | None) -> str | None:
        if not sealed:
            return None
        key, _, password = sealed.partition(":")
        if key != self.key:
            raise ValueError("the stored password cannot be decrypted with the current key; enter it again")
        return password


@dataclass
class FakeMailer:
    """``ports.Mailer`` that answers the connection test with the steps it is given and records the servers."""

    steps: list[dict[str, Any]] = field(default_factory=lambda: [{"step": "connect", "ok": True, "detail": "ok"}])
    tested: list[ServerConfig] = field(default_factory=list)

    async def test(self, server: ServerConfig) -> list[dict[str, Any]]:
        self.tested.append(server)
        return self.steps

    def build(self, delivery: Row, sender: str, files: list[tuple[str, bytes]], sent_at: datetime) -> bytes:
        return f"{sender} -> {delivery['recipient']}: {delivery['subject']}".encode()

    async def send(
        self, server: ServerConfig, lane: int, recipient: str, data: bytes, hand_over: Callable[[], Awaitable[bool]]
    ) -> Outcome:
        return Outcome("sent", 250) if await hand_over() else Outcome("lost_claim")

    async def close_idle(self) -> None:
        return None

    async def close(self) -> None:
        return None


@dataclass
class FakeBlobs:
    """``ports.Blobs``: the sizes of the blobs it holds."""

    sizes: dict[str, int] = field(default_factory=dict)

    def size(self, sha256: str) -> int:
        if sha256 not in self.sizes:
            raise FileNotFoundError(sha256)
        return self.sizes[sha256]
