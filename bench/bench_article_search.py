"""Commercial: the article picker search (/api/articles/search) over 20,000 articles, beside the bare SQL that finds
the same rows, on SQLite and PostgreSQL; a common word, a rare one, no match, and C5's chosen list on."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench.common import identity_headers, pg_database
from bench.report import Figure, p50_against, report
from crm_commercial.bootstrap import bootstrap
from crm_commercial.domain.articles import Article, ArticleScope
from crm_commercial.settings import CommercialSettings
from crm_commercial.store.repository import SqlRepository
from crm_kit.service import Service

ARTICLES = 20_000
LISTED = 2_000
"""C5's chosen list: every tenth article."""
NOUNS = ["Serviciu", "Licență", "Mentenanță", "Consultanță", "Abonament", "Instalare", "Hârtie", "Cablu"]
QUALIFIERS = ["lunar", "anual", "Brașov", "Iași", "standard", "premium", "Timișoara"]

# (label, query, the bare SQL's word patterns, C5 list on): many matches, one rare word start, none, C5's list
QUERIES = [
    ("word 'mentenanta', 20 of 2.5k", "mentenanta", ["mentenanta%"], False),
    ("words 'brasov 1234', rare", "brasov 1234", ["brasov%", "1234%"], False),
    ("word 'zzz', no match", "zzz", ["zzz%"], False),
    ("word 'licenta', C5 list of 2k", "licenta", ["licenta%"], True),
]


def article(n: int) -> Article:
    """The n-th article: eight nouns, seven qualifiers, a number (``Licență Brașov 1234``)."""
    name = f"{NOUNS[n % len(NOUNS)]} {QUALIFIERS[n % len(QUALIFIERS)]} {n}"
    return Article(f"ART{n:05d}", name, "buc", Decimal("10.00"), Decimal(21))


async def fill(service: Service) -> None:
    """20,000 articles saved as the use cases save them (folded name and all), in one transaction."""
    now = datetime.now(UTC)
    async with service.db.transaction(hooks=False) as conn:
        repo = SqlRepository(conn)
        for n in range(ARTICLES):
            await repo.save_article(article(n), now)


async def choose_list(service: Service, on: bool) -> None:
    codes = frozenset(article(n).code for n in range(0, ARTICLES, ARTICLES // LISTED)) if on else frozenset()
    async with service.db.transaction(hooks=False) as conn:
        await SqlRepository(conn).save_article_scope(ArticleScope("list", codes) if on else ArticleScope())


def bare_sql(words: int, listed: bool) -> sa.TextClause:
    """The same search written by hand: the code starts the query, or each word starts a word of the name."""
    match = " AND ".join(f"(name_key LIKE :w{i} OR name_key LIKE :s{i})" for i in range(words))
    only = " AND code IN (SELECT value FROM listed)" if listed else ""
    return sa.text(
        f"SELECT code FROM articles WHERE (lower(code) LIKE :whole OR ({match})){only} "
        "ORDER BY CASE WHEN lower(code) LIKE :whole THEN 0 WHEN name_key LIKE :whole THEN 1 ELSE 2 END, "
        "name_key, code LIMIT 20"
    )


async def _one(
    service: Service, client: httpx.AsyncClient, headers: dict[str, str], q: str, patterns: list[str], listed: bool
) -> tuple[float, float]:
    """p50 of our search for ``q`` and of the bare SQL, checking that both find the same articles."""
    expected: dict[str, Any] = {}
    values: dict[str, Any] = {"whole": q + "%"}
    for i, p in enumerate(patterns):
        values[f"w{i}"] = p
        values[f"s{i}"] = "% " + p
    sql = bare_sql(len(patterns), listed)
    if listed:
        # the chosen list as the bare query would hold it: a table of its codes (the service keeps it as JSON)
        codes = [article(n).code for n in range(0, ARTICLES, ARTICLES // LISTED)]
        async with service.db.transaction(hooks=False) as conn:
            await conn.execute(sa.text("CREATE TABLE IF NOT EXISTS listed (value VARCHAR(40) PRIMARY KEY)"))
            await conn.execute(sa.text("DELETE FROM listed"))
            await conn.execute(sa.text("INSERT INTO listed (value) VALUES (:v)"), [{"v": c} for c in codes])

    async def bare() -> None:
        async with service.db.read() as conn:
            expected["codes"] = [r.code for r in await conn.execute(sql, values)]

    async def ours() -> None:
        r = await client.get("/api/articles/search", params={"q": q}, headers=headers)
        assert r.status_code == 200, r.text
        assert [a["code"] for a in r.json()["items"]] == expected["codes"]

    await choose_list(service, listed)
    return await p50_against(ours, bare, runs=20, warmup=3)


async def measure(database_url: str, blobs: Path) -> list[tuple[str, float, float]]:
    """p50 of (our search, the bare SQL) per query on one store."""
    settings = CommercialSettings(database_url=database_url, blob_dir=blobs)
    service = bootstrap(settings)
    await service.migrate()
    await fill(service)
    headers = identity_headers(settings, "agent")
    figures: list[tuple[str, float, float]] = []
    transport = httpx.ASGITransport(app=service.app())
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://commercial") as client:
            for label, q, patterns, listed in QUERIES:
                figures.append((label, *await _one(service, client, headers, q, patterns, listed)))
    finally:
        await service.db.dispose()
    return figures


def _report(store: str, figures: list[tuple[str, float, float]]) -> None:
    for label, ours, bare in figures:
        report(Figure(f"commercial: article search {label} ({store})", ours, bare, "ms", False, "goal p50 <= 100 ms"))


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="crm-bench-article-search-") as tmp:
        _report("SQLite", await measure(f"sqlite+aiosqlite:///{Path(tmp) / 'commercial.db'}", Path(tmp) / "blobs"))
        async with pg_database("articles") as url:
            _report("PostgreSQL", await measure(url, Path(tmp) / "blobs"))
