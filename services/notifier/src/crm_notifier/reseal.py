"""``python -m crm_notifier reseal``: seal the stored SMTP passwords again under the current credentials key.

After ``CRM_NOTIFIER_CREDENTIALS_KEY`` changes, the passwords sealed under the old key cannot be read.
Given the old key on stdin (never on the command line, where ``ps`` shows it), this opens each stored
password with it and seals it with the current key, in one transaction, so nobody has to enter them again.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TextIO

from crm_kit.service import Service
from crm_kit.store import Database
from crm_notifier.credentials import CredentialBox, is_key
from crm_notifier.settings import NotifierSettings
from crm_notifier.store import repository as repo


@dataclass(frozen=True)
class ResealReport:
    """How many stored passwords were sealed again, were already current, or open with neither key."""

    resealed: int
    current: int
    unreadable: int


def _opens(box: CredentialBox, sealed: str) -> str | None:
    try:
        return box.open(sealed)
    except ValueError:
        return None


async def reseal(db: Database, current: CredentialBox, old: CredentialBox) -> ResealReport:
    """Seal again, under ``current``, every stored password that ``old`` opens; the rest stays as it is."""
    resealed = already = unreadable = 0
    async with db.transaction() as conn:
        for kind, key, sealed in await repo.sealed_passwords(conn):
            if _opens(current, sealed) is not None:
                already += 1
                continue
            password = _opens(old, sealed)
            if password is None:
                unreadable += 1
                continue
            await repo.replace_sealed_password(conn, kind, key, current.seal(password) or "")
            resealed += 1
    return ResealReport(resealed, already, unreadable)


def reseal_main(bootstrap: Callable[[], Service], argv: Sequence[str], stdin: TextIO) -> int:
    """The ``reseal`` command: the old key is the first line of stdin; prints the report as JSON.

    Exit status 0 when every password opens with the current key afterwards, 1 when some open with neither
    key (they must be entered again), 2 when the old key is not a Fernet key or arguments were given.
    """
    if argv:
        sys.stderr.write("usage: echo OLD_KEY | python -m crm_notifier reseal\n")
        return 2
    old_key = stdin.readline().strip()
    if not is_key(old_key):
        sys.stderr.write("the first line of stdin must be the old CRM_NOTIFIER_CREDENTIALS_KEY (a Fernet key)\n")
        return 2
    service = bootstrap()
    settings = service.settings
    assert isinstance(settings, NotifierSettings)

    async def run() -> ResealReport:
        try:
            return await reseal(service.db, CredentialBox(settings.credentials_key), CredentialBox(old_key))
        finally:
            await service.db.dispose()

    report = asyncio.run(run())
    sys.stdout.write(json.dumps(asdict(report)) + "\n")
    return 1 if report.unreadable else 0
