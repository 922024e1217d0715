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
import inspect
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from crm_kit.identity import HEADER, ROLES, Identity, issue
from crm_kit.ports import SERVICE_PORTS
from crm_kit.service import Service

SERVICES = [name.replace("-", "_") for name in SERVICE_PORTS]
OPEN = re.compile(r"^/(healthz|readyz|schema)")
"""What the identity middleware leaves open (crm_kit.identity.IdentityMiddleware)."""

_PARAM = re.compile(r"\{(\w+):(\w+)\}")
_SAMPLES = {"uuid": lambda: str(uuid.uuid4()), "int": lambda: "1", "path": lambda: "x", "str": lambda: "x"}


@dataclass(frozen=True)
class Endpoint:
    """One method of one route, and the roles its ``requires_role`` guards allow (None: no role guard)."""

    method: str
    path: str
    roles: frozenset[str] | None

    def url(self) -> str:
        """The path with a plausible value for each parameter (a random id names nothing)."""
        return _PARAM.sub(lambda m: _SAMPLES.get(m.group(2), _SAMPLES["str"])(), self.path)


def _service(name: str) -> Service:
    module = importlib.import_module(f"crm_{name}.bootstrap")
    if hasattr(module, "bootstrap"):
        return module.bootstrap()  # type: ignore[no-any-return]
    return module.build().service  # type: ignore[no-any-return]


def _roles(guards: list[object], where: str) -> frozenset[str] | None:
    """The roles every ``requires_role`` guard allows together; an unknown kind of guard fails the test."""
    allowed: frozenset[str] | None = None
    for guard in guards:
        if getattr(guard, "__qualname__", "") != "requires_role.<locals>.guard":
            raise AssertionError(f"{where}: a guard this matrix does not know ({guard!r}): teach it the guard")
        roles = frozenset(inspect.getclosurevars(guard).nonlocals["roles"])  # type: ignore[arg-type]
        allowed = roles if allowed is None else allowed & roles
    return allowed


def endpoints(app: Litestar) -> Iterator[Endpoint]:
    """Every (method, route) of an app that needs an identity, with the roles its guards allow."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or OPEN.match(route.path):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                guards = [g for layer in handler.ownership_layers for g in (getattr(layer, "guards", None) or [])]
                yield Endpoint(method, route.path, _roles(guards, f"{method} {route.path}"))


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
