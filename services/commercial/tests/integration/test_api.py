"""The commercial HTTP API: articles, documents, invoices, payments, balances, printouts and bad input."""

from __future__ import annotations

import io
import uuid
from typing import Any

import sqlalchemy as sa
from pypdf import PdfReader

from crm_commercial.store import tables as t


async def count(c: Any, table: sa.Table) -> int:
    async with c.service.db.read() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())


async def outbox_types(c: Any) -> list[str]:
    async with c.service.db.read() as conn:
        return [r.ce_type for r in await conn.execute(sa.text("select ce_type from outbox order by id"))]


async def test_the_vat_catalogue_holds_romanias_rates_and_articles_must_use_one(commercial: Any) -> None:
    rates = (await commercial.http.get("/api/vat-rates")).json()["items"]
    assert [r["rate"] for r in rates] == ["21", "11", "0"]
    bad = await commercial.http.post(
        "/api/articles", json={"code": "OLD", "name": "Cotă veche", "unit": "buc", "price": "10", "vat_rate": "19"}
    )
    assert bad.status_code == 422
    assert "19% is not in the catalogue" in bad.json()["detail"]
    await commercial.add_article("LIC", "100.00", "21", name="Licență")
    article = (await commercial.http.get("/api/articles/LIC")).json()
    assert article == {
        "code": "LIC",
        "name": "Licență",
        "unit": "buc",
        "price": "100.00",
        "currency": "RON",
        "vat_rate": "21",
        "photos": [],
    }
    assert await outbox_types(commercial) == ["crm.commercial.ArticleUpdated.v1"]


async def test_an_article_photo_must_be_an_uploaded_blob(commercial: Any) -> None:
    missing = "a" * 64
    response = await commercial.http.post(
        "/api/articles",
        json={"code": "P1", "name": "Cu poză", "unit": "buc", "price": "1", "vat_rate": "21", "photos": [missing]},
    )
    assert response.status_code == 422
    assert "upload it first" in response.json()["detail"]
    photo = commercial.service.blobs.put(b"\x89PNG fake photo")
    await commercial.add_article("P1", "1", "21", photos=[photo])
    assert (await commercial.http.get("/api/articles/P1")).json()["photos"] == [photo]


async def test_only_managers_change_the_catalogue(commercial: Any) -> None:
    response = await commercial.http.post(
        "/api/articles",
        json={"code": "X", "name": "X", "unit": "buc", "price": "1", "vat_rate": "21"},
        headers=commercial.as_role("agent"),
    )
    assert response.status_code == 403


async def test_the_picker_scope_limits_the_articles_documents_may_use(commercial: Any) -> None:
    await commercial.add_article("A", "10", "21")
    await commercial.add_article("B", "10", "21")
    partner = await commercial.add_partner()
    saved = await commercial.http.put(
        "/api/commercial-settings", json={"article_scope": "list", "article_codes": ["B"]}
    )
    assert saved.json() == {"article_scope": "list", "article_codes": ["B"]}
    picker = (await commercial.http.get("/api/articles", params={"picker": "true"})).json()
    assert [a["code"] for a in picker["items"]] == ["B"]
    refused = await commercial.http.post(
        "/api/documents", json={"type": "offer", "partner_id": partner, "lines": [{"article_code": "A", "qty": "1"}]}
    )
    assert refused.status_code == 422
    assert "picker list" in refused.json()["detail"]
    unknown = await commercial.http.put(
        "/api/commercial-settings", json={"article_scope": "list", "article_codes": ["Q"]}
    )
    assert unknown.status_code == 422


async def test_the_article_picker_finds_names_without_their_diacritics_and_only_in_the_chosen_list(
    commercial: Any,
) -> None:
    await commercial.add_article("MNT", "250", "21", name="Mentenanță lunară")
    await commercial.add_article("MNT-S", "300", "21", name="Mentenanță șantier")
    await commercial.add_article("INST", "100", "21", name="Instalare")

    async def codes(q: str, **params: Any) -> list[str]:
        found = await commercial.http.get("/api/articles", params={"q": q, "limit": 20, **params})
        assert found.status_code == 200, found.text
        return [a["code"] for a in found.json()["items"]]

    assert await codes("mentenanta") == ["MNT", "MNT-S"]
    assert await codes("SANTIER") == ["MNT-S"]
    assert await codes("mnt") == ["MNT", "MNT-S"]
    assert await codes("%") == []
    saved = await commercial.http.put(
        "/api/commercial-settings", json={"article_scope": "list", "article_codes": ["MNT-S", "INST"]}
    )
    assert saved.status_code == 200, saved.text
    assert await codes("mentenanta", picker="true") == ["MNT-S"]
    assert await codes("mentenanta") == ["MNT", "MNT-S"]  # the catalogue page still shows them all


async def test_bad_documents_get_a_clear_4xx_and_write_nothing(commercial: Any) -> None:
    await commercial.add_article("SRV", "50", "21")
    partner = await commercial.add_partner()
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"partner_id": partner, "lines": [{"article_code": "SRV", "qty": "-2"}]}, 422, "quantity must be positive"),
        ({"partner_id": partner, "lines": [{"article_code": "NOPE", "qty": "1"}]}, 422, "unknown article 'NOPE'"),
        ({"partner_id": str(uuid.uuid4()), "lines": [{"article_code": "SRV", "qty": "1"}]}, 422, "unknown partner"),
        ({"partner_id": partner, "lines": []}, 422, "at least one line"),
        ({"partner_id": partner, "lines": [{"article_code": "SRV", "qty": "abc"}]}, 400, ""),
        ({"partner_id": "not-a-uuid", "lines": [{"article_code": "SRV", "qty": "1"}]}, 400, ""),
    ]
    before = await outbox_types(commercial)
    for body, status, message in cases:
        response = await commercial.http.post("/api/invoices", json=body)
        assert response.status_code == status, (body, response.text)
        assert message in response.json()["detail"]
    offer = await commercial.http.post(
        "/api/documents",
        json={"type": "offer", "partner_id": partner, "lines": [{"article_code": "SRV", "qty": "-1"}]},
    )
    assert offer.status_code == 422
    payment = await commercial.http.post(
        "/api/payments", json={"partner_id": partner, "amount": "-5", "date": "2026-03-10"}
    )
    assert payment.status_code == 422
    assert await count(commercial, t.documents) == 0
    assert await outbox_types(commercial) == before
    assert (await commercial.http.get(f"/api/documents/{uuid.uuid4()}")).status_code == 404
    assert (await commercial.http.get(f"/api/balances/{uuid.uuid4()}")).status_code == 404


async def test_an_invoice_from_an_order_carries_worked_totals_and_moves_the_balance(commercial: Any) -> None:
    await commercial.add_article("LIC", "0.50", "21", name="Licență")
    await commercial.add_article("CRT", "1.50", "11", name="Carte")
    partner = await commercial.add_partner()
    order = (
        await commercial.http.post(
            "/api/documents",
            json={
                "type": "order",
                "partner_id": partner,
                "lines": [
                    {"article_code": "LIC", "qty": "3", "price": "33.33"},
                    {"article_code": "CRT", "qty": "2.5"},
                    {"article_code": "LIC", "qty": "1"},
                ],
            },
        )
    ).json()
    assert order["number"] == "CMD-2026-000001"
    assert [(x["net"], x["vat"]) for x in order["lines"]] == [("99.99", "21.00"), ("3.75", "0.41"), ("0.50", "0.11")]
    assert (order["net"], order["vat"], order["gross"], order["currency"]) == ("104.24", "21.52", "125.76", "RON")

    invoice = await commercial.http.post("/api/invoices", json={"order_id": order["id"]})
    assert invoice.status_code == 201
    body = invoice.json()
    assert (body["number"], body["order_id"], body["gross"]) == ("FCT-2026-000001", order["id"], "125.76")
    again = await commercial.http.post("/api/invoices", json={"order_id": order["id"]})
    assert again.status_code == 409
    assert "already invoiced by FCT-2026-000001" in again.json()["detail"]

    paid = await commercial.http.post(
        "/api/payments",
        json={"partner_id": partner, "amount": "100.00", "date": "2026-03-11", "invoice_id": body["id"]},
    )
    assert paid.status_code == 201
    assert paid.json()["number"] == "INC-2026-000001"
    balance = (await commercial.http.get(f"/api/balances/{partner}")).json()
    assert balance == {"partner_id": partner, "balance": "25.76", "currency": "RON"}
    assert await outbox_types(commercial) == [
        "crm.commercial.ArticleUpdated.v1",
        "crm.commercial.ArticleUpdated.v1",
        "crm.commercial.ClientOrderPlaced.v1",
        # The balance moves before the invoice takes its number (less time under the series lock).
        "crm.commercial.BalanceChanged.v1",
        "crm.commercial.InvoiceIssued.v1",
        "crm.commercial.PaymentReceived.v1",
        "crm.commercial.BalanceChanged.v1",
    ]
    docs = (await commercial.http.get("/api/documents", params={"partner_id": partner, "type": "invoice"})).json()
    assert [d["number"] for d in docs["items"]] == ["FCT-2026-000001"]


async def test_a_subscription_is_invoiced_month_by_month_once(commercial: Any) -> None:
    await commercial.add_article("ABO", "250.00", "21", name="Abonament mentenanță")
    await commercial.add_article("ORA", "120.00", "21", name="Oră intervenție")
    partner = await commercial.add_partner()
    contract = (
        await commercial.http.post(
            "/api/contracts",
            json={
                "partner_id": partner,
                "kind": "subscription",
                "starts_on": "2026-02-01",
                "months": 3,
                "lines": [{"article_code": "ABO", "qty": "1"}],
            },
        )
    ).json()
    assert (contract["number"], contract["ends_on"], contract["monthly_value"]) == (
        "CTR-2026-000001",
        "2026-04-30",
        "250.00",
    )
    active = (
        await commercial.http.get(
            "/api/contracts", params={"partner_id": partner, "active": "true", "article_code": "ABO"}
        )
    ).json()
    assert active["total"] == 1
    assert active["items"][0]["covers"] is True
    assert active["items"][0]["covering_line_ids"] == [contract["lines"][0]["line_id"]]
    other = await commercial.http.get(f"/api/contracts/{contract['id']}", params={"article_code": "ORA"})
    assert other.json()["covers"] is False

    march = await commercial.http.post("/api/invoices", json={"contract_id": contract["id"], "period": "2026-03"})
    assert march.status_code == 201
    assert (march.json()["period"], march.json()["gross"]) == ("2026-03", "302.50")
    twice = await commercial.http.post("/api/invoices", json={"contract_id": contract["id"], "period": "2026-03"})
    assert twice.status_code == 409
    outside = await commercial.http.post("/api/invoices", json={"contract_id": contract["id"], "period": "2026-05"})
    assert outside.status_code == 422
    assert "outside contract CTR-2026-000001" in outside.json()["detail"]

    ended = await commercial.http.post(f"/api/contracts/{contract['id']}/end", json={"ended_on": "2026-03-05"})
    assert ended.json()["status"] == "ended"
    assert (await commercial.http.get("/api/contracts", params={"partner_id": partner, "active": "true"})).json()[
        "total"
    ] == 0


async def test_the_same_request_id_twice_gives_one_document(commercial: Any) -> None:
    await commercial.add_article("SRV", "10", "21")
    partner = await commercial.add_partner()
    body = {
        "partner_id": partner,
        "lines": [{"article_code": "SRV", "qty": "1"}],
        "request_id": str(uuid.uuid4()),
    }
    first = await commercial.http.post("/api/invoices", json=body)
    second = await commercial.http.post("/api/invoices", json=body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert await count(commercial, t.documents) == 1
    assert (await commercial.http.get(f"/api/balances/{partner}")).json()["balance"] == "12.10"


async def test_a_cost_document_can_be_added_to_a_campaigns_marketing_costs(commercial: Any) -> None:
    supplier = await commercial.add_partner("Tipografia Ploiești S.R.L.", kind="supplier")
    campaign = str(uuid.uuid4())
    body = {
        "kind": "purchase_invoice",
        "partner_id": supplier,
        "number": "TP 4411",
        "date": "2026-03-02",
        "net": "1500.00",
        "vat": "315.00",
        "campaign_id": campaign,
        "description": "Pliante târg",
    }
    posted = await commercial.http.post("/api/cost-documents", json=body)
    assert posted.status_code == 201
    doc = posted.json()
    assert (doc["number"], doc["external_number"], doc["campaign_id"]) == ("CH-2026-000001", "TP 4411", campaign)
    duplicate = await commercial.http.post("/api/cost-documents", json=body)
    assert duplicate.status_code == 409
    no_supplier = await commercial.http.post("/api/cost-documents", json={**body, "partner_id": None, "number": "Z"})
    assert no_supplier.status_code == 422
    negative = await commercial.http.post("/api/cost-documents", json={**body, "number": "N", "net": "-1"})
    assert negative.status_code == 422
    expense = await commercial.http.post(
        "/api/cost-documents",
        json={
            "kind": "expense_report",
            "number": "DD 7",
            "date": "2026-03-03",
            "net": "80.00",
            "campaign_id": campaign,
        },
    )
    assert expense.status_code == 201
    async with commercial.service.db.read() as conn:
        rows = (
            await conn.execute(sa.text("select ce_type, payload from outbox where ce_type like '%CostDocument%'"))
        ).all()
    assert len(rows) == 2
    assert all(campaign.encode() in bytes(r.payload) for r in rows)


async def test_an_offer_is_accepted_into_an_order_and_a_contract_or_rejected_with_a_reason(commercial: Any) -> None:
    await commercial.add_article("SRV", "10", "21")
    partner = await commercial.add_partner()
    make = {"type": "offer", "partner_id": partner, "lines": [{"article_code": "SRV", "qty": "4"}]}
    offer = (await commercial.http.post("/api/documents", json=make)).json()
    assert offer["valid_until"] == "2026-04-09"
    accepted = await commercial.http.post(
        f"/api/documents/{offer['id']}/accept", json={"then": "both", "contract_kind": "commercial"}
    )
    assert accepted.status_code == 200
    follow = accepted.json()["documents"]
    assert [d["type"] for d in follow] == ["order", "contract"]
    assert all(d["source"]["offer_id"] == offer["id"] for d in follow)
    rejected_late = await commercial.http.post(f"/api/documents/{offer['id']}/reject", json={"reason_code": "PRICE"})
    assert rejected_late.status_code == 409

    second = (await commercial.http.post("/api/documents", json=make)).json()
    no_reason = await commercial.http.post(f"/api/documents/{second['id']}/reject", json={"reason_code": " "})
    assert no_reason.status_code == 422
    rejected = await commercial.http.post(
        f"/api/documents/{second['id']}/reject", json={"reason_code": "COMPETITOR", "note": "Concurența a dat 8 lei"}
    )
    assert rejected.json()["status"] == "rejected"
    types = await outbox_types(commercial)
    assert types.count("crm.commercial.OfferAccepted.v1") == 1
    assert types.count("crm.commercial.OfferRejected.v1") == 1


async def test_the_printout_is_a_pdf_with_romanian_diacritics(commercial: Any) -> None:
    await commercial.add_article("MNT", "1234.50", "21", name="Mentenanță și întreținere țevi")
    partner = await commercial.add_partner("Fabrica de Încălțăminte Bârlad S.A.")
    invoice = (
        await commercial.http.post(
            "/api/invoices", json={"partner_id": partner, "lines": [{"article_code": "MNT", "qty": "2"}]}
        )
    ).json()
    response = await commercial.http.get(invoice["printout_url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Factură fiscală" in text
    assert "FCT-2026-000001" in text
    assert "Fabrica de Încălțăminte Bârlad S.A." in text
    assert "Mentenanță și întreținere țevi" in text
    assert "Total de plată" in text
    assert "2.987,49 RON" in text  # 2469.00 + 518.49 VAT
    assert "Str. Ștefan cel Mare 1" in text
