"""Fixtures of the partners tests: the service on this test's topics and database, and an API client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from crm_kit.identity import HEADER, Identity, issue
from crm_kit.service import Running, Service, start_in_background
from crm_partners.bootstrap import compose
from crm_partners.service_layer import UseCases
from crm_partners.settings import PartnersSettings

ADMIN = Identity(user_id="u-admin", username="admin", role="admin")
AGENT = Identity(user_id="u-agent", username="ana", role="agent")


@dataclass
class Partners:
    """The running partners service, its use cases and a client calling its API as an admin."""

    service: Service
    running: Running
    client: httpx.AsyncClient
    settings: PartnersSettings
    uses: UseCases

    def headers(self, who: Identity = ADMIN) -> dict[str, str]:
        return {HEADER: issue(who, self.settings.identity_secret, self.settings.service_name)}

    async def post(self, path: str, body: Any, who: Identity = ADMIN) -> Any:
        return await self.client.post(path, json=body, headers=self.headers(who))

    async def patch(self, path: str, body: Any, who: Identity = ADMIN) -> Any:
        return await self.client.patch(path, json=body, headers=self.headers(who))

    async def get(self, path: str, who: Identity = ADMIN, **params: Any) -> Any:
        return await self.client.get(path, params=params, headers=self.headers(who))


@pytest.fixture
async def partners_factory(service_env: Callable[..., dict[str, Any]]) -> AsyncIterator[Callable[..., Any]]:
    """Start partners services (stopped at the end of the test)."""
    started: list[Partners] = []

    async def start(database_url: str | None = None, which: set[str] | None = None, **overrides: Any) -> Partners:
        env = service_env("partners", **overrides)
        if database_url:
            env["database_url"] = database_url
        settings = PartnersSettings(**env)
        service, uses = compose(settings)
        running = await start_in_background(service, which or {"consume", "relay"})
        # httpx's ASGI transport runs the app in this test's event loop (Litestar's test client
        # runs its lifespan on another loop, which the store's async connections must not cross).
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app()), base_url="http://partners")
        started.append(Partners(service, running, client, settings, uses))
        return started[-1]

    yield start
    for p in started:
        await p.client.aclose()
        await p.running.stop()


@pytest.fixture
async def partners(partners_factory: Callable[..., Any], database_url: str) -> Partners:
    """The partners service on SQLite and on PostgreSQL, consuming and relaying."""
    p: Partners = await partners_factory(database_url)
    return p
