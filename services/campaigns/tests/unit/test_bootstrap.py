"""The composition root takes fakes: the HTTP API then runs its use cases on them, without a store."""

from __future__ import annotations

from typing import Any

import httpx

from crm_campaigns.bootstrap import bootstrap
from crm_campaigns.settings import CampaignsSettings
from crm_kit.identity import HEADER, Identity, issue
from crm_kit.testing.fakes import FakeClock

from .fakes import NOW, FakePublisher, InMemoryRepository


async def test_the_api_built_on_fakes_creates_a_campaign_in_the_fake_repository_and_tells_the_fake_publisher(
    tmp_path: Any,
) -> None:
    repo, publisher = InMemoryRepository(), FakePublisher()
    settings = CampaignsSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/unused.db", blob_dir=tmp_path)
    service = bootstrap(settings, repository=repo, publisher=publisher, clock=FakeClock(NOW))
    token = issue(Identity(user_id="u1", username="maria", role="manager"), settings.identity_secret, "campaigns")
    transport = httpx.ASGITransport(app=service.app())  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://campaigns") as client:
        body = {"name": "Vară", "starts_on": "2026-06-01", "ends_on": "2026-08-31"}
        response = await client.post("/api/campaigns", json=body, headers={HEADER: token})
    assert response.status_code == 201, response.text
    assert response.json()["created_at"] == NOW.isoformat()
    assert [c.name for c in repo.campaigns.values()] == ["Vară"]
    assert publisher.said() == ["campaign_created"]
