"""The notifier's use cases: one method per command, each in a unit of work over the ports.

Events become notices (an in-app message now, an email queued for the delivery worker); people request
emails and send messages; admins configure mail servers; the delivery worker claims, hands over and
settles deliveries. The rules are asked of ``domain``; the store, the broker, SMTP, the blob store and
the credentials key are reached through ``ports`` only.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from crm_kit.errors import Invalid, NotFound
from crm_kit.ids import new_id
from crm_kit.links import UI_PATH_RULE, is_ui_path
from crm_kit.scoping import may_see_email
from crm_kit.unit_of_work import UnitOfWork, Work
from crm_notifier.domain import composing, failures, mail_servers, messaging, outgoing, routing
from crm_notifier.domain.composing import AttachmentRef, EmailRequest, PartnerCard
from crm_notifier.domain.failures import RetryPolicy
from crm_notifier.domain.headers import check_address, check_header
from crm_notifier.domain.models import Channel, EmailViewer, Notice, Preferences, Row, ServerConfig, StaffMember
from crm_notifier.ports import Blobs, Mailer, Publisher, Repository, Sealer, Templates

log = logging.getLogger(__name__)

# Commands: read models ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaveStaffMember:
    """The staff directory named (or changed) a person."""

    staff_id: str
    name: str
    email: str | None
    user_login: str | None
    active: bool = True


@dataclass(frozen=True)
class SavePartner:
    """A partner with its sites' addresses and its contact persons."""

    partner_id: str
    name: str
    site_emails: list[str]
    contacts: list[dict[str, str | None]]


@dataclass(frozen=True)
class SaveArticle:
    """An article's name and photos (attached to emails on request)."""

    code: str
    name: str
    photos: list[str]


@dataclass(frozen=True)
class SaveDocument:
    """A commercial document (offer, order, contract, invoice) and its printout once rendered."""

    document_id: str
    partner_id: str | None
    kind: str
    number: str
    printout_sha256: str | None


@dataclass(frozen=True)
class FileDocument:
    """A file filed with a document."""

    document_id: str
    sha256: str
    file_name: str
    size: int


# Commands: notices -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TellTaskCreated:
    """Tell the responsible of a new task (T10)."""

    cause_event_id: str
    task_id: str
    title: str
    description: str | None
    deadline: datetime | None
    partner_id: str | None
    responsible_staff_id: str | None
    creator_staff_id: str | None
    source: str


@dataclass(frozen=True)
class TellTaskAssigned:
    """Tell the new responsible of a task."""

    cause_event_id: str
    task_id: str
    title: str
    assigned_by: str | None
    responsible_staff_id: str
    partner_id: str | None


@dataclass(frozen=True)
class TellTaskReplied:
    """Tell a task's creator of a reply."""

    cause_event_id: str
    task_id: str
    title: str
    text: str
    by_user: str | None
    by_staff_id: str | None
    creator_staff_id: str | None
    partner_id: str | None


@dataclass(frozen=True)
class TellTaskDue:
    """Remind the responsible of a task's deadline (C2), on the task's channel."""

    cause_event_id: str
    task_id: str
    title: str
    deadline: datetime | None
    days_before: int
    responsible_staff_id: str
    partner_id: str | None
    channel: Channel | None


@dataclass(frozen=True)
class TellFollowUp:
    """Tell a follow-up's delegate (O7)."""

    cause_event_id: str
    opportunity_id: str
    title: str
    stage: str | None
    follow_up_at: datetime | None
    note: str | None
    delegate_staff_id: str
    partner_id: str | None


@dataclass(frozen=True)
class QueueRequestedEmail:
    """Queue a requested email (EmailRequested) for each of its recipients."""

    cause_event_id: str
    email_id: str
    requested_by: str | None
    partner_id: str | None
    recipients: list[str]
    subject: str
    body: str
    document_id: str | None
    attachments: list[AttachmentRef]


# Commands: people --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestEmail:
    """E1/E2: email a document to the partner, its contacts, staff or other addresses, with attachments."""

    requested_by: str
    subject: str
    body: str = ""
    to_partner_id: str | None = None
    to_contact_ids: list[str] = field(default_factory=list)
    to_staff_ids: list[str] = field(default_factory=list)
    to_addresses: list[str] = field(default_factory=list)
    document_id: str | None = None
    attach_printout: bool = False
    attach_files: bool = False
    article_codes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SendMessage:
    """A1: post an in-app message to users or to staff members who are users."""

    author: str
    title: str
    body: str = ""
    to_users: list[str] = field(default_factory=list)
    to_staff_ids: list[str] = field(default_factory=list)
    link: str | None = None


@dataclass(frozen=True)
class SentMessage:
    """What a sent message became: its request id and the logins it went to."""

    id: str
    recipients: list[str]
    title: str


@dataclass(frozen=True)
class MarkRead:
    """Mark one of a user's messages read."""

    login: str
    message_id: str


@dataclass(frozen=True)
class MarkAllRead:
    """Mark every message of a user read."""

    login: str


@dataclass(frozen=True)
class ChangeSettings:
    """A user's notification settings."""

    login: str
    language: str = "ro"
    task_message: bool = True
    task_email: bool = False


@dataclass(frozen=True)
class AddMailServer:
    """C1: a mail server (the password is stored sealed)."""

    name: str
    host: str
    port: int
    sender: str
    tls_mode: str = "starttls"
    username: str | None = None
    password: str | None = None
    is_default: bool = False
    rate_per_minute: int = 0


@dataclass(frozen=True)
class ChangeMailServer:
    """Change the given fields of a mail server; ``password`` among them (even None) replaces the stored one."""

    server_id: str
    changes: dict[str, Any]


@dataclass(frozen=True)
class RemoveMailServer:
    """Delete a mail server nobody depends on."""

    server_id: str


@dataclass(frozen=True)
class CheckMailServer:
    """Walk connect, TLS, login and sender on a server, with the user's own credentials when asked."""

    server_id: str
    login: str
    use_my_credentials: bool = False


@dataclass(frozen=True)
class SetCredentials:
    """A user's own login on a server (a password left out keeps the stored one on the same server)."""

    login: str
    server_id: str
    username: str
    password: str | None = None
    sender: str | None = None


@dataclass(frozen=True)
class DeleteCredentials:
    """Forget a user's own login."""

    login: str


@dataclass(frozen=True)
class Reseal:
    """Seal again, under the current key, every stored password that the old key opens."""

    old: Sealer


@dataclass(frozen=True)
class ResealReport:
    """How many stored passwords were sealed again, were already current, or open with neither key."""

    resealed: int
    current: int
    unreadable: int


# Commands: the delivery worker -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimDeliveries:
    """Claim due email deliveries for one worker (any number of instances share them)."""

    token: str
    limit: int


@dataclass(frozen=True)
class HandOver:
    """Record messages handed to their servers, before their final dots: (delivery id, claim token, server)."""

    items: list[tuple[str, str, str]]


@dataclass(frozen=True)
class MarkSent:
    """Deliveries a server accepted, each with a note (None, or why it is only assumed delivered)."""

    server: str
    done: list[tuple[Row, str | None]]


@dataclass(frozen=True)
class FailDelivery:
    """A delivery that can never be sent (refused, too large, permanent error)."""

    delivery: Row
    server: str
    error: str


@dataclass(frozen=True)
class RetryDelivery:
    """A failed attempt: sent again later, or failed for good (5xx, attempts used up)."""

    delivery: Row
    server: str
    code: int | None
    error: str


@dataclass(frozen=True)
class RecoverDeliveries:
    """Settle deliveries whose worker went silent for longer than the claim timeout."""

    claim_timeout_seconds: float


def _s(value: Any) -> str | None:
    return str(value) if value is not None else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class UseCases:
    """Everything the notifier does, over its unit of work, templates, SMTP, blobs and the credentials key."""

    def __init__(
        self,
        uow: UnitOfWork[Repository, Publisher],
        *,
        templates: Templates,
        sealer: Sealer,
        mailer: Mailer,
        blobs: Blobs,
        fallback_server: ServerConfig,
        retry: RetryPolicy,
        default_language: str = "ro",
        max_message_bytes: int = 20 * 1024 * 1024,
        smtp_timeout_seconds: float = 20.0,
    ) -> None:
        self.uow = uow
        self.templates = templates
        self.sealer = sealer
        self.mailer = mailer
        self.blobs = blobs
        self.fallback_server = fallback_server
        self.retry = retry
        self.default_language = default_language
        self.max_message_bytes = max_message_bytes
        self.smtp_timeout_seconds = smtp_timeout_seconds

    # Read models -------------------------------------------------------------------------------------------

    async def staff_changed(self, cmd: SaveStaffMember) -> None:
        """Remember a staff member, then deliver the notices that waited for them."""
        member = StaffMember(
            cmd.staff_id, cmd.name, cmd.email.lower() if cmd.email else None, cmd.user_login, cmd.active
        )
        async with self.uow() as work:
            await work.repo.lock_staff([member.staff_id])
            await work.repo.save_staff(member)
            parked = await work.repo.take_parked(member.staff_id)
            await self._tell(work, [(row["cause_event_id"], Notice(**row["notice"])) for row in parked])

    async def partner_changed(self, cmd: SavePartner) -> None:
        """Remember a partner's addresses (each once, lower case) and contact persons."""
        emails: list[str] = []
        for address in cmd.site_emails:
            if address.lower() not in emails:
                emails.append(address.lower())
        contacts = [{**c, "email": (c.get("email") or "").lower() or None} for c in cmd.contacts]
        async with self.uow() as work:
            await work.repo.save_partner(PartnerCard(cmd.partner_id, cmd.name, emails, contacts))

    async def article_changed(self, cmd: SaveArticle) -> None:
        """Remember an article's name and photos."""
        async with self.uow() as work:
            await work.repo.save_article(cmd.code, cmd.name, list(cmd.photos))

    async def document_changed(self, cmd: SaveDocument) -> None:
        """Remember a document, with its printout once there is one."""
        async with self.uow() as work:
            await work.repo.save_document(cmd.document_id, cmd.partner_id, cmd.kind, cmd.number, cmd.printout_sha256)

    async def document_filed(self, cmd: FileDocument) -> None:
        """Remember a file filed with a document."""
        async with self.uow() as work:
            await work.repo.add_document_file(cmd.document_id, cmd.sha256, cmd.file_name, cmd.size)

    # Notices -----------------------------------------------------------------------------------------------

    async def tasks_created(self, cmds: Sequence[TellTaskCreated]) -> None:
        """Tell the responsible of each new task that is news to them (a batch: a few statements)."""
        wanted = [c for c in cmds if routing.tells_of_new_task(c.responsible_staff_id, c.creator_staff_id)]
        if not wanted:
            return
        async with self.uow() as work:
            names = await work.repo.partner_names([c.partner_id for c in wanted if c.partner_id is not None])
            notices = [
                (
                    c.cause_event_id,
                    Notice(
                        kind="task_created",
                        mode=routing.new_task_mode(c.source),
                        staff_id=str(c.responsible_staff_id),
                        context={
                            "title": c.title,
                            "description": c.description,
                            "deadline": _iso(c.deadline),
                            "partner": names.get(c.partner_id) if c.partner_id is not None else None,
                        },
                        link=f"/tasks/{c.task_id}",
                        partner_id=c.partner_id,
                    ),
                )
                for c in wanted
            ]
            await self._tell(work, notices)

    async def tasks_assigned(self, cmds: Sequence[TellTaskAssigned]) -> None:
        """Tell each task's new responsible (a batch)."""
        notices = [
            (
                c.cause_event_id,
                Notice(
                    kind="task_assigned",
                    mode="task",
                    staff_id=c.responsible_staff_id,
                    context={"title": c.title, "by": c.assigned_by},
                    link=f"/tasks/{c.task_id}",
                    partner_id=c.partner_id,
                ),
            )
            for c in cmds
        ]
        async with self.uow() as work:
            await self._tell(work, notices)

    async def task_replied(self, cmd: TellTaskReplied) -> None:
        """Tell a task's creator of a reply someone else wrote, naming its author."""
        if not routing.tells_of_reply(cmd.creator_staff_id, cmd.by_staff_id):
            return
        async with self.uow() as work:
            by = cmd.by_user
            if cmd.by_staff_id is not None:
                author = await work.repo.get_staff(cmd.by_staff_id)
                by = author.name if author else by
            notice = Notice(
                kind="task_replied",
                mode="task",
                staff_id=str(cmd.creator_staff_id),
                context={"title": cmd.title, "by": by, "text": cmd.text},
                link=f"/tasks/{cmd.task_id}",
                partner_id=cmd.partner_id,
            )
            await self._tell(work, [(cmd.cause_event_id, notice)])

    async def tasks_due(self, cmds: Sequence[TellTaskDue]) -> None:
        """Remind each task's responsible on the task's channel (a batch)."""
        notices = [
            (
                c.cause_event_id,
                Notice(
                    kind="task_due",
                    mode="reminder",
                    staff_id=c.responsible_staff_id,
                    context={"title": c.title, "deadline": _iso(c.deadline), "days_before": c.days_before},
                    link=f"/tasks/{c.task_id}",
                    partner_id=c.partner_id,
                    task_channel=c.channel,
                ),
            )
            for c in cmds
        ]
        async with self.uow() as work:
            await self._tell(work, notices)

    async def follow_up_scheduled(self, cmd: TellFollowUp) -> None:
        """Tell a follow-up's delegate (``routing`` decides: by email when they are not a user)."""
        async with self.uow() as work:
            partner = await work.repo.get_partner(cmd.partner_id) if cmd.partner_id is not None else None
            notice = Notice(
                kind="follow_up",
                mode="follow_up",
                staff_id=cmd.delegate_staff_id,
                context={
                    "title": cmd.title,
                    "stage": cmd.stage,
                    "follow_up_at": _iso(cmd.follow_up_at),
                    "note": cmd.note,
                    "partner": partner.name if partner else None,
                },
                link=f"/opportunities/{cmd.opportunity_id}",
                partner_id=cmd.partner_id,
            )
            await self._tell(work, [(cmd.cause_event_id, notice)])

    async def queue_requested_email(self, cmd: QueueRequestedEmail) -> int:
        """Queue a requested email for each recipient, once per (request, address); returns how many were new.

        An address or subject unsafe in a header is recorded failed at once (EmailFailed), never sent.
        """
        files = [{"file_name": a.file_name, "sha256": a.sha256, "size": a.size} for a in cmd.attachments]
        async with self.uow() as work:
            built = [
                outgoing.email(
                    cause_event_id=cmd.cause_event_id,
                    address=address,
                    kind="email",
                    subject=cmd.subject,
                    body=cmd.body,
                    now=work.now,
                    partner_id=cmd.partner_id,
                    requested_by=cmd.requested_by,
                    email_id=cmd.email_id,
                    document_id=cmd.document_id,
                    attachments=files,
                )
                for address in cmd.recipients
            ]
            return await self._queue(work, built)

    async def _tell(self, work: Work[Repository, Publisher], notices: Sequence[tuple[str, Notice]]) -> None:
        """Tell staff members (each notice with its cause event id) in a few statements.

        One query finds the staff and their settings; the unknown ones' notices are parked; the in-app
        messages and emails are each written with one statement, once per (cause, recipient): only the
        messages actually stored are published. Before parking, the unknown staff members are locked and
        looked up again, as ``staff_changed`` locks the one it stores: a staff member stored meanwhile by
        another instance (which may own the partners partition while this one owns the tasks one) is then seen,
        or sees the parked notice.
        """
        if not notices:
            return
        repo, now = work.repo, work.now
        known = await repo.staff_and_preferences_many([n.staff_id for _, n in notices])
        unknown = sorted({n.staff_id for _, n in notices if n.staff_id not in known})
        if unknown:
            await repo.lock_staff(unknown)
            known.update(await repo.staff_and_preferences_many(unknown))
        parked: list[Row] = []
        messages: list[Row] = []
        emails: list[tuple[Row, bool]] = []
        for cause_event_id, notice in notices:
            found = known.get(notice.staff_id)
            if found is None:
                parked.append(
                    {
                        "cause_event_id": cause_event_id,
                        "staff_id": notice.staff_id,
                        "kind": notice.kind,
                        "notice": asdict(notice),
                        "created_at": now,
                    }
                )
                continue
            staff, prefs = found
            effective = prefs or Preferences(language=self.default_language)
            rendered: tuple[str, str] | None = None
            for target in routing.targets(notice, staff, effective):
                if rendered is None:
                    language = routing.language_of(staff, prefs, self.default_language)
                    context = {**notice.context, "name": staff.name}
                    rendered = self.templates.render(notice.kind, language, context, notice.link)
                subject, body = rendered
                if target.channel == "message":
                    messages.append(
                        outgoing.message(
                            cause_event_id=cause_event_id,
                            login=target.address,
                            staff_id=staff.staff_id,
                            title=subject,
                            body=body,
                            link=notice.link,
                            partner_id=notice.partner_id,
                            now=now,
                        )
                    )
                else:
                    emails.append(
                        outgoing.email(
                            cause_event_id=cause_event_id,
                            address=target.address,
                            kind=notice.kind,
                            subject=subject,
                            body=outgoing.signed(body),
                            link=notice.link,
                            partner_id=notice.partner_id,
                            staff_id=staff.staff_id,
                            now=now,
                        )
                    )
        if parked:
            await repo.park_many(parked)
        if messages:
            stored = await repo.add_messages(messages)
            await work.publisher.messages_posted([m for m in messages if m["id"] in stored])
        await self._queue(work, emails)

    async def _queue(self, work: Work[Repository, Publisher], emails: Sequence[tuple[Row, bool]]) -> int:
        """Record email deliveries; publish EmailFailed for the new ones refused before sending."""
        if not emails:
            return 0
        recorded = await work.repo.add_deliveries([values for values, _ in emails])
        for values, failed in emails:
            if failed and values["id"] in recorded:
                await work.publisher.email_failed(values)
        return len(recorded)

    # Emails people request (E1-E3) -------------------------------------------------------------------------

    async def request_email(self, cmd: RequestEmail) -> EmailRequest:
        """Address, attach and size an email from the read models, then publish EmailRequested.

        Raises:
            NotFound: a document, partner, staff member, contact or article the notifier does not know (yet).
            Invalid: an unsafe subject, no recipient, a missing printout or blob, or a message over the limit.
        """
        subject = check_header("subject", cmd.subject)
        async with self.uow.reading() as repo:
            document = await repo.get_document(cmd.document_id) if cmd.document_id else None
            if cmd.document_id and document is None:
                raise NotFound(
                    f"document {cmd.document_id} is not known to the notifier (yet)", code="record.not_found"
                )
            partner_id = cmd.to_partner_id or (document["partner_id"] if document else None)
            partner = await repo.get_partner(partner_id) if partner_id else None
            if partner is None and cmd.to_contact_ids and not cmd.to_partner_id:
                partner = await repo.partner_of_contacts(cmd.to_contact_ids)
            if cmd.to_partner_id and partner is None:
                raise NotFound(
                    f"partner {cmd.to_partner_id} is not known to the notifier (yet)", code="record.not_found"
                )
            staff = await repo.staff_by_ids(cmd.to_staff_ids) if cmd.to_staff_ids else {}
            missing = [s for s in cmd.to_staff_ids if s not in staff]
            if missing:
                raise NotFound(f"unknown staff member {missing[0]}", field="to_staff_ids", code="record.not_found")
            addresses = composing.recipients(
                partner,
                to_partner=bool(cmd.to_partner_id),
                contact_ids=cmd.to_contact_ids,
                staff_emails={s: staff[s].email for s in cmd.to_staff_ids},
                extra=cmd.to_addresses,
            )
            files = (
                await repo.document_files(document["document_id"]) if document is not None and cmd.attach_files else []
            )
            attachments = composing.document_attachments(
                document, files, printout=cmd.attach_printout, attach_files=cmd.attach_files
            )
            if cmd.article_codes:
                attachments += composing.article_photos(cmd.article_codes, await repo.articles(cmd.article_codes))
        sized = [composing.sized(a, self._blob_size(a.sha256)) for a in attachments]
        composing.check_size(sized, cmd.body, self.max_message_bytes)
        request = EmailRequest(
            email_id=str(new_id()),
            requested_by=cmd.requested_by,
            partner_id=partner.partner_id if partner else partner_id,
            recipients=addresses,
            subject=subject,
            body=cmd.body,
            document_id=cmd.document_id,
            attachments=sized,
        )
        async with self.uow() as work:
            await work.publisher.email_requested(request)
        return request

    def _blob_size(self, sha256: str) -> int | None:
        try:
            return self.blobs.size(sha256)
        except (OSError, ValueError):
            return None

    async def email_log(
        self,
        viewer: EmailViewer,
        *,
        partner_id: str | None = None,
        status: str | None = None,
        email_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Row], int]:
        """E3: the emails the viewer may see, newest first, filtered; and how many there are."""
        outgoing.check_status(status)
        async with self.uow.reading() as repo:
            return await repo.emails(
                viewer, partner_id=partner_id, status=status, email_id=email_id, limit=limit, offset=offset
            )

    async def email(self, viewer: EmailViewer, delivery_id: str) -> Row:
        """One email to one recipient; another agent's email is as if it did not exist.

        Raises:
            NotFound: no such email, or not one the viewer may see.
        """
        async with self.uow.reading() as repo:
            row = await repo.delivery(delivery_id)
        if (
            row is None
            or row["channel"] != "email"
            or not may_see_email(
                role=viewer.role,
                username=viewer.username,
                staff_id=viewer.staff_id,
                requested_by=row["requested_by"],
                recipient_staff_id=None if row["staff_id"] is None else str(row["staff_id"]),
            )
        ):
            raise NotFound(f"no email {delivery_id}", code="record.not_found")
        return row

    async def email_references_blob(self, viewer: EmailViewer, sha256: str) -> bool:
        """Whether an email the viewer may see carries this blob (the gateway's blob check)."""
        async with self.uow.reading() as repo:
            return await repo.email_references_blob(viewer, sha256)

    # In-app messages and settings --------------------------------------------------------------------------

    async def send_message(self, cmd: SendMessage) -> SentMessage:
        """Post an in-app message to each recipient and publish MessagePosted for each.

        Raises:
            Invalid: a link outside the web UI, a staff member who is not a user, or nobody to send to.
            NotFound: a staff member the directory does not know.
        """
        if cmd.link is not None and not is_ui_path(cmd.link):
            # The UI redirects to the link when the message is opened: only its own pages.
            raise Invalid(UI_PATH_RULE, field="link", code="message.link_invalid", params={"link": cmd.link})
        request_id = f"message:{new_id()}"
        async with self.uow() as work:
            staff = await work.repo.staff_by_ids(cmd.to_staff_ids) if cmd.to_staff_ids else {}
            logins = messaging.recipients(cmd.to_users, cmd.to_staff_ids, staff)
            rows = [
                outgoing.message(
                    cause_event_id=request_id,
                    login=login,
                    staff_id=staff_id,
                    title=messaging.title_of(cmd.author, cmd.title),
                    body=cmd.body,
                    link=cmd.link,
                    partner_id=None,
                    now=work.now,
                )
                for login, staff_id in logins.items()
            ]
            stored = await work.repo.add_messages(rows)
            await work.publisher.messages_posted([m for m in rows if m["id"] in stored])
        return SentMessage(request_id, list(logins), cmd.title)

    async def my_messages(
        self, login: str, *, unread: bool = False, limit: int = 50, offset: int = 0
    ) -> tuple[list[Row], int, int]:
        """A user's messages newest first, how many match, and how many are unread."""
        async with self.uow.reading() as repo:
            return await repo.messages(login, unread=unread, limit=limit, offset=offset)

    async def mark_read(self, cmd: MarkRead) -> Row:
        """Mark one of the user's messages read (again is fine); the message as it is now.

        Raises:
            NotFound: no such message, or another user's.
        """
        async with self.uow() as work:
            row = messaging.owned(await work.repo.message(cmd.message_id), cmd.message_id, cmd.login)
            if row["read_at"] is None:
                await work.repo.mark_read(cmd.message_id, work.now)
                row = {**row, "read_at": work.now}
        return row

    async def mark_all_read(self, cmd: MarkAllRead) -> int:
        """Mark every message of the user read; how many were unread."""
        async with self.uow() as work:
            return await work.repo.mark_all_read(cmd.login, work.now)

    async def settings_of(self, login: str) -> Preferences:
        """A user's notification settings, or the defaults."""
        async with self.uow.reading() as repo:
            prefs = await repo.preferences(login)
        return prefs or Preferences(language=self.default_language)

    async def change_settings(self, cmd: ChangeSettings) -> Preferences:
        """Store a user's notification settings."""
        prefs = Preferences(cmd.language, cmd.task_message, cmd.task_email)
        async with self.uow() as work:
            await work.repo.save_preferences(cmd.login, prefs)
        return prefs

    # Mail servers (C1) -------------------------------------------------------------------------------------

    async def mail_servers(self) -> list[Row]:
        """Every configured mail server."""
        async with self.uow.reading() as repo:
            return await repo.mail_servers()

    async def mail_server(self, server_id: str) -> Row:
        """One mail server.

        Raises:
            NotFound: no such server.
        """
        async with self.uow.reading() as repo:
            row = await repo.mail_server(server_id)
        if row is None:
            raise NotFound(f"no mail server {server_id}", code="record.not_found")
        return row

    async def add_mail_server(self, cmd: AddMailServer) -> Row:
        """Add a mail server, its password sealed; the first one is the default.

        Raises:
            Invalid: a value unsafe in a mail header, or a sender that is not an address.
        """
        values = mail_servers.checked({k: v for k, v in asdict(cmd).items() if k != "password"})
        values.update(id=str(new_id()), password_enc=self.sealer.seal(cmd.password))
        async with self.uow() as work:
            values = mail_servers.new_server({**values, "created_at": work.now}, await work.repo.mail_servers())
            await work.repo.insert_mail_server(values)
        return values

    async def change_mail_server(self, cmd: ChangeMailServer) -> Row:
        """Change a mail server; a password given replaces the stored one (empty removes it).

        Raises:
            Invalid: an unsafe value, or taking the default role away.
            NotFound: no such server.
        """
        values = mail_servers.checked({k: v for k, v in cmd.changes.items() if k != "password"})
        if "password" in cmd.changes:
            values["password_enc"] = self.sealer.seal(cmd.changes["password"])
        mail_servers.check_change(values)
        async with self.uow() as work:
            row = await work.repo.mail_server(cmd.server_id)
            if row is None:
                raise NotFound(f"no mail server {cmd.server_id}", code="record.not_found")
            if values:
                await work.repo.update_mail_server(cmd.server_id, values)
        return {**row, **values}

    async def remove_mail_server(self, cmd: RemoveMailServer) -> None:
        """Delete a mail server.

        Raises:
            NotFound: no such server.
            Conflict: the default server, or one named by a user's own credentials.
        """
        async with self.uow() as work:
            row = await work.repo.mail_server(cmd.server_id)
            if row is None:
                raise NotFound(f"no mail server {cmd.server_id}", code="record.not_found")
            mail_servers.check_removal(row, await work.repo.mail_server_users(cmd.server_id))
            await work.repo.delete_mail_server(cmd.server_id)

    async def check_mail_server(self, cmd: CheckMailServer) -> dict[str, Any]:
        """Connect, encrypt, log in and try the sender; which step failed, in words.

        Raises:
            NotFound: no such server.
            Invalid: the user's own credentials asked for, but they have none on this server.
        """
        async with self.uow.reading() as repo:
            row = await repo.mail_server(cmd.server_id)
            cred = await repo.credentials(cmd.login)
        if row is None:
            raise NotFound(f"no mail server {cmd.server_id}", code="record.not_found")
        if cmd.use_my_credentials:
            if cred is None or cred["server_id"] != cmd.server_id:
                raise Invalid(
                    "you have no credentials of your own on this server",
                    field="use_my_credentials",
                    code="mail_server.no_own_credentials",
                )
        else:
            cred = None
        timeout = min(self.smtp_timeout_seconds, 10.0)
        try:
            config = mail_servers.server_config(row, self.sealer.open, timeout, cred, cmd.login)
        except ValueError as exc:
            return {"ok": False, "server": row["name"], "steps": [], "error": str(exc)}
        steps = await self.mailer.test(config)
        failed = next((s for s in steps if not s["ok"]), None)
        return {
            "ok": failed is None,
            "server": row["name"],
            "steps": steps,
            "error": failed["detail"] if failed else None,
        }

    async def credentials_of(self, login: str) -> Row | None:
        """A user's own credentials (with the sealed password), or None."""
        async with self.uow.reading() as repo:
            return await repo.credentials(login)

    async def set_credentials(self, cmd: SetCredentials) -> Row:
        """Store a user's own login on a server; emails they request go through it.

        Raises:
            Invalid: a user name or sender unsafe in a header.
            NotFound: no such server.
        """
        check_header("username", cmd.username)
        sender = check_address(cmd.sender) if cmd.sender else None
        async with self.uow() as work:
            if await work.repo.mail_server(cmd.server_id) is None:
                raise NotFound(f"no mail server {cmd.server_id}", code="record.not_found")
            sealed = (
                self.sealer.seal(cmd.password)
                if cmd.password is not None
                else mail_servers.kept_password(await work.repo.credentials(cmd.login), cmd.server_id)
            )
            values = {
                "user_login": cmd.login,
                "server_id": cmd.server_id,
                "username": cmd.username,
                "password_enc": sealed,
                "sender": sender,
                "updated_at": work.now,
            }
            await work.repo.save_credentials(values)
        return values

    async def delete_credentials(self, cmd: DeleteCredentials) -> None:
        """Forget a user's own login."""
        async with self.uow() as work:
            await work.repo.delete_credentials(cmd.login)

    async def reseal(self, cmd: Reseal) -> ResealReport:
        """Seal again, under the current key, every stored password that the old key opens; the rest stays."""
        resealed = already = unreadable = 0
        async with self.uow() as work:
            for kind, key, sealed in await work.repo.sealed_passwords():
                if _opens(self.sealer, sealed) is not None:
                    already += 1
                    continue
                password = _opens(cmd.old, sealed)
                if password is None:
                    unreadable += 1
                    continue
                await work.repo.replace_sealed_password(kind, key, self.sealer.seal(password) or "")
                resealed += 1
        return ResealReport(resealed, already, unreadable)

    # The delivery worker -----------------------------------------------------------------------------------

    async def claim(self, cmd: ClaimDeliveries) -> list[Row]:
        """Claim due email deliveries: pending -> sending, one more attempt, under the worker's claim token."""
        async with self.uow() as work:
            return await work.repo.claim(cmd.token, work.now, cmd.limit)

    async def servers_for(self, deliveries: Sequence[Row]) -> dict[str, ServerConfig]:
        """The server each claimed delivery goes through (decided once per login that asked, not per row)."""
        logins = sorted({r["requested_by"] for r in deliveries if r["requested_by"]})
        async with self.uow.reading() as repo:
            servers = await repo.mail_servers()
            creds = await repo.credentials_for(logins) if logins else {}
        per_login: dict[str | None, ServerConfig] = {}
        for login in {r["requested_by"] for r in deliveries}:
            config, unreadable = mail_servers.sending_server(
                login, servers, creds, self.sealer.open, self.smtp_timeout_seconds, self.fallback_server
            )
            if unreadable:
                log.warning("stored SMTP password unreadable; using the server without it")
            per_login[login] = config
        return {row["id"]: per_login[row["requested_by"]] for row in deliveries}

    async def hand_over(self, cmd: HandOver) -> set[tuple[str, str]]:
        """Commit ``handed_over`` for deliveries their claims still own; the (id, token) pairs moved."""
        async with self.uow() as work:
            return await work.repo.hand_over_many(cmd.items, outgoing.MESSAGE_ID_AFFIXES)

    async def mark_sent(self, cmd: MarkSent) -> int:
        """Record deliveries sent (their claims still owning them) and publish EmailSent; how many."""
        by_note: dict[tuple[str, str | None], list[str]] = defaultdict(list)
        for row, note in cmd.done:
            by_note[(row["claim_token"], note)].append(row["id"])
        sent = 0
        async with self.uow() as work:
            for (token, note), ids in by_note.items():
                values = {
                    "status": "sent",
                    "sent_at": work.now,
                    "server": cmd.server,
                    "error": note,
                    "claim_token": None,
                }
                updated = await work.repo.finish_many(ids, token, "handed_over", values)
                await work.publisher.emails_sent(updated)
                sent += len(updated)
        return sent

    async def fail(self, cmd: FailDelivery) -> bool:
        """Fail a delivery for good and publish EmailFailed; False when its claim was lost."""
        values = {"status": "failed", "error": cmd.error[:2000], "server": cmd.server, "claim_token": None}
        async with self.uow() as work:
            return await self._settle(work, cmd.delivery, values)

    async def retry_or_fail(self, cmd: RetryDelivery) -> str:
        """After a failed attempt: ``pending`` again after a backoff, or ``failed`` (5xx, attempts used up)."""
        async with self.uow() as work:
            values = failures.after_failure(self.retry, cmd.delivery["attempts"], cmd.code, cmd.error, work.now) | {
                "server": cmd.server,
                "claim_token": None,
            }
            await self._settle(work, cmd.delivery, values)
        return str(values["status"])

    async def _settle(self, work: Work[Repository, Publisher], delivery: Row, values: Row) -> bool:
        updated = await work.repo.finish(delivery["id"], delivery["claim_token"], ("sending", "handed_over"), values)
        if updated is not None and values["status"] == "failed":
            await work.publisher.email_failed(updated)
        return updated is not None

    async def recover(self, cmd: RecoverDeliveries) -> int:
        """Settle deliveries whose worker went silent: ``sending`` is sent again, ``handed_over`` assumed sent."""
        recovered = 0
        async with self.uow() as work:
            before = work.now - timedelta(seconds=cmd.claim_timeout_seconds)
            for row in await work.repo.stale("sending", before):
                values = {
                    "status": "pending",
                    "next_attempt_at": work.now,
                    "claim_token": None,
                    "error": failures.SENDING_STOPPED,
                }
                if await work.repo.finish(row["id"], row["claim_token"], ("sending",), values) is not None:
                    recovered += 1
            for row in await work.repo.stale("handed_over", before):
                values = {
                    "status": "sent",
                    "sent_at": work.now,
                    "claim_token": None,
                    "error": failures.HANDED_OVER_STOPPED,
                }
                updated = await work.repo.finish(row["id"], row["claim_token"], ("handed_over",), values)
                if updated is not None:
                    await work.publisher.emails_sent([updated])
                    recovered += 1
        return recovered


def _opens(sealer: Sealer, sealed: str) -> str | None:
    try:
        return sealer.open(sealed)
    except ValueError:
        return None
