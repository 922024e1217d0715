"""Campaigns: member selection over 100k partners (preview count through the HTTP API) and the results
query (GET /results over a campaign's facts), each beside the bare SQL on the same store."""

from __future__ import annotations

import datetime as dt
import random
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import sqlalchemy as sa

from bench.common import pg_database
from bench.report import Figure, p50_against, report
from crm_campaigns.bootstrap import bootstrap
from crm_campaigns.domain.members import fiscal_digits, fold
from crm_campaigns.settings import CampaignsSettings
from crm_campaigns.store.tables import campaigns, facts, partners
from crm_kit.identity import HEADER, Identity, issue
from crm_kit.service import Service

N = 100_000
FACTS = 20_000
COUNTIES = [
    "Alba",
    "Arad",
    "Argeș",
    "Bacău",
    "Bihor",
    "Brașov",
    "Cluj",
    "Constanța",
    "Dolj",
    "Galați",
    "Iași",
    "Ilfov",
    "Maramureș",
    "Mureș",
    "Prahova",
    "Sibiu",
    "Suceava",
    "Timiș",
    "București",
    "Vâlcea",
]
DOMAINS = [
    "Agricultură",
    "IT",
    "Construcții",
    "Comerț",
    "Transport",
    "HoReCa",
    "Producție",
    "Servicii",
    "Sănătate",
    "Educație",
]
FILTER = {
    "county": "cluj",
    "activity_domain": "it",
    "turnover_min": "500000",
    "turnover_max": "5000000",
    "employees_min": 10,
}
BARE_COUNT = sa.text(
    "SELECT count(*) FROM partners WHERE kind IN ('client', 'lead') AND county_folded = 'cluj'"
    " AND domain_folded = 'it' AND turnover >= 500000 AND turnover <= 5000000 AND employees >= 10"
)
BARE_RESULTS = (
    "SELECT measure, sum(net) FROM facts WHERE campaign_id = :c AND measure <> 'return' GROUP BY measure",
    "SELECT month, sum(net) FROM facts WHERE campaign_id = :c AND measure = 'return' GROUP BY month",
)


async def fill(service: Service) -> uuid.UUID:
    rnd = random.Random(9)
    rows: list[dict[str, Any]] = []
    for i in range(N):
        county = rnd.choice(COUNTIES)
        domain = rnd.choice(DOMAINS)
        code = f"RO{10_000_000 + i}"
        rows.append(
            {
                "partner_id": uuid4(),
                "kind": rnd.choice(["client", "client", "lead", "supplier"]),
                "name": f"Firma {i} SRL",
                "name_folded": fold(f"Firma {i} SRL"),
                "fiscal_code": code,
                "fiscal_digits": fiscal_digits(code),
                "locality": county,
                "locality_folded": fold(county),
                "county": county,
                "county_folded": fold(county),
                "turnover": Decimal(rnd.randrange(0, 20_000_000)),
                "employees": rnd.randrange(0, 500),
                "activity_domain": domain,
                "domain_folded": fold(domain),
            }
        )
    now = dt.datetime.now(dt.UTC)
    campaign_ids = [uuid4() for _ in range(20)]
    async with service.db.transaction() as conn:
        for chunk in range(0, N, 5_000):
            await conn.execute(partners.insert(), rows[chunk : chunk + 5_000])
        await conn.execute(
            campaigns.insert(),
            [
                {
                    "id": c,
                    "name": f"C{n}",
                    "starts_on": dt.date(2026, 1, 1),
                    "ends_on": dt.date(2026, 6, 30),
                    "estimated_cost": Decimal(1000),
                    "estimated_revenue": Decimal(5000),
                    "return_months": 12,
                    "created_at": now,
                    "updated_at": now,
                }
                for n, c in enumerate(campaign_ids)
            ],
        )
        fact_rows = []
        for i in range(FACTS * 2):  # half of them on the measured campaign, the rest on 19 others
            measure = ["cost", "accepted", "invoiced", "return"][i % 4]
            day = dt.date(2026, 1, 1) + dt.timedelta(days=rnd.randrange(0, 360))
            fact_rows.append(
                {
                    "campaign_id": campaign_ids[0] if i < FACTS else rnd.choice(campaign_ids[1:]),
                    "measure": measure,
                    "source_id": uuid4(),
                    "source_kind": "bench",
                    "net": Decimal(rnd.randrange(1, 10**6)) / 100,
                    "effective_on": day,
                    "month": f"{day.year}-{day.month:02d}",
                    "via": "document",
                    "recorded_at": now,
                }
            )
        for chunk in range(0, len(fact_rows), 5_000):
            await conn.execute(facts.insert(), fact_rows[chunk : chunk + 5_000])
    async with service.db.transaction() as conn:
        await conn.execute(sa.text("ANALYZE"))
    return campaign_ids[0]


async def measure(database_url: str, blobs: Path) -> tuple[float, float, float, float]:
    """p50 of (our member preview, bare count, our results, bare results) on one store."""
    settings = CampaignsSettings(database_url=database_url, blob_dir=blobs)
    service = bootstrap(settings)
    await service.migrate()
    campaign = await fill(service)
    token = issue(
        Identity(user_id="bench", username="bench", role="manager"),
        settings.identity_secret,
        settings.service_name,
        ttl=dt.timedelta(hours=1),
    )
    headers = {HEADER: token}
    transport = httpx.ASGITransport(app=service.app())  # type: ignore[arg-type]
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://campaigns") as client:
            expected: dict[str, int] = {}

            async def bare_count() -> None:
                async with service.db.read() as conn:
                    expected["n"] = (await conn.execute(BARE_COUNT)).scalar_one()

            async def preview() -> None:
                r = await client.post(
                    f"/api/campaigns/{campaign}/members/preview", json={"filter": FILTER}, headers=headers
                )
                assert r.status_code == 200, r.text
                assert r.json()["matching"] == expected["n"]

            async def results() -> None:
                r = await client.get(
                    f"/api/campaigns/{campaign}/results", params={"as_of": "2026-09-30"}, headers=headers
                )
                assert r.status_code == 200, r.text

            async def bare_results() -> None:
                async with service.db.read() as conn:
                    for sql in BARE_RESULTS:
                        (
                            await conn.execute(sa.text(sql), {"c": campaign.hex if service.db.is_sqlite else campaign})
                        ).all()

            ours_count, base_count = await p50_against(preview, bare_count, runs=10, warmup=2)
            ours_results, base_results = await p50_against(results, bare_results, runs=10, warmup=2)
    finally:
        await service.db.dispose()
    return ours_count, base_count, ours_results, base_results


def _report(store: str, figures: tuple[float, float, float, float]) -> None:
    ours_count, base_count, ours_results, base_results = figures
    report(
        Figure(
            f"campaign member preview, {N // 1000}k partners ({store})",
            ours_count,
            base_count,
            "ms",
            False,
            "goal p50 <= 100 ms",
        )
    )
    report(
        Figure(
            f"campaign results as of a date, {FACTS // 1000}k facts ({store})",
            ours_results,
            base_results,
            "ms",
            False,
            "goal p50 <= 100 ms",
        )
    )


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _report("SQLite", await measure(f"sqlite+aiosqlite:///{Path(tmp) / 'campaigns.db'}", Path(tmp) / "blobs"))
        async with pg_database("campaigns") as url:
            _report("PostgreSQL", await measure(url, Path(tmp) / "blobs"))
