"""Templates in both languages, the wire form of an email, and passwords at rest."""

from __future__ import annotations

import base64
import hashlib
import stat
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from pydantic import ValidationError

from crm_kit.errors import Invalid
from crm_notifier.credentials import CredentialBox, new_key
from crm_notifier.domain.mail_servers import server_config
from crm_notifier.rendering import Renderer
from crm_notifier.settings import NotifierSettings
from crm_notifier.smtp import build_message

RENDERER = Renderer("https://crm.firma.ro/")
KEY_ONE, KEY_TWO = new_key(), new_key()


def test_a_reminder_reads_in_romanian_by_default_with_bucharest_time_and_a_link() -> None:
    context = {"name": "Ana", "title": "Ofertă", "deadline": "2026-07-01T07:00:00+00:00", "days_before": 2}
    subject, body = RENDERER.render("task_due", "ro", context, "/tasks/t1")
    assert subject == "Reamintire task: Ofertă (termen în 2 zile)"
    assert "01.07.2026 10:00" in body  # UTC+3 in summer
    assert "https://crm.firma.ro/tasks/t1" in body


def test_english_is_available_and_an_unknown_language_falls_back_to_romanian() -> None:
    context = {"name": "Ana", "title": "Call", "description": "", "deadline": None, "partner": None}
    assert RENDERER.render("task_created", "en", context)[0] == "New task: Call"
    assert RENDERER.render("task_created", "xx", context)[0] == "Task nou: Call"


def test_one_deadline_told_to_many_reads_in_each_ones_language_and_each_renderers_zone() -> None:
    # The formatted time is remembered per (time, zone, language): a broadcast formats its deadline once.
    deadline = "2026-07-01T07:00:00+00:00"
    context = {"name": "Ana", "title": "Inventar", "description": "", "partner": None, "deadline": deadline}
    london = Renderer("https://crm.firma.ro/", timezone="Europe/London")
    for _ in range(2):
        assert "Termen: 01.07.2026 10:00" in RENDERER.render("task_created", "ro", context)[1]
        assert "Deadline: Jul 1, 2026 10:00" in RENDERER.render("task_created", "en", context)[1]
        assert "Termen: 01.07.2026 08:00" in london.render("task_created", "ro", context)[1]


def test_a_title_with_line_breaks_still_gives_a_one_line_subject() -> None:
    context = {"name": "Ana", "title": "Line one\r\nBcc: x@y.z", "by": None}
    subject, _ = RENDERER.render("task_assigned", "ro", context)
    assert "\n" not in subject and "\r" not in subject


def test_an_email_carries_its_headers_body_and_attachments() -> None:
    data = build_message(
        sender="crm@firma.ro",
        recipient="ana@alfa.ro",
        subject="Ofertă",
        body="Bună ziua",
        message_id="<d1@crm-notifier>",
        sent_at=datetime(2026, 1, 1, tzinfo=UTC),
        attachments=[("oferta.pdf", b"%PDF")],
    )
    mail = message_from_bytes(data, policy=default)
    assert (mail["To"], mail["Subject"], mail["Message-ID"]) == ("ana@alfa.ro", "Ofertă", "<d1@crm-notifier>")
    assert [a.get_filename() for a in mail.iter_attachments()] == ["oferta.pdf"]
    assert b"\r\n" in data


def test_building_an_email_with_an_injected_header_is_refused() -> None:
    with pytest.raises(Invalid):
        build_message(
            sender="crm@firma.ro",
            recipient="ana@alfa.ro",
            subject="x\r\nBcc: victim@evil.example",
            body="",
            message_id="<d@x>",
            sent_at=datetime.now(UTC),
            attachments=[],
        )


def test_passwords_are_stored_encrypted_and_a_changed_key_is_reported() -> None:
    box = CredentialBox(KEY_ONE)
    sealed = box.seal("parola")
    assert sealed is not None and "parola" not in sealed
    assert box.open(sealed) == "parola"
    assert box.seal("") is None
    with pytest.raises(ValueError, match="enter it again"):
        CredentialBox(KEY_TWO).open(sealed)


def test_a_server_whose_password_cannot_be_read_is_used_without_login_but_keeps_its_limits() -> None:
    row = {
        "id": "s1",
        "name": "Firma",
        "host": "smtp.firma.ro",
        "port": 587,
        "tls_mode": "starttls",
        "sender": "crm@firma.ro",
        "username": "crm",
        "password_enc": CredentialBox(KEY_ONE).seal("parola"),
        "rate_per_minute": 30,
    }
    with pytest.raises(ValueError, match="enter it again"):
        server_config(row, CredentialBox(KEY_TWO).open, 10.0)
    config = server_config(row, CredentialBox(KEY_TWO).open, 10.0, anonymous=True)
    assert (config.username, config.password) == (None, None)
    assert (config.key, config.host, config.port, config.tls_mode, config.sender) == (
        "s1",
        "smtp.firma.ro",
        587,
        "starttls",
        "crm@firma.ro",
    )
    assert config.rate_per_minute == 30  # the copy this replaced dropped the server's rate limit


def test_long_romanian_headers_and_file_names_survive_the_wire() -> None:
    subject = "Ofertă nr. 5 pentru ședința din București, județul Ilfov — " * 3
    data = build_message(
        sender="Firma Ștefănescu <crm@firma.ro>",
        recipient="ana@alfa.ro",
        subject=subject.strip(),
        body="Bună ziua,\n.\nO zi bună!",
        message_id="<d2@crm-notifier>",
        sent_at=datetime(2026, 1, 1, tzinfo=UTC),
        attachments=[("ofertă țară.pdf", b"%PDF-1.7")],
    )
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    mail = message_from_bytes(data, policy=default)
    assert mail["Subject"] == subject.strip()
    assert mail["From"] == "Firma Ștefănescu <crm@firma.ro>"
    assert mail.get_body().get_content().replace("\r\n", "\n") == "Bună ziua,\n.\nO zi bună!\n"
    assert [(a.get_filename(), a.get_content()) for a in mail.iter_attachments()] == [("ofertă țară.pdf", b"%PDF-1.7")]


def test_without_a_configured_key_the_notifier_generates_its_own_and_every_instance_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_VAR", str(tmp_path))
    monkeypatch.delenv("CRM_NOTIFIER_CREDENTIALS_KEY", raising=False)
    first, second = NotifierSettings(), NotifierSettings()
    assert first.credentials_key == second.credentials_key
    stored = tmp_path / "secrets" / "notifier-credentials-key"
    assert stored.read_text().strip() == first.credentials_key
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert CredentialBox(second.credentials_key).open(CredentialBox(first.credentials_key).seal("parola")) == "parola"


def test_the_key_is_not_derived_from_the_identity_secret_any_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_VAR", str(tmp_path))
    settings = NotifierSettings()
    # The key the notifier used to derive when none was configured (a local dev database may hold passwords
    # sealed with it): they are reported unreadable, and the server is used without login until re-entered.
    digest = hashlib.sha256(f"crm-notifier-credentials:{settings.identity_secret}".encode()).digest()
    derived = base64.urlsafe_b64encode(digest).decode()
    assert settings.credentials_key != derived
    with pytest.raises(ValueError, match="enter it again"):
        CredentialBox(settings.credentials_key).open(CredentialBox(derived).seal("parola"))


@pytest.mark.parametrize("key", ["dev-only-identity-secret-change-me", "short", "x" * 44])
def test_a_published_short_or_malformed_key_is_refused(
    key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_VAR", str(tmp_path))
    with pytest.raises(ValidationError, match="CRM_NOTIFIER_CREDENTIALS_KEY"):
        NotifierSettings(credentials_key=key)
    assert not (tmp_path / "secrets" / "notifier-credentials-key").exists()
