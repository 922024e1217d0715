"""Fixtures of the commercial tests: the service on this test's topics, an HTTP client as a user, a partner."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from crm_commercial.bootstrap import bootstrap
from crm_commercial.domain.partners import Partner
from crm_commercial.settings import CommercialSettings
from crm_commercial.store.repository import SqlRepository
from crm_kit.identity import HEADER, Identity, issue
from crm_kit.service import Service

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


@dataclass
class Commercial:
    service: Service
    http: httpx.AsyncClient
    settings: CommercialSettings

    async def add_partner(self, name: str = "Șantierul Naval Constanța S.A.", kind: str = "client") -> str:
        """Put a partner in the read model, as PartnerRegistered would."""
        partner_id = str(uuid.uuid4())
        async with self.service.db.transaction() as conn:
            await SqlRepository(conn).save_partner(
                Partner(partner_id, kind, name, "RO1234567", "Constanța", "Constanța", "Str. Ștefan cel Mare 1"), NOW
            )
        return partner_id

    def as_role(self, role: str) -> dict[str, str]:
        """Headers that call the service as a user with ``role``."""
        return headers(self.settings, role)

    async def add_article(self, code: str, price: str, vat_rate: str, name: str | None = None, **extra: Any) -> None:
        body = {"code": code, "name": name or f"Articol {code}", "unit": "buc", "price": price, "vat_rate": vat_rate}
        response = await self.http.post("/api/articles", json={**body, **extra})
        assert response.status_code == 201, response.text


def headers(settings: CommercialSettings, role: str = "manager") -> dict[str, str]:
    token = issue(
        Identity(user_id="u1", username="ana", role=role),
        settings.identity_secret,
        settings.service_name,
        ttl=timedelta(hours=1),  # one client keeps it for a whole test
    )
    return {HEADER: token}


@pytest.fixture
def make_commercial(service_env: Callable[..., dict[str, Any]]) -> Callable[..., Any]:
    """Build, migrate and expose the service over HTTP in this test's event loop.

    httpx's ASGI transport runs the app in the test's own loop; Litestar's AsyncTestClient would run it in a
    portal thread and block this loop meanwhile, freezing the consumer mid-transaction (a SQLite deadlock).
    """

    async def make(clock: Callable[[], datetime] = lambda: NOW, **overrides: Any) -> Commercial:
        settings = CommercialSettings(**service_env("commercial", **overrides))
        service = bootstrap(settings, clock=clock)
        await service.migrate()
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=service.app()), base_url="http://commercial", headers=headers(settings)
        )
        return Commercial(service, client, settings)

    return make


@pytest.fixture
async def commercial(make_commercial: Callable[..., Any]) -> AsyncIterator[Commercial]:
    c = await make_commercial()
    yield c
    await c.http.aclose()
    await c.service.db.dispose()
