"""Header values: every line break and control character is refused, for every policy's idea of a line."""

from __future__ import annotations

import sys
import unicodedata
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default

import pytest

from crm_kit.errors import Invalid
from crm_notifier.domain.headers import check_address, check_header, one_line, unsafe_character
from crm_notifier.rendering import Renderer
from crm_notifier.smtp import build_message

# The characters of the finding (they passed the old CR/LF/NUL check) and a few other controls.
SPLITTERS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x01", "\t", "\x7f", "\x9b"]


def test_every_control_character_and_everything_splitlines_splits_on_is_unsafe() -> None:
    missed = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if (unicodedata.category(chr(code)) == "Cc" or len(f"a{chr(code)}b".splitlines()) > 1)
        and unsafe_character(f"a{chr(code)}b") is None
    ]
    assert missed == []
    assert unsafe_character("Ofertă nr. 5 — ședință") is None


@pytest.mark.parametrize("char", SPLITTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_a_subject_or_address_with_a_hidden_line_break_is_refused_with_the_character_named(char: str) -> None:
    with pytest.raises(Invalid, match=f"control characters \\(found U\\+{ord(char):04X}"):
        check_header("subject", f"Hi{char}Bcc: e@evil.test")
    with pytest.raises(Invalid, match="control characters"):
        check_address(f"ion{char}@firma.ro")
    with pytest.raises(Invalid, match="control characters"):
        build_message(
            sender="crm@firma.ro",
            recipient="ana@alfa.ro",
            subject=f"Hi{char}{char}Injected",
            body="",
            message_id="<d@crm-notifier>",
            sent_at=datetime.now(UTC),
            attachments=[],
        )


def test_a_generated_subject_drops_control_characters_of_a_task_title() -> None:
    context = {"name": "Ana", "title": "Ofertă\x0b\x01Bcc: x@y.z\u2028end", "by": None}
    subject, _ = Renderer("https://crm.firma.ro/").render("task_assigned", "ro", context)
    assert unsafe_character(subject) is None
    assert one_line("a\x85b") == "a b"


def test_the_message_is_built_under_the_smtp_policy_with_crlf_and_folded_long_headers() -> None:
    data = build_message(
        sender="Firma Ștefănescu <crm@firma.ro>",
        recipient="ana@alfa.ro",
        subject=("Ofertă " * 40).strip(),
        body="Bună",
        message_id="<d3@crm-notifier>",
        sent_at=datetime(2026, 1, 1, tzinfo=UTC),
        attachments=[],
        extra_headers={"X-CRM-Cause": "c1"},
    )
    head = data.split(b"\r\n\r\n", 1)[0]
    assert b"\n" not in head.replace(b"\r\n", b"")
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    mail = message_from_bytes(data, policy=default)
    assert (mail["Subject"], mail["X-CRM-Cause"]) == (("Ofertă " * 40).strip(), "c1")
    assert mail.defects == []
