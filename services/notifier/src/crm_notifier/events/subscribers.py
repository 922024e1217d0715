"""What the notifier reacts to: directory read models, task news, reminders, follow-ups, email requests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crm_contracts.commercial import (
    ArticleUpdated,
    ClientOrderPlaced,
    ContractSigned,
    InvoiceIssued,
    InvoicePrintoutReady,
    OfferIssued,
)
from crm_contracts.notifications import EmailRequested
from crm_contracts.opportunities import FollowUpScheduled
from crm_contracts.partners import (
    DocumentFiled,
    PartnerRegistered,
    PartnerUpdated,
    StaffMemberRegistered,
    StaffMemberUpdated,
)
from crm_contracts.tasks import TaskAssigned, TaskCreated, TaskDue, TaskReplied
from crm_kit.inbox import Context, Subscriptions
from crm_notifier.domain.composing import PartnerCard
from crm_notifier.domain.models import Notice, StaffMember
from crm_notifier.notifying import Notifier
from crm_notifier.store import repository as repo


def _s(value: Any) -> str | None:
    return str(value) if value is not None else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def _partner_name(ctx: Context, partner_id: Any) -> str | None:
    if partner_id is None:
        return None
    card = await repo.get_partner(ctx.conn, str(partner_id))
    return card.name if card else None


def _now(_: Context) -> datetime:
    return datetime.now(UTC)


def build_subscriptions(notifier: Notifier) -> Subscriptions:
    """The notifier's handlers, bound to its application service."""
    subs = Subscriptions()

    async def staff_changed(ctx: Context, event: StaffMemberRegistered | StaffMemberUpdated) -> None:
        member = StaffMember(
            staff_id=str(event.staff_id),
            name=event.name,
            email=event.email.lower() if event.email else None,
            user_login=event.user_login,
            active=event.active,
        )
        await repo.save_staff(ctx.conn, member)
        await notifier.release_parked(ctx.conn, member.staff_id, _now(ctx))

    subs.on(StaffMemberRegistered)(staff_changed)
    subs.on(StaffMemberUpdated)(staff_changed)

    async def partner_changed(ctx: Context, event: PartnerRegistered | PartnerUpdated) -> None:
        emails: list[str] = []
        for site in event.sites:
            emails += [e.lower() for e in site.emails if e.lower() not in emails]
        contacts = [
            {"contact_id": _s(c.contact_id), "name": c.name, "email": c.email.lower() if c.email else None}
            for c in event.contacts
        ]
        await repo.save_partner(ctx.conn, PartnerCard(str(event.partner_id), event.name, emails, contacts))

    subs.on(PartnerRegistered)(partner_changed)
    subs.on(PartnerUpdated)(partner_changed)

    @subs.on(ArticleUpdated)
    async def article_changed(ctx: Context, event: ArticleUpdated) -> None:
        await repo.save_article(ctx.conn, event.code, event.name, list(event.photos))

    async def document_issued(ctx: Context, event: OfferIssued | ClientOrderPlaced | ContractSigned) -> None:
        kind = {"OfferIssued": "offer", "ClientOrderPlaced": "order", "ContractSigned": "contract"}.get(
            event.event_name, "invoice"
        )
        await repo.save_document(
            ctx.conn, str(event.document_id), str(event.partner_id), kind, event.number, event.printout_sha256
        )

    for cls in (OfferIssued, ClientOrderPlaced, ContractSigned, InvoiceIssued):
        subs.on(cls)(document_issued)

    @subs.on(InvoicePrintoutReady)
    async def invoice_printout_ready(ctx: Context, event: InvoicePrintoutReady) -> None:
        # An invoice's printout is rendered after its InvoiceIssued (same key: this comes after it).
        await repo.save_document(
            ctx.conn, str(event.document_id), str(event.partner_id), "invoice", event.number, event.printout_sha256
        )

    @subs.on(DocumentFiled)
    async def document_filed(ctx: Context, event: DocumentFiled) -> None:
        if event.source_id is not None:
            await repo.add_document_file(ctx.conn, str(event.source_id), event.sha256, event.file_name, event.size)

    @subs.on_batch(TaskCreated)
    async def tasks_created(items: list[tuple[Context, TaskCreated]]) -> None:
        wanted = [
            (ctx, e)
            for ctx, e in items
            if e.responsible_staff_id is not None and e.responsible_staff_id != e.creator_staff_id
        ]
        if not wanted:
            return
        conn = wanted[0][0].conn
        names = await repo.partner_names(conn, [str(e.partner_id) for _, e in wanted if e.partner_id is not None])
        notices = [
            (
                ctx.envelope.id,
                Notice(
                    kind="task_created",
                    mode="follow_up_task" if e.source == "follow_up" else "task",
                    staff_id=str(e.responsible_staff_id),
                    context={
                        "title": e.title,
                        "description": e.description,
                        "deadline": _iso(e.deadline),
                        "partner": names.get(str(e.partner_id)) if e.partner_id is not None else None,
                    },
                    link=f"/tasks/{e.task_id}",
                    partner_id=_s(e.partner_id),
                ),
            )
            for ctx, e in wanted
        ]
        await notifier.tell_many(conn, notices, _now(wanted[0][0]))

    @subs.on_batch(TaskAssigned)
    async def tasks_assigned(items: list[tuple[Context, TaskAssigned]]) -> None:
        notices = [
            (
                ctx.envelope.id,
                Notice(
                    kind="task_assigned",
                    mode="task",
                    staff_id=str(e.responsible_staff_id),
                    context={"title": e.title, "by": e.assigned_by},
                    link=f"/tasks/{e.task_id}",
                    partner_id=_s(e.partner_id),
                ),
            )
            for ctx, e in items
        ]
        await notifier.tell_many(items[0][0].conn, notices, _now(items[0][0]))

    @subs.on(TaskReplied)
    async def task_replied(ctx: Context, event: TaskReplied) -> None:
        if event.creator_staff_id is None or event.creator_staff_id == event.by_staff_id:
            return
        by = event.by_user
        if event.by_staff_id is not None:
            author = await repo.get_staff(ctx.conn, str(event.by_staff_id))
            by = author.name if author else by
        notice = Notice(
            kind="task_replied",
            mode="task",
            staff_id=str(event.creator_staff_id),
            context={"title": event.title, "by": by, "text": event.text},
            link=f"/tasks/{event.task_id}",
            partner_id=_s(event.partner_id),
        )
        await notifier.tell(ctx.conn, ctx.envelope.id, notice, _now(ctx))

    @subs.on_batch(TaskDue)
    async def tasks_due(items: list[tuple[Context, TaskDue]]) -> None:
        notices = [
            (
                ctx.envelope.id,
                Notice(
                    kind="task_due",
                    mode="reminder",
                    staff_id=str(e.responsible_staff_id),
                    context={"title": e.title, "deadline": _iso(e.deadline), "days_before": e.days_before},
                    link=f"/tasks/{e.task_id}",
                    partner_id=_s(e.partner_id),
                    task_channel=e.channel,
                ),
            )
            for ctx, e in items
        ]
        await notifier.tell_many(items[0][0].conn, notices, _now(items[0][0]))

    @subs.on(FollowUpScheduled)
    async def follow_up(ctx: Context, event: FollowUpScheduled) -> None:
        notice = Notice(
            kind="follow_up",
            mode="follow_up",
            staff_id=str(event.delegate_staff_id),
            context={
                "title": event.title,
                "stage": event.stage,
                "follow_up_at": _iso(event.follow_up_at),
                "note": event.note,
                "partner": await _partner_name(ctx, event.partner_id),
            },
            link=f"/opportunities/{event.opportunity_id}",
            partner_id=_s(event.partner_id),
        )
        await notifier.tell(ctx.conn, ctx.envelope.id, notice, _now(ctx))

    @subs.on(EmailRequested)
    async def email_requested(ctx: Context, event: EmailRequested) -> None:
        attachments = [{"file_name": a.file_name, "sha256": a.sha256, "size": a.size} for a in event.attachments]
        for address in event.recipients:
            await notifier.queue_email(
                ctx.conn,
                cause_event_id=ctx.envelope.id,
                address=address,
                kind="email",
                subject=event.subject,
                body=event.body,
                now=_now(ctx),
                partner_id=_s(event.partner_id),
                requested_by=event.requested_by,
                email_id=str(event.email_id),
                document_id=_s(event.document_id),
                attachments=attachments,
            )

    return subs
