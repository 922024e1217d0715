"""The partner search behind the web pickers: word starts, accents ignored, bounded, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from crm_kit.identity import Identity

AGENT = Identity(user_id="u-agent", username="ana", role="agent")


async def register(partners: Any, name: str, kind: str = "client") -> str:
    response = await partners.post("/api/partners", {"kind": kind, "name": name, "sites": [], "contacts": []})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [p["name"] for p in response.json()["items"]]


async def test_a_search_without_diacritics_finds_names_written_with_them_and_the_reverse(partners: Any) -> None:
    await register(partners, "Ștefan Brașov Trans SRL")
    await register(partners, "Stefanescu Construct SRL")
    await register(partners, "Beta Logistic SRL")

    assert names(await partners.get("/api/partners/search", q="Brasov")) == ["Ștefan Brașov Trans SRL"]
    assert names(await partners.get("/api/partners/search", q="Ştefan")) == [
        "Ștefan Brașov Trans SRL",
        "Stefanescu Construct SRL",
    ]
    assert names(await partners.get("/api/partners/search", q="BRAȘ")) == ["Ștefan Brașov Trans SRL"]


async def test_names_starting_with_the_query_come_before_names_with_a_later_word_starting_with_it(
    partners: Any,
) -> None:
    await register(partners, "Acme Trans SRL")
    await register(partners, "Transilvania Grup SA")
    await register(partners, "Intrans SRL")  # "trans" inside a word is not a match

    assert names(await partners.get("/api/partners/search", q="trans")) == ["Transilvania Grup SA", "Acme Trans SRL"]
    assert names(await partners.get("/api/partners/search", q="acme tr")) == ["Acme Trans SRL"]
    assert names(await partners.get("/api/partners/search", q="tr acme")) == ["Acme Trans SRL"]


async def test_the_answer_is_bounded_and_a_later_partner_is_found_by_its_name(partners: Any) -> None:
    for n in range(1, 31):
        await register(partners, f"Import Audit {n:03d}")

    assert len(names(await partners.get("/api/partners/search", q="import"))) == 20
    assert len(names(await partners.get("/api/partners/search", q="import", limit=5))) == 5
    assert names(await partners.get("/api/partners/search", q="audit 029")) == ["Import Audit 029"]


async def test_a_full_answer_of_names_starting_with_the_query_is_the_same_as_the_whole_ordered_search(
    partners: Any,
) -> None:
    """The names starting with the query are read first (the name index); the answer is unchanged."""
    await register(partners, "Acme Import SRL")  # a later word starts with the query: after every name starting with it
    for n in (7, 3, 25, 1, 12, 9, 18, 2, 22, 5, 14, 20, 11, 24, 4, 16, 8, 21, 13, 6, 19, 10, 23, 15, 17):
        await register(partners, f"Import Audit {n:03d}")
    await register(partners, "Importex SRL")

    found = names(await partners.get("/api/partners/search", q="import"))
    assert found == ["Import Audit 001", *(f"Import Audit {n:03d}" for n in range(2, 21))]
    assert names(await partners.get("/api/partners/search", q="import", limit=30)) == [
        *(f"Import Audit {n:03d}" for n in range(1, 26)),
        "Importex SRL",
        "Acme Import SRL",
    ]
    assert names(await partners.get("/api/partners/search", q="import audit 02", limit=5)) == [
        f"Import Audit {n:03d}" for n in range(20, 25)
    ]


async def test_kind_narrows_the_search_and_an_agent_may_search(partners: Any) -> None:
    await register(partners, "Gama Furnizor SRL", kind="supplier")
    await register(partners, "Gama Client SRL", kind="client")

    found = await partners.get("/api/partners/search", who=AGENT, q="gama", kind="supplier")
    assert names(found) == ["Gama Furnizor SRL"]
    assert set(found.json()["items"][0]) >= {"id", "name", "kind", "locality"}


async def test_an_empty_or_wildcard_query_finds_nothing_rather_than_everything(partners: Any) -> None:
    await register(partners, "Delta SRL")

    assert names(await partners.get("/api/partners/search", q="")) == []
    assert names(await partners.get("/api/partners/search", q="%")) == []
    assert names(await partners.get("/api/partners/search", q="_elta")) == []


async def test_bad_search_parameters_are_refused_with_a_client_error(partners: Any) -> None:
    assert (await partners.get("/api/partners/search", q="a", limit=0)).status_code == 400
    assert (await partners.get("/api/partners/search", q="a", limit=51)).status_code == 400
    assert (await partners.get("/api/partners/search", q="a", kind="nobody")).status_code == 422
    assert (await partners.get("/api/partners/search", q="a" * 101)).status_code == 422


async def add_staff(partners: Any, name: str, team: str) -> str:
    body = {"name": name, "email": None, "hours_per_day": "8", "categories": [], "team": team}
    response = await partners.post("/api/staff", body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_staff_are_searched_by_word_start_without_diacritics_and_inactive_ones_can_be_left_out(
    partners: Any,
) -> None:
    await add_staff(partners, "Ștefan Ionescu", "vânzări")
    gone = await add_staff(partners, "Stela Ionașcu", "suport")
    await add_staff(partners, "Maria Pop", "suport")
    left = await partners.patch(f"/api/staff/{gone}", {"active": False})
    assert left.status_code == 200, left.text

    assert names(await partners.get("/api/staff/search", q="ste")) == ["Ștefan Ionescu", "Stela Ionașcu"]
    assert names(await partners.get("/api/staff/search", q="iona")) == ["Stela Ionașcu"]
    assert names(await partners.get("/api/staff/search", who=AGENT, q="ste", active="true")) == ["Ștefan Ionescu"]
    assert names(await partners.get("/api/staff/search", q="")) == []
    assert (await partners.get("/api/staff/search", q="a", limit=51)).status_code == 400
