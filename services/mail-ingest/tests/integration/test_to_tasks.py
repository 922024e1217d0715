"""End to end on the real broker: a dropped file becomes a task in the tasks service, on the right partner."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crm_contracts.partners import PartnerRegistered, Site
from crm_kit.testing import eventually, publish
from crm_kit.testing.stack import start_stack
from crm_mail_ingest.domain.deadlines import working_days_after
from crm_mail_ingest.store.tables import partner_emails

from .conftest import FIXTURES, drop

BUCHAREST = ZoneInfo("Europe/Bucharest")


async def test_a_dropped_eml_reaches_the_tasks_service_as_a_task_of_the_partner_with_its_attachment(
    service_env: Any, kafka_bootstrap: str, topics: str, tmp_path: Path
) -> None:
    partner_id, sales_rep = uuid.uuid4(), uuid.uuid4()
    await publish(
        kafka_bootstrap,
        topics,
        PartnerRegistered(
            partner_id=partner_id,
            kind="client",
            name="Gamma Grup SRL",
            sites=[Site(site_id=uuid.uuid4(), name="Sediu Iași", emails=["stefan@gamma-grup.ro"])],
            sales_rep_staff_id=sales_rep,
        ),
    )
    inbox = tmp_path / "inbox"
    overrides = {"mail-ingest": {"inbox": inbox, "scan_seconds": 0.1}}
    async with start_stack(service_env, ["mail-ingest", "tasks"], overrides=overrides) as stack:
        ingest = stack.running["mail-ingest"].service

        async def partner_known() -> bool:
            async with ingest.db.read() as conn:
                rows = await conn.execute(sa.select(partner_emails.c.partner_id))
                return [r.partner_id for r in rows] == [str(partner_id)]

        await eventually(partner_known)
        drop(inbox, "centrala.eml", (FIXTURES / "eml_ro_utf8_base64.eml").read_bytes())

        async def imported() -> dict[str, Any] | None:
            items = (await stack.client.get("/api/mail-imports", params={"status": "imported"})).json()["items"]
            return items[0] if items else None

        entry = await eventually(imported)

        async def task() -> dict[str, Any] | None:
            response = await stack.client.get(f"/api/tasks/{entry['task_id']}")
            return response.json() if response.status_code == 200 else None

        found = await eventually(task, timeout=60)
        assert found["title"] == "Reparație urgentă: centrală termică"
        assert found["source"] == "email"
        assert found["partner_id"] == str(partner_id)
        assert found["responsible_staff_id"] == str(sales_rep)  # no service rep: the sales rep
        assert [a["file_name"] for a in found["attachments"]] == ["fișă tehnică.jpg"]
        # due one working day (the default) after its import, at the same hour in Bucharest
        registered = datetime.fromisoformat(found["registered_at"])
        assert datetime.fromisoformat(found["deadline"]) == working_days_after(registered, 1, BUCHAREST)
