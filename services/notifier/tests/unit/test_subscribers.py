"""The composition root with fakes: events reach the use cases through the real subscribers, no database or broker."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

from crm_contracts.base import Envelope, Event
from crm_contracts.opportunities import FollowUpScheduled
from crm_contracts.partners import StaffMemberRegistered
from crm_contracts.tasks import TaskCreated
from crm_kit.inbox import Context
from crm_kit.service import Service
from crm_kit.testing.fakes import FakeClock
from crm_notifier.bootstrap import bootstrap
from crm_notifier.credentials import new_key
from crm_notifier.settings import NotifierSettings

from .fakes import FakePublisher, InMemoryRepository

ION = UUID("0190a000-0000-7000-8000-00000000b0b0")  # a delegate without a login


def _context(service: Service, event: Event) -> Context:
    envelope = Envelope(id=str(uuid4()), source="/crm/test", type=event.ce_type(), time=datetime.now(UTC))
    return Context(conn=None, envelope=envelope, outbox=service.outbox)  # type: ignore[arg-type]  # fakes need none


async def _deliver(service: Service, event: Event) -> None:
    (route,) = service.subscriptions.routes[event.ce_type()]
    ctx = _context(service, event)
    await (route.handler([(ctx, event)]) if route.batch else route.handler(ctx, event))


async def test_one_follow_up_through_the_subscribers_emails_a_delegate_without_a_login_once(tmp_path: Path) -> None:
    repo, publisher = InMemoryRepository(), FakePublisher()
    settings = NotifierSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'never-opened.db'}",
        blob_dir=tmp_path / "blobs",
        credentials_key=new_key(),
    )
    service = bootstrap(settings, repository=repo, publisher=publisher, clock=FakeClock())
    follow_up_at = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
    await _deliver(service, StaffMemberRegistered(staff_id=ION, name="Ion", email="Ion@Firma.ro"))
    await _deliver(
        service,
        FollowUpScheduled(
            opportunity_id=uuid4(), partner_id=uuid4(), stage="offer", delegate_staff_id=ION, follow_up_at=follow_up_at
        ),
    )
    await _deliver(
        service,
        TaskCreated(
            task_id=uuid4(),
            title="Follow-up: Alfa",
            source="follow_up",
            responsible_staff_id=ION,
            deadline=follow_up_at,
            registered_at=follow_up_at,
        ),
    )
    (email,) = repo.deliveries.values()
    assert (email["recipient"], email["kind"]) == ("ion@firma.ro", "follow_up")
    assert not (tmp_path / "never-opened.db").exists()
