"""Domain outcomes -> contract events -> the outbox (the only place that knows topics and contracts)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from crm_contracts.base import Event
from crm_contracts.common import Attachment
from crm_contracts.mail import EmailImported, EmailImportFailed
from crm_contracts.tasks import Origin, TaskCreated
from crm_kit.outbox import Outbox
from crm_kit.store import kit_tables
from crm_kit.transactions import OutboxEmit
from crm_mail_ingest.domain.importing import EmailTask, ImportFailure, Outcome
from crm_mail_ingest.ports import PreparedEvents


@dataclass(frozen=True, eq=False)
class PublisherSpec:
    """What building outbox rows needs, picklable: the event source and the topic naming."""

    source: str
    topic: Callable[[str], str]


def build_events(jobs: Sequence[Outcome], spec: PublisherSpec, now: datetime) -> list[dict[str, Any]]:
    """The outbox rows of a batch's events, built apart from the service process (a worker process).

    The rows are the kit's ``Outbox.prepare`` rows, written later by ``KafkaPublisher.prepared``.
    """
    batch = OutboxBatch(Outbox(_outbox_metadata(), spec.source, spec.topic))
    for job in jobs:
        batch.add(job, now=now)
    return batch.rows()


@functools.cache
def _outbox_metadata() -> sa.MetaData:
    """The kit's tables alone: ``Outbox.prepare`` in a worker process needs no more (built once per process)."""
    metadata = sa.MetaData()
    kit_tables(metadata)
    return metadata


def _uuid(value: str | None) -> UUID | None:
    return UUID(value) if value else None


class KafkaPublisher:
    """``ports.Publisher`` on the transaction's outbox: a batch's events go in with one multi-row insert."""

    def __init__(self, emit: OutboxEmit) -> None:
        self.emit = emit

    async def import_failed(self, failure: ImportFailure) -> None:
        """EmailImportFailed (crm.mail), correlated with the import entry."""
        await self.prepared(PreparedEvents((failure,)))

    async def prepared(self, events: PreparedEvents) -> None:
        """Write a batch's events: the rows built ahead, else built here from its outcomes."""
        rows = events.rows
        if not rows and events.outcomes:
            batch = OutboxBatch(self.emit.outbox)
            for outcome in events.outcomes:
                batch.add(outcome, now=self.emit.now)
            rows = batch.rows()
        await self.emit.write(rows)


class WorkerEvents:
    """``ports.EventBatches``: a batch's events built in a worker process (``offload``), before its transaction."""

    def __init__(self, spec: PublisherSpec, offload: Callable[..., Awaitable[list[dict[str, Any]]]] | None) -> None:
        self.spec = spec
        self.offload = offload

    async def prepare(self, outcomes: Sequence[Outcome], now: datetime) -> PreparedEvents:
        """The outbox rows of ``outcomes`` at ``now`` (in the worker process when there is one)."""
        jobs = list(outcomes)
        if self.offload is None:
            rows = await asyncio.to_thread(build_events, jobs, self.spec, now)
        else:
            rows = await self.offload(build_events, jobs, self.spec, now)
        return PreparedEvents(tuple(jobs), rows)


class OutboxBatch:
    """The events of one batch of files, collected as outbox rows to be written with one insert.

    The kit's ``Outbox.prepare`` builds each row (so an event can name another of the batch as
    its cause, and all of a file's events share its import id as correlation).
    """

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self._pending: list[dict[str, Any]] = []

    def _add(self, event: Event, *, now: datetime, correlation_id: str, causation_id: str | None = None) -> str:
        envelope, row = self.outbox.prepare(event, now=now, correlation_id=correlation_id, causation_id=causation_id)
        self._pending.append(row)
        return envelope.id

    def add(self, job: Outcome, *, now: datetime) -> None:
        """The events of one file's outcome: an imported email's two, or a failure's one."""
        if isinstance(job, ImportFailure):
            self.import_failed(import_id=job.import_id, file_name=job.file_name, reason=job.reason, now=now)
        else:
            self.email_task(job, now=now)

    def rows(self) -> list[dict[str, Any]]:
        """The collected rows, not yet written (handed over; the batch is empty after)."""
        pending, self._pending = self._pending, []
        return pending

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
            deadline=item.deadline,
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
