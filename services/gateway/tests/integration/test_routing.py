import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import sqlalchemy as sa
from litestar import get, post

from crm_gateway.bootstrap import bootstrap
from crm_gateway.domain.users import User
from crm_gateway.routing import Forwarder
from crm_gateway.settings import GatewaySettings
from crm_kit.http import create_app
from crm_kit.identity import HEADER, Identity, InvalidIdentity, issue, verify
from crm_kit.ports import free_port
from crm_kit.service import Service, start_in_background
from crm_kit.settings import ServiceSettings
from crm_kit.store import kit_tables
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
        update={
            "routes": {**gateway_settings.routes, "echo": "echo"},
            "service_urls": {**gateway_settings.service_urls, "echo": echo_service},
            "port": free_port(),
        }
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
        json={
            "username": "ana",
            "password": "ana-pass",
            "role": "agent",
            "staff_id": "7e9a1c2b-3d4f-4a5b-8c6d-7e8f9a0b1c2d",
        },
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
        "staff_id": "7e9a1c2b-3d4f-4a5b-8c6d-7e8f9a0b1c2d",
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
    forged = issue(Identity("u", "mallory", "admin"), "a-guessed-secret-that-is-32-bytes-long", "echo")
    async with httpx.AsyncClient(base_url=echo_service) as direct:
        assert (await direct.get("/api/echo/whoami")).status_code == 401
        assert (await direct.get("/api/echo/whoami", headers={HEADER: forged})).status_code == 401
        genuine = issue(Identity("u", "ana", "agent"), gateway_settings.identity_secret, "echo")
        assert (await direct.get("/api/echo/whoami", headers={HEADER: genuine})).status_code == 200


@pytest.mark.parametrize("published", ["dev-only-identity-secret-change-me", "dev-only-gateway-token-secret-change-me"])
async def test_a_service_refuses_an_identity_signed_with_a_published_dev_secret(
    echo_service: str, gateway_settings: GatewaySettings, published: str
) -> None:
    assert gateway_settings.identity_secret != published
    forged = issue(Identity("u", "mallory", "admin"), published, "echo")
    async with httpx.AsyncClient(base_url=echo_service) as direct:
        refused = await direct.post("/api/echo/items", json={"qty": 1}, headers={HEADER: forged})
    assert refused.status_code == 401
    assert "got" not in refused.text


async def test_a_service_refuses_an_identity_issued_for_another_service_or_expired(
    echo_service: str, gateway_settings: GatewaySettings
) -> None:
    ana = Identity("u", "ana", "agent")
    secret = gateway_settings.identity_secret
    for_tasks = issue(ana, secret, "tasks")
    expired = issue(ana, secret, "echo", ttl=timedelta(seconds=60), now=datetime.now(UTC) - timedelta(minutes=2))
    async with httpx.AsyncClient(base_url=echo_service) as direct:
        other = await direct.get("/api/echo/whoami", headers={HEADER: for_tasks})
        assert other.status_code == 401
        assert "another service" in other.json()["detail"]
        old = await direct.get("/api/echo/whoami", headers={HEADER: expired})
        assert old.status_code == 401
        assert "expired" in old.json()["detail"]
        assert (await direct.get("/api/echo/whoami", headers={HEADER: issue(ana, secret, "echo")})).status_code == 200


async def test_the_gateway_sends_a_one_minute_identity_for_the_owning_service_only(
    gateway_settings: GatewaySettings,
) -> None:
    forwarder = Forwarder(
        {"partners": "partners", "tasks": "tasks"},
        {"partners": "http://127.0.0.1:9", "tasks": "http://127.0.0.1:9"},
        gateway_settings.identity_secret,
        timeout=1.0,
        identity_ttl=timedelta(seconds=gateway_settings.identity_ttl_seconds),
    )
    try:
        assert forwarder.target("/api/tasks/1").service == "tasks"
        token = forwarder.identity_headers(User("u1", "ana", "agent", None), "tasks")[HEADER]
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["aud"] == "tasks"
        assert claims["exp"] - claims["iat"] == 60
        assert verify(token, gateway_settings.identity_secret, "tasks").username == "ana"
        with pytest.raises(InvalidIdentity, match="another service"):
            verify(token, gateway_settings.identity_secret, "partners")
    finally:
        await forwarder.close()


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
