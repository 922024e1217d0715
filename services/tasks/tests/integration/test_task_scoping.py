"""T1 in every view of a task: availability, live checks, the CSV report and the blob check follow /api/tasks/{id}."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crm_kit.ids import new_id
from crm_tasks.api.controllers import HIDDEN_TITLE
from crm_tasks.domain.model import AttachmentRef, Task
from crm_tasks.store.repository import SqlRepository

if TYPE_CHECKING:
    from tests.conftest import World  # annotations only: tasks' tests are not a package


async def test_another_agents_task_title_is_hidden_in_availability_checks_and_the_report(any_world: World) -> None:
    world = any_world
    bob = await world.add_staff("bob", team="suport")
    await world.add_staff("carla", team="vanzari")
    await world.add_staff("mihai", team="suport")
    created = await world.client.post(
        "/api/tasks",
        json={
            "title": "Concediere Popescu",
            "responsible_staff_id": str(bob),
            "planned_start": world.clock.now.isoformat(),
            "planned_hours": "6",
        },
        headers=world.as_("bob"),
    )
    assert created.status_code == 201, created.text
    assert (await world.client.get(f"/api/tasks/{created.json()['id']}", headers=world.as_("carla"))).status_code == 403
    day = world.clock.now.date().isoformat()

    async def availability(who: str, role: str = "agent") -> list[str]:
        r = await world.client.get(
            "/api/availability", params={"staff_id": str(bob), "date": day}, headers=world.as_(who, role)
        )
        assert r.status_code == 200, r.text
        assert r.json()["planned_hours"] == "6.00", "the load itself stays visible: it is what availability is for"
        return [t["title"] for t in r.json()["tasks"]]

    assert await availability("bob") == ["Concediere Popescu"]
    assert await availability("mihai", "manager") == ["Concediere Popescu"]
    assert await availability("carla") == [HIDDEN_TITLE]

    params = {"responsible_staff_id": str(bob), "planned_start": world.clock.now.isoformat(), "planned_hours": "4"}
    checks = await world.client.get("/api/tasks/checks", params=params, headers=world.as_("carla"))
    assert checks.status_code == 200, checks.text
    assert [c["title"] for c in checks.json()["conflicts"]] == [HIDDEN_TITLE]
    planned = await world.client.post(
        "/api/tasks",
        json={
            "title": "Alt task",
            "responsible_staff_id": str(bob),
            **{k: v for k, v in params.items() if k != "responsible_staff_id"},
        },
        headers=world.as_("carla"),
    )
    assert [c["title"] for c in planned.json()["checks"]["conflicts"]] == [HIDDEN_TITLE]

    report = await world.client.get(
        "/api/tasks/report", params={"from": day, "to": day, "format": "csv"}, headers=world.as_("carla")
    )
    assert report.status_code == 200
    assert "Concediere" not in report.text
    assert "Alt task" in report.text


async def test_a_task_attachment_is_readable_through_the_task_only_by_who_may_see_the_task(any_world: World) -> None:
    world = any_world
    bob = await world.add_staff("bob", team="suport")
    await world.add_staff("carla", team="vanzari")
    sha = world.service.blobs.put(b"contract semnat.pdf bytes")
    task = Task(
        id=new_id(),
        title="Din email",
        description="",
        source="email",
        responsible_staff_id=bob,
        registered_at=world.clock.now,
        attachments=[AttachmentRef(sha, "contract.pdf", 25, "application/pdf")],
    )
    async with world.service.db.transaction() as conn:
        assert await SqlRepository(conn).insert_task(task)

    async def refs(who: str, role: str = "agent", digest: str = sha) -> int:
        return (await world.client.get(f"/blob-refs/{digest}", headers=world.as_(who, role))).status_code

    assert await refs("bob") == 200
    assert await refs("root", "admin") == 200
    assert await refs("carla") == 404
    assert await refs("bob", digest="0" * 64) == 404
    assert await refs("bob", digest="not-a-digest") == 404
