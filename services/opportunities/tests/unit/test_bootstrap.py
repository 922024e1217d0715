"""The composition root takes fakes: the HTTP API then runs its use cases on them, without a store."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx

from crm_kit.identity import HEADER, Identity, issue
from crm_kit.testing.fakes import FakeClock
from crm_opportunities.bootstrap import bootstrap
from crm_opportunities.settings import OpportunitiesSettings

from .fakes import T0, FakePublisher, InMemoryRepository


async def test_the_api_built_on_fakes_opens_an_opportunity_in_the_fake_repository_and_tells_the_fake_publisher(
    tmp_path: Any,
) -> None:
    repo, publisher = InMemoryRepository(), FakePublisher()
    settings = OpportunitiesSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/unused.db", blob_dir=tmp_path)
    service = bootstrap(settings, repository=repo, publisher=publisher, clock=FakeClock(T0))
    token = issue(Identity(user_id="u1", username="ana", role="agent"), settings.identity_secret, "opportunities")
    transport = httpx.ASGITransport(app=service.app())  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://opportunities") as client:
        response = await client.post(
            "/api/opportunities", json={"partner_id": str(uuid4()), "title": "ERP"}, headers={HEADER: token}
        )
    assert response.status_code == 201, response.text
    assert response.json()["created_at"].startswith("2026-03-02T09:00:00")
    assert [o.title for o in repo.opportunities.values()] == ["ERP"]
    assert publisher.said() == ["opened"]
