"""Every fixture export (format x language x encoding) decodes to the same subject, sender, body and attachments."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from crm_mail_ingest.domain.intake import attachment_dir_names
from crm_mail_ingest.domain.parsing import parse_export
from crm_mail_ingest.folder import read_sidecar

FIXTURES = Path(__file__).parent.parent / "fixtures"
BUCHAREST = ZoneInfo("Europe/Bucharest")
ENCODINGS = ["utf8", "utf8bom", "utf16le", "cp1250", "iso88592"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def parse_fixture(name: str):  # type: ignore[no-untyped-def]
    path = FIXTURES / name
    folder = next((path.parent / d for d in attachment_dir_names(name) if (path.parent / d).is_dir()), None)
    sidecar, _ = read_sidecar(folder, 10_000_000)
    return parse_export(path.read_bytes(), name, local_tz=BUCHAREST, sidecar=sidecar)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_an_english_outlook_text_export_reads_the_same_in_every_encoding(encoding: str) -> None:
    msg = parse_fixture(f"outlook_en_{encoding}.txt")
    assert msg.format == "outlook"
    assert (msg.sender.email, msg.sender.name) == ("ion.popescu@client-alfa.ro", "Ion Popescu")
    assert msg.subject == "Printer broken at the Cluj site - ștampila"
    assert msg.body == (
        "Hello,\n\nThe printer at our Cluj site shows error E-13 (Brașov too).\nThank you,\nIon Popescu"
    )
    assert msg.sent_at == datetime(2025, 3, 3, 20, 15, tzinfo=UTC)  # 10:15 PM in Bucharest
    assert [a.email for a in msg.to] == ["service@firma.ro", "maria@firma.ro", "dan@firma.ro"]
    assert [a.email for a in msg.cc] == ["arhiva@firma.ro"]
    assert msg.listed_attachments == ["poza.jpg", "factura.pdf"]
    assert msg.attachments == []


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_romanian_outlook_text_export_reads_the_same_in_every_encoding(encoding: str) -> None:
    msg = parse_fixture(f"outlook_ro_{encoding}.txt")
    assert msg.format == "outlook"
    assert msg.sender.email == "ion.popescu@client-alfa.ro"
    assert msg.subject == "Imprimanta defectă la sediul din Cluj - ștampilă și țiglă"
    assert msg.body.startswith("Bună ziua,\n\nImprimanta de la sediul nostru afișează eroarea E-13.")
    assert msg.body.endswith("Mulțumim,\nIon Popescu")
    assert "ş" not in msg.body and "ţ" not in msg.subject  # cedilla forms normalised
    assert msg.sent_at == datetime(2025, 3, 3, 20, 15, tzinfo=UTC)  # "luni, 3 martie 2025 10:15 p.m."
    assert [a.email for a in msg.to] == ["service@firma.ro", "maria@firma.ro", "dan@firma.ro"]
    assert msg.listed_attachments == ["poză.jpg"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_an_english_thunderbird_export_reads_with_the_attachments_saved_beside_it(encoding: str) -> None:
    msg = parse_fixture(f"thunderbird_en_{encoding}.txt")
    assert msg.format == "thunderbird"
    assert (msg.sender.email, msg.sender.name) == ("ana.marin@beta-soft.ro", "Ana Marin")
    assert msg.subject == "Offer request for 20 licences - Timișoara"
    assert msg.body == "Hello,\n\nPlease send an offer for 20 licences for the Timișoara office.\n\nAna"
    assert msg.sent_at == datetime(2025, 3, 4, 7, 30, tzinfo=UTC)
    assert [a.email for a in msg.to] == ["vanzari@firma.ro", "dan@firma.ro"]
    assert [(a.file_name, a.content) for a in msg.attachments] == [("licente.pdf", PDF)]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_romanian_thunderbird_export_reads_with_the_attachments_saved_beside_it(encoding: str) -> None:
    msg = parse_fixture(f"thunderbird_ro_{encoding}.txt")
    assert msg.format == "thunderbird"
    assert msg.sender.email == "ana.marin@beta-soft.ro"
    assert msg.subject == "Cerere ofertă pentru 20 de licențe"
    assert msg.body == (
        "Bună ziua,\n\nVă rugăm să ne trimiteți o ofertă pentru 20 de licențe (sediul din Timișoara).\n\n"
        "Cu stimă,\nAna Marin"
    )
    assert msg.sent_at == datetime(2025, 3, 4, 7, 30, tzinfo=UTC)  # 04.03.2025 09:30 local
    assert [a.file_name for a in msg.attachments] == ["cerere.pdf", "schiță.jpg"]
    assert msg.attachments[0].content == PDF


def test_an_english_eml_with_quoted_printable_body_and_a_pdf_attachment() -> None:
    msg = parse_fixture("eml_en_utf8_qp.eml")
    assert msg.format == "eml"
    assert msg.message_id == "contract-renewal-1@client-alfa.ro"
    assert msg.sender.email == "ion.popescu@client-alfa.ro"
    assert msg.subject == "Contract renewal"
    assert msg.body == "Hello,\n\nPlease renew our contract for Brașov.\n\nIon"
    assert msg.sent_at == datetime(2025, 3, 5, 12, 0, tzinfo=UTC)
    assert [(a.file_name, a.content, a.content_type) for a in msg.attachments] == [
        ("contract.pdf", PDF, "application/pdf")
    ]


def test_a_romanian_eml_with_encoded_words_base64_body_and_a_romanian_attachment_name() -> None:
    msg = parse_fixture("eml_ro_utf8_base64.eml")
    assert (msg.sender.email, msg.sender.name) == ("stefan@gamma-grup.ro", "Ștefan Țurcanu")
    assert msg.subject == "Reparație urgentă: centrală termică"
    assert msg.body == "Bună ziua,\n\nCentrala termică de la sediul din Iași nu mai pornește.\n\nȘtefan"
    assert [a.file_name for a in msg.attachments] == ["fișă tehnică.jpg"]
    assert msg.attachments[0].content.startswith(b"\xff\xd8")


def test_a_romanian_iso_8859_2_eml_prefers_the_plain_part_and_normalises_cedillas() -> None:
    msg = parse_fixture("eml_ro_iso88592.eml")
    assert msg.sender.email == "vasile.ene@delta-com.ro"
    assert msg.subject == "Ofertă: instalare rețea"
    assert msg.body == "Bună ziua,\n\nDorim o ofertă pentru instalarea rețelei la sediul din Constanța."
    assert msg.message_id is None
    assert msg.attachments == []


def test_a_romanian_cp1250_eml_with_an_8bit_body() -> None:
    msg = parse_fixture("eml_ro_cp1250.eml")
    assert msg.sender.email == "elena.rusu@epsilon.ro"
    assert msg.subject == "Mulțumiri"
    assert msg.body == "Bună ziua,\n\nVă mulțumim pentru intervenția de ieri la sediul din Sibiu."
    assert msg.sent_at == datetime(2025, 3, 10, 14, 20, tzinfo=UTC)


def test_an_html_only_eml_becomes_its_visible_text() -> None:
    msg = parse_fixture("eml_en_html_only.eml")
    assert msg.sender.email == "ops@zeta.example"
    assert msg.subject == "Server down"
    assert msg.body == "Hello,\n\nThe server is down."
