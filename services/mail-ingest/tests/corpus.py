"""A corpus of distinct exported emails in every format (for the crash test and the benchmark)."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

PDF = b"%PDF-1.4\n%corpus\n"


def corpus_file(i: int) -> tuple[str, bytes]:
    """The i-th file: Outlook RO (cp1250), Outlook EN (UTF-16LE), Thunderbird (UTF-8) or .eml with an attachment."""
    kind = i % 4
    if kind == 0:
        text = (
            f"De la:\tClient {i} <client{i}@parteneri.ro>\r\n"
            f"Trimis:\tluni, 3 martie 2025 10:{i % 60:02d} p.m.\r\n"
            f"Către:\tService <service@firma.ro>\r\nSubiect:\tCerere service nr. {i} - ştampilă\r\n\r\n"
            f"Bună ziua,\r\nVă rugăm să verificaţi echipamentul {i}.\r\n"
        )
        return f"mesaj-{i:05d}.txt", text.encode("cp1250")
    if kind == 1:
        text = (
            f"From:\tClient {i} <client{i}@partners.example>\r\n"
            f"Sent:\tMonday, March 3, 2025 10:{i % 60:02d} PM\r\n"
            f"To:\tService <service@firma.ro>\r\nSubject:\tService request {i}\r\n\r\n"
            f"Hello,\r\nPlease check unit {i}.\r\n"
        )
        return f"message-{i:05d}.txt", b"\xff\xfe" + text.encode("utf-16-le")
    if kind == 2:
        text = (
            f"Subject: Offer request {i}\nFrom: Buyer {i} <buyer{i}@clients.example>\n"
            "Date: Tue, 4 Mar 2025 09:30:00 +0200\n"
            f"To: vanzari@firma.ro\n\nPlease send an offer for item {i}.\n"
        )
        return f"tb-{i:05d}.txt", text.encode()
    msg = EmailMessage()
    msg["From"] = f"Partner {i} <partner{i}@clients.example>"
    msg["To"] = "service@firma.ro"
    msg["Subject"] = f"Contract {i}"
    msg["Date"] = "Wed, 05 Mar 2025 14:00:00 +0200"
    msg["Message-ID"] = f"<corpus-{i}@clients.example>"
    msg.set_content(f"Please renew contract {i}.\n")
    msg.add_attachment(PDF + str(i).encode(), maintype="application", subtype="pdf", filename=f"contract-{i}.pdf")
    return f"mail-{i:05d}.eml", msg.as_bytes()


def write_corpus(folder: Path, count: int) -> list[str]:
    """Write ``count`` files into ``folder`` (each renamed in whole); returns their names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(count):
        name, data = corpus_file(i)
        part = folder / f".{name}.part"
        part.write_bytes(data)
        part.rename(folder / name)
        names.append(name)
    return names
