"""Concurrent requests for one transition: exactly one wins, the others get 409, one effect and one event."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from crm_kit.ids import new_id

if TYPE_CHECKING:
    from tests.conftest import World  # annotations only: tasks' tests are not a package

RACERS = 12


async def billable_task(world: World) -> dict[str, Any]:
    """A billable task for a client with no contract: resolving it issues an estimate and asks for an invoice."""
    await world.add_staff("ana")
    await world.add_service("SUP", "200.00", "ART-SUP")
    acme = await world.add_partner("Acme SRL", service_rep=world.staff["ana"])
    created = await world.client.post(
        "/api/tasks",
        json={"title": "Reparație", "partner_id": str(acme), "service_code": "SUP", "billable": True},
        headers=world.as_("ana"),
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


async def test_concurrent_resolves_of_one_task_issue_one_estimate_and_one_invoice_request(any_world: World) -> None:
    world = any_world
    task = await billable_task(world)
    world.clock.advance(hours=1)

    responses = await asyncio.gather(
        *(world.client.post(f"/api/tasks/{task['id']}/resolve", headers=world.as_("ana")) for _ in range(RACERS))
    )

    assert sorted(r.status_code for r in responses) == [200] + [409] * (RACERS - 1)
    losers = {r.json()["detail"] for r in responses if r.status_code == 409}
    assert len(losers) == 1
    assert losers.pop().startswith("the task was already resolved at ")
    assert len(await world.outbox("TaskResolved")) == 1
    assert len(await world.outbox("EstimateIssued")) == 1
    assert len(await world.outbox("InvoiceRequested")) == 1


async def test_the_loser_of_a_resolve_is_told_who_resolved_the_task(any_world: World) -> None:
    world = any_world
    task = await billable_task(world)
    await world.client.post(f"/api/tasks/{task['id']}/resolve", headers=world.as_("ana"))

    again = await world.client.post(f"/api/tasks/{task['id']}/resolve", headers=world.as_("ana"))

    assert again.status_code == 409
    assert again.json()["detail"].endswith(" by ana")


async def test_concurrent_reopens_of_one_task_reopen_it_once(any_world: World) -> None:
    world = any_world
    task = await billable_task(world)
    await world.client.post(f"/api/tasks/{task['id']}/resolve", headers=world.as_("ana"))

    responses = await asyncio.gather(
        *(world.client.post(f"/api/tasks/{task['id']}/reopen", headers=world.as_("ana")) for _ in range(RACERS))
    )

    assert sorted(r.status_code for r in responses) == [200] + [409] * (RACERS - 1)
    assert len(await world.outbox("TaskReopened")) == 1


async def test_concurrent_contract_drafts_from_one_task_request_one_contract(any_world: World) -> None:
    world = any_world
    task = await billable_task(world)

    responses = await asyncio.gather(
        *(
            world.client.post(
                f"/api/tasks/{task['id']}/contract", json={"kind": "commercial"}, headers=world.as_("ana")
            )
            for _ in range(RACERS)
        )
    )

    assert sorted(r.status_code for r in responses) == [202] + [409] * (RACERS - 1)
    requested = await world.outbox("ContractRequested")
    assert len(requested) == 1
    losers = {r.json()["detail"] for r in responses if r.status_code == 409}
    assert losers == {f"a contract was already requested for this task (request {requested[0]['request_id']})"}


async def test_concurrent_launches_of_one_broadcast_make_one_task_per_recipient(any_world: World) -> None:
    world = any_world
    await world.add_staff("boss")
    ana = await world.add_staff("ana")
    bob = await world.add_staff("bob")
    launch = {"title": "Inventar", "staff_ids": [str(ana), str(bob)], "request_id": str(new_id())}

    responses = await asyncio.gather(
        *(
            world.client.post("/api/task-broadcasts", json=launch, headers=world.as_("boss", "manager"))
            for _ in range(RACERS)
        )
    )

    assert sorted(r.status_code for r in responses) == [201] + [409] * (RACERS - 1)
    losers = {r.json()["detail"] for r in responses if r.status_code == 409}
    assert len(losers) == 1
    assert losers.pop().startswith("the broadcast 'Inventar' was already launched at ")
    assert await world.count("broadcasts") == 1
    assert await world.count("tasks") == 2
