"""Odd upload input: a text field where the file belongs is a 400 that stores nothing; timestamps carry an offset."""

from __future__ import annotations

from datetime import datetime

from litestar.testing import AsyncTestClient

from crm_kit.identity import Identity, issue
from crm_mail_ingest.bootstrap import MailIngest

from .conftest import FIXTURES


def headers(ingest: MailIngest) -> dict[str, str]:
    who = Identity(user_id="u1", username="ana", role="agent")
    return {"x-crm-identity": issue(who, ingest.service.settings.identity_secret, "mail-ingest")}


def stored_files(ingest: MailIngest) -> list[str]:
    root = ingest.folder.root
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def test_a_text_field_where_the_file_belongs_is_a_400_and_nothing_is_imported(ingest: MailIngest) -> None:
    async with AsyncTestClient(app=ingest.service.app()) as client:
        as_text = await client.post(
            "/api/mail-imports", data={"data": "From: a@b.ro\n\nnot a file"}, headers=headers(ingest)
        )
        assert as_text.status_code == 400, as_text.text
        assert as_text.json()["detail"]
        wrong_part = await client.post(
            "/api/mail-imports",
            data={"data": "text"},
            files={"other": ("x.eml", b"From: a@b.ro\n\nbody")},
            headers=headers(ingest),
        )
        assert wrong_part.status_code == 400, wrong_part.text

        log = (await client.get("/api/mail-imports", headers=headers(ingest))).json()
        assert log["total"] == 0
        assert stored_files(ingest) == []


async def test_the_import_log_gives_every_instant_with_its_utc_offset(ingest: MailIngest) -> None:
    async with AsyncTestClient(app=ingest.service.app()) as client:
        data = (FIXTURES / "eml_ro_utf8_base64.eml").read_bytes()
        created = await client.post("/api/mail-imports", files={"data": ("a.eml", data)}, headers=headers(ingest))
        assert created.status_code == 201, created.text
        listed = (await client.get("/api/mail-imports", headers=headers(ingest))).json()["items"]
        for entry in [created.json(), *listed]:
            for key in ("created_at", "sent_at", "moved_at"):
                assert entry[key] is not None
                assert datetime.fromisoformat(entry[key]).utcoffset() is not None, (key, entry[key])
