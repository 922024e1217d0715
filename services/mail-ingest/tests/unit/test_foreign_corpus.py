"""The test mails of other mail-parsing projects, read by the service and by Python's ``email`` package.

For every file under ``tests/fixtures/foreign/`` the service's parsing path (``parse_export``) must
agree with ``email.message_from_bytes(data, policy=email.policy.default)`` on the subject, the
sender's address, the date, and the attachments' number and names. Where Python itself is wrong,
the file is listed in ``EXPECTED_DIFFERENCES`` with the reason (and the value we give instead).
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC
from email.message import EmailMessage, Message
from pathlib import Path

import pytest

from crm_mail_ingest.domain.decoding import normalise_romanian
from crm_mail_ingest.domain.identity import message_key
from crm_mail_ingest.domain.model import ParsedMessage, ParseFailure
from crm_mail_ingest.domain.parsing import parse_export
from crm_mail_ingest.domain.routing import automated_reason

FOREIGN = Path(__file__).resolve().parents[1] / "fixtures" / "foreign"
FILES = sorted(p for p in FOREIGN.rglob("*") if p.is_file() and p.parent != FOREIGN and p.name != "SOURCES.md")

_LATIN1_SUBJECT = (
    "a raw ISO-8859-1 byte in the Subject (\\xf6, the message's charset is iso-8859-1): Python takes raw "
    "bytes as UTF-8 and gives U+FFFD; we read them in the message's charset: 'Frösche'"
)
_BACKSLASH_PATH = (
    'Netscape 4.7 wrote filename="C:\\TEMP\\nsmailEG.png" (backslashes unescaped); Python applies the '
    "quoted-pair rule and gives 'C:TEMPnsmailEG.png'; we keep the name as written"
)
EXPECTED_DIFFERENCES: dict[str, dict[str, str]] = {
    **{
        f"zbateson-mail-mime-parser/{name}": {"subject": _LATIN1_SUBJECT}
        for name in (
            "github-102-01.txt",
            "github-102-02.txt",
            "m0001.txt",
            "m0002.txt",
            "m0003.txt",
            "m0009.txt",
            "m0023.txt",
            "m2015.txt",
            "m4001.txt",
        )
    },
    **{
        f"zbateson-mail-mime-parser/{name}": {"attachments": _BACKSLASH_PATH}
        for name in ("m1005.txt", "m1006.txt", "m4004.txt", "m4008.txt")
    },
    "cpython/msg_05.txt": {
        "sender": "'From: foo' has no domain: Python calls the bare word an address; we keep it as the "
        "sender's name (there is no address to find a partner by)"
    },
    "php-mime-mail-parser/issue133": {
        "attachments": "unquoted 'filename=attach/01': Python stops the token at '/' and gives 'attach'; "
        "we keep the whole value"
    },
    "php-mime-mail-parser/issue149": {
        "subject": "charset iso-8859-8-i (RFC 1556, the bytes of iso-8859-8): Python does not know the "
        "name and gives U+FFFD for every letter; we decode the Hebrew"
    },
    "spamscope-mail-parser/mail_test_19": {
        "sender": "'From: alice@example.com <bob@example.com>': Python takes the unquoted display name as "
        "the address; the mailbox is the one in angle brackets, bob@example.com"
    },
}
"""``<project>/<file>`` -> field -> why Python's value is wrong there (ours is checked by a unit test)."""


def _text(value: str) -> str:
    """Python leaves raw 8-bit header bytes as surrogates; it means them as UTF-8 (RFC 6532)."""
    value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return normalise_romanian(" ".join(value.split()))


def _python_view(msg: EmailMessage) -> dict[str, object]:
    """What Python's ``email`` package reads: the fields compared, in the service's terms."""
    subject = msg["subject"]
    sender = msg["from"]
    addresses = getattr(sender, "addresses", ()) if sender is not None else ()
    addr = ""
    if addresses and addresses[0].addr_spec and addresses[0].addr_spec != "<>":
        addr = _text(addresses[0].addr_spec).lower()
    date = msg["date"]
    when = getattr(date, "datetime", None) if date is not None else None
    names: list[str] = []
    plain = html = False
    for index, part in enumerate(msg.walk(), start=1):
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition() or ""
        name = part.get_filename()
        content_type = part.get_content_type()
        if disposition != "attachment" and not name:
            if content_type == "text/plain" and not plain:
                plain = True
                continue
            if content_type == "text/html" and not html:
                html = True
                continue
            if part.get_content_maintype() in ("text", "multipart", "message"):
                continue
        if not isinstance(part.get_payload(decode=True), bytes):
            continue
        names.append(_text(name) if name else f"attachment-{index}")
    return {
        "subject": _text(str(subject)) if subject is not None else "",
        "sender": addr,
        "date": when.astimezone(UTC) if when is not None and when.tzinfo is not None else None,
        "attachments": names,
    }


def _our_view(message: ParsedMessage) -> dict[str, object]:
    return {
        "subject": message.subject,
        "sender": message.sender.email,
        "date": message.sent_at,
        "attachments": [a.file_name for a in message.attachments],
    }


def _id(path: Path) -> str:
    return path.relative_to(FOREIGN).as_posix()


def _differences(path: Path) -> dict[str, tuple[object, object]]:
    data = path.read_bytes()
    python = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(python, EmailMessage)
    if not python.keys():
        # Python finds no header at all (a digest's body): we must refuse it, not invent a message.
        with pytest.raises(ParseFailure):
            parse_export(data, path.name, local_tz=UTC)
        return {}
    theirs = _python_view(python)
    ours = _our_view(parse_export(data, path.name, local_tz=UTC))
    return {k: (ours[k], theirs[k]) for k in theirs if ours[k] != theirs[k]}


def test_the_foreign_corpus_is_there_and_small() -> None:
    assert len(FILES) >= 150
    assert sum(p.stat().st_size for p in FOREIGN.rglob("*") if p.is_file()) < 5 * 1024 * 1024


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_each_foreign_mail_reads_as_pythons_email_package_reads_it(path: Path) -> None:
    expected = set(EXPECTED_DIFFERENCES.get(_id(path), {}))
    differences = _differences(path)
    unexplained = {k: v for k, v in differences.items() if k not in expected}
    assert unexplained == {}, "field: (ours, Python's)"
    assert set(differences) == expected, "a listed difference is gone: remove it from EXPECTED_DIFFERENCES"


def corpus_figures() -> dict[str, int]:
    """How the corpus imports: imported / duplicate / ignored / failed, as the importer decides."""
    counts = {"files": 0, "imported": 0, "duplicate": 0, "ignored": 0, "failed": 0}
    keys: set[str] = set()
    for path in FILES:
        counts["files"] += 1
        try:
            message = parse_export(path.read_bytes(), path.name, local_tz=UTC)
        except ParseFailure:
            counts["failed"] += 1
            continue
        key = message_key(message)
        if key in keys:
            counts["duplicate"] += 1
        elif automated_reason(message) is not None:
            counts["ignored"] += 1
        else:
            counts["imported"] += 1
        keys.add(key)
    return counts


def test_no_foreign_mail_that_python_reads_fails_to_import() -> None:
    failed = []
    for path in FILES:
        try:
            parse_export(path.read_bytes(), path.name, local_tz=UTC)
        except ParseFailure as exc:
            python: Message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if not python.keys():
                continue
            failed.append((_id(path), str(exc)))
    assert failed == []


if __name__ == "__main__":
    print(corpus_figures())
