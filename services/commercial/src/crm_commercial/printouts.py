"""Printouts: a PDF for each offer, order, contract, invoice and payment, in Romanian with its diacritics.

fpdf2 embeds a Unicode TrueType font (DejaVu Sans), so ș ț ă î â print and extract as themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from crm_commercial.domain.documents import Document
from crm_commercial.domain.partners import Partner
from crm_kit import formatting
from crm_kit.pdf import document
from crm_kit.pdf import set_style as _font

TITLES = {
    "offer": "Ofertă comercială",
    "order": "Comandă client",
    "invoice": "Factură fiscală",
    "payment": "Chitanță / încasare",
    "cost": "Document de cost",
}
CONTRACT_TITLES = {"subscription": "Contract de abonament", "commercial": "Contract comercial"}


@dataclass(frozen=True)
class Issuer:
    """The company that issues the documents."""

    name: str
    fiscal_code: str
    address: str


def title_of(doc: Document) -> str:
    """The printed title of a document."""
    if doc.type == "contract":
        return CONTRACT_TITLES.get(doc.kind or "commercial", "Contract")
    return TITLES.get(doc.type, "Document")


def amount(value: Decimal) -> str:
    """Money as printed, without the currency (the column names it): 1.234,50 (the kit's formatter)."""
    return formatting.money(value, None, "ro")


def quantity(value: Decimal) -> str:
    """A quantity as printed: 2,5 (as many decimals as it has)."""
    return formatting.number(value, "ro")


def render(doc: Document, partner: Partner | None, issuer: Issuer, font_dir: Path) -> bytes:
    """The document's PDF.

    Raises:
        FontNotFound: no font that prints Romanian in ``font_dir`` nor where fonts are installed (``crm_kit.pdf``).
    """
    pdf = document(
        f"{title_of(doc)} {doc.number}",
        author=issuer.name,
        created=datetime.combine(doc.issued_on, time(0, 0), tzinfo=UTC),
        font_dir=font_dir,
    )

    def text_line(text: str, size: float = 10, style: str = "", height: float = 5.5) -> None:
        _font(pdf, style, size)
        pdf.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _font(pdf, "", size)

    text_line(issuer.name, 12, "B")
    text_line(f"CUI: {issuer.fiscal_code}", 9)
    text_line(issuer.address, 9)
    pdf.ln(4)
    text_line(title_of(doc), 16, "B", 8)
    text_line(f"Număr: {doc.number}    Data emiterii: {formatting.date(doc.issued_on, 'ro')}")
    pdf.ln(2)
    client = "Furnizor" if doc.type == "cost" else "Client"
    if partner is not None:
        text_line(f"{client}: {partner.name}", 11, "B")
        if partner.fiscal_code:
            text_line(f"CUI: {partner.fiscal_code}", 9)
        if partner.place:
            text_line(f"Adresă: {partner.place}", 9)
    elif doc.partner_id:
        text_line(f"{client}: {doc.partner_id}", 11, "B")
    pdf.ln(2)
    for note in _terms(doc):
        text_line(note, 9)
    pdf.ln(3)
    if doc.lines:
        _lines_table(pdf, doc)
    pdf.ln(3)
    label_w, value_w = 150, 40
    for label, value, style in (
        ("Total fără TVA", doc.net, ""),
        ("TVA", doc.vat, ""),
        ("Total de plată" if doc.type != "payment" else "Sumă încasată", doc.gross, "B"),
    ):
        _font(pdf, style, 10)
        pdf.cell(label_w, 6, f"{label}:", align="R")
        pdf.cell(value_w, 6, f"{amount(value)} {doc.currency}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _font(pdf, "", 10)
    pdf.ln(6)
    text_line(
        "Mențiuni: document generat de modulul comercial; prețurile sunt în lei, TVA calculată pe fiecare linie.", 8
    )
    return bytes(pdf.output())


def _terms(doc: Document) -> list[str]:
    notes: list[str] = []
    if doc.type == "offer" and doc.valid_until:
        notes.append(f"Ofertă valabilă până la: {formatting.date(doc.valid_until, 'ro')}")
    if doc.type == "contract" and doc.starts_on:
        end = formatting.date(doc.ends_on, "ro") if doc.ends_on else "nedeterminată"
        notes.append(
            f"Perioada: {formatting.date(doc.starts_on, 'ro')} - {end}"
            + (f" ({doc.months} luni)" if doc.months else "")
        )
        if doc.monthly_value is not None:
            notes.append(f"Valoare lunară (fără TVA): {amount(doc.monthly_value)} {doc.currency}")
    if doc.type == "invoice" and doc.period:
        notes.append(f"Luna facturată: {doc.period}")
    if doc.type == "cost" and doc.external_number:
        notes.append(f"Document furnizor: {doc.external_number}")
    return notes


def _lines_table(pdf: FPDF, doc: Document) -> None:
    widths = (8, 62, 12, 18, 24, 24, 14, 28)
    headers = ("Nr.", "Articol / serviciu", "U.M.", "Cant.", "Preț unitar", "Valoare", "Cotă", "TVA")
    _font(pdf, "B", 8)
    for w, h in zip(widths, headers, strict=True):
        pdf.cell(w, 7, h, border=1, align="C")
    pdf.ln(7)
    _font(pdf, "", 8)
    for n, line in enumerate(doc.lines, start=1):
        description = line.description if len(line.description) <= 40 else line.description[:39] + "…"
        cells = (
            (str(n), "C"),
            (f"{line.article_code} {description}", "L"),
            (line.unit, "C"),
            (quantity(line.qty), "R"),
            (amount(line.price), "R"),
            (amount(line.net), "R"),
            (f"{quantity(line.vat_rate)}%", "R"),
            (amount(line.vat), "R"),
        )
        for w, (value, align) in zip(widths, cells, strict=True):
            pdf.cell(w, 6, value, border=1, align=align)
        pdf.ln(6)
