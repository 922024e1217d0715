"""Fixtures of the opportunities integration tests: the service on a store, an HTTP client as a user."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from crm_kit.identity import HEADER, Identity, issue
from crm_kit.service import Running, Service, start_in_background
from crm_kit.transactions import SqlUnitOfWork
from crm_opportunities.bootstrap import bootstrap
from crm_opportunities.events.publisher import KafkaPublisher
from crm_opportunities.ports import Publisher, Repository
from crm_opportunities.service_layer import UseCases
from crm_opportunities.settings import OpportunitiesSettings
from crm_opportunities.store.repository import SqlRepository

AGENT_STAFF = UUID("0190a000-0000-7000-8000-00000000a001")


@dataclass
class Opps:
    """The running service and a client calling its API as a logged-in user."""

    service: Service
    client: httpx.AsyncClient
    settings: OpportunitiesSettings

    def headers(self, role: str = "manager", staff_id: UUID | None = AGENT_STAFF) -> dict[str, str]:
        who = Identity(user_id=str(uuid4()), username="ana", role=role, staff_id=str(staff_id) if staff_id else None)
        return {HEADER: issue(who, self.settings.identity_secret, self.settings.service_name)}

    async def call(self, method: str, path: str, *, role: str = "manager", **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, path, headers=self.headers(role), **kwargs)

    async def open(self, partner_id: UUID | None = None, potential: str = "10000.00", **extra: Any) -> dict[str, Any]:
        body = {"partner_id": str(partner_id or uuid4()), "title": "ERP licences", "potential": potential, **extra}
        response = await self.call("POST", "/api/opportunities", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def stage(self, opportunity_id: str, **body: Any) -> httpx.Response:
        return await self.call("POST", f"/api/opportunities/{opportunity_id}/stage", json=body)

    def uses(self) -> UseCases:
        """The use cases on this service's store, for what other contexts would tell it by events."""
        uow = SqlUnitOfWork[Repository, Publisher](
            self.service.db, self.service.outbox, repository=SqlRepository, publisher=KafkaPublisher
        )
        return UseCases(uow)


def client_for(service: Service) -> httpx.AsyncClient:
    """An HTTP client calling the service's app in this test's event loop (its pool lives in this loop)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app()), base_url="http://opportunities")


@pytest.fixture
async def store_opps(tmp_path: Any, database_url: str) -> AsyncIterator[Opps]:
    """The service's API on a migrated store (SQLite or PostgreSQL), no broker loops running."""
    settings = OpportunitiesSettings(database_url=database_url, blob_dir=tmp_path / "blobs")
    service = bootstrap(settings)
    await service.migrate()
    async with client_for(service) as client:
        yield Opps(service, client, settings)
    await service.db.dispose()


@pytest.fixture
async def live_opps(service_env: Callable[..., dict[str, Any]]) -> AsyncIterator[Opps]:
    """The service consuming and relaying on the real broker (this test's own topics)."""
    settings = OpportunitiesSettings(**service_env("opportunities"))
    service = bootstrap(settings)
    running: Running = await start_in_background(service)
    try:
        async with client_for(service) as client:
            yield Opps(service, client, settings)
    finally:
        await running.stop()
