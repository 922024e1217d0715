"""Partners: the partner filter over 100k partners and a history page of a partner with 100k entries,
each through the HTTP API beside the bare SQL that reads the same rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import random
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench.common import identity_headers, pg_database
from bench.report import Figure, p50_against, report
from crm_kit.service import Service
from crm_partners.bootstrap import bootstrap
from crm_partners.domain.counties import COUNTIES
from crm_partners.domain.text import fold
from crm_partners.settings import PartnersSettings
from crm_partners.store import tables as t

N_PARTNERS = 100_000
N_ENTRIES = 100_000
DOMAINS = ["IT", "Construcții", "Comerț", "Transport", "HoReCa", "Producție", "Servicii", "Sănătate"]
KINDS = ["client", "client", "lead", "supplier"]
FILTER = {"county": "Cluj", "kind": "client", "turnover_min": "500000", "employees_min": 10, "limit": 50}
WHERE = "county = :county AND kind = :kind AND turnover >= :tmin AND employees >= :emin"
BARE_FILTER = (
    sa.text(f"SELECT * FROM partners WHERE {WHERE} ORDER BY name_key, id LIMIT 50"),
    sa.text(f"SELECT count(*) FROM partners WHERE {WHERE}"),
)
BARE_PAGE = sa.text("SELECT * FROM history WHERE partner_id = :p ORDER BY occurred_at DESC, event_id DESC LIMIT 50")
KIND_NAMES = ["opportunity", "offer", "order", "invoice", "task", "email"]


PG_FILL = (
    """INSERT INTO partners (id, kind, name, name_key, locality, locality_key, county, turnover, employees,
         activity_domain, activity_key, competitors, interests, created_at, updated_at, version)
       SELECT md5(i::text)::uuid::text, (ARRAY['client','client','lead','supplier'])[1 + (i * 31) % 4],
         'Firma ' || lpad(((i * 7919) % 1000000)::text, 6, '0') || ' SRL',
         'firma ' || lpad(((i * 7919) % 1000000)::text, 6, '0') || ' srl',
         'Localitatea ' || (i % 500), 'localitatea ' || (i % 500), (CAST(:counties AS text[]))[1 + (i * 17) % 42],
         10000 + (i * 104729) % 9990000, 1 + (i * 13) % 499, 'IT', 'it', '[]', '[]', :now, :now, 1
       FROM generate_series(1::bigint, CAST(:n AS bigint)) AS i""",
    """INSERT INTO history (partner_id, event_id, kind, type, title, occurred_at, ref_type, ref_id, details,
         recorded_at)
       SELECT :target, md5('e' || i)::uuid::text, (CAST(:kinds AS text[]))[1 + i % 6], 'Bench',
         'Fapt ' || i || ' despre partener', CAST(:now AS timestamptz) - i * interval '1 minute',
         (CAST(:kinds AS text[]))[1 + i % 6], md5('r' || i)::uuid::text, json_build_object('n', i), :now
       FROM generate_series(0, CAST(:entries AS int) - 1) AS i""",
    """INSERT INTO history_counts (partner_id, kind, n)
       SELECT partner_id, kind, count(*) FROM history GROUP BY partner_id, kind""",
)


async def fill(service: Service) -> str:
    """100k partners over every county, and one of them with 100k history entries; returns that partner's id."""
    if not service.db.is_sqlite:
        return await fill_in_postgresql(service)
    rnd = random.Random(7)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    counties = list(COUNTIES.values())
    rows: list[dict[str, Any]] = []
    for i in range(N_PARTNERS):
        name = f"Firma {rnd.randrange(10**6):06d} {rnd.choice(['SRL', 'SA', 'PFA'])}"
        locality = f"Localitatea {rnd.randrange(500)}"
        domain = rnd.choice(DOMAINS)
        rows.append(
            {
                "id": str(uuid.UUID(int=i + 1)),
                "kind": rnd.choice(KINDS),
                "name": name,
                "name_key": fold(name),
                "fiscal_code": None,
                "fiscal_digits": None,
                "trade_register": None,
                "locality": locality,
                "locality_key": fold(locality),
                "county": rnd.choice(counties),
                "address": None,
                "turnover": Decimal(rnd.randrange(10_000, 10_000_000)),
                "employees": rnd.randrange(1, 500),
                "activity_domain": domain,
                "activity_key": fold(domain),
                "sales_rep_staff_id": None,
                "service_rep_staff_id": None,
                "campaign_id": None,
                "competitors": [],
                "interests": [],
                "service_responsible": None,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
    target = rows[0]["id"]
    async with service.db.transaction() as conn:
        for chunk in range(0, len(rows), 5_000):
            await conn.execute(t.partners.insert(), rows[chunk : chunk + 5_000])
    entries: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for i in range(N_ENTRIES):
        kind = KIND_NAMES[i % len(KIND_NAMES)]
        counts[kind] = counts.get(kind, 0) + 1
        entries.append(
            {
                "partner_id": target,
                "event_id": str(uuid.UUID(int=10**9 + i)),
                "kind": kind,
                "type": "Bench",
                "title": f"Fapt {i} despre partener",
                "occurred_at": now - timedelta(minutes=i),
                "ref_type": kind,
                "ref_id": str(uuid.UUID(int=2 * 10**9 + i)),
                "details": {"n": i},
                "recorded_at": now,
            }
        )
    async with service.db.transaction() as conn:
        for chunk in range(0, len(entries), 5_000):
            await conn.execute(t.history.insert(), entries[chunk : chunk + 5_000])
        await conn.execute(
            t.history_counts.insert(), [{"partner_id": target, "kind": k, "n": n} for k, n in counts.items()]
        )
        await conn.execute(sa.text("ANALYZE"))
    return str(target)


async def fill_in_postgresql(service: Service) -> str:
    """The same shape of data, generated inside PostgreSQL (a Python round trip per row would dominate)."""
    now = datetime(2026, 3, 1, tzinfo=UTC)
    target = str(uuid.UUID(hex=hashlib.md5(b"1").hexdigest()))
    values = {
        "counties": list(COUNTIES.values()),
        "kinds": KIND_NAMES,
        "now": now,
        "n": N_PARTNERS,
        "entries": N_ENTRIES,
        "target": target,
    }
    async with service.db.transaction() as conn:
        for sql in PG_FILL:
            await conn.execute(sa.text(sql), values)
    async with service.db.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text("VACUUM ANALYZE"))
    return target


async def measure(database_url: str, blobs: Path) -> tuple[float, float, float, float]:
    """p50 of (our filter, bare filter, our history page, bare history page) on one store."""
    settings = PartnersSettings(database_url=database_url, blob_dir=blobs)
    service = bootstrap(settings)
    await service.migrate()
    target = await fill(service)
    headers = identity_headers(settings, "agent")
    params = {"county": "Cluj", "kind": "client", "tmin": 500000, "emin": 10}
    transport = httpx.ASGITransport(app=service.app())
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://partners") as client:
            expected: dict[str, Any] = {}

            async def bare_filter() -> None:
                async with service.db.read() as conn:
                    expected["ids"] = [r.id for r in await conn.execute(BARE_FILTER[0], params)]
                    expected["total"] = (await conn.execute(BARE_FILTER[1], params)).scalar_one()

            async def our_filter() -> None:
                r = await client.get("/api/partners", params=FILTER, headers=headers)
                assert r.status_code == 200, r.text
                body = r.json()
                assert [p["id"] for p in body["items"]] == expected["ids"] and body["total"] == expected["total"]

            async def bare_page() -> None:
                async with service.db.read() as conn:
                    expected["page"] = [r.event_id for r in await conn.execute(BARE_PAGE, {"p": target})]

            async def our_page() -> None:
                r = await client.get(f"/api/partners/{target}/history", params={"limit": 50}, headers=headers)
                assert r.status_code == 200, r.text
                body = r.json()
                assert [e["event_id"] for e in body["items"]] == expected["page"] and body["total"] == N_ENTRIES

            ours_filter, base_filter = await p50_against(our_filter, bare_filter, runs=20, warmup=3)
            ours_page, base_page = await p50_against(our_page, bare_page, runs=30, warmup=3)
    finally:
        await service.db.dispose()
    return ours_filter, base_filter, ours_page, base_page


def _report(store: str, figures: tuple[float, float, float, float]) -> None:
    ours_filter, base_filter, ours_page, base_page = figures
    report(
        Figure(
            f"partners: filter 100k partners, HTTP ({store})",
            ours_filter,
            base_filter,
            "ms",
            False,
            "goal p50 <= 50 ms",
        )
    )
    report(
        Figure(
            f"partners: history page of 100k entries, HTTP ({store})",
            ours_page,
            base_page,
            "ms",
            False,
            "goal p50 <= 20 ms",
        )
    )


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="crm-bench-partners-") as tmp:
        _report("SQLite", await measure(f"sqlite+aiosqlite:///{Path(tmp) / 'partners.db'}", Path(tmp) / "blobs"))
        async with pg_database("partners") as url:
            _report("PostgreSQL", await measure(url, Path(tmp) / "blobs"))
