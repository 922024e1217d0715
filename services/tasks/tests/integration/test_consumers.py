"""What tasks consumes, on the real broker: read models, follow-ups and emailed tasks once, invoices for tasks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import sqlalchemy as sa

from crm_contracts import topics
from crm_contracts.commercial import BalanceChanged, ContractSigned, InvoiceIssued
from crm_contracts.common import Attachment, DocumentLine
from crm_contracts.opportunities import FollowUpScheduled
from crm_contracts.partners import PartnerRegistered, StaffMemberRegistered
from crm_contracts.tasks import Origin, TaskAssigned, TaskCreated, TaskInvoiced
from crm_kit.identity import HEADER, Identity, issue
from crm_kit.ids import new_id
from crm_kit.service import start_in_background
from crm_kit.testing import eventually, publish, read_events
from crm_tasks.bootstrap import bootstrap
from crm_tasks.settings import TasksSettings


async def test_follow_ups_and_emailed_tasks_become_tasks_once_and_invoices_mark_tasks_invoiced(
    service_env: Callable[..., dict[str, Any]], kafka_bootstrap: str
) -> None:
    settings = TasksSettings(**service_env("tasks"))
    service = bootstrap(settings)
    running = await start_in_background(service, {"consume", "relay"})
    prefix = settings.topic_prefix
    try:
        ana, bob, acme, contract_id = new_id(), new_id(), new_id(), new_id()
        await publish(
            kafka_bootstrap,
            prefix,
            StaffMemberRegistered(staff_id=ana, name="Ana", email="ana@x.ro", hours_per_day=Decimal(6), team="suport"),
            StaffMemberRegistered(staff_id=bob, name="Bob", email="bob@x.ro", team="suport"),
            PartnerRegistered(partner_id=acme, kind="client", name="Acme", service_rep_staff_id=bob),
            ContractSigned(
                document_id=contract_id,
                partner_id=acme,
                number="CTR-7",
                issued_on=date(2026, 1, 1),
                net=Decimal(0),
                vat=Decimal(0),
                gross=Decimal(0),
                kind="commercial",
                starts_on=date(2026, 1, 1),
                lines=[DocumentLine(line_id=new_id(), article_code="ART-SUP", qty=Decimal(1))],
            ),
            BalanceChanged(partner_id=acme, balance=Decimal("99.90")),
        )
        follow_up = FollowUpScheduled(
            opportunity_id=new_id(),
            partner_id=acme,
            title="Acme ERP",
            stage="offer",
            delegate_staff_id=ana,
            follow_up_at=datetime.now(UTC) + timedelta(days=2),
            note="Sună clientul",
        )
        same = await publish(kafka_bootstrap, prefix, follow_up)
        await publish(kafka_bootstrap, prefix, follow_up, event_id=same[0].id)  # redelivered
        await publish(kafka_bootstrap, prefix, follow_up)  # published twice by a retrying sender
        emailed = TaskCreated(
            task_id=new_id(),
            title="Imprimanta",
            description="Nu tipărește",
            source="email",
            responsible_staff_id=None,
            partner_id=acme,
            registered_at=datetime.now(UTC),
            attachments=[Attachment(file_name="poza.jpg", sha256="a" * 64, size=10)],
            origin=Origin(message_id="<m1@acme.ro>", email_from="office@acme.ro"),
        )
        sent_twice = await publish(kafka_bootstrap, prefix, emailed, emailed, source="/crm/mail-ingest")

        async def tasks_by_source() -> dict[str, int] | None:
            async with service.db.read() as conn:
                rows = (await conn.execute(sa.text("select source, count(*) from tasks group by source"))).all()
            found = {r[0]: r[1] for r in rows}
            return found if found == {"follow_up": 1, "email": 1} else None

        await eventually(tasks_by_source, timeout=30)
        token = issue(Identity("u", "ana", "admin", str(ana)), settings.identity_secret, "tasks")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app()), base_url="http://t") as client:
            items = (await client.get("/api/tasks", headers={HEADER: token})).json()["items"]
            by_source = {t["source"]: t for t in items}
            assert by_source["follow_up"]["responsible_staff_id"] == str(ana)
            assert by_source["follow_up"]["origin"]["opportunity_id"] == str(follow_up.opportunity_id)
            mail = by_source["email"]
            assert mail["id"] == str(emailed.task_id)
            assert mail["responsible_staff_id"] == str(bob)  # T4: the client's service rep
            assert [a["file_name"] for a in mail["attachments"]] == ["poza.jpg"]
            created = await client.post(
                "/api/tasks",
                headers={HEADER: token},
                json={"title": "Manual", "responsible_staff_id": str(ana), "partner_id": str(acme)},
            )
            assert created.status_code == 201, created.text
            checks = created.json()["checks"]
            assert checks["active_contract"]["number"] == "CTR-7"
            assert checks["balance"] == "99.90"
            invoice_id = new_id()
            await publish(
                kafka_bootstrap,
                prefix,
                InvoiceIssued(
                    document_id=invoice_id,
                    invoice_id=invoice_id,
                    partner_id=acme,
                    number="F-1",
                    issued_on=date(2026, 3, 2),
                    net=Decimal(10),
                    vat=Decimal("2.1"),
                    gross=Decimal("12.1"),
                    task_id=emailed.task_id,
                ),
            )

            async def invoiced() -> bool:
                r = await client.get(f"/api/tasks/{emailed.task_id}", headers={HEADER: token})
                return bool(r.json()["invoiced"])

            await eventually(invoiced, timeout=30)
        events = await read_events(
            kafka_bootstrap, prefix, topics.TASKS, until=lambda es: any(isinstance(e, TaskInvoiced) for _, e in es)
        )
        assert [e.invoice_id for _, e in events if isinstance(e, TaskInvoiced)] == [invoice_id]
        follow_up_created = [e for _, e in events if isinstance(e, TaskCreated) and e.source == "follow_up"]
        assert len(follow_up_created) == 1
        # The emailed task is assigned once, and the assignment answers the event that brought it (batch path).
        [assigned] = [env for env, e in events if isinstance(e, TaskAssigned) and e.task_id == emailed.task_id]
        assert assigned.causationid in {env.id for env in sent_twice}

        async def task_created_handled() -> list[str] | None:
            async with service.db.read() as conn:
                q = sa.text("select outcome from inbox where ce_type = 'crm.tasks.TaskCreated.v1'")
                outcomes = [r[0] for r in (await conn.execute(q)).all()]
            return outcomes if len(outcomes) == 4 else None  # 2 emailed + our own follow-up and manual ones

        assert await eventually(task_created_handled, timeout=30) == ["done"] * 4
        async with service.db.read() as conn:
            count = (await conn.execute(sa.text("select count(*) from tasks"))).scalar_one()
        assert count == 3
    finally:
        await running.stop()
