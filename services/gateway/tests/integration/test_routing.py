import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from litestar import get, post

from crm_gateway.bootstrap import bootstrap
from crm_gateway.settings import GatewaySettings
from crm_kit.http import create_app
from crm_kit.identity import HEADER, Identity, issue
from crm_kit.service import Service, start_in_background
from crm_kit.settings import ServiceSettings
from crm_kit.store import kit_tables
from crm_kit.testing.plugin import free_port
from crm_kit.testing.stack import wait_healthy


@get("/api/echo/whoami")
async def whoami(identity: Identity, q: str | None = None) -> dict[str, Any]:
    return {
        "user_id": identity.user_id,
        "username": identity.username,
        "role": identity.role,
        "staff_id": identity.staff_id,
        "q": q,
    }


@post("/api/echo/items")
async def create_item(data: dict[str, int], identity: Identity) -> dict[str, Any]:
    return {"got": data, "by": identity.username}


@pytest.fixture
async def echo_service(tmp_path: Path, gateway_settings: GatewaySettings) -> AsyncIterator[str]:
    """A tiny service built with the kit's create_app, served on a free port; yields its base URL."""
    settings = ServiceSettings(
        service_name="echo",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'echo.db'}",
        port=free_port(),
        identity_secret=gateway_settings.identity_secret,
    )
    metadata = sa.MetaData()
    kit_tables(metadata)
    service = Service("echo", settings, metadata, app_factory=lambda s: create_app(s, [whoami, create_item]))
    stop = asyncio.Event()
    task = asyncio.create_task(service.serve(stop))
    base = f"http://127.0.0.1:{settings.port}"
    await wait_healthy(f"{base}/healthz")
    yield base
    stop.set()
    await task
    await service.db.dispose()


@pytest.fixture
async def routed_gateway(gateway_settings: GatewaySettings, echo_service: str) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway served on a free port in this loop (so it and the echo service answer concurrently)."""
    settings = gateway_settings.model_copy(
        update={"routes": {**gateway_settings.routes, "echo": echo_service}, "port": free_port()}
    )
    running = await start_in_background(bootstrap(settings), {"serve"})
    base = f"http://127.0.0.1:{settings.port}"
    await wait_healthy(f"{base}/healthz")
    async with httpx.AsyncClient(base_url=base) as client:
        yield client
    await running.stop()


async def test_the_gateway_forwards_the_callers_identity_to_the_owning_service(
    routed_gateway: httpx.AsyncClient,
) -> None:
    gw = routed_gateway
    admin = await gw.post("/api/auth/token", json={"username": "admin", "password": "admin-pass-1"})
    admin_headers = {"authorization": f"Bearer {admin.json()['access_token']}"}
    created = await gw.post(
        "/api/users",
        json={"username": "ana", "password": "ana-pass", "role": "agent", "staff_id": "staff-7"},
        headers=admin_headers,
    )
    ana = await gw.post("/api/auth/token", json={"username": "ana", "password": "ana-pass"})
    ana_headers = {"authorization": f"Bearer {ana.json()['access_token']}"}

    seen = await gw.get("/api/echo/whoami", params={"q": "ă ș"}, headers=ana_headers)
    assert seen.status_code == 200, seen.text
    assert seen.json() == {
        "user_id": created.json()["id"],
        "username": "ana",
        "role": "agent",
        "staff_id": "staff-7",
        "q": "ă ș",
    }

    posted = await gw.post("/api/echo/items", json={"qty": 3}, headers=ana_headers)
    assert (posted.status_code, posted.json()) == (201, {"got": {"qty": 3}, "by": "ana"})
    bad = await gw.post("/api/echo/items", json={"qty": "three"}, headers=ana_headers)
    assert bad.status_code == 400
    assert "Expected `int`, got `str`" in bad.text


async def test_a_service_rejects_calls_that_do_not_come_through_the_gateway(
    echo_service: str, gateway_settings: GatewaySettings
) -> None:
    forged = issue(Identity("u", "mallory", "admin"), "a-guessed-secret-that-is-32-bytes-long")
    async with httpx.AsyncClient(base_url=echo_service) as direct:
        assert (await direct.get("/api/echo/whoami")).status_code == 401
        assert (await direct.get("/api/echo/whoami", headers={HEADER: forged})).status_code == 401
        genuine = issue(Identity("u", "ana", "agent"), gateway_settings.identity_secret)
        assert (await direct.get("/api/echo/whoami", headers={HEADER: genuine})).status_code == 200


async def test_the_api_schema_merges_the_gateway_and_every_reachable_service(
    routed_gateway: httpx.AsyncClient, echo_service: str
) -> None:
    token = await routed_gateway.post("/api/auth/token", json={"username": "admin", "password": "admin-pass-1"})
    schema = (
        await routed_gateway.get("/api/schema", headers={"authorization": f"Bearer {token.json()['access_token']}"})
    ).json()
    assert {"/api/users", "/api/auth/token", "/api/echo/whoami", "/api/echo/items"} <= set(schema["paths"])
    assert schema["x-crm-services"][echo_service] == "reachable"
    assert schema["x-crm-services"]["http://127.0.0.1:9"] == "unreachable"
