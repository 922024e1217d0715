"""Shared set-up for the kit benchmarks: a throwaway service with a 1 KB event, topics of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

import httpx
import sqlalchemy as sa
from aiokafka import ConsumerRecord
from pydantic import Field
from sqlalchemy.ext.asyncio import create_async_engine

from crm_contracts import topics
from crm_contracts.base import Event
from crm_kit import kafka
from crm_kit.identity import HEADER, Identity, issue
from crm_kit.inbox import Context, Subscriptions
from crm_kit.ports import free_port
from crm_kit.service import Service
from crm_kit.settings import ServiceSettings
from crm_kit.store import kit_tables
from crm_kit.testing.stack import service_urls, wait_healthy

BOOTSTRAP = os.environ.get("CRM_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
PG_SERVER = os.environ.get("CRM_TEST_PG_URL", "postgresql+asyncpg://crm:crm@127.0.0.1:5433/postgres")


class BenchEvent(Event):
    """A 1 KB event."""

    topic: ClassVar[str] = topics.TASKS
    event_name: ClassVar[str] = "BenchHappened"
    key_field: ClassVar[str] = "item_id"
    item_id: str = Field(description="key")
    body: str = Field(description="padding to 1 KB")


def one_kb_event(i: int) -> BenchEvent:
    return BenchEvent(item_id=f"item-{i % 64}", body="x" * 980)


@asynccontextmanager
async def pg_database(label: str) -> AsyncIterator[str]:
    """A throwaway PostgreSQL database on the benchmark server: its URL, dropped afterwards."""
    name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield f"{PG_SERVER.rpartition('/')[0]}/{name}"
        finally:
            async with admin.connect() as conn:
                await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


RUN = f"bench{uuid.uuid4().hex[:6]}r"
"""The root of every topic prefix of this run: the runner deletes only its own topics, never those of a
benchmark another process is running on the same broker."""


async def fresh_prefix(partitions: int = 6) -> str:
    prefix = f"{RUN}{uuid.uuid4().hex[:8]}."
    await kafka.ensure_topics(BOOTSTRAP, kafka.all_topic_names(prefix), partitions)
    return prefix


def bench_service(name: str, prefix: str, database_url: str | None = None) -> Service:
    metadata = sa.MetaData()
    kit_tables(metadata)
    subs = Subscriptions()

    @subs.on(BenchEvent)
    async def trivial(ctx: Context, event: BenchEvent) -> None:
        return None

    folder = Path(tempfile.mkdtemp(prefix="crm-bench-"))
    settings = ServiceSettings(
        service_name=name,
        kafka_bootstrap=BOOTSTRAP,
        topic_prefix=prefix,
        database_url=database_url or f"sqlite+aiosqlite:///{folder / 'bench.db'}",
        blob_dir=folder / "blobs",
        relay_batch_size=1000,
        consumer_batch_size=1000,
    )
    return Service(name=name, settings=settings, metadata=metadata, subscriptions=subs)


async def bare_consume(
    group: str, topic: str, n: int, apply: Callable[[list[ConsumerRecord[bytes, bytes]]], Awaitable[None]]
) -> float:
    """Records/s of a bare aiokafka loop: fetch up to 1,000, ``apply`` them, commit the offsets, until ``n``.

    The baselines' loop (``apply`` does nothing, or a raw insert), and the frame a piece of our code
    is timed in on its own.
    """
    consumer = kafka.consumer(BOOTSTRAP, group, topic)
    await consumer.start()
    seen = 0
    start = time.perf_counter()
    while seen < n:
        batch = await consumer.getmany(timeout_ms=500, max_records=1000)
        records = [r for rs in batch.values() for r in rs]
        if records:
            await apply(records)
            await consumer.commit({tp: rs[-1].offset + 1 for tp, rs in batch.items() if rs})
            seen += len(records)
    elapsed = time.perf_counter() - start
    await consumer.stop()
    return n / elapsed


PROCESS_SECRET = "bench-identity-secret-" + "x" * 24
ADMIN_PASSWORD = "bench-admin-password"


@dataclass
class ProcessStack:
    """Services and the gateway, each ``python -m crm_<name> run`` in a process of its own, on PostgreSQL."""

    prefix: str
    base_url: str
    client: httpx.AsyncClient
    ports: dict[str, int]
    database_urls: dict[str, str]
    folder: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def check_alive(self) -> None:
        """Raise when one of the stack's processes has died (its log is in ``folder``).

        Raises:
            RuntimeError: a process exited.
        """
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.folder / (name + '.log')}")


def _spawn(name: str, env: dict[str, str], folder: Path) -> subprocess.Popen[bytes]:
    """``python -m crm_<name> run`` with ``env``, its output in ``folder/<name>.log``."""
    with (folder / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "crm_" + name.replace("-", "_"), "run"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM the stack's own processes (a service stops its loops cleanly), SIGKILL what hangs."""
    for proc in processes:
        proc.terminate()
    for proc in processes:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _env_key(name: str) -> str:
    return "CRM_" + name.upper().replace("-", "_") + "_"


@asynccontextmanager
async def process_stack(
    services: list[str], overrides: dict[str, dict[str, object]] | None = None
) -> AsyncIterator[ProcessStack]:
    """Start ``services`` and the gateway as processes on fresh PostgreSQL databases and fresh topics.

    As a deployment runs them (one process per service, over the machine's cores), not in the caller's
    event loop; ``overrides`` are extra settings per service name (``"gateway"`` too). The caller's
    ``client`` calls the gateway as admin. Everything is stopped, dropped and deleted afterwards.
    """
    overrides = overrides or {}
    folder = Path(tempfile.mkdtemp(prefix="crm-bench-stack-"))
    prefix = await fresh_prefix()
    ports = {name: free_port() for name in [*services, "gateway"]}
    base_env = {
        **os.environ,
        "CRM_KAFKA_BOOTSTRAP": BOOTSTRAP,
        "CRM_TOPIC_PREFIX": prefix,
        "CRM_IDENTITY_SECRET": PROCESS_SECRET,
        "CRM_BLOB_DIR": str(folder / "blobs"),
        "CRM_VAR": str(folder / "var"),
        "CRM_LOG_LEVEL": "WARNING",
        "CRM_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    stack: ProcessStack | None = None
    async with AsyncExitStack() as exits:
        urls = {name: await exits.enter_async_context(pg_database(name.replace("-", ""))) for name in ports}
        processes: dict[str, subprocess.Popen[bytes]] = {}
        try:
            for name in [*services, "gateway"]:
                key = _env_key(name)
                env = {**base_env, key + "DATABASE_URL": urls[name], key + "PORT": str(ports[name])}
                if name == "gateway":
                    env |= {
                        key + "SERVICE_URLS": json.dumps(service_urls({s: ports[s] for s in services})),
                        key + "ARGON2_TIME_COST": "1",
                        key + "ARGON2_MEMORY_KIB": "8192",
                    }
                for setting, value in overrides.get(name, {}).items():
                    env[key + setting.upper()] = json.dumps(value) if isinstance(value, dict | list) else str(value)
                processes[name] = _spawn(name, env, folder)
                if name == "gateway" or name == services[-1]:
                    # The gateway last: it reads the services' schemas when it starts.
                    for started, port in ports.items():
                        if started in processes:
                            await wait_healthy(f"http://127.0.0.1:{port}/healthz", timeout=300)
            base_url = f"http://127.0.0.1:{ports['gateway']}"
            async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as anonymous:
                answer = await anonymous.post("/api/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD})
                answer.raise_for_status()
                token = str(answer.json()["access_token"])
            client = httpx.AsyncClient(
                base_url=base_url,
                headers={"authorization": f"Bearer {token}"},
                timeout=120.0,
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=200),
            )
            stack = ProcessStack(prefix, base_url, client, ports, urls, folder, processes)
            yield stack
        finally:
            if stack is not None:
                await stack.client.aclose()
            _stop(list(processes.values()))
            await kafka.delete_topics(BOOTSTRAP, prefix)


async def user_client(
    stack: ProcessStack, username: str, role: str = "agent", staff_id: str | None = None
) -> httpx.AsyncClient:
    """Create a gateway user and return a client calling the gateway as them (the caller closes it)."""
    password = "bench-user-password"
    made = await stack.client.post(
        "/api/users", json={"username": username, "password": password, "role": role, "staff_id": staff_id}
    )
    made.raise_for_status()
    answer = await stack.client.post("/api/auth/token", json={"username": username, "password": password})
    answer.raise_for_status()
    return httpx.AsyncClient(
        base_url=stack.base_url,
        headers={"authorization": f"Bearer {answer.json()['access_token']}"},
        timeout=60.0,
    )


def load() -> str:
    """The machine's 1-minute load average, for a figure's name (the machine is shared)."""
    return f"{os.getloadavg()[0]:.1f}"


async def count_rows(url: str, table: str) -> int:
    """Rows of a table of a service's database (a check of the outcome, never timed against anything)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one())
    finally:
        await engine.dispose()


def identity_headers(settings: ServiceSettings, role: str = "agent") -> dict[str, str]:
    """The identity header of a benchmark user with ``role`` for ``settings``' service, valid for an hour."""
    identity = Identity(user_id="bench", username="bench", role=role)
    return {HEADER: issue(identity, settings.identity_secret, settings.service_name, ttl=timedelta(hours=1))}
