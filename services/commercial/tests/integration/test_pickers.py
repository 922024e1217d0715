"""The commercial search routes behind the web UI's pickers: accents and case ignored, bounded, C5 respected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


async def test_the_article_search_ignores_accents_answers_at_most_the_limit_and_offers_only_c5s_list(
    make_commercial: Callable[..., Any], database_url: str
) -> None:
    commercial: Any = await make_commercial(database_url=database_url)
    try:
        await commercial.add_article("MNT", "90", "21", name="Mentenanță Brașov")
        for n in range(25):
            await commercial.add_article(f"BR{n:02d}", "1", "21", name=f"Broșură {n:02d}")
        http = commercial.http
        found = (await http.get("/api/articles/search", params={"q": "brasov"})).json()
        assert found == {
            "items": [{"code": "MNT", "name": "Mentenanță Brașov", "unit": "buc", "price": "90.00", "vat_rate": "21"}]
        }
        bounded = (await http.get("/api/articles/search", params={"q": "BROS"})).json()["items"]
        assert [a["code"] for a in bounded] == [f"BR{n:02d}" for n in range(20)]
        codes_first = (await http.get("/api/articles/search", params={"q": "br", "limit": 3})).json()["items"]
        assert [a["code"] for a in codes_first] == ["BR00", "BR01", "BR02"]
        await http.put("/api/commercial-settings", json={"article_scope": "list", "article_codes": ["BR07"]})
        listed = await http.get("/api/articles/search", params={"q": "b"}, headers=commercial.as_role("agent"))
        assert [a["code"] for a in listed.json()["items"]] == ["BR07"]
        too_many = await http.get("/api/articles/search", params={"q": "b", "limit": 51})
        assert too_many.status_code == 400
    finally:
        await commercial.http.aclose()
        await commercial.service.db.dispose()


async def test_documents_and_contracts_are_found_by_number_or_partner_name_and_a_contracts_lines_by_article(
    make_commercial: Callable[..., Any], database_url: str
) -> None:
    commercial: Any = await make_commercial(database_url=database_url)
    try:
        http = commercial.http
        await commercial.add_article("SRV", "150", "21", name="Oră de service")
        await commercial.add_article("LIC", "1000", "21", name="Licență ERP")
        brasov = await commercial.add_partner("Ferma Brașov S.R.L.")
        other = await commercial.add_partner("Alt Client")
        lines = [{"article_code": "SRV", "qty": "2"}, {"article_code": "LIC", "qty": "1"}]
        contract = (
            await http.post(
                "/api/contracts", json={"partner_id": brasov, "lines": lines, "starts_on": "2026-03-01", "months": 12}
            )
        ).json()
        offer = (await http.post("/api/documents", json={"type": "offer", "partner_id": other, "lines": lines})).json()

        found = (await http.get("/api/documents/search", params={"q": "BRASOV ferma"})).json()["items"]
        assert [(d["id"], d["name"], d["partner_name"]) for d in found] == [
            (contract["id"], f"{contract['number']} — Ferma Brașov S.R.L.", "Ferma Brașov S.R.L.")
        ]
        by_number = await http.get("/api/documents/search", params={"q": offer["number"][-6:], "type": "offer"})
        assert [d["id"] for d in by_number.json()["items"]] == [offer["id"]]
        contracts = (await http.get("/api/contracts/search", params={"q": "fer", "active": "true"})).json()["items"]
        assert [(c["id"], c["starts_on"]) for c in contracts] == [(contract["id"], "2026-03-01")]
        of_partner = (await http.get("/api/contracts/search", params={"partner_id": other})).json()
        assert of_partner == {"items": []}

        contract_lines = (await http.get(f"/api/contracts/{contract['id']}/lines", params={"q": "licenta"})).json()
        assert [(li["code"], li["name"]) for li in contract_lines["items"]] == [("LIC", "Licență ERP")]
        assert contract_lines["items"][0]["id"] == contract["lines"][1]["line_id"]
        not_a_contract = await http.get(f"/api/contracts/{offer['id']}/lines")
        assert not_a_contract.status_code == 404
        bad_type = await http.get("/api/documents/search", params={"q": "x", "type": "nonsense"})
        assert bad_type.status_code == 400
        too_long = await http.get("/api/contracts/search", params={"q": "x" * 101})
        assert too_long.status_code == 400
    finally:
        await commercial.http.aclose()
        await commercial.service.db.dispose()
