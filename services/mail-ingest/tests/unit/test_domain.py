"""Dates, decoding, identity, automated senders, routing and the folder rules, without I/O."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from crm_mail_ingest.domain.addresses import parse_addresses
from crm_mail_ingest.domain.dates import parse_date
from crm_mail_ingest.domain.deadlines import working_days_after
from crm_mail_ingest.domain.decoding import UndecodableText, decode
from crm_mail_ingest.domain.identity import message_key
from crm_mail_ingest.domain.intake import Seen, StabilityTracker, is_candidate, safe_file_name
from crm_mail_ingest.domain.model import ParseFailure
from crm_mail_ingest.domain.parsing import parse_export
from crm_mail_ingest.domain.routing import PartnerContact, automated_reason, route

TZ = ZoneInfo("Europe/Bucharest")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Monday, March 3, 2025 10:15 PM", datetime(2025, 3, 3, 20, 15, tzinfo=UTC)),
        ("Monday, March 3, 2025 12:05 AM", datetime(2025, 3, 2, 22, 5, tzinfo=UTC)),
        ("Monday, 3 March 2025 22:15", datetime(2025, 3, 3, 20, 15, tzinfo=UTC)),
        ("luni, 3 martie 2025 10:15", datetime(2025, 3, 3, 8, 15, tzinfo=UTC)),
        ("luni, 3 martie 2025 10:15 p.m.", datetime(2025, 3, 3, 20, 15, tzinfo=UTC)),
        ("sâmbătă, 5 iulie 2025 09:00 AM", datetime(2025, 7, 5, 6, 0, tzinfo=UTC)),  # summer time, UTC+3
        ("marți, 4 noiembrie 2025 17:30", datetime(2025, 11, 4, 15, 30, tzinfo=UTC)),
        ("3/4/2025 10:15 PM", datetime(2025, 3, 4, 20, 15, tzinfo=UTC)),
        ("04.03.2025 09:30", datetime(2025, 3, 4, 7, 30, tzinfo=UTC)),
        ("Tue, 4 Mar 2025 09:30:00 +0000", datetime(2025, 3, 4, 9, 30, tzinfo=UTC)),
    ],
)
def test_dates_are_read_in_english_and_romanian_with_am_pm(text: str, expected: datetime) -> None:
    assert parse_date(text, TZ) == expected


def test_a_date_that_is_not_a_date_is_none_rather_than_a_guess() -> None:
    assert parse_date("sometime next week", TZ) is None
    assert parse_date("31 februarie 2025 10:00", TZ) is None


def test_cp1250_and_iso_8859_2_decode_romanian_letters_to_the_comma_forms() -> None:
    assert decode("Şeful ţării".encode("cp1250")).text == "Șeful țării"
    assert decode("Şeful ţării".encode("iso-8859-2")).text == "Șeful țării"


def test_utf16le_with_a_bom_and_utf8_with_a_bom_decode() -> None:
    assert decode(codecs.BOM_UTF16_LE + "Mulțumim".encode("utf-16-le")).text == "Mulțumim"
    assert decode(codecs.BOM_UTF8 + "Mulțumim".encode()).encoding == "utf-8-sig"


def test_a_utf8_file_with_one_broken_byte_stays_utf8() -> None:
    data = "Bună ziua, vă mulțumim, așteptăm.".encode() + b"\xff"
    decoded = decode(data)
    assert decoded.text.startswith("Bună ziua, vă mulțumim")


def test_binary_garbage_is_not_text() -> None:
    with pytest.raises(UndecodableText):
        decode(bytes(range(256)) * 20)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"   \r\n\n", "empty file"),
        (bytes(range(256)) * 40, "binary content"),
        (b"Just a note without any header\n\nhello", "no email header block"),
        (b"Subject: " + b"x" * 2_000_000 + b"\n\nbody", "header section longer"),
        (b"From: a@b.ro\nX-Long: " + b"y" * 300_000 + b"\n\nbody", "header section longer"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "Outlook .msg"),
    ],
)
def test_hostile_files_fail_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ParseFailure, match=reason):
        parse_export(data, "x.txt", local_tz=TZ)


def test_a_megabyte_long_header_in_an_eml_fails_quickly_with_a_reason() -> None:
    data = b"From: a@b.ro\r\nMIME-Version: 1.0\r\nSubject: " + b"z" * 1_500_000 + b"\r\n\r\nbody"
    with pytest.raises(ParseFailure, match="header section longer"):
        parse_export(data, "big.eml", local_tz=TZ)


def test_outlook_address_lists_are_split_on_semicolons_and_keep_names() -> None:
    found = parse_addresses('Pop, Dan <DAN@firma.ro>; "Ana; Maria" <ana@firma.ro>; Just A Name; x@y.ro')
    assert [(a.email, a.name) for a in found] == [
        ("dan@firma.ro", "Pop, Dan"),
        ("ana@firma.ro", "Ana; Maria"),
        ("", "Just A Name"),
        ("x@y.ro", ""),
    ]


def _text(sender: str, subject: str = "Hi", body: str = "Body", extra: str = "") -> bytes:
    head = f"From:\t{sender}\r\nSent:\tMonday, March 3, 2025 10:15 PM\r\nSubject:\t{subject}\r\n"
    return f"{head}{extra}\r\n{body}\r\n".encode()


def test_the_identity_is_the_message_id_when_there_is_one() -> None:
    msg = parse_export(b"From: a@b.ro\nMessage-ID: <abc@b.ro>\nSubject: x\n\nbody", "m.eml", local_tz=TZ)
    assert message_key(msg) == "mid:abc@b.ro"


def test_without_a_message_id_the_same_message_with_other_line_endings_has_the_same_identity() -> None:
    one = parse_export(_text("a@b.ro"), "one.txt", local_tz=TZ)
    two = parse_export(_text("A@B.RO").replace(b"\r\n", b"\n"), "two.txt", local_tz=TZ)
    other = parse_export(_text("a@b.ro", body="Other body"), "three.txt", local_tz=TZ)
    assert message_key(one) == message_key(two)
    assert message_key(one) != message_key(other)


@pytest.mark.parametrize(
    ("sender", "extra"),
    [
        ("No Reply <no-reply@shop.ro>", ""),
        ("noreply@bank.ro", ""),
        ("Mailer <MAILER-DAEMON@mx.ro>", ""),
        ("news@shop.ro", "List-Unsubscribe:\t<mailto:u@shop.ro>\r\n"),
        ("ion@client.ro", "Auto-Submitted:\tauto-replied\r\n"),
    ],
)
def test_automated_senders_are_recognised(sender: str, extra: str) -> None:
    msg = parse_export(_text(sender, extra=extra), "a.txt", local_tz=TZ)
    assert automated_reason(msg) is not None


def test_a_person_is_not_automated() -> None:
    msg = parse_export(_text("Ion <ion@client.ro>", extra="Auto-Submitted:\tno\r\n"), "a.txt", local_tz=TZ)
    assert automated_reason(msg) is None


def test_the_task_goes_to_the_service_rep_else_the_sales_rep_else_triage() -> None:
    both = PartnerContact("p1", "Alfa", sales_rep_staff_id="sales", service_rep_staff_id="service")
    sales_only = PartnerContact("p2", "Beta", sales_rep_staff_id="sales", service_rep_staff_id=None)
    nobody = PartnerContact("p3", "Gamma", sales_rep_staff_id=None, service_rep_staff_id=None)
    assert route(both, "triage").responsible_staff_id == "service"
    assert route(sales_only, "triage").responsible_staff_id == "sales"
    assert route(nobody, "triage").responsible_staff_id == "triage"
    unknown = route(None, "triage")
    assert (unknown.partner_id, unknown.responsible_staff_id, unknown.unknown_sender) == (None, "triage", True)


def test_in_progress_and_hidden_names_are_never_taken() -> None:
    assert is_candidate("mesaj.txt")
    for name in (".mesaj.txt", "~mesaj.txt", "mesaj.txt.part", "mesaj.tmp", "x.crdownload", ".x.reason.txt.tmp"):
        assert not is_candidate(name)


def test_a_file_is_taken_only_after_two_scans_saw_it_unchanged() -> None:
    tracker = StabilityTracker()
    assert tracker.stable({"a.txt": Seen(10, 1)}) == []
    assert tracker.stable({"a.txt": Seen(20, 2), "b.txt": Seen(5, 1)}) == []  # a still growing
    assert tracker.stable({"a.txt": Seen(20, 2), "b.txt": Seen(5, 1)}) == ["a.txt", "b.txt"]


def test_an_uploaded_name_never_becomes_a_path() -> None:
    assert safe_file_name("../../etc/passwd") == "passwd"
    assert safe_file_name("C:\\Users\\x\\mesaj.txt") == "mesaj.txt"
    assert safe_file_name("..") == "upload.txt"
    assert safe_file_name("done") == "upload.txt"
    assert safe_file_name("a\x00b.txt") == "a_b.txt"


@pytest.mark.parametrize(
    ("imported", "days", "due"),
    [
        # Monday 11:00 in Bucharest, one working day: Tuesday 11:00 (UTC in, UTC out)
        (datetime(2026, 3, 2, 9, 0, tzinfo=UTC), 1, datetime(2026, 3, 3, 9, 0, tzinfo=UTC)),
        # Friday 17:30 Bucharest: the weekend does not count, due Monday 17:30
        (datetime(2026, 3, 6, 15, 30, tzinfo=UTC), 1, datetime(2026, 3, 9, 15, 30, tzinfo=UTC)),
        # Saturday: one working day is Monday, two is Tuesday
        (datetime(2026, 3, 7, 8, 0, tzinfo=UTC), 2, datetime(2026, 3, 10, 8, 0, tzinfo=UTC)),
        # Friday 23:30 in Bucharest is still Friday there (21:30 UTC): Monday 23:30 Bucharest
        (datetime(2026, 3, 6, 21, 30, tzinfo=UTC), 1, datetime(2026, 3, 9, 21, 30, tzinfo=UTC)),
        # across the spring clock change (29 March 2026): the same wall-clock hour, one hour less in UTC
        (datetime(2026, 3, 27, 8, 0, tzinfo=UTC), 1, datetime(2026, 3, 30, 7, 0, tzinfo=UTC)),
    ],
)
def test_an_email_task_is_due_working_days_after_its_import_at_the_same_hour(
    imported: datetime, days: int, due: datetime
) -> None:
    assert working_days_after(imported, days, TZ) == due


def test_no_working_days_means_no_deadline() -> None:
    assert working_days_after(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), 0, TZ) is None
