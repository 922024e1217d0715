"""The staff directory, dossiers (D1) and the CSV import of partners, over HTTP."""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa

from crm_contracts import topics
from crm_contracts.partners import DocumentFiled, StaffMemberRegistered
from crm_kit.testing import eventually, read_events


async def count(partners, table: str) -> int:  # type: ignore[no-untyped-def]
    async with partners.service.db.read() as conn:
        return int((await conn.execute(sa.text(f"select count(*) from {table}"))).scalar_one())


async def test_staff_members_are_registered_found_and_changed_and_a_login_belongs_to_one_person(
    partners, kafka_bootstrap
) -> None:
    maria = await partners.post(
        "/api/staff",
        {
            "name": "Maria Ionescu",
            "email": "Maria@Firma.ro",
            "user_login": "maria",
            "hours_per_day": "6",
            "categories": ["service", "Service", "IT"],
            "team": "Service Cluj",
        },
    )
    assert maria.status_code == 201, maria.text
    m = maria.json()
    assert m["email"] == "maria@firma.ro" and m["hours_per_day"] == "6.00" and m["categories"] == ["service", "IT"]
    await partners.post("/api/staff", {"name": "Ion Tehnician", "hours_per_day": 8, "categories": ["service"]})

    same_login = await partners.post("/api/staff", {"name": "Alt", "user_login": "maria"})
    assert same_login.status_code == 409
    too_many_hours = await partners.post("/api/staff", {"name": "Alt", "hours_per_day": 25})
    assert too_many_hours.status_code == 422
    assert (await partners.get(f"/api/staff/{'0190a000-0000-7000-8000-000000000000'}")).status_code == 404

    service = (await partners.get("/api/staff", category="SERVICE")).json()
    assert service["total"] == 2
    assert [s["name"] for s in (await partners.get("/api/staff", team="Service Cluj")).json()["items"]] == [
        "Maria Ionescu"
    ]
    changed = (await partners.patch(f"/api/staff/{m['id']}", {"hours_per_day": "4.5", "user_login": None})).json()
    assert changed["hours_per_day"] == "4.50" and changed["user_login"] is None

    found = await read_events(
        kafka_bootstrap,
        partners.settings.topic_prefix,
        topics.PARTNERS,
        until=lambda evs: sum(isinstance(e, StaffMemberRegistered) for _, e in evs) == 2,
    )
    registered = next(e for _, e in found if isinstance(e, StaffMemberRegistered) and e.name == "Maria Ionescu")
    assert registered.user_login == "maria" and str(registered.hours_per_day) == "6.00"

    rep = await partners.post(
        "/api/partners", {"name": "Acme", "sales_rep_staff_id": m["id"], "service_rep_staff_id": m["id"]}
    )
    assert rep.status_code == 201
    assert (await partners.get("/api/partners", sales_rep_staff_id=m["id"])).json()["total"] == 1


async def test_blobs_are_filed_in_dossiers_browsed_with_counts_and_sizes(partners, kafka_bootstrap) -> None:
    acme = (await partners.post("/api/partners", {"name": "Acme"})).json()
    contract_pdf = partners.service.blobs.put(b"%PDF contract" * 100)
    photo = partners.service.blobs.put(b"\x89PNG photo")
    dossier = (
        await partners.post(
            "/api/dossiers", {"name": "Contracte 2026", "partner_id": acme["id"], "category": "contracte"}
        )
    ).json()
    other = (await partners.post("/api/dossiers", {"name": "Poze", "category": "foto"})).json()

    filed = await partners.post(
        f"/api/dossiers/{dossier['id']}/documents",
        {
            "sha256": contract_pdf,
            "file_name": "../../etc/CT-1.pdf",
            "source_type": "contract",
            "source_id": "0190a000-0000-7000-8000-000000000001",
        },
    )
    assert filed.status_code == 201, filed.text
    assert filed.json()["file_name"] == "CT-1.pdf" and filed.json()["size"] == 1300
    await partners.post(f"/api/dossiers/{other['id']}/documents", {"sha256": photo, "file_name": "poza.png"})

    again = await partners.post(
        f"/api/dossiers/{dossier['id']}/documents", {"sha256": contract_pdf, "file_name": "x.pdf"}
    )
    assert again.status_code == 409
    missing = await partners.post(
        f"/api/dossiers/{dossier['id']}/documents", {"sha256": hashlib.sha256(b"none").hexdigest(), "file_name": "x"}
    )
    assert missing.status_code == 422
    unknown = await partners.post(
        "/api/dossiers/0190a000-0000-7000-8000-000000000000/documents", {"sha256": photo, "file_name": "x"}
    )
    assert unknown.status_code == 404
    assert (
        await partners.post("/api/dossiers", {"name": "X", "partner_id": "0190a000-0000-7000-8000-000000000000"})
    ).status_code == 422

    read = (await partners.get(f"/api/dossiers/{dossier['id']}")).json()
    assert read["documents"] == 1 and read["bytes"] == 1300 and read["items"][0]["source_type"] == "contract"
    for_acme = (await partners.get("/api/dossiers", partner_id=acme["id"])).json()
    assert [(d["name"], d["documents"], d["bytes"]) for d in for_acme["items"]] == [("Contracte 2026", 1, 1300)]
    categories = (await partners.get("/api/dossiers/categories")).json()["items"]
    assert categories == [
        {"category": "contracte", "dossiers": 1, "documents": 1, "bytes": 1300},
        {"category": "foto", "dossiers": 1, "documents": 1, "bytes": len(b"\x89PNG photo")},
    ]
    found = await read_events(
        kafka_bootstrap,
        partners.settings.topic_prefix,
        topics.PARTNERS,
        until=lambda evs: any(isinstance(e, DocumentFiled) and e.partner_id is not None for _, e in evs),
    )
    event = next(e for _, e in found if isinstance(e, DocumentFiled) and e.partner_id is not None)
    assert event.sha256 == contract_pdf and event.dossier_name == "Contracte 2026"


async def test_a_dossier_picker_finds_dossiers_by_a_folded_word_of_their_name_or_partner(partners) -> None:
    acme = (await partners.post("/api/partners", {"name": "Acme Brașov"})).json()
    mine = (await partners.post("/api/dossiers", {"name": "Contracte Iași", "partner_id": acme["id"]})).json()
    other = (await partners.post("/api/dossiers", {"name": "Iașul altfel"})).json()

    found = (await partners.get("/api/dossiers/search", q="IASI")).json()["items"]
    assert [d["id"] for d in found] == [mine["id"]]
    assert found[0] == {
        "id": mine["id"],
        "name": "Contracte Iași",
        "category": "general",
        "partner_id": acme["id"],
        "partner_name": "Acme Brașov",
    }
    assert [d["id"] for d in (await partners.get("/api/dossiers/search", q="ias")).json()["items"]] == [
        other["id"],
        mine["id"],
    ]
    assert [d["id"] for d in (await partners.get("/api/dossiers/search", q="bras")).json()["items"]] == [mine["id"]]
    own = (await partners.get("/api/dossiers/search", q="", partner_id=acme["id"])).json()["items"]
    assert [d["id"] for d in own] == [mine["id"]]
    refused = await partners.get("/api/dossiers/search", q="x" * 1000)
    assert refused.status_code == 422, refused.text
    assert (await partners.get("/api/dossiers/search", q="a", partner_id="nope")).status_code == 400


GOOD_CSV = """denumire;cui;judet;localitate;email;cifra de afaceri;angajati;tip
Alfa SRL;RO14399840;Cluj;Cluj-Napoca;office@alfa.ro;1000,50;12;client
Beta SA;;Iasi;Iași;office@beta.ro vanzari@beta.ro;;;prospect
"""


async def import_and_wait(partners, content: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    started = await partners.post("/api/partner-imports", {"file_name": "parteneri.csv", "content": content})
    assert started.status_code == 202, started.text

    async def done() -> dict | None:  # type: ignore[type-arg]
        body = (await partners.get(f"/api/partner-imports/{started.json()['id']}")).json()
        return body if body["status"] not in ("validating", "storing") else None

    return await eventually(done)  # type: ignore[no-any-return]


async def test_a_csv_import_brings_in_every_row_or_none_and_names_each_bad_row(partners) -> None:
    await partners.post("/api/partners", {"name": "Existent", "sites": [{"name": "S", "emails": ["taken@x.ro"]}]})
    before = await count(partners, "partners")
    bad = GOOD_CSV + (
        "Gama;RO14399841;Cluj;;gama@x.ro;;;client\n"
        "Delta;;Narnia;;delta@x.ro;;;client\n"
        "Epsilon;;;;TAKEN@x.ro;;;client\n"
        "Zeta;;;;office@alfa.ro;;;client\n"
    )
    rejected = await import_and_wait(partners, bad)
    assert rejected["status"] == "rejected" and rejected["imported"] == 0
    assert rejected["processed_rows"] == rejected["total_rows"] == 6
    by_row = {(e["row"], e["field"]) for e in rejected["errors"]}
    assert by_row == {(4, "fiscal_code"), (5, "county"), (6, "emails"), (7, "emails")}
    assert "4 of 6 rows have errors" in rejected["message"]
    assert await count(partners, "partners") == before

    imported = await import_and_wait(partners, GOOD_CSV)
    assert imported["status"] == "imported" and imported["imported"] == 2, imported
    alfa = (await partners.get("/api/partners", name="alfa")).json()["items"][0]
    assert alfa["county"] == "Cluj" and alfa["turnover"] == "1000.50" and alfa["fiscal_code"] == "RO14399840"
    beta = (await partners.get("/api/partners", email="vanzari@beta.ro")).json()["items"][0]
    assert beta["kind"] == "lead"
    listed = (await partners.get("/api/partner-imports")).json()
    assert listed["total"] == 2

    unreadable = await partners.post("/api/partner-imports", {"content": "culoare;marime\nrosu;mare\n"})
    assert unreadable.status_code == 422 and "unknown columns" in unreadable.json()["detail"]


async def test_a_csv_import_names_representatives_by_staff_email_or_name_and_says_which_name_is_unknown(
    partners,
) -> None:
    ana = (await partners.post("/api/staff", {"name": "Ana Vânzări", "email": "ana.v@firma.ro"})).json()
    ion = (await partners.post("/api/staff", {"name": "Ion Service", "user_login": "ion.s"})).json()
    unknown = await import_and_wait(partners, "name;sales_rep;service_rep\nRep Unu;Nimeni Cunoscut;ion.s\n")
    assert unknown["status"] == "rejected"
    assert [(e["field"], e["code"], e["params"]) for e in unknown["errors"]] == [
        ("sales_rep", "partner_import.staff_not_found", {"value": "Nimeni Cunoscut"})
    ]
    done = await import_and_wait(
        partners, "denumire;reprezentant vanzari;reprezentant service\nRep Doi;ANA.V@firma.ro;ion service\n"
    )
    assert done["status"] == "imported", done
    found = (await partners.get("/api/partners", name="rep doi")).json()["items"][0]
    assert (found["sales_rep_staff_id"], found["service_rep_staff_id"]) == (ana["id"], ion["id"])
