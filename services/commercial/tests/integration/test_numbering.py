"""Numbering series under concurrent requests: unique and gapless, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


async def test_concurrent_invoices_get_unique_gapless_numbers_and_an_order_is_invoiced_once(
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
    finally:
        await commercial.http.aclose()
        await commercial.service.db.dispose()
