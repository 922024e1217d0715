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
from dataclasses import asdict
from typing import TextIO

from crm_kit.service import Service
from crm_notifier.credentials import CredentialBox, is_key
from crm_notifier.service_layer import Reseal, ResealReport, UseCases

__all__ = ["ResealReport", "reseal_main"]


def reseal_main(compose: Callable[[], tuple[Service, UseCases]], argv: Sequence[str], stdin: TextIO) -> int:
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
    service, uses = compose()

    async def run() -> ResealReport:
        try:
            return await uses.reseal(Reseal(CredentialBox(old_key)))
        finally:
            await service.db.dispose()

    report = asyncio.run(run())
    sys.stdout.write(json.dumps(asdict(report)) + "\n")
    return 1 if report.unreadable else 0
