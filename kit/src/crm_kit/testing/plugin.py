"""Pytest plugin: session-wide real Kafka, PostgreSQL and SMTP, fresh topics and databases per test.

Kafka: ``CRM_KAFKA_BOOTSTRAP`` when set, else the project's own broker (``deploy/kafka/kafka.sh``).
PostgreSQL: ``CRM_TEST_PG_URL`` (a server URL) when set, else ``deploy/postgres/pg.sh``.
With a container engine in ``DOCKER_HOST`` (``make test-containers``), what is not set comes from containers of
the project's images instead of local processes: Kafka, PostgreSQL, the SMTP sinks, ``private_kafka``
(see ``crm_kit.testing.containers``).
Every test gets its own topic prefix, so tests never see each other's events.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import threading
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from crm_kit import kafka
from crm_kit.ports import free_port
from crm_kit.settings import project_root
from crm_kit.smtp_sink import SmtpSink
from crm_kit.testing import containers

ROOT = project_root()


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """The bootstrap address of a real, ready Kafka broker."""
    bootstrap = os.environ.get("CRM_KAFKA_BOOTSTRAP")
    if not bootstrap and containers.enabled():
        node = containers.ContainerKafka()
        try:
            asyncio.run(node.start())
            yield node.bootstrap
        finally:
            node.remove()
        return
    if not bootstrap:
        subprocess.run([str(ROOT / "deploy/kafka/kafka.sh"), "start"], check=True)
        bootstrap = "127.0.0.1:" + os.environ.get("CRM_KAFKA_PORT", "9092")
    asyncio.run(kafka.probe(bootstrap, timeout=90))
    yield bootstrap


@pytest.fixture
def topic_prefix() -> str:
    """A prefix of this test's own: its topics and consumer groups are new."""
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture
async def topics(kafka_bootstrap: str, topic_prefix: str) -> AsyncIterator[str]:
    """Create this test's topics (2 partitions each), return their prefix, delete them afterwards.

    Deleting keeps the broker's partition count bounded over a long suite (thousands of
    partitions made a 512 MB broker run out of heap).
    """
    await kafka.ensure_topics(kafka_bootstrap, kafka.all_topic_names(topic_prefix), partitions=2)
    yield topic_prefix
    try:
        await kafka.delete_topics(kafka_bootstrap, topic_prefix)
    except Exception as exc:
        warnings.warn(f"could not delete the test's topics: {exc!r}", stacklevel=1)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A PostgreSQL server URL (asyncpg) whose user may create databases."""
    url = os.environ.get("CRM_TEST_PG_URL")
    if url:
        yield url
        return
    if containers.enabled():
        server = containers.ContainerPostgres()
        try:
            yield server.start()
        finally:
            server.remove()
        return
    subprocess.run([str(ROOT / "deploy/postgres/pg.sh"), "start"], check=True, stdout=subprocess.DEVNULL)
    port = os.environ.get("CRM_PG_PORT", "5433")
    yield f"postgresql+asyncpg://crm:crm@127.0.0.1:{port}/postgres"


def _run_sync(coro: Any) -> Any:
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(coro)))
    thread.start()
    thread.join()
    return result[0] if result else None


async def _admin(server_url: str, sql: str) -> None:
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(sql))
    finally:
        await admin.dispose()


@pytest.fixture
def pg_database(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    _run_sync(_admin(pg_server_url, f'CREATE DATABASE "{name}"'))
    base, _, _ = pg_server_url.rpartition("/")
    yield f"{base}/{name}"
    _run_sync(_admin(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run the test once on SQLite and once on PostgreSQL, each a fresh database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("pg_database"))


@pytest.fixture
def smtp_sink(tmp_path: Path) -> Iterator[SmtpSink | containers.ContainerSmtpSink]:
    """A real SMTP server on a free port, storing into a Maildir of this test."""
    sink: SmtpSink | containers.ContainerSmtpSink
    if containers.enabled():
        sink = containers.ContainerSmtpSink(tmp_path / "maildir")
    else:
        sink = SmtpSink(tmp_path / "maildir", port=free_port())
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def service_env(kafka_bootstrap: str, topics: str, tmp_path: Path) -> Callable[..., dict[str, Any]]:
    """Settings overrides that point a service at this test's Kafka topics, blobs and SQLite file."""

    def make(service: str, **overrides: Any) -> dict[str, Any]:
        values: dict[str, Any] = {
            "kafka_bootstrap": kafka_bootstrap,
            "topic_prefix": topics,
            "topic_partitions": 2,
            "blob_dir": tmp_path / "blobs",
            "database_url": f"sqlite+aiosqlite:///{tmp_path / (service + '.db')}",
            "retry_backoff_seconds": 0.01,
            "relay_poll_seconds": 0.2,
        }
        values.update(overrides)
        return values

    return make


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive TCP ports nobody listens on right now."""
    for _ in range(100):
        first = free_port()
        try:
            for port in range(first, first + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError(f"no {count} consecutive free ports")


class KafkaNode:
    """A broker (or a cluster of ``brokers`` nodes) of one test's own, so the test can stop and kill it."""

    def __init__(self, data: Path, brokers: int = 1) -> None:
        first = free_ports(2 * brokers)
        self.brokers = brokers
        self.port = first
        self.controller_port = first + 1
        self.env = {
            **os.environ,
            "CRM_KAFKA_BROKERS": str(brokers),
            "CRM_KAFKA_PORT": str(self.port),
            "CRM_KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "CRM_KAFKA_DATA": str(data),
            "CRM_KAFKA_HEAP": os.environ.get("CRM_KAFKA_HEAP", "512m"),
        }
        self.bootstrap = ",".join(f"127.0.0.1:{self.port + 2 * i}" for i in range(brokers))

    def _script(self, *command: str) -> None:
        subprocess.run(
            [str(ROOT / "deploy/kafka/kafka.sh"), *command], check=True, env=self.env, stdout=subprocess.DEVNULL
        )

    async def start(self) -> None:
        self._script("start")
        await kafka.probe(self.bootstrap, timeout=120)
        deadline = time.monotonic() + 60
        while await kafka.cluster_size(self.bootstrap) < self.brokers:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only some of the {self.brokers} brokers registered")
            await asyncio.sleep(0.5)

    def stop(self) -> None:
        self._script("stop")

    def kill(self, node: int | None = None) -> None:
        """SIGKILL one node (1-based), or every node."""
        self._script("kill", *([str(node)] if node else []))

    def start_node(self, node: int) -> None:
        """Start one node again (after ``kill(node)``)."""
        self._script("start-node", str(node))


@pytest.fixture
async def private_kafka(tmp_path: Path) -> Any:
    """A Kafka broker for this test alone (for tests that stop or kill the broker)."""
    if containers.enabled():
        container = containers.ContainerKafka()
        try:
            await container.start()
            yield container
        finally:
            container.remove()
        return
    node = KafkaNode(tmp_path / "kafka")
    try:
        await node.start()
        yield node
    finally:
        node.stop()


@pytest.fixture
async def kafka_cluster(tmp_path: Path) -> Any:
    """A three-node Kafka cluster for this test alone (topics replicated 3 times, min.insync.replicas 2)."""
    cluster = KafkaNode(tmp_path / "kafka", brokers=3)
    try:
        await cluster.start()
        yield cluster
    finally:
        cluster.stop()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _ensure_chromium() -> None:
    """Install the system Chromium when it is missing (what deploy/install.sh does)."""
    if not Path(CHROMIUM).exists():
        subprocess.run(["apt-get", "install", "-y", "chromium"], check=True, stdout=subprocess.DEVNULL)


@pytest.fixture(scope="session")
async def browser() -> Any:
    """A headless Chromium (Playwright, async API) shared by the session's UI tests."""
    from playwright.async_api import async_playwright

    _ensure_chromium()
    playwright = await async_playwright().start()
    chromium = await playwright.chromium.launch(headless=True, executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    await chromium.close()
    await playwright.stop()


@pytest.fixture
async def page(browser: Any) -> Any:
    """A fresh browser context and page for one test (own cookies), closed afterwards."""
    context = await browser.new_context(locale="ro-RO", timezone_id="Europe/Bucharest")
    context.set_default_timeout(15000)
    new_page = await context.new_page()
    yield new_page
    await context.close()
