"""The authorization matrix, generated from every service's route table: a new route is checked without a new test.

For every route of every service (each Litestar app's ``app.routes``):
(a) called on the service itself without an identity token, or with a forged one, it answers 401;
(b) when it is guarded by ``requires_role``, called with a valid token of each role it does not allow, 403.

Guards and the identity middleware run before a handler's dependencies, so the apps are called
in-process, with no database, broker or lifespan. Who sees which record (owner against non-owner,
through the gateway) is ``tests/e2e/test_record_scoping.py``.
"""

from __future__ import annotations

import importlib
import uuid

import httpx
import pytest
from litestar import Litestar

from crm_kit.identity import HEADER, ROLES, Identity, issue
from crm_kit.ports import SERVICE_PORTS
from crm_kit.service import Service
from crm_kit.testing.routes import endpoints

SERVICES = [name.replace("-", "_") for name in SERVICE_PORTS]


def _service(name: str) -> Service:
    module = importlib.import_module(f"crm_{name}.bootstrap")
    if hasattr(module, "bootstrap"):
        return module.bootstrap()  # type: ignore[no-any-return]
    return module.build().service  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def apps() -> dict[str, tuple[Litestar, str]]:
    """Each service's app and identity secret, built once (nothing is started)."""
    built = {}
    for name in SERVICES:
        service = _service(name)
        built[name] = (service.app(), service.settings.identity_secret)
    return built


def _token(secret: str, role: str) -> dict[str, str]:
    who = Identity(user_id=f"u-{role}", username=f"matrix-{role}", role=role, staff_id=str(uuid.uuid4()))
    return {HEADER: issue(who, secret)}


def test_the_matrix_finds_every_service_and_the_guarded_routes(apps: dict[str, tuple[Litestar, str]]) -> None:
    found = {name: list(endpoints(app)) for name, (app, _) in apps.items()}
    assert set(found) == set(SERVICES)
    assert all(found.values()), [name for name, routes in found.items() if not routes]
    guarded = [e for routes in found.values() for e in routes if e.roles is not None]
    assert any(e.path == "/api/services" and e.method == "POST" for e in guarded), "the matrix lost the guards"


@pytest.mark.parametrize("name", SERVICES)
async def test_every_route_of_the_service_refuses_a_call_without_a_valid_identity(
    name: str, apps: dict[str, tuple[Litestar, str]]
) -> None:
    app, _ = apps[name]
    wrong: list[str] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}") as client:
        for endpoint in endpoints(app):
            url = endpoint.url()
            for headers in ({}, {HEADER: "forged.token.value"}):
                response = await client.request(endpoint.method, url, headers=headers)
                if response.status_code != 401:
                    wrong.append(f"{endpoint.method} {url} {'forged' if headers else 'none'} -> {response.status_code}")
    assert not wrong, f"{len(wrong)} routes answer without an identity: {wrong[:10]}"


@pytest.mark.parametrize("name", SERVICES)
async def test_every_role_guarded_route_of_the_service_refuses_the_other_roles(
    name: str, apps: dict[str, tuple[Litestar, str]]
) -> None:
    app, secret = apps[name]
    wrong: list[str] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}") as client:
        for endpoint in endpoints(app):
            if endpoint.roles is None:
                continue
            for role in sorted(set(ROLES) - endpoint.roles):
                response = await client.request(endpoint.method, endpoint.url(), headers=_token(secret, role))
                if response.status_code != 403:
                    wrong.append(f"{endpoint.method} {endpoint.path} as {role} -> {response.status_code}")
    assert not wrong, f"{len(wrong)} guarded routes let another role in: {wrong[:10]}"
