"""Domain outcomes -> contract events -> the outbox (the only place that knows topics and contracts)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from crm_contracts.base import Event
from crm_contracts.common import Attachment
from crm_contracts.mail import EmailImported, EmailImportFailed
from crm_contracts.tasks import Origin, TaskCreated
from crm_kit.outbox import Outbox
from crm_mail_ingest.domain.model import StoredAttachment

__all__ = [
    "EmailTask",
    "ImportFailure",
    "MailPublisher",
    "OutboxBatch",
    "PublisherSpec",
    "StoredAttachment",
    "build_events",
]


@dataclass(frozen=True)
class EmailTask:
    """Everything the events of one imported email carry."""

    import_id: str
    task_id: str
    file_name: str
    message_key: str
    sender: str
    sender_name: str | None
    subject: str
    title: str
    description: str
    body: str
    sent_at: datetime | None
    partner_id: str | None
    responsible_staff_id: str | None
    unknown_sender: bool
    export_format: str
    attachments: list[StoredAttachment]


@dataclass(frozen=True)
class ImportFailure:
    """A file that could not be imported: its import entry and why."""

    import_id: str
    file_name: str
    reason: str


@dataclass(frozen=True, eq=False)
class PublisherSpec:
    """What building outbox rows needs, picklable: the event source and the topic naming."""

    source: str
    topic: Callable[[str], str]


def build_events(jobs: list[EmailTask | ImportFailure], spec: PublisherSpec, now: datetime) -> list[dict[str, Any]]:
    """The outbox rows of a batch's events, built apart from the service process (a worker process).

    The rows are the kit's ``Outbox.prepare`` rows, written later by ``MailPublisher.write``.
    """
    from crm_mail_ingest.store.tables import metadata

    batch = OutboxBatch(Outbox(metadata, spec.source, spec.topic))
    for job in jobs:
        batch.add(job, now=now)
    return batch.rows()


def _uuid(value: str | None) -> UUID | None:
    return UUID(value) if value else None


class MailPublisher:
    """Speaks the domain; hands out one ``OutboxBatch`` per transaction (it knows topics and contracts)."""

    def __init__(self, outbox: Outbox, topic: Callable[[str], str]) -> None:
        self.outbox = outbox
        self.spec = PublisherSpec(outbox.source, topic)

    def batch(self) -> OutboxBatch:
        """A fresh batch of events for one transaction (concurrent imports never share one)."""
        return OutboxBatch(self.outbox)

    async def write(self, conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
        """Write rows built by ``build_events`` (or ``OutboxBatch.rows``) in the caller's transaction."""
        await self.outbox.write(conn, rows)


class OutboxBatch:
    """The events of one batch of files, written with one multi-row insert by ``flush``.

    The kit's ``Outbox.prepare`` builds each row (so an event can name another of the batch as
    its cause) and ``Outbox.write`` writes them, inside the caller's transaction.
    """

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self._pending: list[dict[str, Any]] = []

    def _add(self, event: Event, *, now: datetime, correlation_id: str, causation_id: str | None = None) -> str:
        envelope, row = self.outbox.prepare(event, now=now, correlation_id=correlation_id, causation_id=causation_id)
        self._pending.append(row)
        return envelope.id

    def add(self, job: EmailTask | ImportFailure, *, now: datetime) -> None:
        """The events of one file's outcome: an imported email's two, or a failure's one."""
        if isinstance(job, ImportFailure):
            self.import_failed(import_id=job.import_id, file_name=job.file_name, reason=job.reason, now=now)
        else:
            self.email_task(job, now=now)

    def rows(self) -> list[dict[str, Any]]:
        """The collected rows, not yet written (handed over; the batch is empty after)."""
        pending, self._pending = self._pending, []
        return pending

    async def flush(self, conn: AsyncConnection) -> int:
        """Write the collected events into the outbox (the caller's transaction); returns how many."""
        rows = self.rows()
        await self.outbox.write(conn, rows)
        return len(rows)

    def email_task(self, item: EmailTask, *, now: datetime) -> None:
        """TaskCreated (crm.tasks, source email) and EmailImported (crm.mail), correlated."""
        attachments = [
            Attachment(file_name=a.file_name, sha256=a.sha256, size=a.size, content_type=a.content_type)
            for a in item.attachments
        ]
        task = TaskCreated(
            task_id=UUID(item.task_id),
            title=item.title,
            description=item.description,
            source="email",
            responsible_staff_id=_uuid(item.responsible_staff_id),
            partner_id=_uuid(item.partner_id),
            attachments=attachments,
            origin=Origin(
                message_id=item.message_key,
                email_from=item.sender,
                email_subject=item.subject,
                email_body=item.body,
                unknown_sender=item.unknown_sender,
            ),
            registered_at=now,
        )
        task_event_id = self._add(task, now=now, correlation_id=item.import_id)
        self._add(
            EmailImported(
                message_id=item.message_key,
                import_id=UUID(item.import_id),
                file_name=item.file_name,
                sender=item.sender,
                sender_name=item.sender_name,
                subject=item.subject,
                received_at=item.sent_at,
                partner_id=_uuid(item.partner_id),
                task_id=UUID(item.task_id),
                attachments=attachments,
                unknown_sender=item.unknown_sender,
                export_format=item.export_format,
                responsible_staff_id=_uuid(item.responsible_staff_id),
            ),
            now=now,
            correlation_id=item.import_id,
            causation_id=task_event_id,
        )

    def import_failed(self, *, import_id: str, file_name: str, reason: str, now: datetime) -> None:
        """EmailImportFailed (crm.mail): the file and why."""
        self._add(
            EmailImportFailed(import_id=UUID(import_id), file_name=file_name, reason=reason),
            now=now,
            correlation_id=import_id,
        )
