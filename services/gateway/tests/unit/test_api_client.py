"""The pages' ApiClient: a service's route goes straight to that service, a gateway route to its use case."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from crm_gateway.domain.users import User
from crm_gateway.routing import Forwarder
from crm_gateway.service_layer import CreateUser
from crm_gateway.ui import problems
from crm_gateway.ui.api import ApiClients, ApiError
from crm_gateway.ui.own_api import OwnApi
from crm_kit.blobs import BlobStore
from crm_kit.identity import verify

from .fakes import World, world

SECRET = "identity-secret-for-unit-tests-0123456789"
ROUTES = {"partners": "partners", "staff": "partners", "tasks": "tasks"}
URLS = {"partners": "http://partners.test", "tasks": "http://tasks.test"}


class Services:
    """The services as an httpx transport: records each request and answers 200 with its path (or 409 when told)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.in_progress = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.in_progress:
            self.in_progress -= 1
            extra = {"idempotency_key": "k", "state": "in_progress"}
            return httpx.Response(409, json={"detail": "busy", "extra": extra})
        return httpx.Response(200, json={"path": request.url.path, "query": request.url.query.decode()})


def _clients(w: World, services: Services, tmp_path: Path) -> ApiClients:
    forwarder = Forwarder(ROUTES, URLS, SECRET, 5.0, timedelta(minutes=5))
    forwarder.client = httpx.AsyncClient(transport=httpx.MockTransport(services))
    return ApiClients(forwarder, OwnApi(w.uses, BlobStore(tmp_path, max_bytes=1024), forwarder))


ANA = User("0190a000-0000-7000-8000-0000000000a1", "ana", "agent", "0190a000-0000-7000-8000-00000000a001")


async def test_a_service_route_goes_to_the_owning_service_with_one_identity_token_per_service(tmp_path: Path) -> None:
    services = Services()
    api = _clients(world(), services, tmp_path).client(ANA)
    assert await api.get("/api/partners", params={"name": None, "kind": "lead"}) == {
        "path": "/api/partners",
        "query": "kind=lead",
    }
    await api.get("/api/partners/1")
    await api.get("/api/tasks")
    hosts = [r.url.host for r in services.requests]
    assert hosts == ["partners.test", "partners.test", "tasks.test"]
    tokens = [r.headers["x-crm-identity"] for r in services.requests]
    assert tokens[0] == tokens[1] != tokens[2]  # minted once per service for the page request
    assert verify(tokens[0], SECRET, "partners").user_id == ANA.id
    assert verify(tokens[2], SECRET, "tasks").user_id == ANA.id
    assert all("authorization" not in r.headers for r in services.requests)  # no bearer token is minted


async def test_the_writes_of_a_submitted_form_carry_its_key_numbered_in_order(tmp_path: Path) -> None:
    services = Services()
    api = _clients(world(), services, tmp_path).client(ANA, idempotency_key="form-1")
    await api.get("/api/partners")
    await api.post("/api/partners", json={"name": "Alfa"})
    await api.patch("/api/tasks/1", json={"title": "x"})
    keys = [r.headers.get("idempotency-key") for r in services.requests]
    assert keys == [None, "form-1.1", "form-1.2"]


async def test_a_double_submit_still_running_is_waited_for_under_the_same_key(tmp_path: Path) -> None:
    services = Services()
    services.in_progress = 1
    api = _clients(world(), services, tmp_path).client(ANA, idempotency_key="form-2")
    assert (await api.post("/api/partners", json={"name": "Alfa"}))["path"] == "/api/partners"
    assert [r.headers["idempotency-key"] for r in services.requests] == ["form-2.1", "form-2.1"]


async def test_a_path_no_service_owns_or_that_is_not_a_plain_url_is_an_api_error(tmp_path: Path) -> None:
    services = Services()
    api = _clients(world(), services, tmp_path).client(ANA)
    with pytest.raises(ApiError) as unknown:
        await api.get("/api/nothing-here")
    assert unknown.value.status == 404
    with pytest.raises(ApiError) as dotted:
        await api.get("/api/partners/../tasks")
    assert dotted.value.status == 400
    assert services.requests == []


async def test_the_gateways_own_routes_are_answered_by_its_use_cases_without_any_http(tmp_path: Path) -> None:
    w, services = world(), Services()
    admin = await w.uses.create_user(CreateUser("boss", "pass1", "admin"))
    clients = _clients(w, services, tmp_path)
    me = await clients.client(admin).get("/api/users/me")
    assert (me["username"], me["role"]) == ("boss", "admin")
    created = await clients.client(admin).post(
        "/api/users", json={"username": "ana", "password": "pass1", "role": "agent"}
    )
    assert created["username"] == "ana"
    page = await clients.client(admin).get("/api/users", params={"limit": 10})
    assert [u["username"] for u in page["items"]] == ["ana", "boss"]
    assert services.requests == []


async def test_an_agent_may_not_list_or_create_users_through_the_pages_either(tmp_path: Path) -> None:
    w = world()
    agent = await w.uses.create_user(CreateUser("ana", "pass1", "agent"))
    api = _clients(w, Services(), tmp_path).client(agent)
    with pytest.raises(ApiError) as listing:
        await api.get("/api/users")
    with pytest.raises(ApiError) as creating:
        await api.post("/api/users", json={"username": "ion", "password": "pass1", "role": "admin"})
    assert (listing.value.status, creating.value.status) == (403, 403)
    assert len(w.repo.accounts) == 1


async def test_a_bad_user_body_is_a_4xx_naming_the_field_and_stores_nothing(tmp_path: Path) -> None:
    w = world()
    admin = await w.uses.create_user(CreateUser("boss", "pass1", "admin"))
    api = _clients(w, Services(), tmp_path).client(admin)
    with pytest.raises(ApiError) as missing:
        await api.post("/api/users", json={"username": "ion", "role": "agent"})
    assert missing.value.status == 400 and "password" in missing.value.detail
    with pytest.raises(ApiError) as bad_staff:
        await api.post("/api/users", json={"username": "ion", "password": "pass1", "role": "agent", "staff_id": "x"})
    assert bad_staff.value.status == 400 and "staff_id" in bad_staff.value.detail
    with pytest.raises(ApiError) as short:
        await api.post("/api/users", json={"username": "ion", "password": "p", "role": "agent"})
    assert short.value.status == 422
    assert len(w.repo.accounts) == 1


async def test_a_password_change_through_the_pages_is_refused_for_a_wrong_current_password(tmp_path: Path) -> None:
    w = world()
    ana = await w.uses.create_user(CreateUser("ana", "pass1", "agent"))
    api = _clients(w, Services(), tmp_path).client(ana, address="10.0.0.9")
    with pytest.raises(ApiError) as wrong:
        await api.put("/api/users/me/password", json={"current_password": "nope", "new_password": "newpass"})
    assert wrong.value.status == 403
    assert w.repo.failure_records["addr:10.0.0.9"].failures == 1  # counted under the browser's address
    changed = await api.put("/api/users/me/password", json={"current_password": "pass1", "new_password": "newpass"})
    assert changed["access_token"] == f"token:{ana.id}:1"


async def test_an_uploaded_file_from_a_form_is_stored_and_a_too_large_one_is_refused(tmp_path: Path) -> None:
    api = _clients(world(), Services(), tmp_path).client(ANA)
    stored = await api.post("/api/blobs", files={"data": ("a.txt", b"hello", "text/plain")})
    assert stored["size"] == 5 and len(stored["sha256"]) == 64
    with pytest.raises(ApiError) as too_large:
        await api.post("/api/blobs", files={"data": ("b.bin", b"x" * 2048, "application/octet-stream")})
    assert too_large.value.status == 400


async def test_a_wrong_current_password_and_a_file_too_large_read_in_the_users_language(tmp_path: Path) -> None:
    w = world()
    ana = await w.uses.create_user(CreateUser("ana", "pass1", "agent"))
    api = _clients(w, Services(), tmp_path).client(ana, address="10.0.0.9")
    with pytest.raises(ApiError) as wrong:
        await api.put("/api/users/me/password", json={"current_password": "nope", "new_password": "newpass"})
    assert (wrong.value.status, wrong.value.extra["code"]) == (403, "user.current_password_wrong")
    assert problems.message("ro", wrong.value) == "Parola actuală este greșită."
    assert problems.message("en", wrong.value) == "The current password is wrong."
    with pytest.raises(ApiError) as too_large:
        await api.post("/api/blobs", files={"data": ("b.bin", b"x" * 2048, "application/octet-stream")})
    assert too_large.value.extra == {"code": "file.too_large", "params": {"size_mb": "0.00", "limit_mb": "0.00"}}
    assert list(tmp_path.rglob("*")) == []  # nothing was stored


async def test_a_user_linked_to_a_staff_member_puts_its_login_on_the_staff_record(tmp_path: Path) -> None:
    w = world()
    admin = await w.uses.create_user(CreateUser("boss", "pass1", "admin"))
    services = Services()
    api = _clients(w, services, tmp_path).client(admin)
    staff_id = "0f3c8a2e-8d5b-4c1e-9a7f-2b6d4e8c1a3f"
    await api.post("/api/users", json={"username": "ion", "password": "pass1", "role": "agent", "staff_id": staff_id})
    (copied,) = services.requests
    assert (copied.method, copied.url.path) == ("PATCH", f"/api/staff/{staff_id}")
    assert copied.read() == b'{"user_login": "ion"}'
