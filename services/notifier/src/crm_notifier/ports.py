"""The notifier's ports: what its use cases need from the store, the broker, SMTP, the blob store and the key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from crm_notifier.domain.composing import EmailRequest, PartnerCard
from crm_notifier.domain.models import EmailViewer, Outcome, Preferences, Row, ServerConfig, StaffMember


class Repository(Protocol):
    """The notifier's store: read models, parked notices, settings, mail servers, deliveries and messages."""

    # Read models (staff directory, partners, articles, documents) ------------------------------------------
    async def save_staff(self, member: StaffMember) -> None: ...
    async def get_staff(self, staff_id: str) -> StaffMember | None: ...
    async def staff_and_preferences_many(
        self, staff_ids: Sequence[str]
    ) -> dict[str, tuple[StaffMember, Preferences | None]]:
        """Several staff members with their users' notification settings (the unknown ones are missing)."""
        ...

    async def staff_by_ids(self, ids: Sequence[str]) -> dict[str, StaffMember]: ...
    async def save_partner(self, card: PartnerCard) -> None: ...
    async def get_partner(self, partner_id: str) -> PartnerCard | None: ...
    async def partner_names(self, partner_ids: Sequence[str]) -> dict[str, str]: ...
    async def partner_of_contacts(self, contact_ids: Sequence[str]) -> PartnerCard | None: ...
    async def save_article(self, code: str, name: str, photos: list[str]) -> None: ...
    async def articles(self, codes: Sequence[str]) -> dict[str, Row]: ...
    async def save_document(
        self, document_id: str, partner_id: str | None, kind: str, number: str, printout: str | None
    ) -> None: ...
    async def get_document(self, document_id: str) -> Row | None: ...
    async def add_document_file(self, document_id: str, sha256: str, file_name: str, size: int) -> None: ...
    async def document_files(self, document_id: str) -> list[Row]: ...

    # Notices waiting for their staff member ----------------------------------------------------------------
    async def lock_staff(self, staff_ids: Sequence[str]) -> None:
        """Hold these staff members until the transaction ends.

        Parking a notice for one that is unknown and learning of it are serialised, so a notice is never
        parked just after its staff member's arrival took the parked ones.
        """
        ...

    async def park_many(self, rows: Sequence[Row]) -> None:
        """Park notices (a repeated one is ignored)."""
        ...

    async def take_parked(self, staff_id: str) -> list[Row]:
        """Remove and return the notices that waited for this staff member, oldest first."""
        ...

    # Notification settings ---------------------------------------------------------------------------------
    async def preferences(self, login: str) -> Preferences | None: ...
    async def save_preferences(self, login: str, prefs: Preferences) -> None: ...

    # Mail servers and credentials --------------------------------------------------------------------------
    async def mail_servers(self) -> list[Row]: ...
    async def mail_server(self, server_id: str) -> Row | None: ...
    async def insert_mail_server(self, values: Row) -> None:
        """Add a server; a default one takes that role from the others."""
        ...

    async def update_mail_server(self, server_id: str, values: Row) -> None: ...
    async def mail_server_users(self, server_id: str) -> int:
        """How many users' own credentials name the server."""
        ...

    async def delete_mail_server(self, server_id: str) -> None: ...
    async def credentials(self, login: str) -> Row | None: ...
    async def credentials_for(self, logins: Sequence[str]) -> dict[str, Row]: ...
    async def save_credentials(self, values: Row) -> None: ...
    async def delete_credentials(self, login: str) -> None: ...
    async def sealed_passwords(self) -> list[tuple[str, str, str]]:
        """Every stored sealed password as ``(kind, key, sealed)``."""
        ...

    async def replace_sealed_password(self, kind: str, key: str, sealed: str) -> None: ...

    # Email deliveries --------------------------------------------------------------------------------------
    async def add_deliveries(self, rows: Sequence[Row]) -> set[str]:
        """Record deliveries, once per (cause, recipient, channel); the ids of those actually recorded."""
        ...

    async def claim(self, token: str, now: datetime, limit: int) -> list[Row]:
        """Claim due email deliveries for one worker: pending -> sending, one more attempt (shared by instances)."""
        ...

    async def hand_over_many(
        self, items: Sequence[tuple[str, str, str]], message_id: tuple[str, str]
    ) -> set[tuple[str, str]]:
        """Move (delivery id, claim token, server) sending -> handed_over while the claim owns it; the pairs moved."""
        ...

    async def finish(self, delivery_id: str, token: str, from_status: Sequence[str], values: Row) -> Row | None:
        """Move a claimed delivery to its outcome; the row after it, or None when the claim was lost."""
        ...

    async def finish_many(self, delivery_ids: Sequence[str], token: str, from_status: str, values: Row) -> list[Row]:
        """Move several deliveries of one claim to one outcome; the rows this claim still owned."""
        ...

    async def stale(self, status: str, before: datetime, limit: int = 500) -> list[Row]:
        """Deliveries left in ``status`` by a claim made before ``before`` (a worker went silent)."""
        ...

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
        ...

    async def email_references_blob(self, viewer: EmailViewer, sha256: str) -> bool: ...
    async def delivery(self, delivery_id: str) -> Row | None: ...

    # In-app messages ---------------------------------------------------------------------------------------
    async def add_messages(self, rows: Sequence[Row]) -> set[str]:
        """Store messages, once per (cause, user); the ids of those stored."""
        ...

    async def messages(self, login: str, *, unread: bool, limit: int, offset: int) -> tuple[list[Row], int, int]:
        """A user's messages newest first, how many match, and how many are unread."""
        ...

    async def message(self, message_id: str) -> Row | None: ...
    async def mark_read(self, message_id: str, now: datetime) -> None: ...
    async def mark_all_read(self, login: str, now: datetime) -> int: ...


class Publisher(Protocol):
    """The notifier's facts, told to the other contexts."""

    async def email_requested(self, request: EmailRequest) -> None: ...
    async def emails_sent(self, deliveries: Sequence[Row]) -> None: ...
    async def email_failed(self, delivery: Row) -> None: ...
    async def messages_posted(self, messages: Sequence[Row]) -> None: ...


class Sealer(Protocol):
    """Seals SMTP passwords at rest with the notifier's key."""

    def seal(self, password: str | None) -> str | None:
        """The sealed password, or None for none."""
        ...

    def open(self, sealed: str | None) -> str | None:
        """The password, or None when none is stored; raises ValueError when the key changed."""
        ...


class Templates(Protocol):
    """Writes a notification: its subject (one line) and body, in a language."""

    def render(self, kind: str, language: str, context: dict[str, Any], link: str | None = None) -> tuple[str, str]: ...


class Blobs(Protocol):
    """The blob store, as the email composer sees it."""

    def size(self, sha256: str) -> int:
        """The size of a blob; raises OSError (missing) or ValueError (not a blob address)."""
        ...


HandOver = Callable[[], Awaitable[bool]]
"""Records that a message is handed to the server before its final dot; False when the claim was lost."""


class Mailer(Protocol):
    """SMTP: reused connections per server and lane, the two-step DATA, and the connection test."""

    async def test(self, server: ServerConfig) -> list[dict[str, Any]]:
        """Connect, encrypt, log in and try the sender, step by step; never raises."""
        ...

    def build(self, delivery: Row, sender: str, files: list[tuple[str, bytes]], sent_at: datetime) -> bytes:
        """The wire form of a delivery; raises when a header cannot be built (that email fails)."""
        ...

    async def send(self, server: ServerConfig, lane: int, recipient: str, data: bytes, hand_over: HandOver) -> Outcome:
        """Send one message on the lane's connection, calling ``hand_over`` before the final dot."""
        ...

    async def close_idle(self) -> None: ...
    async def close(self) -> None: ...
