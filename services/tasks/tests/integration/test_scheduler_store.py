"""The reminder scheduler against a real store (SQLite and PostgreSQL), driven by a controllable clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from crm_tasks.scheduler import Scheduler

if TYPE_CHECKING:
    from tests.conftest import World  # annotations only: tasks' tests are not a package


async def _task(world: World, **body: Any) -> dict[str, Any]:
    r = await world.client.post("/api/tasks", json={"title": "Raport", **body}, headers=world.as_("ana"))
    assert r.status_code == 201, r.text
    return dict(r.json())


def _scheduler(world: World) -> Scheduler:
    """A scheduler on the service's use cases (the wired worker's), with small batches."""
    wired = world.service.workers["schedule"]
    assert isinstance(wired, Scheduler)
    return Scheduler(wired.uses, batch_size=3)


async def test_a_reminder_fires_once_when_its_time_comes_and_again_only_after_the_deadline_moves(
    make_world: Callable[..., Any], database_url: str
) -> None:
    world: World = await make_world(database_url)
    async with world.client:
        ana = await world.add_staff("ana")
        due = world.clock.now + timedelta(days=3)
        task = await _task(
            world,
            responsible_staff_id=str(ana),
            deadline=due.isoformat(),
            alert={"channel": "message", "days_before": 1},
        )
        scheduler = _scheduler(world)
        world.clock.advance(days=2, seconds=-1)
        assert await scheduler.tick() == 0
        world.clock.advance(seconds=1)
        assert await scheduler.tick() == 1
        assert await scheduler.tick() == 0
        fired = await world.outbox("TaskDue")
        assert [(e["task_id"], e["channel"], e["days_before"]) for e in fired] == [(task["id"], "message", 1)]
        assert fired[0]["remind_at"].startswith((due - timedelta(days=1)).isoformat()[:19])
        later = due + timedelta(days=1)
        await world.client.patch(
            f"/api/tasks/{task['id']}", json={"deadline": later.isoformat()}, headers=world.as_("ana")
        )
        assert await scheduler.tick() == 0
        world.clock.advance(days=1)
        assert await scheduler.tick() == 1
        assert len(await world.outbox("TaskDue")) == 2
    await world.service.db.dispose()


async def test_many_due_reminders_fire_in_batches_and_resolved_tasks_stay_quiet(
    make_world: Callable[..., Any], database_url: str
) -> None:
    world: World = await make_world(database_url)
    async with world.client:
        ana = await world.add_staff("ana")
        ids = []
        for i in range(8):
            t = await _task(
                world,
                responsible_staff_id=str(ana),
                deadline=(world.clock.now + timedelta(hours=i + 1)).isoformat(),
                alert={"channel": "email", "days_before": 0},
            )
            ids.append(t["id"])
        await world.client.post(f"/api/tasks/{ids[0]}/resolve", headers=world.as_("ana"))
        world.clock.advance(days=1)
        assert await _scheduler(world).tick() == 7
        assert sorted(e["task_id"] for e in await world.outbox("TaskDue")) == sorted(ids[1:])
    await world.service.db.dispose()


async def test_two_schedulers_racing_on_one_store_fire_each_reminder_once(
    make_world: Callable[..., Any], database_url: str
) -> None:
    world: World = await make_world(database_url)
    async with world.client:
        ana = await world.add_staff("ana")
        for i in range(20):
            await _task(
                world, responsible_staff_id=str(ana), deadline=(world.clock.now + timedelta(minutes=i)).isoformat()
            )
        world.clock.advance(days=2)
        counts = await asyncio.gather(*(_scheduler(world).tick() for _ in range(4)))
        assert sum(counts) == 40  # 20 tasks x (email + message) from the default settings
        fired = await world.outbox("TaskDue")
        assert len({(e["task_id"], e["channel"]) for e in fired}) == len(fired) == 40
    await world.service.db.dispose()
