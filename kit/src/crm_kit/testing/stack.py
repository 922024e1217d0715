"""A whole stack in the test's event loop: the gateway plus chosen services, on free ports, on the real broker.

Usage (in an async test that has the ``service_env`` fixture)::

    async with start_stack(service_env, ["partners", "tasks"]) as stack:
        created = await stack.client.post("/api/partners", json={...})     # as admin
        agent = await stack.user_client("ana", role="agent", staff_id=sid)  # another user
        await page.goto(stack.base_url + "/login")                          # with the ``page`` fixture

Segments of services not started are routed to a closed port, so they answer 503 (never another
developer's running service).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

# Re-exported: tests and tools import them from here.
from crm_kit.discovery import bootstrap_function as bootstrap_function
from crm_kit.discovery import settings_class as settings_class
from crm_kit.ports import SERVICE_PORTS, free_port
from crm_kit.service import Running, start_in_background

ALL_PARTS = {"serve", "consume", "relay", "workers"}

CLOSED_URL = "http://127.0.0.1:9"  # the discard port: nothing listens, so calls fail fast with 503
ADMIN_PASSWORD = "admin-test-password"  # noqa: S105 - a throwaway password for test stacks
USER_PASSWORD = "secret-pass"  # noqa: S105 - the default password of users a test creates


def service_urls(ports: Mapping[str, int]) -> dict[str, str]:
    """The gateway's service URLs: the started services on their ports, every other service closed."""
    return {name: f"http://127.0.0.1:{ports[name]}" if name in ports else CLOSED_URL for name in SERVICE_PORTS}


async def wait_healthy(url: str, timeout: float = 30.0) -> None:
    """Poll ``url`` until it answers 200.

    Raises:
        TimeoutError: it did not in time.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with httpx.AsyncClient(timeout=2.0) as client:
        while loop.time() < deadline:
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{url} not healthy within {timeout}s")


@dataclass
class Stack:
    """A running gateway and services; ``client`` calls the gateway as admin."""

    base_url: str
    admin_token: str
    client: httpx.AsyncClient
    ports: dict[str, int]
    running: dict[str, Running] = field(default_factory=dict)
    _clients: list[httpx.AsyncClient] = field(default_factory=list)

    async def token(self, username: str, password: str) -> str:
        """A bearer token for a user."""
        response = await self.client.post("/api/auth/token", json={"username": username, "password": password})
        response.raise_for_status()
        return str(response.json()["access_token"])

    async def create_user(
        self, username: str, role: str = "agent", staff_id: str | None = None, password: str = USER_PASSWORD
    ) -> dict[str, Any]:
        """Create a user as admin; returns the user."""
        response = await self.client.post(
            "/api/users", json={"username": username, "password": password, "role": role, "staff_id": staff_id}
        )
        response.raise_for_status()
        return dict(response.json())

    async def user_client(
        self, username: str, role: str = "agent", staff_id: str | None = None, password: str = USER_PASSWORD
    ) -> httpx.AsyncClient:
        """Create a user and return a client calling the gateway as them (closed with the stack)."""
        await self.create_user(username, role, staff_id, password)
        client = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"authorization": f"Bearer {await self.token(username, password)}"},
            timeout=30.0,
        )
        self._clients.append(client)
        return client

    async def login(self, page: Any, username: str = "admin", password: str = ADMIN_PASSWORD) -> None:
        """Log a Playwright page in through /login."""
        await page.goto(f"{self.base_url}/login")
        await page.fill("input[name=username]", username)
        await page.fill("input[name=password]", password)
        await page.click("form[action='/login'] button[type=submit]")
        await page.wait_for_load_state()


def remember_csrf_token(client: httpx.AsyncClient, page: httpx.Response) -> None:
    """Make an httpx "browser" send its session's CSRF token (from a page's <meta>) with every request.

    The gateway refuses a form post of a session without it; a real browser sends the forms' hidden field.
    """
    found = re.search(r'<meta name="csrf-token" content="([^"]*)"', page.text)
    if not found or not found.group(1):
        raise AssertionError("the page carries no CSRF token: is the client logged in?")
    client.headers["x-csrf-token"] = found.group(1)


@asynccontextmanager
async def start_stack(
    service_env: Callable[..., dict[str, Any]],
    services: Iterable[str] = (),
    *,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    parts: set[str] | None = None,
) -> AsyncIterator[Stack]:
    """Start ``services`` and the gateway in this event loop on free ports; stop them all afterwards.

    Args:
        service_env: the plugin's ``service_env`` fixture (this test's topics, blobs, SQLite files).
        services: service names, e.g. ``["partners", "tasks", "mail-ingest"]``.
        overrides: extra settings per service name (``"gateway"`` included).
        parts: the loops to run in each service (default: serve, consume, relay, workers).
    """
    overrides = overrides or {}
    which = parts or ALL_PARTS
    ports: dict[str, int] = {}
    running: dict[str, Running] = {}
    try:
        for name in services:
            port = free_port()
            settings = settings_class(name)(**service_env(name, port=port, **dict(overrides.get(name, {}))))
            running[name] = await start_in_background(bootstrap_function(name)(settings), which)
            ports[name] = port
        for port in ports.values():
            await wait_healthy(f"http://127.0.0.1:{port}/healthz")

        gateway_port = free_port()
        gateway_settings = settings_class("gateway")(
            **service_env(
                "gateway",
                port=gateway_port,
                service_urls=service_urls(ports),
                **{
                    "admin_password": ADMIN_PASSWORD,
                    # Cheap password hashes: tests log in often on a shared 2-core machine.
                    "argon2_time_cost": 1,
                    "argon2_memory_kib": 8192,
                    **dict(overrides.get("gateway", {})),
                },
            )
        )
        running["gateway"] = await start_in_background(bootstrap_function("gateway")(gateway_settings), which)
        ports["gateway"] = gateway_port
        base_url = f"http://127.0.0.1:{gateway_port}"
        await wait_healthy(f"{base_url}/healthz")

        async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as anonymous:
            response = await anonymous.post("/api/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD})
            response.raise_for_status()
            admin_token = str(response.json()["access_token"])
        client = httpx.AsyncClient(base_url=base_url, headers={"authorization": f"Bearer {admin_token}"}, timeout=30.0)
        stack = Stack(base_url, admin_token, client, ports, running)
        try:
            yield stack
        finally:
            for extra in stack._clients:
                await extra.aclose()
            await client.aclose()
    finally:
        for name in reversed(list(running)):
            await running[name].stop()
