"""Uploads over the import limit are refused before they are stored; failed/ keeps each content once."""

from __future__ import annotations

from pathlib import Path

from litestar.testing import AsyncTestClient

from crm_kit.identity import Identity, issue
from crm_kit.service import start_in_background
from crm_mail_ingest.bootstrap import MailIngest, build

MB = 1024 * 1024


def headers(ingest: MailIngest) -> dict[str, str]:
    who = Identity(user_id="u1", username="ana", role="manager")  # the whole import log is a manager's view
    return {"x-crm-identity": issue(who, ingest.service.settings.identity_secret, "mail-ingest")}


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def test_a_26_mb_upload_is_refused_with_413_and_nothing_is_written_to_the_import_folder(
    ingest: MailIngest,
) -> None:
    async with AsyncTestClient(app=ingest.service.app()) as client:
        big = b"From: a@b.ro\r\nSubject: mare\r\n\r\n" + b"x" * (26 * MB)
        refused = await client.post("/api/mail-imports", files={"data": ("mare.eml", big)}, headers=headers(ingest))
        assert refused.status_code == 413, refused.text
        assert refused.json()["detail"].startswith("the upload is too large; the import limit is 25.0 MB")
        extra = refused.json()["extra"]  # the web UI names the refusal by its code, in the user's language
        assert (extra["code"], extra["params"]) == ("mail_import.upload_too_large", {"limit_mb": "25.00"})
        listed = (await client.get("/api/mail-imports", headers=headers(ingest))).json()
    assert listed["total"] == 0
    assert files_under(ingest.folder.root) == []


async def test_a_file_over_the_limit_in_a_body_under_the_cap_is_refused_by_its_own_size(ingest_settings) -> None:
    ingest = build(ingest_settings(max_file_bytes=1000))
    running = await start_in_background(ingest.service, {"relay"})
    try:
        async with AsyncTestClient(app=ingest.service.app()) as client:
            refused = await client.post(
                "/api/mail-imports", files={"data": ("mic.eml", b"x" * 1001)}, headers=headers(ingest)
            )
            assert refused.status_code == 413, refused.text
            assert refused.json()["detail"].startswith("the file is 1001 bytes; the import limit is 1000 bytes")
        assert files_under(ingest.folder.root) == []
    finally:
        await running.stop()


async def test_the_same_failing_file_uploaded_again_is_kept_once_under_failed(ingest: MailIngest) -> None:
    garbage = b"\x00\x01 this is not an exported email \xff" * 50
    async with AsyncTestClient(app=ingest.service.app()) as client:
        rows = []
        for name in ("stricat.eml", "stricat.eml", "alt-nume.eml"):
            response = await client.post("/api/mail-imports", files={"data": (name, garbage)}, headers=headers(ingest))
            assert response.status_code == 201, response.text
            rows.append(response.json())
    assert [r["status"] for r in rows] == ["failed", "failed", "failed"]
    kept = [p for p in files_under(ingest.folder.failed) if not p.name.endswith(".reason.txt")]
    assert [p.name for p in kept] == ["stricat.eml"]
    assert kept[0].read_bytes() == garbage
    assert files_under(ingest.folder.processing) == []
    assert {r["stored_path"] for r in rows} == {"failed/stricat.eml"}
