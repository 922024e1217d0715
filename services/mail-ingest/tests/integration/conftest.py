"""A running mail-ingest on the real broker, with its own inbox folder, topics and database."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from crm_kit.service import start_in_background
from crm_mail_ingest.bootstrap import MailIngest, build
from crm_mail_ingest.settings import MailIngestSettings

FIXTURES = Path(__file__).parent.parent / "fixtures"
TRIAGE = str(uuid.UUID(int=7))


def drop(inbox: Path, name: str, data: bytes) -> Path:
    """Drop a file the documented way: write under a .part name, then rename into the folder."""
    inbox.mkdir(parents=True, exist_ok=True)
    part = inbox / f"{name}.part"
    part.write_bytes(data)
    os.replace(part, inbox / name)
    return inbox / name


@pytest.fixture
def ingest_settings(service_env: Callable[..., dict[str, Any]], tmp_path: Path) -> Callable[..., MailIngestSettings]:
    def make(**overrides: Any) -> MailIngestSettings:
        values = service_env(
            "mail-ingest", inbox=tmp_path / "inbox", scan_seconds=0.1, triage_staff_id=TRIAGE, **overrides
        )
        return MailIngestSettings(**values)

    return make


@pytest.fixture
async def ingest(ingest_settings: Callable[..., MailIngestSettings]) -> AsyncIterator[MailIngest]:
    parts = build(ingest_settings())
    running = await start_in_background(parts.service)
    try:
        yield parts
    finally:
        await running.stop()
