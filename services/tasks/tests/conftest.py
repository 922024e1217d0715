"""Fixtures of the tasks tests: a controllable clock, the service on this test's topics, seeded read models."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa

from crm_kit.identity import HEADER, Identity, issue
from crm_kit.ids import new_id
from crm_kit.service import Service
from crm_tasks.bootstrap import bootstrap
from crm_tasks.domain.model import CatalogueService, ContractLineRef, ContractRef, PartnerRef, StaffMember
from crm_tasks.settings import TasksSettings
from crm_tasks.store.repository import SqlRepository


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 8, 0, tzinfo=UTC))  # a Monday

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@dataclass
class World:
    """The service under test, its HTTP client and the people in its staff read model."""

    service: Service
    settings: TasksSettings
    clock: Clock
    client: httpx.AsyncClient
    staff: dict[str, UUID] = field(default_factory=dict)

    def as_(self, who: str, role: str = "agent") -> dict[str, str]:
        staff_id = self.staff.get(who)
        identity = Identity(user_id=who, username=who, role=role, staff_id=str(staff_id) if staff_id else None)
        return {HEADER: issue(identity, self.settings.identity_secret, self.settings.service_name)}

    async def add_staff(
        self, who: str, hours: str = "8", team: str | None = None, categories: tuple[str, ...] = ()
    ) -> UUID:
        staff_id = new_id()
        async with self.service.db.transaction() as conn:
            await SqlRepository(conn).upsert_staff(
                StaffMember(staff_id, who.title(), f"{who}@example.ro", who, Decimal(hours), categories, team)
            )
        self.staff[who] = staff_id
        return staff_id

    async def add_partner(self, name: str, service_rep: UUID | None = None, sales_rep: UUID | None = None) -> UUID:
        partner_id = new_id()
        async with self.service.db.transaction() as conn:
            await SqlRepository(conn).upsert_partner(PartnerRef(partner_id, name, "client", sales_rep, service_rep))
        return partner_id

    async def add_service(self, code: str, rate: str, article: str) -> None:
        async with self.service.db.transaction() as conn:
            await SqlRepository(conn).insert_service(CatalogueService(code, code.title(), Decimal(rate), article))

    async def add_contract(self, partner_id: UUID, article: str, ends_in_days: int | None = 365) -> tuple[UUID, UUID]:
        contract_id, line_id = new_id(), new_id()
        today = self.clock.now.date()
        ends = today + timedelta(days=ends_in_days) if ends_in_days is not None else None
        contract = ContractRef(
            contract_id,
            partner_id,
            "CTR-1",
            "subscription",
            today - timedelta(days=30),
            ends,
            (ContractLineRef(line_id, article),),
        )
        async with self.service.db.transaction() as conn:
            await SqlRepository(conn).upsert_contract(contract)
        return contract_id, line_id

    async def set_balance(self, partner_id: UUID, amount: str) -> None:
        async with self.service.db.transaction() as conn:
            await SqlRepository(conn).set_balance(partner_id, Decimal(amount), "RON")

    async def outbox(self, ce_type: str | None = None) -> list[dict[str, Any]]:
        """The events queued by the service, as (type, payload) dicts."""
        import json

        async with self.service.db.read() as conn:
            rows = (await conn.execute(sa.text("select ce_type, payload from outbox order by id"))).all()
        found = [{"type": r.ce_type.split(".")[2], **json.loads(r.payload)} for r in rows]
        return [e for e in found if ce_type is None or e["type"] == ce_type]

    async def count(self, table: str) -> int:
        async with self.service.db.read() as conn:
            return int((await conn.execute(sa.text(f"select count(*) from {table}"))).scalar_one())


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_world(tmp_path: Any, clock: Clock) -> Callable[..., Any]:
    """Build a service on a fresh store (no broker needed: events stay in the outbox)."""

    async def make(database_url: str | None = None, **overrides: Any) -> World:
        settings = TasksSettings(
            database_url=database_url or f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}",
            blob_dir=tmp_path / "blobs",
            **overrides,
        )
        service = bootstrap(settings, clock=clock)
        await service.migrate()
        # In the test's own event loop (Litestar's test client runs the app in another loop, which asyncpg refuses).
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app()), base_url="http://tasks")
        return World(service, settings, clock, client)

    return make


@pytest.fixture
async def world(make_world: Callable[..., Any]) -> AsyncIterator[World]:
    """The service on SQLite."""
    w: World = await make_world()
    async with w.client:
        yield w
    await w.service.db.dispose()


@pytest.fixture
async def any_world(make_world: Callable[..., Any], database_url: str) -> AsyncIterator[World]:
    """The service on SQLite and, in a second run, on PostgreSQL (for the store's harder queries)."""
    w: World = await make_world(database_url)
    async with w.client:
        yield w
    await w.service.db.dispose()
