"""The HTTP API: upload through the folder's path, the import log with filters, retry after a fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from crm_kit.identity import Identity, issue
from crm_kit.service import start_in_background
from crm_mail_ingest.bootstrap import MailIngest, build
from crm_mail_ingest.service_layer import ImportFiles

from .conftest import FIXTURES, drop


def headers(ingest: MailIngest) -> dict[str, str]:
    who = Identity(user_id="u1", username="ana", role="manager")  # the import log is a manager's view
    return {"x-crm-identity": issue(who, ingest.service.settings.identity_secret, "mail-ingest")}


async def test_an_uploaded_file_is_imported_like_a_dropped_one_and_listed_in_the_log(ingest: MailIngest) -> None:
    async with AsyncTestClient(app=ingest.service.app()) as client:
        data = (FIXTURES / "eml_ro_utf8_base64.eml").read_bytes()
        response = await client.post(
            "/api/mail-imports", files={"data": ("../../etc/centrala.eml", data)}, headers=headers(ingest)
        )
        assert response.status_code == 201, response.text
        entry = response.json()
        assert entry["status"] == "imported"
        assert entry["file_name"] == "centrala.eml"
        assert entry["subject"] == "Reparație urgentă: centrală termică"
        assert entry["task_id"]
        assert entry["unknown_sender"] is True
        assert [a["file_name"] for a in entry["attachments"]] == ["fișă tehnică.jpg"]
        assert (ingest.folder.done / "centrala.eml").read_bytes() == data

        again = await client.post("/api/mail-imports", files={"data": ("copie.eml", data)}, headers=headers(ingest))
        assert again.json()["status"] == "duplicate"

        listed = (await client.get("/api/mail-imports", params={"status": "imported"}, headers=headers(ingest))).json()
        assert listed["total"] == 1
        assert [i["file_name"] for i in listed["items"]] == ["centrala.eml"]
        dupes = (await client.get("/api/mail-imports", params={"status": "duplicate"}, headers=headers(ingest))).json()
        assert [i["file_name"] for i in dupes["items"]] == ["copie.eml"]


async def test_a_failed_file_is_retried_after_its_cause_is_fixed(ingest_settings) -> None:
    ingest = build(ingest_settings(max_file_bytes=100))
    running = await start_in_background(ingest.service, {"relay"})
    try:
        async with AsyncTestClient(app=ingest.service.app()) as client:
            # Dropped into the folder (an upload this large is refused with 413 and not kept).
            drop(ingest.folder.root, "mare.txt", (FIXTURES / "outlook_en_utf8.txt").read_bytes())
            ingest.folder.ensure()
            claimed = ingest.folder.claim("mare.txt")
            assert claimed is not None
            [failed] = await ingest.uses.import_files(ImportFiles((claimed,)))
            assert failed["status"] == "failed"
            assert "file too large" in failed["reason"]
            assert (ingest.folder.failed / "mare.txt.reason.txt").exists()

            ingest.settings.max_file_bytes = 1_000_000  # the administrator raised the limit
            retried = await client.post(f"/api/mail-imports/{failed['id']}/retry", headers=headers(ingest))
            assert retried.status_code == 201, retried.text
            assert retried.json()["status"] == "imported"
            assert (ingest.folder.done / "mare.txt").exists()
            assert not (ingest.folder.failed / "mare.txt").exists()

            old = (await client.get(f"/api/mail-imports/{failed['id']}", headers=headers(ingest))).json()
            assert old["status"] == "retried"
            again = await client.post(f"/api/mail-imports/{failed['id']}/retry", headers=headers(ingest))
            assert again.status_code == 409
            assert "only a failed import" in again.json()["detail"]
    finally:
        await running.stop()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/mail-imports?status=lost", 422),
        ("get", "/api/mail-imports?limit=0", 400),
        ("get", "/api/mail-imports/nope", 404),
        ("post", "/api/mail-imports/nope/retry", 404),
        ("post", "/api/mail-imports", 400),
    ],
)
async def test_bad_requests_get_a_clear_4xx(ingest: MailIngest, method: str, path: str, status: int) -> None:
    async with AsyncTestClient(app=ingest.service.app()) as client:
        response = await getattr(client, method)(path, headers=headers(ingest))
        assert response.status_code == status, response.text
        assert response.json()["detail"]


async def test_the_api_needs_an_identity(ingest: MailIngest) -> None:
    async with AsyncTestClient(app=ingest.service.app()) as client:
        assert (await client.get("/api/mail-imports")).status_code == 401


async def test_a_dropped_file_shows_up_in_the_log_with_its_partner_and_task(ingest: MailIngest, tmp_path: Path) -> None:
    drop(ingest.folder.root, "x.txt", (FIXTURES / "thunderbird_en_utf8.txt").read_bytes())
    async with AsyncTestClient(app=ingest.service.app()) as client:
        from crm_kit.testing import eventually

        async def listed() -> list[dict[str, object]]:
            r = await client.get("/api/mail-imports", headers=headers(ingest))
            return list(r.json()["items"])

        items = await eventually(listed)
        assert items[0]["file_name"] == "x.txt"
        assert items[0]["status"] == "imported"
        assert items[0]["sender"] == "ana.marin@beta-soft.ro"
