"""Latency under load: flows started on a schedule (open loop) at 10, 50 and 100 flows/s, through the gateway.

The stack (partners, opportunities, tasks, notifier, gateway) runs one process per service on PostgreSQL
(``bench.common.process_stack``); the SMTP sink (``python -m crm_kit.smtp_sink``) is a process of its own, and
an email's arrival time is its Maildir file's mtime. Three paths, each run for SECONDS at each rate:

- one hop: ``POST /api/tasks`` for a staff member without a login -> the email at the sink;
- two hops: ``POST /api/opportunities/{id}/stage`` with a delegate and a follow-up -> the follow-up task
  stored in tasks (its ``TaskCreated`` on the topic, printed) -> the email at the sink (the delegate is a user
  who asked for task emails);
- TaskDue -> the in-app message received by an SSE client of the gateway (``GET /api/messages/stream``):
  tasks are created due at once, the scheduler polls every SCHEDULER_S, and the latency is counted from the
  ``TaskDue`` event's time (the scheduler's claim) to the SSE ``message`` event.

Baseline of every line: a bare HTTP round trip to the gateway (``/healthz``) plus one SMTP send to the same
sink, taken one after another in the same run (its p50 for p50 lines, its p99 for p99 lines). The ratio is
baseline/ours: it says how far the path is from the floor of one request and one email, not a goal.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import httpx
from aiokafka import AIOKafkaConsumer

from bench.common import BOOTSTRAP, ProcessStack, count_rows, process_stack, user_client
from bench.report import Figure, report
from crm_contracts import topics
from crm_contracts.base import Envelope
from crm_contracts.notifications import MessagePosted
from crm_contracts.tasks import TaskCreated, TaskDue
from crm_kit.cloudevents import from_headers
from crm_kit.ports import free_port
from crm_kit.testing.stack import wait_healthy

RATES = tuple(int(r) for r in os.environ.get("BENCH_LATENCY_RATES", "10,50,100").split(","))
SECONDS = float(os.environ.get("BENCH_LATENCY_SECONDS", "20"))
DRAIN_S = 30.0  # how long a flow may still finish after the last one started
SCHEDULER_S = 0.1
POOL = 400  # opportunities the stage changes go round (each moves presentation <-> offer)
TOKEN = re.compile(r"LAT([0-9a-f]{12})")


def token() -> str:
    return uuid.uuid4().hex[:12]


class Sink:
    """The SMTP sink as a process, and a scanner of its Maildir: arrival time (file mtime) per token."""

    def __init__(self, folder: Path) -> None:
        self.maildir = folder / "maildir"
        self.port = free_port()
        self.arrived: dict[str, float] = {}
        self._seen: set[str] = set()
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "crm_kit.smtp_sink", "--port", str(self.port), "--maildir", str(self.maildir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(10)

    def scan(self) -> None:
        """Read the emails that arrived since the last scan."""
        new = self.maildir / "new"
        if not new.is_dir():
            return
        for entry in os.scandir(new):
            if entry.name in self._seen:
                continue
            self._seen.add(entry.name)
            raw = Path(entry.path).read_bytes()
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            text = str(msg["subject"] or "")
            if isinstance(msg, EmailMessage):
                body = msg.get_body(preferencelist=("plain",))
                if body is not None and isinstance(body, EmailMessage):
                    text += body.get_content()
            for found in TOKEN.findall(text):
                self.arrived.setdefault(found, entry.stat().st_mtime)

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.to_thread(self.scan)
            await asyncio.sleep(0.02)


class PathEvents:
    """Reads crm.tasks and crm.notifications from now on: for each event of a flow, when its service wrote it
    (the CloudEvents time, in the same transaction as the change) and when the relay published it (the Kafka
    record's timestamp). The flows' timestamps along the path."""

    def __init__(self, stack: ProcessStack) -> None:
        self.topics = [f"{stack.prefix}{topics.TASKS}", f"{stack.prefix}{topics.NOTIFICATIONS}"]
        self.created: dict[str, tuple[float, float]] = {}  # token -> TaskCreated (written, published)
        self.due: dict[str, tuple[float, float]] = {}  # task id -> TaskDue (the scheduler's claim, published)
        self.posted: dict[str, tuple[float, float]] = {}  # task id -> MessagePosted (written, published)
        self.ready = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(*self.topics, bootstrap_servers=BOOTSTRAP, auto_offset_reset="latest")
        await consumer.start()
        try:
            for tp in consumer.assignment():
                await consumer.position(tp)
            self.ready.set()
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=100)
                for records in batch.values():
                    for r in records:
                        self._record(from_headers(r.headers), r.value or b"{}", r.timestamp / 1000)
        finally:
            await consumer.stop()

    def _record(self, envelope: Envelope, value: bytes, published: float) -> None:
        at = (envelope.time.timestamp(), published)
        if envelope.type == TaskDue.ce_type():
            self.due[str(json.loads(value)["task_id"])] = at
        elif envelope.type == TaskCreated.ce_type():
            payload = json.loads(value)
            for found in TOKEN.findall(f"{payload.get('title', '')} {payload.get('description', '')}"):
                self.created[found] = at
        elif envelope.type == MessagePosted.ce_type():
            link = str(json.loads(value).get("link") or "")
            self.posted.setdefault(link.rpartition("/")[2], at)


def breakdown(label: str, starts: dict[str, float], steps: list[tuple[str, dict[str, float]]]) -> None:
    """Print the median time from a flow's start to each step along its path (ms), for the flows that have all."""
    keys = [k for k in starts if all(k in found for _, found in steps)]
    if not keys:
        return
    parts = [f"{name} {statistics.median((found[k] - starts[k]) * 1000 for k in keys):.0f}" for name, found in steps]
    print(f"    {label} p50 from start (ms): " + ", ".join(parts))


class SseClient:
    """A user's open ``/api/messages/stream``: when each in-app message arrived, by task id."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.arrived: dict[str, float] = {}
        self.open = asyncio.Event()

    async def run(self) -> None:
        event = ""
        async with self.client.stream("GET", "/api/messages/stream", timeout=None) as answer:
            async for line in answer.aiter_lines():
                if line.startswith("event:"):
                    event = line.partition(":")[2].strip()
                    self.open.set()
                elif line.startswith("data:") and event == "message":
                    link = str(json.loads(line.partition(":")[2]).get("link") or "")
                    self.arrived.setdefault(link.rpartition("/")[2], time.time())


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p90, p99 and max in ms."""
    ordered = sorted(samples)
    if len(ordered) < 2:
        value = ordered[0] if ordered else float("nan")
        return {"p50": value, "p90": value, "p99": value, "max": value}
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": cuts[49], "p90": cuts[89], "p99": cuts[98], "max": ordered[-1]}


async def open_loop(rate: int, seconds: float, flow: Callable[[int], Awaitable[None]]) -> float:
    """Start ``flow(i)`` at ``rate`` per second for ``seconds`` on a fixed schedule (never waiting for one to
    finish); returns the rate achieved (lower when this process cannot keep up)."""
    count = max(1, int(rate * seconds))
    loop = asyncio.get_running_loop()
    start = loop.time()
    running: list[asyncio.Task[None]] = []
    for i in range(count):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        running.append(asyncio.create_task(flow(i)))
    achieved = count / max(loop.time() - start, 1e-9) if count > 1 else float(rate)
    results = await asyncio.gather(*running, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        print(f"    {len(failed)} of {count} flows got an error answer, e.g. {failed[0]!r}")
    return achieved


async def collect(starts: dict[str, float], ends: dict[str, float], stack: ProcessStack) -> tuple[list[float], int]:
    """Latencies in ms of the flows that finished (waiting up to DRAIN_S for the last), and how many did not."""
    deadline = time.perf_counter() + DRAIN_S
    while time.perf_counter() < deadline and any(k not in ends for k in starts):
        stack.check_alive()
        await asyncio.sleep(0.1)
    done = [(ends[k] - s) * 1000 for k, s in starts.items() if k in ends]
    return done, len(starts) - len(done)


def show(path: str, rate: int, achieved: float, samples: list[float], lost: int) -> dict[str, float]:
    """Print a path's percentiles at a rate; they are returned with the load average at the end of its run."""
    p = {**percentiles(samples), "load": os.getloadavg()[0]}
    print(
        f"  {path:<44} {rate:>3}/s (achieved {achieved:5.1f}/s, load {p['load']:.1f}): p50 {p['p50']:7.1f}"
        f"  p90 {p['p90']:7.1f}  p99 {p['p99']:7.1f}  max {p['max']:7.1f} ms  ({len(samples)} flows, {lost} not done)",
        flush=True,
    )
    return p


async def bare_floor(stack: ProcessStack, sink: Sink, runs: int = 60) -> dict[str, float]:
    """The baseline: a bare HTTP round trip to the gateway plus one SMTP send to the sink, one after another."""
    samples = []
    async with httpx.AsyncClient(base_url=stack.base_url) as bare:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=sink.port)
        await smtp.connect()
        try:
            for i in range(runs):
                started = time.perf_counter()
                assert (await bare.get("/healthz")).status_code == 200
                msg = EmailMessage()
                msg["From"], msg["To"], msg["Subject"] = "crm@localhost", "bare@bench.example", f"bare {i}"
                msg.set_content("Bună ziua,\n\nun email de probă.\n")
                await smtp.send_message(msg)
                samples.append((time.perf_counter() - started) * 1000)
        finally:
            await smtp.quit()
    return percentiles(samples)


async def staff(stack: ProcessStack, name: str, login: str | None) -> str:
    answer = await stack.client.post(
        "/api/staff",
        json={"name": name, "email": f"{login or uuid.uuid4().hex[:8]}@bench.example", "user_login": login,
              "hours_per_day": 8, "categories": []},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def settings_of(stack: ProcessStack, login: str, staff_id: str, **prefs: bool) -> httpx.AsyncClient:
    """A gateway user for a staff member, with their notification settings; returns their client."""
    client = await user_client(stack, login, role="agent", staff_id=staff_id)
    answer = await client.put("/api/notification-settings", json={"language": "ro", **prefs})
    assert answer.status_code == 200, answer.text
    return client


ONE_HOP = "one hop: task -> email"
TWO_HOPS = "two hops: stage -> task -> email"
DUE = "TaskDue -> SSE message"


@dataclass
class Flows:
    """The three paths, each run open loop at a rate; what they need of the running stack."""

    stack: ProcessStack
    sink: Sink
    events: PathEvents
    sse: SseClient
    emailed: str
    delegate: str
    watcher: str
    opportunities: list[str]
    stage: dict[str, str] = field(default_factory=dict)

    async def one_hop(self, rate: int) -> dict[str, float]:
        """A task for a staff member without a login -> the email at the sink."""
        starts: dict[str, float] = {}
        answered: dict[str, float] = {}

        async def flow(i: int) -> None:
            tok = token()
            starts[tok] = time.time()
            answer = await self.stack.client.post(
                "/api/tasks", json={"title": f"Verificare LAT{tok}", "responsible_staff_id": self.emailed}
            )
            assert answer.status_code == 201, answer.text
            answered[tok] = time.time()

        achieved = await open_loop(rate, SECONDS, flow)
        samples, lost = await collect(starts, self.sink.arrived, self.stack)
        created = self.events.created
        breakdown(
            "one hop",
            starts,
            [("answered", answered), ("TaskCreated written", {k: v[0] for k, v in created.items()}),
             ("published", {k: v[1] for k, v in created.items()}), ("email at sink", self.sink.arrived)],
        )  # fmt: skip
        return show(ONE_HOP, rate, achieved, samples, lost)

    async def two_hops(self, rate: int) -> dict[str, float]:
        """A stage change with a follow-up -> the follow-up task stored -> the email at the sink."""
        starts: dict[str, float] = {}
        answered: dict[str, float] = {}
        follow_up_at = (datetime.now(UTC) + timedelta(days=7)).isoformat()

        async def flow(i: int) -> None:
            opp = self.opportunities[i % len(self.opportunities)]
            target = "offer" if self.stage.get(opp, "new") == "presentation" else "presentation"
            self.stage[opp] = target
            tok = token()
            starts[tok] = time.time()
            answer = await self.stack.client.post(
                f"/api/opportunities/{opp}/stage",
                json={"stage": target, "delegate_staff_id": self.delegate, "follow_up_at": follow_up_at,
                      "note": f"Sunați clientul LAT{tok}"},
            )  # fmt: skip
            assert answer.status_code == 200, answer.text
            answered[tok] = time.time()

        achieved = await open_loop(rate, SECONDS, flow)
        samples, lost = await collect(starts, self.sink.arrived, self.stack)
        created = self.events.created
        stored = [(created[k][0] - s) * 1000 for k, s in starts.items() if k in created]
        breakdown(
            "two hops",
            starts,
            [("answered", answered), ("follow-up TaskCreated written", {k: v[0] for k, v in created.items()}),
             ("published", {k: v[1] for k, v in created.items()}), ("email at sink", self.sink.arrived)],
        )  # fmt: skip
        show("  (first hop: stage change -> task stored)", rate, achieved, stored, len(starts) - len(stored))
        return show(TWO_HOPS, rate, achieved, samples, lost)

    async def due(self, rate: int) -> dict[str, float]:
        """A task due at once -> TaskDue -> the in-app message at the SSE client (counted from TaskDue)."""
        created: dict[str, float] = {}

        async def flow(i: int) -> None:
            started = time.time()
            answer = await self.stack.client.post(
                "/api/tasks",
                json={"title": f"Reamintire {i}", "responsible_staff_id": self.watcher,
                      "deadline": datetime.now(UTC).isoformat(), "alert": {"channel": "message", "days_before": 0}},
            )  # fmt: skip
            assert answer.status_code == 201, answer.text
            created[str(answer.json()["id"])] = started

        achieved = await open_loop(rate, SECONDS, flow)
        deadline = time.perf_counter() + DRAIN_S
        while time.perf_counter() < deadline and any(k not in self.sse.arrived for k in created):
            self.stack.check_alive()
            await asyncio.sleep(0.1)
        fired = {k: self.events.due[k][0] for k in created if k in self.events.due}
        samples, lost = await collect(fired, self.sse.arrived, self.stack)
        posted = self.events.posted
        breakdown(
            "TaskDue",
            fired,
            [("TaskDue published", {k: v[1] for k, v in self.events.due.items()}),
             ("MessagePosted written", {k: v[0] for k, v in posted.items()}),
             ("published", {k: v[1] for k, v in posted.items()}), ("at the SSE client", self.sse.arrived)],
        )  # fmt: skip
        from_created = [(self.sse.arrived[k] - s) * 1000 for k, s in created.items() if k in self.sse.arrived]
        show(f"  (task created -> SSE, scheduler every {SCHEDULER_S} s)", rate, achieved, from_created, 0)
        return show(DUE, rate, achieved, samples, lost + len(created) - len(fired))


async def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="crm-bench-latency-"))
    sink = Sink(folder)
    sink.start()
    try:
        async with process_stack(
            ["partners", "opportunities", "tasks", "notifier"],
            {
                "notifier": {"smtp_host": "127.0.0.1", "smtp_port": sink.port, "deliver_poll_seconds": 1.0},
                "tasks": {"scheduler_interval_seconds": SCHEDULER_S},
            },
        ) as stack:
            await wait_healthy(f"{stack.base_url}/healthz")
            await _run(stack, sink)
    finally:
        sink.stop()


async def _run(stack: ProcessStack, sink: Sink) -> None:
    # Who the flows are for: an emailed staff member, a delegate who wants task emails, a user with a browser.
    emailed = await staff(stack, "Tehnician Fără Cont", None)
    delegate = await staff(stack, "Delegat Bench", "delegat")
    watcher = await staff(stack, "Utilizator SSE", "sse")
    partner = await stack.client.post("/api/partners", json={"kind": "client", "name": "Client Latență SRL"})
    assert partner.status_code == 201, partner.text
    partner_id = partner.json()["id"]

    async def known() -> bool:
        return all(
            [
                await count_rows(stack.database_urls["tasks"], "staff") >= 3,
                await count_rows(stack.database_urls["notifier"], "staff") >= 3,
            ]
        )

    while not await known():
        await asyncio.sleep(0.2)
    clients = [
        await settings_of(stack, "delegat", delegate, task_message=True, task_email=True),
        # Only reminders reach the SSE user as messages: task news would be messages too.
        await settings_of(stack, "sse", watcher, task_message=False, task_email=False),
    ]
    opportunities: list[str] = []

    async def open_some(worker: int) -> None:
        for i in range(worker, POOL, 8):
            while True:
                answer = await stack.client.post(
                    "/api/opportunities", json={"partner_id": partner_id, "title": f"Oportunitate {i}"}
                )
                if answer.status_code == 201:
                    break
                assert answer.status_code in (404, 409, 422), answer.text  # the partner not known yet: again
                await asyncio.sleep(0.2)
            opportunities.append(str(answer.json()["id"]))

    await asyncio.gather(*(open_some(w) for w in range(8)))
    stop = asyncio.Event()
    events = PathEvents(stack)
    sse = SseClient(clients[1])
    background = [
        asyncio.create_task(sink.watch(stop)),
        asyncio.create_task(events.run(stop)),
        asyncio.create_task(sse.run()),
    ]
    await events.ready.wait()
    await asyncio.wait_for(sse.open.wait(), 30)
    floor = await bare_floor(stack, sink)
    print(f"  bare floor (HTTP round trip + SMTP send): p50 {floor['p50']:.1f} ms, p99 {floor['p99']:.1f} ms")
    flows = Flows(stack, sink, events, sse, emailed, delegate, watcher, opportunities)
    results: dict[tuple[str, int], dict[str, float]] = {}
    try:
        for rate in RATES:
            results[(ONE_HOP, rate)] = await flows.one_hop(rate)
            results[(TWO_HOPS, rate)] = await flows.two_hops(rate)
            results[(DUE, rate)] = await flows.due(rate)
    finally:
        stop.set()
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        for c in clients:
            await c.aclose()

    goals = {
        (ONE_HOP, "p50"): "goal <= 100 ms at 50/s",
        (ONE_HOP, "p99"): "goal <= 300 ms at 50/s",
        (TWO_HOPS, "p99"): "goal <= 500 ms at 50/s",
        (DUE, "p99"): "goal <= 500 ms at 50/s",
    }
    for (path, rate), p in results.items():
        for which in ("p50", "p99"):
            report(
                Figure(
                    # The load of the path's own run: by the time of the report the flows have stopped.
                    f"latency {which}: {path}, {rate} flows/s (PG, gateway, load {p['load']:.1f})",
                    p[which],
                    floor[which],
                    "ms",
                    higher_is_better=False,
                    goal=goals.get((path, which), "—") if rate == 50 else "—",
                ),
                load=p["load"],
            )
