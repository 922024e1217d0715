"""What a new user found on the fifth walkthrough: document statuses that did not agree with the document's gender
in Romanian ("Ofertă emis"), amounts without currency, and headings or buttons with nothing behind them."""

from __future__ import annotations

from typing import Any

import pytest

from crm_gateway.ui import i18n

from .pages import render_page as render

PARTNER = "0190a1b2-0000-7000-8000-000000000001"


@pytest.mark.parametrize(
    ("language", "kind", "status", "text"),
    [
        ("ro", "offer", "issued", "emisă"),
        ("ro", "invoice", "issued", "emisă"),
        ("ro", "order", "cancelled", "anulată"),
        ("ro", "contract", "issued", "emis"),
        ("ro", "contract", "accepted", "acceptat"),
        ("ro", "offer", "accepted", "acceptată"),
        ("ro", "expense_report", "posted", "înregistrat"),
        ("en", "offer", "issued", "issued"),
        ("en", "contract", "issued", "issued"),
    ],
)
def test_a_documents_status_agrees_with_its_kind(language: str, kind: str, status: str, text: str) -> None:
    assert i18n.document_status(language, status, kind) == text


def test_the_documents_list_says_issued_in_the_feminine_for_an_invoice_and_the_neuter_for_a_contract() -> None:
    def doc(kind: str, number: str) -> dict[str, Any]:
        return {
            "id": PARTNER,
            "type": kind,
            "number": number,
            "issued_on": "2026-03-02",
            "status": "issued",
            "net": "1.00",
            "vat": "0.21",
            "gross": "1.21",
        }

    html = render(
        "commercial/documents.html",
        "ro",
        chosen={"id": PARTNER, "name": "Alfa SRL"},
        partner_id=PARTNER,
        partner={"id": PARTNER, "name": "Alfa SRL"},
        doc_type="",
        doc_types=(),
        documents={"items": [doc("invoice", "F-1"), doc("contract", "C-1")]},
        balance=None,
        reasons={},
        form={},
    )
    assert "<td>emisă</td>" in html and "<td>emis</td>" in html
