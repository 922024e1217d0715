"""A running campaigns service on the real broker, an HTTP client acting as a manager, and event helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from crm_campaigns.bootstrap import bootstrap
from crm_campaigns.settings import CampaignsSettings
from crm_contracts.base import Envelope, Event
from crm_kit.identity import HEADER, Identity, issue
from crm_kit.service import Running, Service, start_in_background
from crm_kit.testing import eventually, publish


@dataclass
class World:
    service: Service
    running: Running
    client: httpx.AsyncClient
    bootstrap_servers: str
    prefix: str
    secret: str

    def headers(self, role: str = "manager") -> dict[str, str]:
        return {HEADER: issue(Identity(user_id="u1", username="maria", role=role), self.secret, "campaigns")}

    async def publish(self, *events: Event) -> list[Envelope]:
        return await publish(self.bootstrap_servers, self.prefix, *events)

    async def redeliver(self, envelope: Envelope, event: Event) -> None:
        """The same record again, with the same ce_id (what a broker or relay retry does)."""
        await publish(self.bootstrap_servers, self.prefix, event, event_id=envelope.id)

    async def get(self, path: str, **params: Any) -> Any:
        response = await self.client.get(path, params=params, headers=self.headers())
        assert response.status_code == 200, response.text
        return response.json()

    async def post(self, path: str, body: Any, expect: int | None = None) -> Any:
        response = await self.client.post(path, json=body, headers=self.headers())
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    async def handled(self, count: int, *, distinct: int | None = None) -> None:
        """Wait until the consumer has seen ``count`` events (handled or skipped as duplicates) and the
        ``distinct`` new ones among them (default: all) are committed with their effects."""

        async def seen() -> bool:
            stats = self.service.consumer.stats
            return stats.handled + stats.skipped_duplicates >= count

        async def committed() -> bool:
            async with self.service.db.read() as conn:
                rows = (await conn.execute(sa.select(sa.func.count()).select_from(inbox))).scalar_one()
            return int(rows) >= (count if distinct is None else distinct)

        inbox = self.service.metadata.tables["inbox"]
        await eventually(seen, timeout=40)
        await eventually(committed, timeout=40)

    async def until(self, check: Callable[[], Awaitable[Any]]) -> Any:
        return await eventually(check, timeout=40)


@pytest.fixture
async def world(
    service_env: Callable[..., dict[str, Any]], kafka_bootstrap: str, topics: str, request: pytest.FixtureRequest
) -> AsyncIterator[World]:
    overrides: dict[str, Any] = {}
    if "database_url" in request.fixturenames:
        overrides["database_url"] = request.getfixturevalue("database_url")
    settings = CampaignsSettings(**service_env("campaigns", **overrides))
    service = bootstrap(settings)
    running = await start_in_background(service)
    app = service.app()
    app.debug = True  # a 500 shows its traceback in the failing assertion
    # httpx's ASGI transport runs the app on this test's loop, beside the consumer and relay; Litestar's
    # AsyncTestClient would run it on a second loop in a thread and block this one while it waits.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://campaigns") as client:
        yield World(service, running, client, kafka_bootstrap, topics, settings.identity_secret)
    await running.stop()
