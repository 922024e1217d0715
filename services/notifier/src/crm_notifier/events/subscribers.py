"""What the notifier reacts to: each event becomes a command for one use case (directory, tasks, follow-ups, emails)."""

from __future__ import annotations

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
from crm_kit.inbox import Context, Subscriptions, batch_scope
from crm_notifier.domain.composing import AttachmentRef
from crm_notifier.events.publisher import cause_of
from crm_notifier.service_layer import (
    FileDocument,
    QueueRequestedEmail,
    SaveArticle,
    SaveDocument,
    SavePartner,
    SaveStaffMember,
    TellFollowUp,
    TellTaskAssigned,
    TellTaskCreated,
    TellTaskDue,
    TellTaskReplied,
    UseCases,
)

DOCUMENT_KINDS = {"OfferIssued": "offer", "ClientOrderPlaced": "order", "ContractSigned": "contract"}


def _s(value: Any) -> str | None:
    return str(value) if value is not None else None


def build_subscriptions(uses: UseCases) -> Subscriptions:
    """The notifier's handlers, each translating its event for one use-case method."""
    subs = Subscriptions()

    async def staff_changed(ctx: Context, event: StaffMemberRegistered | StaffMemberUpdated) -> None:
        await uses.staff_changed(
            SaveStaffMember(str(event.staff_id), event.name, event.email, event.user_login, event.active)
        )

    async def partner_changed(ctx: Context, event: PartnerRegistered | PartnerUpdated) -> None:
        contacts = [{"contact_id": _s(c.contact_id), "name": c.name, "email": c.email} for c in event.contacts]
        site_emails = [e for site in event.sites for e in site.emails]
        await uses.partner_changed(SavePartner(str(event.partner_id), event.name, site_emails, contacts))

    async def article_changed(ctx: Context, event: ArticleUpdated) -> None:
        await uses.article_changed(SaveArticle(event.code, event.name, list(event.photos)))

    async def document_issued(
        ctx: Context, event: OfferIssued | ClientOrderPlaced | ContractSigned | InvoiceIssued | InvoicePrintoutReady
    ) -> None:
        # An invoice's printout is rendered after its InvoiceIssued (same key: InvoicePrintoutReady comes after it).
        kind = DOCUMENT_KINDS.get(event.event_name, "invoice")
        await uses.document_changed(
            SaveDocument(str(event.document_id), _s(event.partner_id), kind, event.number, event.printout_sha256)
        )

    async def document_filed(ctx: Context, event: DocumentFiled) -> None:
        if event.source_id is not None:
            await uses.document_filed(FileDocument(str(event.source_id), event.sha256, event.file_name, event.size))

    async def tasks_created(items: list[tuple[Context, TaskCreated]]) -> None:
        async with batch_scope(items, cause_of=cause_of):
            await uses.tasks_created(
                [
                    TellTaskCreated(
                        cause_event_id=ctx.envelope.id,
                        task_id=str(e.task_id),
                        title=e.title,
                        description=e.description,
                        deadline=e.deadline,
                        partner_id=_s(e.partner_id),
                        responsible_staff_id=_s(e.responsible_staff_id),
                        creator_staff_id=_s(e.creator_staff_id),
                        source=e.source,
                    )
                    for ctx, e in items
                ]
            )

    async def tasks_assigned(items: list[tuple[Context, TaskAssigned]]) -> None:
        async with batch_scope(items, cause_of=cause_of):
            await uses.tasks_assigned(
                [
                    TellTaskAssigned(
                        cause_event_id=ctx.envelope.id,
                        task_id=str(e.task_id),
                        title=e.title,
                        assigned_by=e.assigned_by,
                        responsible_staff_id=str(e.responsible_staff_id),
                        partner_id=_s(e.partner_id),
                    )
                    for ctx, e in items
                ]
            )

    async def task_replied(ctx: Context, event: TaskReplied) -> None:
        await uses.task_replied(
            TellTaskReplied(
                cause_event_id=ctx.envelope.id,
                task_id=str(event.task_id),
                title=event.title,
                text=event.text,
                by_user=event.by_user,
                by_staff_id=_s(event.by_staff_id),
                creator_staff_id=_s(event.creator_staff_id),
                partner_id=_s(event.partner_id),
            )
        )

    async def tasks_due(items: list[tuple[Context, TaskDue]]) -> None:
        async with batch_scope(items, cause_of=cause_of):
            await uses.tasks_due(
                [
                    TellTaskDue(
                        cause_event_id=ctx.envelope.id,
                        task_id=str(e.task_id),
                        title=e.title,
                        deadline=e.deadline,
                        days_before=e.days_before,
                        responsible_staff_id=str(e.responsible_staff_id),
                        partner_id=_s(e.partner_id),
                        channel=e.channel,
                    )
                    for ctx, e in items
                ]
            )

    async def follow_up(ctx: Context, event: FollowUpScheduled) -> None:
        await uses.follow_up_scheduled(
            TellFollowUp(
                cause_event_id=ctx.envelope.id,
                opportunity_id=str(event.opportunity_id),
                title=event.title,
                stage=event.stage,
                follow_up_at=event.follow_up_at,
                note=event.note,
                delegate_staff_id=str(event.delegate_staff_id),
                partner_id=_s(event.partner_id),
            )
        )

    async def email_requested(ctx: Context, event: EmailRequested) -> None:
        await uses.queue_requested_email(
            QueueRequestedEmail(
                cause_event_id=ctx.envelope.id,
                email_id=str(event.email_id),
                requested_by=event.requested_by,
                partner_id=_s(event.partner_id),
                recipients=list(event.recipients),
                subject=event.subject,
                body=event.body,
                document_id=_s(event.document_id),
                attachments=[AttachmentRef(a.file_name, a.sha256, a.size) for a in event.attachments],
            )
        )

    for staff_event in (StaffMemberRegistered, StaffMemberUpdated):
        subs.on(staff_event)(staff_changed)
    for partner_event in (PartnerRegistered, PartnerUpdated):
        subs.on(partner_event)(partner_changed)
    subs.on(ArticleUpdated)(article_changed)
    for document_event in (OfferIssued, ClientOrderPlaced, ContractSigned, InvoiceIssued, InvoicePrintoutReady):
        subs.on(document_event)(document_issued)
    subs.on(DocumentFiled)(document_filed)
    subs.on_batch(TaskCreated)(tasks_created)
    subs.on_batch(TaskAssigned)(tasks_assigned)
    subs.on(TaskReplied)(task_replied)
    subs.on_batch(TaskDue)(tasks_due)
    subs.on(FollowUpScheduled)(follow_up)
    subs.on(EmailRequested)(email_requested)
    return subs
