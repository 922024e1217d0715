"""Fixtures of the gateway's tests: an in-process gateway app on a fresh SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from crm_gateway.bootstrap import bootstrap
from crm_gateway.settings import GatewaySettings
from crm_kit.ports import SERVICE_PORTS
from crm_kit.service import Service

ADMIN_PASSWORD = "admin-pass-1"


@pytest.fixture
def gateway_settings(tmp_path: Path) -> GatewaySettings:
    """Settings of a gateway whose services are all down (a closed port)."""
    return GatewaySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
        blob_dir=tmp_path / "blobs",
        blob_max_bytes=64 * 1024,
        admin_password=ADMIN_PASSWORD,
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        service_urls=dict.fromkeys(SERVICE_PORTS, "http://127.0.0.1:9"),
    )


@pytest.fixture
async def gateway_service(gateway_settings: GatewaySettings) -> AsyncIterator[Service]:
    service = bootstrap(gateway_settings)
    await service.migrate()
    yield service
    await service.db.dispose()


@pytest.fixture
async def gateway(gateway_service: Service) -> AsyncIterator[AsyncTestClient[Any]]:
    """The gateway app, started (first admin created), called in-process."""
    async with AsyncTestClient(app=gateway_service.app()) as client:
        yield client


LoginFn = Callable[[str, str], Awaitable[dict[str, str]]]


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
def login(gateway: AsyncTestClient[Any]) -> LoginFn:
    """``await login(username, password)`` -> headers with that user's bearer token."""

    async def headers(username: str, password: str) -> dict[str, str]:
        response = await gateway.post("/api/auth/token", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return bearer(str(response.json()["access_token"]))

    return headers


@pytest.fixture
async def admin(login: LoginFn) -> dict[str, str]:
    """Headers of the first admin."""
    return await login("admin", ADMIN_PASSWORD)
