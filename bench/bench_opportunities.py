"""Pipeline summary (GET /api/pipeline) over 100k opportunities against a bare SQL aggregate of the same rows."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

from bench.common import pg_database
from bench.report import Figure, p50_against, report
from crm_kit.identity import HEADER, Identity, issue
from crm_kit.service import Service
from crm_opportunities.bootstrap import bootstrap
from crm_opportunities.settings import OpportunitiesSettings

N = 100_000


# Rows are generated inside the database: the figure is the summary, not the loading.
FILL_SQL = {
    "postgresql": """
        INSERT INTO opportunities (id, partner_id, title, potential, probability, stage,
                                   stage_entered_at, created_at, updated_at)
        SELECT gen_random_uuid(), gen_random_uuid(), 'Opportunity ' || i, (random() * 5000000)::bigint, 5000,
               (ARRAY['new', 'presentation', 'offer', 'negotiation', 'sale', 'lost'])[1 + i % 6], now(), now(), now()
        FROM generate_series(1, :n) AS i
    """,
    "sqlite": """
        WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n)
        INSERT INTO opportunities (id, partner_id, title, potential, probability, stage,
                                   stage_entered_at, created_at, updated_at)
        SELECT lower(hex(randomblob(16))), lower(hex(randomblob(16))), 'Opportunity ' || i, abs(random()) % 5000000,
               5000, json_extract('["new","presentation","offer","negotiation","sale","lost"]', '$[' || (i % 6) || ']'),
               :now, :now, :now
        FROM s
    """,
}


async def fill(service: Service) -> None:
    async with service.db.transaction() as conn:
        sql = FILL_SQL[conn.dialect.name]
        params = {"n": N} if conn.dialect.name == "postgresql" else {"n": N, "now": "2026-11-27 10:00:00.000000"}
        await conn.execute(sa.text(sql), params)
    async with service.db.transaction() as conn:
        await conn.execute(sa.text("ANALYZE"))


async def measure(database_url: str, blobs: Path) -> tuple[float, float]:
    """p50 of our summary through the HTTP API, and of the bare GROUP BY on the same store."""
    settings = OpportunitiesSettings(database_url=database_url, blob_dir=blobs)
    service = bootstrap(settings)
    await service.migrate()
    await fill(service)
    token = issue(
        Identity(user_id="bench", username="bench", role="manager"),
        settings.identity_secret,
        settings.service_name,
        ttl=timedelta(hours=1),
    )
    transport = httpx.ASGITransport(app=service.app())
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://opportunities") as client:

            async def ours() -> None:
                response = await client.get("/api/pipeline", headers={HEADER: token})
                assert response.status_code == 200
                assert sum(s["count"] for s in response.json()["stages"]) == N

            async def bare() -> None:
                async with service.db.read() as conn:
                    rows = (
                        await conn.execute(
                            sa.text("SELECT stage, count(*), sum(potential) FROM opportunities GROUP BY stage")
                        )
                    ).all()
                assert sum(r[1] for r in rows) == N

            figure, baseline = await p50_against(ours, bare, runs=15, warmup=2)
    finally:
        await service.db.dispose()
    return figure, baseline


async def main() -> None:
    goal = "goal p50 <= 100 ms"
    with tempfile.TemporaryDirectory() as tmp:
        ours, baseline = await measure(f"sqlite+aiosqlite:///{Path(tmp) / 'opps.db'}", Path(tmp) / "blobs")
        report(Figure(f"pipeline summary, {N // 1000}k opportunities (SQLite)", ours, baseline, "ms", False, goal))
        async with pg_database("opps") as url:
            ours, baseline = await measure(url, Path(tmp) / "blobs")
            report(
                Figure(f"pipeline summary, {N // 1000}k opportunities (PostgreSQL)", ours, baseline, "ms", False, goal)
            )
