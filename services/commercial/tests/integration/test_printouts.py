"""An invoice's printout is rendered after the invoice commits: by the worker, or on first read; cached."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

import sqlalchemy as sa

from crm_commercial.store import tables as t


async def outbox(c: Any, ce_type: str) -> list[dict[str, Any]]:
    async with c.service.db.read() as conn:
        rows = await conn.execute(sa.text("select payload from outbox where ce_type = :t order by id"), {"t": ce_type})
        return [json.loads(r.payload) for r in rows]


async def printouts_of_invoices(c: Any) -> dict[str, str | None]:
    async with c.service.db.read() as conn:
        rows = await conn.execute(
            sa.select(t.documents.c.number, t.documents.c.printout_sha256).where(t.documents.c.type == "invoice")
        )
        return {r.number: r.printout_sha256 for r in rows}


async def issue(c: Any, partner: str, qty: int = 1) -> dict[str, Any]:
    response = await c.http.post(
        "/api/invoices", json={"partner_id": partner, "lines": [{"article_code": "SRV", "qty": str(qty)}]}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_an_invoice_is_issued_without_its_printout_which_the_first_read_renders_caches_and_announces(
    commercial: Any,
) -> None:
    await commercial.add_article("SRV", "100.00", "21")
    partner = await commercial.add_partner()
    invoice = await issue(commercial, partner)

    assert invoice["printout_sha256"] is None
    assert invoice["printout_url"] == f"/api/documents/{invoice['id']}/printout"
    (issued,) = await outbox(commercial, "crm.commercial.InvoiceIssued.v1")
    assert issued["printout_sha256"] is None
    assert await outbox(commercial, "crm.commercial.InvoicePrintoutReady.v1") == []

    first = await commercial.http.get(invoice["printout_url"])
    assert first.status_code == 200
    assert first.content.startswith(b"%PDF")
    sha = hashlib.sha256(first.content).hexdigest()
    assert await printouts_of_invoices(commercial) == {invoice["number"]: sha}
    assert commercial.service.blobs.get(sha) == first.content
    second = await commercial.http.get(invoice["printout_url"])
    assert second.content == first.content
    (ready,) = await outbox(commercial, "crm.commercial.InvoicePrintoutReady.v1")
    assert ready["document_id"] == ready["invoice_id"] == invoice["id"]
    assert (ready["number"], ready["printout_sha256"], ready["partner_id"]) == (invoice["number"], sha, partner)
    assert (await commercial.http.get(f"/api/documents/{invoice['id']}")).json()["printout_sha256"] == sha


async def test_the_printout_worker_renders_every_issued_invoice_once_after_its_commit(commercial: Any) -> None:
    await commercial.add_article("SRV", "100.00", "21")
    partner = await commercial.add_partner()
    stop = asyncio.Event()
    worker = asyncio.ensure_future(commercial.service.workers["printouts"](stop))
    try:
        invoices = [await issue(commercial, partner, qty) for qty in (1, 2, 3)]
        for _ in range(200):
            if all((await printouts_of_invoices(commercial)).values()):
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await worker
    printouts = await printouts_of_invoices(commercial)
    assert sorted(printouts) == sorted(i["number"] for i in invoices)
    for invoice in invoices:
        sha = printouts[invoice["number"]]
        assert sha is not None
        response = await commercial.http.get(invoice["printout_url"])
        assert hashlib.sha256(response.content).hexdigest() == sha
    ready = await outbox(commercial, "crm.commercial.InvoicePrintoutReady.v1")
    assert sorted(r["number"] for r in ready) == sorted(printouts)
    offer = await commercial.http.post(
        "/api/documents", json={"type": "offer", "partner_id": partner, "lines": [{"article_code": "SRV", "qty": "1"}]}
    )
    assert offer.json()["printout_sha256"] is not None, "an offer's printout is still made as it is issued"
