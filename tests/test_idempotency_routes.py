"""Idempotency-Key on every write route, generated from the services' route tables (ADR 0008).

Every POST/PUT/PATCH/DELETE route of every service is listed below, either with a request that creates
something on an empty store (sent twice under one key: one record, the same answer, then the key with
another body is a 422) or with the reason it is not exercised that way. Every write route, listed or
not, is also sent twice with one key: the retry answers as the first and changes no table.
"""

from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from crm_kit.identity import HEADER, Identity, issue
from crm_kit.service import Service

SERVICES = ["partners", "commercial", "opportunities", "campaigns", "tasks", "notifier", "mail-ingest"]
WRITES = ("POST", "PUT", "PATCH", "DELETE")
STAFF_ID = uuid.UUID("0190a000-0000-7000-8000-0000000000a1")

EML = (
    b"From: Ana <ana@example.ro>\r\nTo: crm@firma.ro\r\nSubject: Oferta\r\n"
    b"Message-ID: <1@example.ro>\r\n\r\nBuna ziua\r\n"
)

CREATES: dict[tuple[str, str, str], dict[str, Any]] = {
    # (service, method, route path) -> httpx request arguments that create a record on an empty store.
    ("partners", "POST", "/api/partners"): {"json": {"name": "Acme SRL"}},
    ("partners", "POST", "/api/staff"): {"json": {"name": "Ion Tehnician", "hours_per_day": 8, "categories": []}},
    ("partners", "POST", "/api/dossiers"): {"json": {"name": "Poze", "category": "foto"}},
    ("commercial", "POST", "/api/vat-rates"): {"json": {"code": "R5", "rate": "5", "name": "Redusă 5%"}},
    ("opportunities", "POST", "/api/lost-reasons"): {"json": {"code": "pret", "text": "Preț prea mare"}},
    ("campaigns", "POST", "/api/campaigns"): {
        "json": {"name": "Iarna", "starts_on": "2026-01-01", "ends_on": "2026-02-28", "return_months": 2}
    },
    ("tasks", "POST", "/api/tasks"): {"json": {"title": "Instalare server", "responsible_staff_id": str(STAFF_ID)}},
    ("tasks", "POST", "/api/services"): {
        "json": {"code": "SUP", "name": "Suport", "hourly_rate": "150", "article_code": "ART-SUP"}
    },
    ("tasks", "POST", "/api/task-broadcasts"): {"json": {"title": "Inventar", "staff_ids": [str(STAFF_ID)]}},
    ("notifier", "POST", "/api/mail-servers"): {
        "json": {
            "name": "Sink",
            "host": "127.0.0.1",
            "port": 2525,
            "tls_mode": "none",
            "sender": "crm@firma.ro",
            "username": "",
            "password": "s3cret-parola",
        }
    },
    ("mail-ingest", "POST", "/api/mail-imports"): {"files": {"data": ("oferta.eml", EML, "message/rfc822")}},
}

NOT_CREATED_HERE: dict[tuple[str, str, str], str] = {
    # Write routes not exercised with a successful create (the invariant test below still sends each twice).
    (
        "partners",
        "PATCH",
        "/api/partners/{partner_id:uuid}",
    ): "changes an existing record: a retry sets the same values",
    ("partners", "PATCH", "/api/staff/{staff_id:uuid}"): "changes an existing record: a retry sets the same values",
    ("partners", "POST", "/api/dossiers/{dossier_id:uuid}/documents"): "needs a dossier and a stored blob first",
    ("partners", "POST", "/api/partner-imports"): "needs a CSV upload in the partners import format",
    ("commercial", "PUT", "/api/commercial-settings"): "replaces the settings: idempotent by nature",
    ("commercial", "POST", "/api/articles"): "needs an active VAT rate matching the migration's seed",
    ("commercial", "PUT", "/api/articles/{code:str}"): "replaces an article: idempotent by nature",
    ("commercial", "POST", "/api/documents/{document_id:uuid}/accept"): "a transition: single winner by transition()",
    ("commercial", "POST", "/api/documents/{document_id:uuid}/reject"): "a transition: single winner by transition()",
    ("commercial", "POST", "/api/documents"): "needs a partner in the read model (commercial keeps request_id too)",
    ("commercial", "POST", "/api/contracts"): "needs a partner and an offer in the read model",
    ("commercial", "POST", "/api/contracts/{contract_id:uuid}/end"): "a transition: single winner by transition()",
    ("commercial", "POST", "/api/invoices"): "needs a partner and articles in the read model",
    ("commercial", "POST", "/api/cost-documents"): "needs a supplier in the read model",
    ("commercial", "POST", "/api/payments"): "needs an issued invoice",
    ("opportunities", "POST", "/api/opportunities"): "needs a partner in the read model",
    ("opportunities", "PATCH", "/api/opportunities/{opportunity_id:uuid}"): "changes an existing record",
    ("opportunities", "POST", "/api/opportunities/{opportunity_id:uuid}/stage"): "a transition of an opportunity",
    ("opportunities", "POST", "/api/opportunities/{opportunity_id:uuid}/offer"): "needs an opportunity",
    ("opportunities", "POST", "/api/opportunities/{opportunity_id:uuid}/order"): "needs an opportunity",
    ("opportunities", "POST", "/api/opportunities/{opportunity_id:uuid}/contract"): "needs an opportunity",
    (
        "opportunities",
        "POST",
        "/api/opportunities/{opportunity_id:uuid}/offers/{offer_id:uuid}/accept",
    ): "a transition: single winner",
    (
        "opportunities",
        "POST",
        "/api/opportunities/{opportunity_id:uuid}/offers/{offer_id:uuid}/reject",
    ): "a transition: single winner",
    ("opportunities", "PATCH", "/api/lost-reasons/{code:str}"): "changes an existing record",
    ("opportunities", "PUT", "/api/stage-weights"): "replaces the weights: idempotent by nature",
    ("campaigns", "PATCH", "/api/campaigns/{campaign_id:uuid}"): "changes an existing record",
    ("campaigns", "POST", "/api/campaigns/{campaign_id:uuid}/members"): "needs a campaign and partners",
    ("campaigns", "POST", "/api/campaigns/{campaign_id:uuid}/members/preview"): "reads only (a count)",
    ("campaigns", "DELETE", "/api/campaigns/{campaign_id:uuid}/members/{partner_id:uuid}"): "a delete: idempotent",
    ("campaigns", "POST", "/api/campaigns/{campaign_id:uuid}/costs"): "needs a campaign and a cost document",
    ("campaigns", "POST", "/api/campaigns/{campaign_id:uuid}/revenues"): "needs a campaign and an order",
    ("campaigns", "POST", "/api/campaigns/{campaign_id:uuid}/returns"): "needs a campaign and a return",
    ("campaigns", "POST", "/api/campaigns/{campaign_id:uuid}/opportunities"): "needs a campaign with members",
    ("tasks", "PATCH", "/api/tasks/{task_id:uuid}"): "changes an existing task",
    ("tasks", "POST", "/api/tasks/{task_id:uuid}/replies"): "needs a task (covered with a key in the UI test)",
    ("tasks", "POST", "/api/tasks/{task_id:uuid}/contract"): "needs a task and a contract",
    ("tasks", "POST", "/api/tasks/{task_id:uuid}/reopen"): "a transition: single winner by transition()",
    ("tasks", "POST", "/api/tasks/{task_id:uuid}/resolve"): "a transition: single winner by transition()",
    ("tasks", "PUT", "/api/reminder-settings"): "replaces the settings: idempotent by nature",
    ("notifier", "PATCH", "/api/mail-servers/{server_id:str}"): "changes an existing server",
    ("notifier", "PUT", "/api/mail-servers/{server_id:str}/credentials"): "replaces credentials: idempotent",
    ("notifier", "DELETE", "/api/mail-servers/{server_id:str}/credentials"): "a delete: idempotent",
    ("notifier", "DELETE", "/api/mail-servers/{server_id:str}"): "a delete: a repeat finds no server (404)",
    ("notifier", "POST", "/api/mail-servers/{server_id:str}/test"): "connects to a mail server, stores nothing",
    ("notifier", "POST", "/api/emails"): "sends through a configured mail server (needs one and staff)",
    ("notifier", "POST", "/api/messages"): "needs staff in the read model",
    ("notifier", "POST", "/api/messages/{message_id:str}/read"): "a transition: marking read twice is the same",
    ("notifier", "POST", "/api/messages/read-all"): "marking read twice is the same",
    ("notifier", "PUT", "/api/notification-settings"): "replaces the settings: idempotent by nature",
    ("mail-ingest", "POST", "/api/mail-imports/{import_id:str}/retry"): "needs a failed import",
    ("mail-ingest", "PUT", "/api/mail-import-settings"): "replaces the settings: idempotent by nature",
}


def _bootstrap(name: str, tmp_path: Path) -> Service:
    package = f"crm_{name.replace('-', '_')}"
    settings_cls = next(
        value
        for key, value in vars(importlib.import_module(f"{package}.settings")).items()
        if key.endswith("Settings") and isinstance(value, type) and value.__module__ == f"{package}.settings"
    )
    settings = settings_cls(database_url=f"sqlite+aiosqlite:///{tmp_path / 'store.db'}", blob_dir=tmp_path / "blobs")
    service: Service = importlib.import_module(f"{package}.bootstrap").bootstrap(settings)
    return service


def write_routes(service: Service) -> list[tuple[str, str]]:
    """(method, path template) of every write route of a service's app."""
    app = service.app()
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            found |= {(method, route.path) for method in handler.http_methods if method in WRITES}
    return sorted(found)


@dataclass
class Running:
    service: Service
    client: httpx.AsyncClient

    def headers(self, key: str, user: str = "admin") -> dict[str, str]:
        identity = Identity(user_id=user, username=user, role="admin", staff_id=str(STAFF_ID))
        return {
            HEADER: issue(identity, self.service.settings.identity_secret, self.service.name),
            "Idempotency-Key": key,
        }

    async def counts(self) -> dict[str, int]:
        """Rows per table: what a request changed (the idempotency keys aside)."""
        async with self.service.db.read() as conn:
            return {
                name: int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())
                for name, table in self.service.metadata.tables.items()
                if name != "idempotency_keys"
            }


SEEDS: dict[str, Callable[[Service], Awaitable[None]]] = {}


async def _seed_tasks(service: Service) -> None:
    from crm_tasks.domain.model import StaffMember
    from crm_tasks.store.repository import SqlRepository

    async with service.db.transaction() as conn:
        await SqlRepository(conn).upsert_staff(
            StaffMember(STAFF_ID, "Ana", "ana@example.ro", "admin", Decimal(8), (), None)
        )


SEEDS["tasks"] = _seed_tasks


@pytest.fixture(params=SERVICES)
async def running(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Running]:
    service = _bootstrap(request.param, tmp_path)
    await service.migrate()
    if request.param in SEEDS:
        await SEEDS[request.param](service)
    transport = httpx.ASGITransport(app=service.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        yield Running(service, client)
    await service.db.dispose()


def _concrete(path: str) -> str:
    """A path template with a value for each parameter (an id that names nothing)."""
    return re.sub(r"\{(\w+):(\w+)\}", lambda m: str(uuid.uuid4()) if m.group(2) == "uuid" else "x", path)


def _other(arguments: dict[str, Any]) -> dict[str, Any]:
    """The same request with another body (the first text field changed)."""
    if "json" in arguments:
        body = dict(arguments["json"])
        field = next(k for k, v in body.items() if isinstance(v, str))
        return {"json": {**body, field: body[field] + " (alt)"}}
    name, (filename, content, kind) = next(iter(arguments["files"].items()))
    return {"files": {name: (filename, content.replace(b"Oferta", b"Alta oferta"), kind)}}


async def test_every_write_route_is_listed_as_created_here_or_with_a_reason(running: Running) -> None:
    routes = {(running.service.name, method, path) for method, path in write_routes(running.service)}
    mine = {route for route in {*CREATES, *NOT_CREATED_HERE} if route[0] == running.service.name}
    assert routes - mine == set(), "write routes without an idempotency example or a reason"
    assert mine - routes == set(), "listed routes that no longer exist"


async def test_a_create_sent_twice_with_one_key_makes_one_record_and_the_same_answer(running: Running) -> None:
    creates = [(key, value) for key, value in CREATES.items() if key[0] == running.service.name]
    for (_, method, path), arguments in creates:
        key = str(uuid.uuid4())
        before = await running.counts()
        first = await running.client.request(method, path, headers=running.headers(key), **arguments)
        assert first.status_code < 300, (path, first.text)
        created = await running.counts()
        assert created != before, f"{path} created nothing"
        again = await running.client.request(method, path, headers=running.headers(key), **arguments)
        assert (again.status_code, again.content) == (first.status_code, first.content), path
        assert again.headers.get("idempotent-replayed") == "true", path
        assert await running.counts() == created, f"{path}: the retry changed the store"
        other = await running.client.request(method, path, headers=running.headers(key), **_other(arguments))
        assert other.status_code == 422, (path, other.text)
        assert await running.counts() == created, f"{path}: the other body under the same key changed the store"


async def test_every_write_route_answers_a_keyed_retry_as_the_first_time_and_changes_nothing(
    running: Running,
) -> None:
    for method, template in write_routes(running.service):
        path = _concrete(template)
        key = str(uuid.uuid4())
        first = await running.client.request(method, path, headers=running.headers(key), json={})
        assert first.status_code < 500, (method, path, first.text)
        after_first = await running.counts()
        again = await running.client.request(method, path, headers=running.headers(key), json={})
        assert (again.status_code, again.content) == (first.status_code, first.content), (method, path)
        assert await running.counts() == after_first, f"{method} {path}: the retry changed the store"


async def test_every_write_operation_documents_the_idempotency_key_header(running: Running) -> None:
    schema = (await running.client.get("/schema/openapi.json")).json()
    missing = [
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method.upper() in WRITES
        and not any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in operation.get("parameters", []))
    ]
    assert missing == []
    reads = [op for item in schema["paths"].values() for method, op in item.items() if method == "get"]
    assert all(all(p["name"] != "Idempotency-Key" for p in op.get("parameters", [])) for op in reads)
