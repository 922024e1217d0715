"""The test stack's Kafka, PostgreSQL and SMTP sink as containers of the project's own images (testcontainers).

Used when a container engine is reachable through ``DOCKER_HOST`` (e.g. ``podman system service``, see
``deploy/images/engine.sh``) and ``CRM_TEST_CONTAINERS`` is not ``0``; the plugin runs local processes otherwise.
The images are the ones ``make images`` builds (``localhost/crm-kafka``, ``localhost/crm-postgres``,
``localhost/crm``): no registry is needed, so testcontainers' reaper is disabled and every fixture stops its
containers itself.
"""

from __future__ import annotations

import asyncio
import mailbox
import os
import socket
import time
import uuid
from pathlib import Path
from typing import Any

from crm_kit import kafka

TAG = os.environ.get("CRM_IMAGE_TAG", "latest")
KAFKA_IMAGE = f"localhost/crm-kafka:{TAG}"
POSTGRES_IMAGE = f"localhost/crm-postgres:{TAG}"
APP_IMAGE = f"localhost/crm:{TAG}"


def enabled() -> bool:
    """Whether the test stack runs in containers: an engine is configured and not switched off."""
    return bool(os.environ.get("DOCKER_HOST")) and os.environ.get("CRM_TEST_CONTAINERS", "1") != "0"


def _container(image: str) -> Any:
    # The reaper (Ryuk) is an image from a registry this project does not use: fixtures clean up instead.
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    from testcontainers.core.container import DockerContainer

    return DockerContainer(image)


def _remove(container: Any) -> None:
    """Remove a started container with its anonymous volumes (the images declare their data folders VOLUMEs)."""
    wrapped = container.get_wrapped_container()
    if wrapped is not None:  # None: it never started
        wrapped.remove(force=True, v=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_tcp(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing answers on 127.0.0.1:{port} after {timeout:.0f}s") from None
            time.sleep(0.2)


class ContainerKafka:
    """One KRaft Kafka node in a container, with the interface of the plugin's ``KafkaNode`` (one broker).

    The host port is chosen before the start so the broker can advertise it; ``stop`` and ``start`` keep the
    container (and its data), as stopping and starting a local broker does.
    """

    brokers = 1

    def __init__(self) -> None:
        self.port = _free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._container = (
            _container(KAFKA_IMAGE)
            .with_bind_ports(9092, self.port)
            .with_env("KAFKA_ADVERTISED", self.bootstrap)
            .with_env("KAFKA_HEAP", os.environ.get("CRM_KAFKA_HEAP", "512m"))
            .with_name(f"crm-test-kafka-{uuid.uuid4().hex[:8]}")
        )
        self._started = False

    async def start(self) -> None:
        """Start the container (the first time) or start it again; return when the broker answers."""
        if not self._started:
            await asyncio.to_thread(self._container.start)
            self._started = True
        else:
            await asyncio.to_thread(self._container.get_wrapped_container().start)
        await kafka.probe(self.bootstrap, timeout=120)

    def stop(self) -> None:
        """Stop the broker gracefully; the container and its data stay."""
        self._container.get_wrapped_container().stop(timeout=30)

    def kill(self, node: int | None = None) -> None:
        """SIGKILL the broker (``node`` is accepted for the ``KafkaNode`` interface: there is one)."""
        self._container.get_wrapped_container().kill()

    def start_node(self, node: int) -> None:
        """Start the broker again after ``kill``."""
        self._container.get_wrapped_container().start()

    def remove(self) -> None:
        """Remove the container and its data."""
        _remove(self._container)


class ContainerPostgres:
    """A PostgreSQL server in a container; ``url`` is a server URL whose user may create databases."""

    def __init__(self) -> None:
        self._container = (
            _container(POSTGRES_IMAGE)
            .with_env("POSTGRES_USER", "crm")
            .with_env("POSTGRES_PASSWORD", "crm")
            .with_env("POSTGRES_DATABASES", "crm")
            .with_exposed_ports(5432)
            .with_name(f"crm-test-postgres-{uuid.uuid4().hex[:8]}")
        )
        self.url = ""

    def start(self) -> str:
        """Start the server and return its URL once it accepts connections."""
        self._container.start()
        port = int(self._container.get_exposed_port(5432))
        _wait_tcp(port, timeout=60)
        self.url = f"postgresql+asyncpg://crm:crm@127.0.0.1:{port}/postgres"
        asyncio.run(self._wait_sql())
        return self.url

    async def _wait_sql(self) -> None:
        # The entrypoint restarts the server once after creating the databases: wait for a real query.
        import sqlalchemy as sa
        from sqlalchemy.ext.asyncio import create_async_engine

        deadline = time.monotonic() + 60
        while True:
            engine = create_async_engine(self.url)
            try:
                async with engine.connect() as conn:
                    await conn.execute(sa.text("SELECT 1"))
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.3)
            finally:
                await engine.dispose()

    def remove(self) -> None:
        """Stop and remove the container and its data."""
        _remove(self._container)


class ContainerSmtpSink:
    """The project's SMTP sink (``python -m crm_kit.smtp_sink``) in a container, storing into a host Maildir."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        self.host = "127.0.0.1"
        self.port = _free_port()
        for sub in ("tmp", "new", "cur"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)
        self._container = (
            _container(APP_IMAGE)
            .with_command("python -m crm_kit.smtp_sink --host 0.0.0.0 --port 2525 --maildir /maildir")
            .with_bind_ports(2525, self.port)
            .with_volume_mapping(str(maildir), "/maildir", "rw")
            .with_kwargs(user=f"{os.getuid()}:{os.getgid()}")  # writes the Maildir as the test's user
            .with_name(f"crm-test-smtp-{uuid.uuid4().hex[:8]}")
        )

    def start(self) -> None:
        """Start the sink; return when it accepts connections."""
        self._container.start()
        _wait_tcp(self.port, timeout=60)

    def stop(self) -> None:
        """Stop and remove the container (the Maildir stays)."""
        _remove(self._container)

    def messages(self) -> list[mailbox.MaildirMessage]:
        """Every message received so far."""
        box = mailbox.Maildir(str(self.maildir), create=True)
        return [box[key] for key in box.keys()]  # noqa: SIM118 - Maildir is not a dict
