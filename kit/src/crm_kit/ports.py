"""The default HTTP port of every service, and a free one for throwaway servers.

One table for the settings' defaults, the gateway's route table, ``deploy/local.py`` and the
test stacks.
"""

from __future__ import annotations

import socket

GATEWAY_PORT = 8000
"""The gateway (web UI and API): the only port a user needs."""

SERVICE_PORTS: dict[str, int] = {
    "partners": 8101,
    "commercial": 8102,
    "opportunities": 8103,
    "campaigns": 8104,
    "tasks": 8105,
    "notifier": 8106,
    "mail-ingest": 8107,
}
"""Each service behind the gateway, by name (the folder under ``services/``)."""


def local_url(service: str) -> str:
    """The service's default address on this machine, as the gateway's default routes name it."""
    return f"http://127.0.0.1:{SERVICE_PORTS[service]}"


def free_port() -> int:
    """A TCP port nobody listens on right now on 127.0.0.1 (tests, benchmarks, throwaway stacks)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
