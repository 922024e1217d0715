"""A user's journey through the container stack: gateway, services in containers, 3 Kafka brokers, PostgreSQL."""

from __future__ import annotations

import asyncio
import mailbox
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from crm_kit.testing import eventually


async def created(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST until the owning service accepts it (its read models fill from events), then the resource."""

    async def attempt() -> dict[str, Any] | None:
        response = await client.post(path, json=body)
        assert response.status_code < 500, f"{path}: {response.status_code} {response.text}"
        return dict(response.json()) if response.status_code in (200, 201, 202) else None

    return dict(await eventually(attempt, timeout=60, interval=0.5))


PODMAN = str(Path(__file__).resolve().parents[1] / "images" / "podman.sh")


async def test_a_follow_up_in_the_container_stack_becomes_a_task_for_the_delegate_who_is_emailed(
    admin: httpx.AsyncClient, sent_mail: Path
) -> None:
    await follow_up_journey(admin, sent_mail)


async def test_the_journey_still_completes_while_one_of_the_three_kafka_brokers_is_stopped(
    admin: httpx.AsyncClient, sent_mail: Path
) -> None:
    await podman("stop", "--time", "5", "crm_kafka-2_1")
    try:
        await follow_up_journey(admin, sent_mail, patience=180, label="broker 2 of 3 stopped")
    finally:
        await podman("start", "crm_kafka-2_1")


TASKS = 30
KILL_AFTER = 10


async def test_a_broker_container_killed_with_sigkill_while_tasks_are_emailed_loses_none_and_sends_each_once(
    admin: httpx.AsyncClient, sent_mail: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    email = f"ana-{run}@example.ro"
    ana = await created(
        admin, "/api/staff", {"name": f"Ana Știrbu {run}", "email": email, "hours_per_day": "8", "categories": []}
    )

    async def tasks_know_ana() -> bool:
        response = await admin.get("/api/tasks/staff")
        return response.status_code == 200 and any(p["id"] == ana["id"] for p in response.json()["items"])

    await eventually(tasks_know_ana, timeout=90, interval=0.5)
    created_at: dict[str, float] = {}
    arrived: dict[str, float] = {}

    def subjects() -> list[str]:
        if not (sent_mail / "new").exists():
            return []
        found = [str(m["Subject"]) for m in mailbox.Maildir(sent_mail, create=False) if email in str(m["To"])]
        for subject in found:
            for title in list(created_at):
                if title in subject:
                    arrived.setdefault(title, time.monotonic())
        return found

    async def watch(stop: asyncio.Event) -> None:
        while not stop.is_set():
            subjects()
            await asyncio.sleep(0.2)

    stop = asyncio.Event()
    watcher = asyncio.create_task(watch(stop))
    try:
        for n in range(TASKS):
            if n == KILL_AFTER:
                await podman("kill", "--signal", "KILL", "crm_kafka-3_1")
            title = f"Lucrare {run} {n:02d}"
            response = await admin.post("/api/tasks", json={"title": title, "responsible_staff_id": ana["id"]})
            assert response.status_code == 201, response.text
            created_at[title] = time.monotonic()
            await asyncio.sleep(0.1)

        async def all_emailed() -> bool:
            return len(subjects()) >= TASKS

        await eventually(all_emailed, timeout=180, interval=0.5)
        await asyncio.sleep(3)  # a duplicate would arrive now
        final = subjects()
        for title in created_at:
            assert sum(title in s for s in final) == 1, f"{title}: {final}"
        assert len(final) == TASKS
        delays = sorted(arrived[t] - created_at[t] for t in created_at)
        print(
            f"\ncontainers: task created -> email at the sink, broker 3 of 3 SIGKILLed after task {KILL_AFTER}: "
            f"p50 {delays[len(delays) // 2] * 1000:.0f} ms, max (the pause) {delays[-1] * 1000:.0f} ms"
        )
    finally:
        stop.set()
        await watcher
        await podman("start", "crm_kafka-3_1")


async def podman(*args: str) -> None:
    """Run podman with the project's settings; fail on a non-zero exit."""
    process = await asyncio.create_subprocess_exec(
        PODMAN, *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, err = await process.communicate()
    assert process.returncode == 0, err.decode()


async def logs_of(*containers: str, since: float) -> str:
    """The containers' log lines since ``since`` (epoch seconds): what a failed wait shows to say where it stopped."""
    parts = []
    for name in containers:
        process = await asyncio.create_subprocess_exec(
            PODMAN,
            "logs",
            "--since",
            str(int(since)),
            name,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await process.communicate()
        parts.append(f"--- {name}\n" + "\n".join(out.decode(errors="replace").splitlines()[-40:]))
    return "\n".join(parts)


async def waited(check: Callable[[], Awaitable[Any]], *, what: str, timeout: float, since: float) -> Any:
    """``eventually(check)``; on a timeout the assertion carries the services' logs since the journey began."""
    try:
        return await eventually(check, timeout=timeout, interval=0.5)
    except AssertionError as failed:
        logs = await logs_of(*JOURNEY_CONTAINERS, since=since)
        raise AssertionError(f"{what}: {failed}\n{logs}") from None


JOURNEY_CONTAINERS = ("crm_opportunities_1", "crm_tasks_1", "crm_notifier-1_1", "crm_notifier-2_1")
"""The containers a follow-up passes through, whose logs a failed journey shows."""


async def follow_up_journey(
    admin: httpx.AsyncClient, sent_mail: Path, *, patience: float = 90, label: str = "all brokers up"
) -> None:
    """Staff, partner, opportunity, a stage change with a follow-up: a task for the delegate, and an email.

    ``patience`` bounds each wait after the stage change; the time each step took is printed with ``label``.
    """
    began = time.time()
    run = uuid.uuid4().hex[:8]
    email = f"ion-{run}@example.ro"
    ion = await created(
        admin, "/api/staff", {"name": f"Ion Țurcanu {run}", "email": email, "hours_per_day": "8", "categories": []}
    )
    partner = await created(
        admin,
        "/api/partners",
        {
            "kind": "client",
            "name": f"Alfa Construcții {run} SRL",
            "county": "Cluj",
            "locality": "Cluj-Napoca",
            "sites": [{"name": "Sediu", "emails": [f"office-{run}@alfa.ro"]}],
            "contacts": [],
        },
    )
    opportunity = await created(
        admin,
        "/api/opportunities",
        {
            "partner_id": partner["id"],
            "title": "Licențe ERP",
            "potential": "10000.00",
            "probability": 30,
            "expected_signing_on": (datetime.now(UTC) + timedelta(days=30)).date().isoformat(),
            "owner_staff_id": ion["id"],
        },
    )
    follow_up = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    staged = time.monotonic()
    await created(
        admin,
        f"/api/opportunities/{opportunity['id']}/stage",
        {"stage": "presentation", "delegate_staff_id": ion["id"], "follow_up_at": follow_up.isoformat()},
    )

    async def follow_up_task() -> list[dict[str, Any]]:
        response = await admin.get("/api/tasks", params={"view": "all"})
        assert response.status_code == 200, response.text
        return [t for t in response.json()["items"] if t.get("responsible_staff_id") == ion["id"]]

    (task,) = await waited(follow_up_task, what="the follow-up's task", timeout=patience, since=began)
    tasked = time.monotonic()
    assert task["partner_id"] == partner["id"]
    assert datetime.fromisoformat(task["deadline"]) == follow_up

    async def emailed() -> list[Any]:
        if not (sent_mail / "new").exists():
            return []
        return [m for m in mailbox.Maildir(sent_mail, create=False) if email in str(m["To"])]

    await waited(emailed, what="the delegate's email", timeout=patience, since=began)
    print(
        f"\ncontainers, {label}: stage change -> task {(tasked - staged) * 1000:.0f} ms, "
        f"-> email {(time.monotonic() - staged) * 1000:.0f} ms"
    )
