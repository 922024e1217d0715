"""The authorization matrix, generated from every service's route table: a new route is checked without a new test.

For every route of every service (each Litestar app's ``app.routes``):
(a) called on the service itself without an identity token, with a forged one or with one addressed to another
    service, it answers 401;
(b) when it is guarded by ``requires_role``, called with a valid token of each role it does not allow, 403.

Guards and the identity middleware run before a handler's dependencies, so the apps are called
in-process, with no database, broker or lifespan. Who sees which record (owner against non-owner,
through the gateway) is ``tests/e2e/test_record_scoping.py``.
"""

from __future__ import annotations

import importlib
import uuid
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Built:
    """A service's app, its identity secret and its name (the audience its tokens must name)."""

    app: Litestar
    secret: str
    audience: str


@pytest.fixture(scope="module")
def apps() -> dict[str, Built]:
    """Each service's app, built once (nothing is started)."""
    built = {}
    for name in SERVICES:
        service = _service(name)
        built[name] = Built(service.app(), service.settings.identity_secret, service.name)
    return built


def _token(built: Built, role: str, audience: str | None = None) -> dict[str, str]:
    who = Identity(user_id=f"u-{role}", username=f"matrix-{role}", role=role, staff_id=str(uuid.uuid4()))
    return {HEADER: issue(who, built.secret, audience or built.audience)}


def test_the_matrix_finds_every_service_and_the_guarded_routes(apps: dict[str, Built]) -> None:
    found = {name: list(endpoints(built.app)) for name, built in apps.items()}
    assert set(found) == set(SERVICES)
    assert all(found.values()), [name for name, routes in found.items() if not routes]
    guarded = [e for routes in found.values() for e in routes if e.roles is not None]
    assert any(e.path == "/api/services" and e.method == "POST" for e in guarded), "the matrix lost the guards"


@pytest.mark.parametrize("name", SERVICES)
async def test_every_route_of_the_service_refuses_a_call_without_a_valid_identity(
    name: str, apps: dict[str, Built]
) -> None:
    built = apps[name]
    other = next(b.audience for b in apps.values() if b.audience != built.audience)
    refused = {
        "none": {},
        "forged": {HEADER: "forged.token.value"},
        f"a token for {other}": _token(built, "admin", audience=other),
    }
    wrong: list[str] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=built.app), base_url=f"http://{name}") as client:
        for endpoint in endpoints(built.app):
            url = endpoint.url()
            for label, headers in refused.items():
                response = await client.request(endpoint.method, url, headers=headers)
                if response.status_code != 401:
                    wrong.append(f"{endpoint.method} {url} {label} -> {response.status_code}")
    assert not wrong, f"{len(wrong)} routes answer without an identity: {wrong[:10]}"


@pytest.mark.parametrize("name", SERVICES)
async def test_every_role_guarded_route_of_the_service_refuses_the_other_roles(
    name: str, apps: dict[str, Built]
) -> None:
    built = apps[name]
    wrong: list[str] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=built.app), base_url=f"http://{name}") as client:
        for endpoint in endpoints(built.app):
            if endpoint.roles is None:
                continue
            for role in sorted(set(ROLES) - endpoint.roles):
                response = await client.request(endpoint.method, endpoint.url(), headers=_token(built, role))
                if response.status_code != 403:
                    wrong.append(f"{endpoint.method} {endpoint.path} as {role} -> {response.status_code}")
    assert not wrong, f"{len(wrong)} guarded routes let another role in: {wrong[:10]}"
