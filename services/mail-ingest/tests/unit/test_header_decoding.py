"""Each cause of the issue "email import decodes worse than Python's own email package", one test each."""

from __future__ import annotations

import base64
import email
import email.policy
from datetime import UTC
from pathlib import Path

import pytest

from crm_mail_ingest.domain.decoding import decode
from crm_mail_ingest.domain.model import ParsedMessage, ParseFailure
from crm_mail_ingest.domain.parsing import parse_export
from crm_mail_ingest.folder import ImportFolder


def eml(headers: bytes, body: bytes = b"Hello.\n") -> ParsedMessage:
    return parse_export(headers + b"\n" + body, "message.eml", local_tz=UTC)


RUSSIAN_ZIP = "\u0424\u041d\u0421_\u0420\u0424558.zip"
"""A Cyrillic file name from a real message (escapes, so no one mistakes its letters for Latin ones)."""
BASE = b"From: Ana <ana@client.example>\nDate: Tue, 4 Mar 2025 09:30:00 +0200\nMIME-Version: 1.0\n"


def test_raw_utf8_in_the_subject_is_read_as_utf8_not_one_replacement_per_byte() -> None:
    assert eml(BASE + "Subject: Another PDF with 🎉 Unicode chars\n".encode()).subject == (
        "Another PDF with 🎉 Unicode chars"
    )
    assert eml(BASE + "Subject: Säying Hello\n".encode()).subject == "Säying Hello"


def test_a_raw_utf8_sender_keeps_its_address_and_name() -> None:
    message = eml("From: Jöhn Döe <jdöe@mächine.example>\nSubject: Hi\n".encode())
    assert message.sender.email == "jdöe@mächine.example"
    assert message.sender.name == "Jöhn Döe"


def test_raw_utf8_attachment_names_are_read_as_utf8() -> None:
    parts = b"".join(
        b'--b1\nContent-Type: application/octet-stream; name="' + name.encode() + b'"\n'
        b'Content-Disposition: attachment; filename="' + name.encode() + b'"\n'
        b"Content-Transfer-Encoding: base64\n\n" + base64.b64encode(b"data") + b"\n"
        for name in ("ciële.txt", RUSSIAN_ZIP)
    )
    message = eml(
        BASE + b'Subject: Files\nContent-Type: multipart/mixed; boundary="b1"\n',
        b"--b1\nContent-Type: text/plain\n\nSee attached.\n" + parts + b"--b1--\n",
    )
    assert [a.file_name for a in message.attachments] == ["ciële.txt", RUSSIAN_ZIP]


def test_an_encoded_word_with_a_stray_raw_byte_is_decoded_in_its_charset() -> None:
    message = eml(BASE + b"Subject: =?iso-8859-1?Q?Die_Hasen_und_die_Fr\xf6sche?=\n")
    assert message.subject == "Die Hasen und die Frösche"


def test_an_encoded_word_with_one_broken_byte_is_decoded_with_one_replacement_as_python_does() -> None:
    word = b"=?gb2312?B?" + base64.b64encode("我把镜头拉近".encode("gb2312") + b"\xa3") + b"?="
    data = BASE + b"Subject: " + word + b"\n\nx\n"
    python = str(email.message_from_bytes(data, policy=email.policy.default)["subject"])
    subject = eml(BASE + b"Subject: " + word + b"\n").subject
    assert subject == python
    assert subject.startswith("我把镜头拉近") and "=?" not in subject


def test_an_encoded_word_in_iso_8859_8_i_is_decoded_as_hebrew() -> None:
    word = b"=?iso-8859-8-i?B?" + base64.b64encode("מענה".encode("iso-8859-8")) + b"?="
    assert eml(BASE + b"Subject: " + word + b": Invoice\n").subject == "מענה: Invoice"


def test_a_sender_with_rfc_5322_comments_is_the_address_without_them() -> None:
    message = eml(b"From: Pete(A wonderful \\) chap) <pete(his account)@silly.test(his host)>\nSubject: Hi\n")
    assert message.sender.email == "pete@silly.test"
    assert message.sender.name == "Pete"


def test_a_quoted_local_part_is_kept() -> None:
    message = eml(b'From: "Joe Q. Public" <"joe public"@example.com>\nSubject: Hi\n')
    assert message.sender.email == '"joe public"@example.com'


def test_a_sender_on_a_host_without_a_dot_is_an_address() -> None:
    assert eml(b"From: guest@localhost\nSubject: Hi\n").sender.email == "guest@localhost"
    assert eml(b"From: Guest <guest@localhost>\nSubject: Hi\n").sender.email == "guest@localhost"


def test_a_boundary_folded_inside_its_quotes_keeps_the_body_and_every_attachment() -> None:
    # Outlook 2000 folds the parameter inside its quotes; the boundary is the unfolded value.
    parts = b"".join(
        b'------=_NextPart _000\nContent-Type: image/png; name="' + name + b'"\n'
        b'Content-Disposition: attachment; filename="' + name + b'"\n'
        b"Content-Transfer-Encoding: base64\n\n" + base64.b64encode(b"png") + b"\n"
        for name in (b"red.png", b"green.png", b"blue.png")
    )
    message = eml(
        BASE + b'Subject: Balls\nContent-Type: multipart/mixed;\n    boundary="----=_NextPart\n _000"\n',
        b"------=_NextPart _000\nContent-Type: text/plain\n\nThree balls.\n" + parts + b"------=_NextPart _000--\n",
    )
    assert message.body == "Three balls."
    assert [a.file_name for a in message.attachments] == ["red.png", "green.png", "blue.png"]


def test_a_message_without_a_from_header_is_imported_without_a_sender() -> None:
    message = eml(b"Subject: Cerere\nDate: Tue, 4 Mar 2025 09:30:00 +0200\nMIME-Version: 1.0\n", b"Text.\n")
    assert message.sender.email == ""
    assert message.subject == "Cerere"
    assert message.body == "Text."


def test_an_eml_that_is_only_text_with_a_colon_still_fails_as_not_an_email() -> None:
    with pytest.raises(ParseFailure, match="no email headers"):
        parse_export(b"Note: call the client back\n\nTomorrow.\n", "note.eml", local_tz=UTC)


def test_an_outlook_subject_wrapped_without_indentation_is_one_subject_and_not_body() -> None:
    text = (
        "From:\tIon Pop <ion@client.ro>\r\nSent:\tMonday, March 3, 2025 10:15 PM\r\nTo:\tService <s@firma.ro>\r\n"
        "Subject:\tCerere de ofertă pentru echipamentele de la\r\nsediul din Cluj, etapa a doua\r\n"
        "Importance:\tHigh\r\n\r\nBună ziua,\r\nVă rog.\r\n"
    )
    message = parse_export(text.encode("cp1250"), "cerere.txt", local_tz=UTC)
    assert message.subject == "Cerere de ofertă pentru echipamentele de la sediul din Cluj, etapa a doua"
    assert message.body == "Bună ziua,\nVă rog."


def test_a_cp1250_file_whose_bytes_are_also_valid_utf8_is_read_as_cp1250() -> None:
    data = "Subiect: Îşi face treaba\r\n\r\nÎşi cere scuze.\r\n".encode("cp1250")
    data.decode("utf-8")  # valid UTF-8 by chance: "Îş" is CE BA, the UTF-8 of "κ"
    decoded = decode(data)
    assert decoded.encoding == "cp1250"
    assert decoded.text == "Subiect: Își face treaba\r\n\r\nÎși cere scuze.\r\n"


def test_a_utf8_file_with_romanian_letters_stays_utf8() -> None:
    decoded = decode("Subiect: Își face treaba, Păşunea\r\n".encode())
    assert (decoded.encoding, decoded.text) == ("utf-8", "Subiect: Își face treaba, Pășunea\r\n")


def test_a_retried_file_takes_its_reason_along_and_fails_again_under_its_own_name(tmp_path: Path) -> None:
    folder = ImportFolder(tmp_path)
    folder.ensure()
    (folder.failed / "mare.txt").write_bytes(b"From: a@b.ro\n")
    (folder.failed / "mare.txt.reason.txt").write_text("file too large\n")

    claimed = folder.claim_file(folder.failed / "mare.txt", "mare.txt")
    assert sorted(p.name for p in folder.failed.iterdir()) == []
    final = folder.finish(claimed, folder.destination(claimed.file_name, failed=True), "still too large")

    assert final == folder.failed / "mare.txt"
    assert sorted(p.name for p in folder.failed.iterdir()) == ["mare.txt", "mare.txt.reason.txt"]
    assert (folder.failed / "mare.txt.reason.txt").read_text() == "still too large\n"


def test_a_from_header_with_thousands_of_mailboxes_still_gives_the_first_sender() -> None:
    many = b", ".join(b'"N%d" <a%d@client.example>' % (i, i) for i in range(8000))
    message = eml(b"From: " + many + b"\nSubject: Hi\n")
    assert (message.sender.email, message.sender.name) == ("a0@client.example", "N0")
