"""Commercial: issuing an invoice through the API (priced lines, VAT, gapless number, PDF printout, outbox)
against a bare SQL transaction doing the same writes, on PostgreSQL; alone and with 8 concurrent clients."""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import sqlalchemy as sa

from bench.common import BOOTSTRAP, pg_database
from bench.report import Figure, p50_against, report
from crm_commercial.bootstrap import bootstrap
from crm_commercial.domain.articles import Article
from crm_commercial.domain.partners import Partner
from crm_commercial.settings import CommercialSettings
from crm_commercial.store import repository as repo
from crm_commercial.store import tables as t
from crm_kit.identity import HEADER, Identity, issue

CLIENTS = 8
PER_CLIENT = 5


async def main() -> None:
    async with pg_database("commercial") as url:
        await _run(url)


async def _run(url: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="crm-bench-commercial-"))
    settings = CommercialSettings(
        database_url=url, kafka_bootstrap=BOOTSTRAP, topic_prefix="benchcommercial.", blob_dir=folder / "blobs"
    )
    service = bootstrap(settings)
    await service.migrate()
    now = datetime.now(UTC)
    partner_id = str(uuid.uuid4())
    async with service.db.transaction() as conn:
        await repo.save_partner(conn, Partner(partner_id, "client", "Șantierul Naval S.A."), now)
        await repo.save_article(conn, Article("SRV", "Oră de service", "ora", Decimal("150"), Decimal("21")), now)
    token = issue(
        Identity(user_id="bench", username="bench", role="manager"),
        settings.identity_secret,
        settings.service_name,
        ttl=timedelta(hours=1),
    )
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=service.app()), base_url="http://commercial", headers={HEADER: token}
    )
    body = {
        "partner_id": partner_id,
        "lines": [{"article_code": "SRV", "qty": "2.5"}, {"article_code": "SRV", "qty": "1"}],
    }

    async def ours() -> None:
        response = await client.post("/api/invoices", json=body)
        assert response.status_code == 201, response.text

    async def bare() -> None:
        async with service.db.engine.begin() as conn:
            number = await repo.next_in_series(conn, "bare", 2026)
            doc_id = str(uuid.uuid4())
            await conn.execute(
                t.documents.insert().values(
                    id=doc_id, type="invoice", number=f"B-{number}", series_number=f"B-{number}",
                    partner_id=partner_id, issued_on=date.today(), status="issued", net=Decimal("525.00"),
                    vat=Decimal("110.25"), gross=Decimal("635.25"), currency="RON", source={}, created_at=now,
                )
            )  # fmt: skip
            await conn.execute(
                t.document_lines.insert(),
                [
                    {"line_id": str(uuid.uuid4()), "document_id": doc_id, "position": n, "article_code": "SRV",
                     "description": "Oră de service", "unit": "ora", "qty": q, "price": Decimal("150"),
                     "vat_rate": Decimal("21"), "net": q * 150, "vat": q * 150 * Decimal("0.21")}
                    for n, q in enumerate((Decimal("2.5"), Decimal(1)), start=1)
                ],
            )  # fmt: skip

    figure, baseline = await p50_against(ours, bare, runs=20)
    report(
        Figure(
            "commercial invoice via API p50 (VAT, number, PDF; PG)",
            figure,
            baseline,
            "ms",
            higher_is_better=False,
            goal="the printout is most of it",
        )
    )

    async def concurrent(fn: object) -> float:
        async def one_client() -> None:
            for _ in range(PER_CLIENT):
                await fn()  # type: ignore[operator]

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
        return CLIENTS * PER_CLIENT / (time.perf_counter() - started)

    ours_rate = await concurrent(ours)
    bare_rate = await concurrent(bare)
    async with service.db.read() as conn:
        numbers = sorted(
            (await conn.execute(sa.select(t.documents.c.number).where(t.documents.c.number.like("FCT-%")))).scalars()
        )
    assert numbers == [f"FCT-{date.today().year}-{n:06d}" for n in range(1, len(numbers) + 1)], "numbering has gaps"
    report(
        Figure(
            f"commercial gapless invoices/s, {CLIENTS} clients (PG)",
            ours_rate,
            bare_rate,
            "docs/s",
            goal="unique and gapless",
        )
    )
    await client.aclose()
    await service.db.dispose()
