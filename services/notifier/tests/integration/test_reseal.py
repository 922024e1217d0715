"""After the credentials key changes, ``reseal`` seals the stored SMTP passwords again under the new key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crm_kit.ids import new_id
from crm_notifier.bootstrap import bootstrap, compose
from crm_notifier.credentials import CredentialBox, new_key
from crm_notifier.reseal import ResealReport
from crm_notifier.service_layer import Reseal
from crm_notifier.settings import NotifierSettings
from crm_notifier.store.repository import SqlRepository

OLD, NEW, LOST = new_key(), new_key(), new_key()


async def _store(settings: NotifierSettings) -> dict[str, str]:
    """Two servers (one sealed under the old key, one under a key nobody has) and a user's credentials."""
    service = bootstrap(settings)
    await service.migrate()
    old, lost = CredentialBox(OLD), CredentialBox(LOST)
    ids = {"main": str(new_id()), "lost": str(new_id())}
    now = datetime.now(UTC)
    server = {"port": 587, "tls_mode": "starttls", "sender": "crm@firma.ro", "username": "crm", "created_at": now}
    async with service.db.transaction() as conn:
        await SqlRepository(conn).insert_mail_server(
            {**server, "id": ids["main"], "name": "Firma", "host": "smtp.firma.ro", "password_enc": old.seal("p1")},
        )
        await SqlRepository(conn).insert_mail_server(
            {**server, "id": ids["lost"], "name": "Alta", "host": "smtp.alta.ro", "password_enc": lost.seal("p2")}
        )
        await SqlRepository(conn).save_credentials(
            {
                "user_login": "ana",
                "server_id": ids["main"],
                "username": "ana@firma.ro",
                "password_enc": old.seal("p3"),
                "sender": None,
                "updated_at": now,
            },
        )
    await service.db.dispose()
    return ids


async def _passwords(settings: NotifierSettings, ids: dict[str, str]) -> dict[str, str | None]:
    service = bootstrap(settings)
    box = CredentialBox(NEW)
    async with service.db.read() as conn:
        repo = SqlRepository(conn)
        main, lost = await repo.mail_server(ids["main"]), await repo.mail_server(ids["lost"])
        ana = await repo.credentials("ana")
    await service.db.dispose()
    assert main is not None and lost is not None and ana is not None
    with pytest.raises(ValueError, match="enter it again"):
        box.open(lost["password_enc"])
    return {"main": box.open(main["password_enc"]), "ana": box.open(ana["password_enc"])}


async def test_passwords_sealed_under_the_old_key_are_sealed_again_and_unknown_ones_reported(
    database_url: str,
) -> None:
    settings = NotifierSettings(database_url=database_url, credentials_key=NEW)
    ids = await _store(settings)

    service, uses = compose(settings)  # its sealer is the current key, NEW
    try:
        first = await uses.reseal(Reseal(CredentialBox(OLD)))
        again = await uses.reseal(Reseal(CredentialBox(OLD)))
    finally:
        await service.db.dispose()

    # The server sealed under a key nobody has stays as it is: its password must be entered again.
    assert first == ResealReport(resealed=2, current=0, unreadable=1)
    assert again == ResealReport(resealed=0, current=2, unreadable=1)
    assert await _passwords(settings, ids) == {"main": "p1", "ana": "p3"}


async def test_the_command_reads_the_old_key_from_stdin_and_refuses_a_malformed_one(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'notifier.db'}"
    settings = NotifierSettings(database_url=database_url, credentials_key=NEW)
    ids = await _store(settings)
    env = {**os.environ, "CRM_NOTIFIER_DATABASE_URL": database_url, "CRM_NOTIFIER_CREDENTIALS_KEY": NEW}

    def run(stdin: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "crm_notifier", "reseal"],
            input=stdin,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    refused = run("not-a-key\n")
    assert (refused.returncode, refused.stdout) == (2, "")
    assert "Fernet key" in refused.stderr
    done = run(OLD + "\n")
    assert done.returncode == 1, done.stderr[-2000:]  # one password opens with neither key
    assert json.loads(done.stdout) == {"resealed": 2, "current": 0, "unreadable": 1}
    assert await _passwords(settings, ids) == {"main": "p1", "ana": "p3"}
