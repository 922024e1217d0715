"""The partners, staff and dossier pages through the gateway, on a running stack (gateway + partners)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from crm_kit.testing.stack import ADMIN_PASSWORD, Stack, remember_csrf_token, start_stack

pytestmark = pytest.mark.ui


@pytest.fixture
async def stack(service_env: Callable[..., dict[str, Any]]) -> AsyncIterator[Stack]:
    async with start_stack(service_env, ["partners"]) as running:
        yield running


@pytest.fixture
async def browser(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """A logged-in browser session (cookies), as admin."""
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30, follow_redirects=True) as client:
        answer = await client.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD, "next": "/"})
        assert answer.status_code == 200
        remember_csrf_token(client, answer)
        yield client


async def test_a_user_finds_a_partner_opens_its_page_and_is_told_what_is_wrong_with_a_bad_form(
    stack: Stack, browser: httpx.AsyncClient
) -> None:
    maria = (await stack.client.post("/api/staff", json={"name": "Maria Ionescu", "team": "Cluj"})).json()
    created = await stack.client.post(
        "/api/partners",
        json={
            "name": "Acme Cluj SRL",
            "kind": "lead",
            "county": "CJ",
            "fiscal_code": "RO14399840",
            "sites": [{"name": "Sediu", "emails": ["office@acme.ro"]}],
            "competitors": ["Beta"],
            "sales_rep_staff_id": maria["id"],
        },
    )
    assert created.status_code == 201, created.text
    acme = created.json()

    listing = await browser.get("/partners", params={"county": "Cluj", "kind": "lead"})
    assert listing.status_code == 200 and "Acme Cluj SRL" in listing.text
    assert "Acme" not in (await browser.get("/partners", params={"county": "Iași"})).text.split("<main")[1]

    page = await browser.get(f"/partners/{acme['id']}")
    assert page.status_code == 200
    for shown in ("office@acme.ro", "Maria Ionescu", "Beta", "Istoric partener", "Oportunități", "Dosare"):
        assert shown in page.text

    bad = await browser.post(
        "/partners/new", data={"kind": "lead", "name": "Greșit", "fiscal_code": "RO14399841", "county": "Cluj"}
    )
    # The Romanian UI names the refusal by its code, in Romanian, beside the field.
    assert bad.status_code == 422 and "are cifra de control greșită" in bad.text
    lead_form = await browser.get("/partners/new", params={"kind": "lead"})
    assert "Concurenți" in lead_form.text and "Campanie asociată" in lead_form.text

    saved = await browser.post(
        "/partners/new",
        data={
            "kind": "client",
            "name": "Beta SA",
            "county": "Iași",
            "sites": "Centru: vanzari@beta.ro, office@beta.ro",
            "contacts": "Ion Pop; director; ion@beta.ro; 0722",
        },
    )
    assert saved.status_code == 200 and "vanzari@beta.ro" in saved.text and "Ion Pop" in saved.text

    dossier = await browser.post(
        f"/partners/{acme['id']}/dossiers", data={"name": "Contracte", "category": "contracte"}
    )
    assert dossier.status_code == 200 and "Contracte" in dossier.text
    filed = await browser.post(
        str(dossier.url.path) + "/documents", files={"file": ("ct.pdf", b"%PDF-1.4 contract", "application/pdf")}
    )
    assert filed.status_code == 200 and "ct.pdf" in filed.text
    browser_page = await browser.get("/dossiers", params={"partner_id": acme["id"]})
    assert "contracte" in browser_page.text and "Contracte" in browser_page.text

    staff = await browser.get("/staff")
    assert "Maria Ionescu" in staff.text


async def test_a_csv_import_shows_its_progress_and_the_bad_rows(browser: httpx.AsyncClient) -> None:
    csv = "denumire;cui;judet;email\nAlfa SRL;RO14399840;Cluj;office@alfa.ro\nBeta;RO14399841;Narnia;b@beta.ro\n"
    started = await browser.post(
        "/partners/import", files={"file": ("parteneri.csv", csv.encode("cp1250"), "text/csv")}
    )
    assert started.status_code == 200
    status_url = str(started.url.path)
    for _ in range(50):
        page = await browser.get(status_url)
        if 'data-status="validating"' not in page.text:
            break
        await asyncio.sleep(0.2)
    assert 'data-status="rejected"' in page.text
    # Row problems carry a code since the walkthrough: the page writes them in the reader's language.
    assert "are cifra de control greșită" in page.text and "Județul Narnia nu există." in page.text
