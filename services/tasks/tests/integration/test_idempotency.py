"""Idempotency-Key on the tasks API: a retried create makes one task and gets the first answer back."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from crm_kit.idempotency import request_hash

if TYPE_CHECKING:
    from tests.conftest import World  # annotations only: tasks' tests are not a package


def task(world: World, title: str = "Instalare server") -> dict[str, Any]:
    return {"title": title, "responsible_staff_id": str(world.staff["ana"])}


async def keys(world: World) -> list[Any]:
    async with world.service.db.read() as conn:
        return list((await conn.execute(sa.text("select user_id, key, status_code from idempotency_keys"))).all())


async def test_a_retried_create_with_the_same_key_makes_one_task_and_replays_the_first_answer(any_world: World) -> None:
    await any_world.add_staff("ana")
    headers = {**any_world.as_("ana"), "Idempotency-Key": "7d4b0a4e-retry-1"}
    first = await any_world.client.post("/api/tasks", json=task(any_world), headers=headers)
    again = await any_world.client.post("/api/tasks", json=task(any_world), headers=headers)
    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await any_world.count("tasks") == 1


async def test_a_retried_broadcast_with_the_same_key_makes_each_task_reminder_and_event_once(any_world: World) -> None:
    # The broadcast's tasks, reminders and events are written in bulk, still in the key's one transaction.
    await any_world.add_staff("boss")
    for n in range(30):
        await any_world.add_staff(f"om{n}", categories=("depozit",))
    deadline = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    body = {"title": "Inventar", "categories": ["depozit"], "deadline": deadline}
    headers = {**any_world.as_("boss", "manager"), "Idempotency-Key": "broadcast-retry-1"}
    first = await any_world.client.post("/api/task-broadcasts", json=body, headers=headers)
    again = await any_world.client.post("/api/task-broadcasts", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert first.json()["progress"] == {"total": 30, "resolved": 0, "open": 30}
    assert (await any_world.count("broadcasts"), await any_world.count("tasks")) == (1, 30)
    assert await any_world.count("reminders") >= 30
    async with any_world.service.db.read() as conn:
        created = (
            await conn.execute(sa.text("select count(*) from outbox where ce_type like '%TaskCreated%'"))
        ).scalar_one()
    assert created == 30


async def test_the_same_key_with_another_body_is_refused_with_422_and_creates_nothing(world: World) -> None:
    await world.add_staff("ana")
    headers = {**world.as_("ana"), "Idempotency-Key": "key-2"}
    assert (await world.client.post("/api/tasks", json=task(world), headers=headers)).status_code == 201
    other = await world.client.post("/api/tasks", json=task(world, "Alt titlu"), headers=headers)
    assert other.status_code == 422, other.text
    assert "another request" in other.json()["detail"]
    assert await world.count("tasks") == 1


async def test_a_key_is_kept_per_user_so_another_user_with_the_same_key_creates_their_own_task(world: World) -> None:
    await world.add_staff("ana")
    await world.add_staff("bogdan")  # both create a task for ana
    for who in ("ana", "bogdan"):
        answer = await world.client.post(
            "/api/tasks", json=task(world), headers={**world.as_(who), "Idempotency-Key": "shared"}
        )
        assert answer.status_code == 201, answer.text
    assert await world.count("tasks") == 2


async def test_a_malformed_key_is_refused_with_400_and_nothing_is_stored(world: World) -> None:
    await world.add_staff("ana")
    for bad in ("x" * 256, "tab\there", "ă-not-ascii".encode()):
        answer = await world.client.post(
            "/api/tasks", json=task(world), headers={**world.as_("ana"), "Idempotency-Key": bad}
        )
        assert answer.status_code == 400, (bad, answer.text)
        assert "Idempotency-Key" in answer.json()["detail"]
    assert await world.count("tasks") == 0
    assert await keys(world) == []


async def leave_a_key_without_response(world: World, key: str, body: bytes, age: timedelta) -> None:
    """What a first request leaves between its commit and its response (or when its process died there)."""
    async with world.service.db.transaction() as conn:
        await conn.execute(
            world.service.metadata.tables["idempotency_keys"]
            .insert()
            .values(
                user_id="ana",
                key=key,
                request_hash=request_hash("POST", "/api/tasks", b"", body),
                method="POST",
                path="/api/tasks",
                created_at=datetime.now(UTC) - age,
            )
        )


async def test_a_request_whose_key_is_still_being_processed_gets_409_and_creates_nothing(world: World) -> None:
    await world.add_staff("ana")
    body = json.dumps(task(world)).encode()
    await leave_a_key_without_response(world, "busy", body, timedelta(seconds=1))
    headers = {**world.as_("ana"), "Idempotency-Key": "busy", "content-type": "application/json"}
    answer = await world.client.post("/api/tasks", content=body, headers=headers)
    assert answer.status_code == 409, answer.text
    assert "still being processed" in answer.json()["detail"]
    assert await world.count("tasks") == 0


async def test_a_key_whose_response_was_lost_gets_409_telling_to_look_the_record_up(world: World) -> None:
    await world.add_staff("ana")
    body = json.dumps(task(world)).encode()
    await leave_a_key_without_response(world, "lost", body, timedelta(minutes=10))
    headers = {**world.as_("ana"), "Idempotency-Key": "lost", "content-type": "application/json"}
    answer = await world.client.post("/api/tasks", content=body, headers=headers)
    assert answer.status_code == 409, answer.text
    assert "response was lost" in answer.json()["detail"]
    assert await world.count("tasks") == 0


async def test_a_key_older_than_24_hours_is_forgotten_and_may_be_used_again(world: World) -> None:
    await world.add_staff("ana")
    body = json.dumps(task(world)).encode()
    await leave_a_key_without_response(world, "old", body, timedelta(hours=25))
    headers = {**world.as_("ana"), "Idempotency-Key": "old", "content-type": "application/json"}
    assert (await world.client.post("/api/tasks", content=body, headers=headers)).status_code == 201
    assert await world.count("tasks") == 1
    assert [row.status_code for row in await keys(world)] == [201]


async def test_a_failed_request_keeps_no_key_so_its_corrected_retry_is_carried_out(world: World) -> None:
    await world.add_staff("ana")
    headers = {**world.as_("ana"), "Idempotency-Key": "fix-and-retry"}
    refused = await world.client.post("/api/tasks", json={"title": ""}, headers=headers)
    assert refused.status_code in (400, 422)
    assert await keys(world) == []
    assert (await world.client.post("/api/tasks", json=task(world), headers=headers)).status_code == 201


async def test_two_concurrent_twins_create_one_task_the_other_gets_409_or_the_replay(any_world: World) -> None:
    await any_world.add_staff("ana")
    headers = {**any_world.as_("ana"), "Idempotency-Key": "twins"}
    answers = await asyncio.gather(
        *(any_world.client.post("/api/tasks", json=task(any_world), headers=headers) for _ in range(2))
    )
    assert sorted(a.status_code for a in answers) in ([201, 201], [201, 409])
    assert await any_world.count("tasks") == 1


async def test_a_request_without_a_key_behaves_as_before(world: World) -> None:
    await world.add_staff("ana")
    for _ in range(2):
        assert (await world.client.post("/api/tasks", json=task(world), headers=world.as_("ana"))).status_code == 201
    assert await world.count("tasks") == 2
    assert await keys(world) == []


async def test_a_keyed_request_over_the_body_limit_is_refused_with_413_before_anything_is_read_into_the_store(
    world: World,
) -> None:
    await world.add_staff("ana")
    headers = {**world.as_("ana"), "Idempotency-Key": "huge", "content-type": "application/json"}
    huge = b'{"title": "' + b"x" * (12 * 1024 * 1024) + b'"}'
    answer = await world.client.post("/api/tasks", content=huge, headers=headers)
    assert answer.status_code == 413, answer.text[:300]
    assert await world.count("tasks") == 0
    assert await keys(world) == []
