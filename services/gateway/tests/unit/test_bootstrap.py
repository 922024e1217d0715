"""The gateway's composition root takes fakes: its API and pages then run the use cases on them, without a store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient

from crm_gateway.bootstrap import bootstrap
from crm_gateway.settings import GatewaySettings
from crm_kit.testing.fakes import FakeClock

from .fakes import T0, FakePublisher, InMemoryRepository, PlainPasswords


async def test_the_gateway_built_on_fakes_creates_the_first_admin_and_logs_in_through_its_pages(
    tmp_path: Path,
) -> None:
    repo, publisher = InMemoryRepository(), FakePublisher()
    settings = GatewaySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/unused.db", blob_dir=tmp_path, admin_password="admin-pass-1"
    )
    service = bootstrap(settings, repository=repo, publisher=publisher, clock=FakeClock(T0), passwords=PlainPasswords())
    app: Any = service.app()
    async with AsyncTestClient(app=app) as client:
        token = await client.post("/api/auth/token", json={"username": "admin", "password": "admin-pass-1"})
        assert token.status_code == 200, token.text
        wrong = await client.post("/api/auth/token", json={"username": "admin", "password": "nope"})
        assert wrong.status_code == 401
        page = await client.post(
            "/login",
            data={"username": "admin", "password": "admin-pass-1"},
            headers={"origin": "http://testserver.local"},
        )
        # The login redirects to the home page, which renders (its /api/users/me answered by the fakes).
        assert (page.status_code, page.url.path) == (200, "/"), page.text
    assert [u.username for u in repo.accounts.values()] == ["admin"]
    assert len(repo.sessions) == 1
    assert "user:admin" not in repo.failure_records  # the good login cleared the failed one
    assert repo.failure_records["addr:testclient"].failures == 1
    assert publisher.published == []
