"""The partner history (H1) shows a task's entries only to those who may see the task (the tasks service's rule)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from crm_contracts import tasks as tsk
from crm_kit.identity import Identity
from crm_kit.testing import eventually, publish
from crm_partners.domain.visibility import HIDDEN_TITLES

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


async def test_another_agents_task_shows_redacted_on_the_partner_history_and_in_full_to_its_owner_and_manager(
    partners, kafka_bootstrap
) -> None:
    pid = (await partners.post("/api/partners", {"name": "Acme", "kind": "client"})).json()["id"]
    staff = {}
    for name, team in (("Ana", "service"), ("Ion", "sales"), ("Mara", "service")):
        body = {"name": name, "email": f"{name.lower()}@example.ro", "hours_per_day": "8", "team": team}
        staff[name] = (await partners.post("/api/staff", body)).json()["id"]
    ana = Identity(user_id="u-ana", username="ana", role="agent", staff_id=staff["Ana"])
    ion = Identity(user_id="u-ion", username="ion", role="agent", staff_id=staff["Ion"])
    mara = Identity(user_id="u-mara", username="mara", role="manager", staff_id=staff["Mara"])
    task = uuid4()
    await publish(
        kafka_bootstrap,
        partners.settings.topic_prefix,
        tsk.TaskCreated(
            task_id=task,
            title="Negociere salariu director",
            source="manual",
            creator_user="admin",
            responsible_staff_id=staff["Ana"],
            partner_id=pid,
            registered_at=NOW,
        ),
        tsk.TaskReplied(task_id=task, reply_id=uuid4(), partner_id=pid, title="Negociere salariu director", text="x"),
    )

    async def history(who: Identity) -> list[dict[str, Any]]:
        body = (await partners.get(f"/api/partners/{pid}/history", who, kind="task")).json()
        return list(body["items"]) if body["total"] == 2 else []

    own = await eventually(lambda: history(ana), timeout=60)
    assert all("salariu" in e["title"] for e in own)
    others = await history(ion)
    assert len(others) == 2
    assert all(e["title"] == HIDDEN_TITLES["task"] and e["details"] == {"hidden": True} for e in others)
    assert all("salariu" not in str(e) for e in others)
    assert all("salariu" in e["title"] for e in await history(mara)), "Ana is in Mara's team"
