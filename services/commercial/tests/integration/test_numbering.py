"""Numbering series under concurrent requests: unique and gapless, on SQLite and PostgreSQL; printouts after."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from crm_commercial.store import tables as t


async def test_concurrent_invoices_get_unique_gapless_numbers_an_order_is_invoiced_once_and_each_gets_its_printout(
    make_commercial: Callable[..., Any], database_url: str
) -> None:
    commercial: Any = await make_commercial(database_url=database_url)
    try:
        await commercial.add_article("SRV", "10.00", "21")
        partner = await commercial.add_partner()
        order = (
            await commercial.http.post(
                "/api/documents",
                json={"type": "order", "partner_id": partner, "lines": [{"article_code": "SRV", "qty": "1"}]},
            )
        ).json()
        free = [
            commercial.http.post(
                "/api/invoices", json={"partner_id": partner, "lines": [{"article_code": "SRV", "qty": str(n)}]}
            )
            for n in range(1, 9)
        ]
        same_order = [commercial.http.post("/api/invoices", json={"order_id": order["id"]}) for _ in range(4)]
        responses = await asyncio.gather(*free, *same_order)

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] * 9 + [409] * 3
        numbers = sorted(r.json()["number"] for r in responses if r.status_code == 201)
        assert numbers == [f"FCT-2026-{n:06d}" for n in range(1, 10)]
        balance = (await commercial.http.get(f"/api/balances/{partner}")).json()["balance"]
        assert balance == "447.70"  # (1+...+8 + 1) x 10 x 1.21

        # The numbers were committed without their printouts; each is rendered afterwards (here on first read).
        ids = [r.json()["id"] for r in responses if r.status_code == 201]
        pdfs = await asyncio.gather(*(commercial.http.get(f"/api/documents/{i}/printout") for i in ids))
        async with commercial.service.db.read() as conn:
            rows = (await conn.execute(sa.select(t.documents).where(t.documents.c.type == "invoice"))).all()
        stored = {r.id: r.printout_sha256 for r in rows}
        assert {i: hashlib.sha256(pdf.content).hexdigest() for i, pdf in zip(ids, pdfs, strict=True)} == stored
    finally:
        await commercial.http.aclose()
        await commercial.service.db.dispose()
