"""Partners: the picker search (/api/partners/search) over 100k partners, beside the bare SQL that finds the
same rows, on SQLite and PostgreSQL; a common prefix, a rare word and a query that matches nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench.bench_partners import fill
from bench.common import identity_headers, pg_database
from bench.report import Figure, p50_against, report
from crm_kit.service import Service
from crm_partners.bootstrap import bootstrap
from crm_partners.settings import PartnersSettings

# (label, query, the bare SQL's word patterns): many matches, one rare word start, no match at all
QUERIES = [
    ("prefix 'firma 1', 20 of ~10k", "firma 1", ["firma%", "1%"]),
    ("word 'srl 4242', rare", "srl 4242", ["srl%", "4242%"]),
    ("word 'zzz', no match", "zzz", ["zzz%"]),
]


def bare_sql(words: int) -> sa.TextClause:
    """The same search written by hand: each word starts the name or a word of it; name starts first."""
    match = " AND ".join(f"(name_key LIKE :w{i} OR name_key LIKE :s{i})" for i in range(words))
    return sa.text(
        f"SELECT id FROM partners WHERE {match} "
        "ORDER BY CASE WHEN name_key LIKE :whole THEN 0 ELSE 1 END, name_key, id LIMIT 20"
    )


async def _one(
    service: Service, client: httpx.AsyncClient, headers: dict[str, str], q: str, patterns: list[str]
) -> tuple[float, float]:
    """p50 of our search for ``q`` and of the bare SQL, checking that both find the same partners."""
    expected: dict[str, Any] = {}
    values: dict[str, Any] = {"whole": q + "%"}
    for i, p in enumerate(patterns):
        values[f"w{i}"] = p
        values[f"s{i}"] = "% " + p
    sql = bare_sql(len(patterns))

    async def bare() -> None:
        async with service.db.read() as conn:
            expected["ids"] = [r.id for r in await conn.execute(sql, values)]

    async def ours() -> None:
        r = await client.get("/api/partners/search", params={"q": q}, headers=headers)
        assert r.status_code == 200, r.text
        assert [p["id"] for p in r.json()["items"]] == expected["ids"]

    return await p50_against(ours, bare, runs=20, warmup=3)


async def measure(database_url: str, blobs: Path) -> list[tuple[str, float, float]]:
    """p50 of (our search, the bare SQL) per query on one store."""
    settings = PartnersSettings(database_url=database_url, blob_dir=blobs)
    service = bootstrap(settings)
    await service.migrate()
    await fill(service)
    headers = identity_headers(settings, "agent")
    figures: list[tuple[str, float, float]] = []
    transport = httpx.ASGITransport(app=service.app())
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://partners") as client:
            for label, q, patterns in QUERIES:
                figures.append((label, *await _one(service, client, headers, q, patterns)))
    finally:
        await service.db.dispose()
    return figures


def _report(store: str, figures: list[tuple[str, float, float]]) -> None:
    for label, ours, bare in figures:
        report(Figure(f"partners: picker search {label} ({store})", ours, bare, "ms", False, "goal p50 <= 100 ms"))


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="crm-bench-partner-search-") as tmp:
        _report("SQLite", await measure(f"sqlite+aiosqlite:///{Path(tmp) / 'partners.db'}", Path(tmp) / "blobs"))
        async with pg_database("partners") as url:
            _report("PostgreSQL", await measure(url, Path(tmp) / "blobs"))
