"""The composition root takes fakes: the HTTP API and the subscribers run the same use cases, in memory."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from crm_commercial.bootstrap import bootstrap
from crm_commercial.domain.articles import Article, VatRate
from crm_commercial.settings import CommercialSettings
from crm_contracts.base import Envelope
from crm_contracts.partners import PartnerRegistered
from crm_kit.identity import HEADER, Identity, issue
from crm_kit.inbox import Context

from .fakes import FakePublisher, InMemoryRepository

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
PARTNER = "7d8a1a0e-0000-4000-8000-000000000001"
ORDER = {"type": "order", "partner_id": PARTNER, "lines": [{"article_code": "SRV", "qty": "2"}]}


def settings(tmp_path: Path) -> CommercialSettings:
    # Nothing here connects: the database and broker addresses are never used with fakes.
    return CommercialSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}", blob_dir=tmp_path / "blobs")


class _NoOutbox:
    """The batch scope's outbox: the fake publisher keeps what is published, so nothing reaches it."""

    async def write(self, conn: object, rows: list[object]) -> None:
        assert rows == []


async def test_the_api_issues_a_document_through_the_use_cases_on_fakes(tmp_path: Path) -> None:
    repo, published = InMemoryRepository(), FakePublisher()
    repo.rates["S"] = VatRate("S", Decimal(21), "standard")
    repo.catalogue["SRV"] = Article("SRV", "Oră de service", "ora", Decimal(150), Decimal(21))
    config = settings(tmp_path)
    service = bootstrap(config, repository=repo, publisher=published, clock=lambda: NOW)
    app: Any = service.app()
    token = issue(Identity(user_id="u1", username="ana", role="manager"), config.identity_secret, config.service_name)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://commercial", headers={HEADER: token}
    ) as http:
        unknown = await http.post("/api/documents", json=ORDER)
        assert unknown.status_code == 422
        assert "register it in the partner directory first" in unknown.text
        assert (repo.docs, published.calls) == ({}, [])

        # The partner arrives as an event: the subscriber calls the use case, which keeps the copy.
        registered = PartnerRegistered(partner_id=UUID(PARTNER), kind="client", name="Ferma")
        (route,) = service.subscriptions.routes[PartnerRegistered.ce_type()]
        envelope = Envelope(id="e1", source="/crm/partners", type=PartnerRegistered.ce_type(), time=NOW, subject=None)
        ctx: Any = Context(conn=None, envelope=envelope, outbox=_NoOutbox())  # type: ignore[arg-type]
        await route.handler([(ctx, registered)])
        assert repo.partners[PARTNER].name == "Ferma"

        created = await http.post("/api/documents", json=ORDER)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["number"], body["gross"], body["issued_on"]) == ("CMD-2026-000001", "363.00", "2026-03-10")
    assert published.names() == ["document_issued"]
