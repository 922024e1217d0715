"""Commercial: issuing an invoice through the API (priced lines, VAT, gapless number, outbox) against a bare
SQL transaction doing the same writes, on PostgreSQL; alone and with 8 concurrent clients. Then the printouts
those invoices still need, rendered after commit by the printout worker, against bare renders of the same PDF;
and a month's billing run (M5): 5,000 subscription contracts invoiced through the API by 8 clients, end to end,
against 5,000 bare gapless inserts by 8 clients.

An invoice's PDF is rendered after its number commits (crm_commercial.printing): the API answers without it.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import sqlalchemy as sa

from bench.common import BOOTSTRAP, RUN, pg_database
from bench.report import Figure, p50_against, report
from crm_commercial import printouts
from crm_commercial.bootstrap import bootstrap
from crm_commercial.domain.articles import Article
from crm_commercial.domain.documents import Document, Line
from crm_commercial.domain.partners import Partner
from crm_commercial.printing import Printouts
from crm_commercial.printouts import Issuer
from crm_commercial.settings import CommercialSettings
from crm_commercial.store import tables as t
from crm_commercial.store.repository import SqlRepository
from crm_kit.identity import HEADER, Identity, issue
from crm_kit.service import Service

CLIENTS = 8
PER_CLIENT = 25
CONTRACTS = 5_000
CONTRACT_PARTNERS = 500


async def main() -> None:
    async with pg_database("commercial") as url:
        await _run(url)


async def _run(url: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="crm-bench-commercial-"))
    settings = CommercialSettings(
        database_url=url, kafka_bootstrap=BOOTSTRAP, topic_prefix=f"{RUN}commercial.", blob_dir=folder / "blobs"
    )
    service = bootstrap(settings)
    await service.migrate()
    now = datetime.now(UTC)
    partner_id = str(uuid.uuid4())
    async with service.db.transaction() as conn:
        repo = SqlRepository(conn)
        await repo.save_partner(Partner(partner_id, "client", "Șantierul Naval S.A."), now)
        await repo.save_article(Article("SRV", "Oră de service", "ora", Decimal("150"), Decimal("21")), now)
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
        await bare_invoice(service, partner_id, now)

    figure, baseline = await p50_against(ours, bare, runs=20)
    report(
        Figure(
            f"commercial invoice via API p50 (VAT, number; PDF after commit; PG, load {os.getloadavg()[0]:.1f})",
            figure,
            baseline,
            "ms",
            higher_is_better=False,
            goal="—",
        )
    )

    ours_rate = await concurrent([ours] * CLIENTS * PER_CLIENT)
    bare_rate = await concurrent([bare] * CLIENTS * PER_CLIENT)
    async with service.db.read() as conn:
        numbers = sorted(
            (await conn.execute(sa.select(t.documents.c.number).where(t.documents.c.number.like("FCT-%")))).scalars()
        )
    assert numbers == [f"FCT-{date.today().year}-{n:06d}" for n in range(1, len(numbers) + 1)], "numbering has gaps"
    report(
        Figure(
            f"commercial gapless invoices/s, {CLIENTS} clients (PG, load {os.getloadavg()[0]:.1f})",
            ours_rate,
            bare_rate,
            "docs/s",
            goal="goal >= 0.5x, unique and gapless",
        )
    )
    await printouts_after_commit(service, settings)
    await billing_run(service, client, now)
    await client.aclose()
    await service.db.dispose()


async def concurrent(calls: list[Callable[[], Awaitable[None]]]) -> float:
    """Calls/s of ``calls`` made by CLIENTS concurrent clients, each taking the next call when it is done."""
    queue = list(reversed(calls))

    async def one_client() -> None:
        while queue:
            await queue.pop()()

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    return len(calls) / (time.perf_counter() - started)


async def bare_invoice(service: Service, partner_id: str, now: datetime) -> None:
    """A gapless invoice as bare SQL: the series row, the document and its two lines, one transaction."""
    async with service.db.engine.begin() as conn:
        number = await SqlRepository(conn).next_in_series("bare", 2026)
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


async def printouts_after_commit(service: Service, settings: CommercialSettings) -> None:
    """The printouts the invoices above still need, rendered by the worker; against bare renders of one."""
    issuer = Issuer(settings.company_name, settings.company_fiscal_code, settings.company_address)
    # The service's own printout worker (a bound ``Printouts.run``), driven one pass at a time.
    worker = getattr(service.workers["printouts"], "__self__", None)
    assert isinstance(worker, Printouts)
    async with service.db.read() as conn:
        repo = SqlRepository(conn)
        (sample_id,) = await repo.invoices_without_printout(1)
        sample = await repo.get(sample_id)
        assert sample is not None and sample.partner_id is not None
        partner = await repo.partner(sample.partner_id)
        assert partner is not None
    n = 40
    started = time.perf_counter()
    for _ in range(n):
        await asyncio.to_thread(printouts.render, sample, partner, issuer, settings.font_dir)
    bare_rate = n / (time.perf_counter() - started)
    worker.batch_size = n
    started = time.perf_counter()
    rendered = await worker.render_pending()
    ours_rate = rendered / (time.perf_counter() - started)
    report(
        Figure(
            f"commercial: invoice printouts/s after commit (PG, load {os.getloadavg()[0]:.1f})",
            ours_rate,
            bare_rate,
            "pdf/s",
            goal="— (bare render of the same PDF)",
        )
    )


async def seed_contracts(service: Service, now: datetime) -> list[str]:
    """CONTRACTS active subscription contracts over CONTRACT_PARTNERS clients (as if signed earlier)."""
    year = date.today().year
    partners = [str(uuid.uuid4()) for _ in range(CONTRACT_PARTNERS)]
    ids = [str(uuid.uuid4()) for _ in range(CONTRACTS)]
    async with service.db.transaction() as conn:
        repo = SqlRepository(conn)
        for i, partner_id in enumerate(partners):
            await repo.save_partner(Partner(partner_id, "client", f"Abonat {i} S.R.L."), now)
        for i, contract_id in enumerate(ids):
            line = Line(str(uuid.uuid4()), "SRV", "Abonament service", "luna", Decimal(1), Decimal(150),
                        Decimal(21), Decimal("150.00"), Decimal("31.50"))  # fmt: skip
            contract = Document(
                id=contract_id, type="contract", number=f"CTR-{year}-B{i:05d}", partner_id=partners[i % len(partners)],
                issued_on=date(year, 1, 1), lines=(line,), net=line.net, vat=line.vat, currency="RON",
                status="active", kind="subscription", starts_on=date(year, 1, 1), ends_on=date(year, 12, 31),
                months=12, monthly_value=line.net,
            )  # fmt: skip
            await repo.add(contract, series_number=False, now=now)
    return ids


async def billing_run(service: Service, client: httpx.AsyncClient, now: datetime) -> None:
    """M5: the month's invoices of CONTRACTS subscription contracts, through the API, 8 clients, end to end."""
    ids = await seed_contracts(service, now)
    period = f"{date.today().year}-{date.today().month:02d}"
    async with service.db.read() as conn:
        partner_ids = list((await conn.execute(sa.select(t.partners.c.partner_id).limit(CONTRACT_PARTNERS))).scalars())

    def invoice(contract_id: str) -> Callable[[], Awaitable[None]]:
        async def call() -> None:
            response = await client.post("/api/invoices", json={"contract_id": contract_id, "period": period})
            assert response.status_code == 201, response.text

        return call

    def bare(i: int) -> Callable[[], Awaitable[None]]:
        return lambda: bare_invoice(service, partner_ids[i % len(partner_ids)], now)

    ours_rate = await concurrent([invoice(i) for i in ids])
    bare_rate = await concurrent([bare(i) for i in range(CONTRACTS)])
    async with service.db.read() as conn:
        billed = (
            await conn.execute(
                sa.select(sa.func.count(), sa.func.count(sa.distinct(t.documents.c.contract_id))).where(
                    t.documents.c.type == "invoice", t.documents.c.period == period
                )
            )
        ).one()
    assert tuple(billed) == (CONTRACTS, CONTRACTS), f"billed {billed}, not each of {CONTRACTS} contracts once"
    report(
        Figure(
            f"commercial: billing run, {CONTRACTS} subscription invoices, {CLIENTS} clients, end to end "
            f"(PG, load {os.getloadavg()[0]:.1f})",
            CONTRACTS / ours_rate,
            CONTRACTS / bare_rate,
            "s",
            higher_is_better=False,
            goal="M5 (printouts follow, see the line above)",
        )
    )
