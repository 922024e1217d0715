"""/healthz answers while the process runs; /readyz only while the service's database answers too."""

from __future__ import annotations

from pathlib import Path

import httpx
import sqlalchemy as sa

from crm_kit.http import create_app
from crm_kit.service import Service
from crm_kit.settings import ServiceSettings
from crm_kit.store import kit_tables


def _service(database_url: str, tmp_path: Path) -> Service:
    metadata = sa.MetaData()
    kit_tables(metadata)
    settings = ServiceSettings(service_name="probe", database_url=database_url, blob_dir=tmp_path / "blobs")
    return Service(name="probe", settings=settings, metadata=metadata)


async def _get(service: Service, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=create_app(service, []))
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        return await client.get(path)


async def test_ready_while_the_database_answers(tmp_path: Path) -> None:
    service = _service(f"sqlite+aiosqlite:///{tmp_path / 'probe.db'}", tmp_path)
    try:
        assert (await _get(service, "/healthz")).json() == {"status": "ok", "service": "probe"}
        assert (await _get(service, "/readyz")).status_code == 200
    finally:
        await service.db.dispose()


async def test_alive_but_not_ready_when_the_database_does_not_answer(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "probe.db"  # SQLite cannot create a file in a missing folder
    service = _service(f"sqlite+aiosqlite:///{missing}", tmp_path)
    try:
        assert (await _get(service, "/healthz")).status_code == 200
        not_ready = await _get(service, "/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json()["status"] == "unavailable"
    finally:
        await service.db.dispose()
