"""C4 over HTTP on the real store: admins see and change the import folder and format; bad values are 4xx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from crm_kit.identity import HEADER, Identity, issue
from crm_kit.testing import eventually
from crm_mail_ingest.bootstrap import MailIngest

from .conftest import FIXTURES, drop

PATH = "/api/mail-import-settings"


def headers(ingest: MailIngest, role: str = "admin") -> dict[str, str]:
    who = Identity(user_id="u1", username=f"ana-{role}", role=role)
    return {HEADER: issue(who, ingest.service.settings.identity_secret, "mail-ingest")}


@pytest.fixture
async def client(ingest: MailIngest) -> Any:
    transport = httpx.ASGITransport(app=ingest.service.app())  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def unchanged(client: httpx.AsyncClient, ingest: MailIngest) -> None:
    """Nothing was saved: the environment's folder and format are still in force."""
    shown = (await client.get(PATH, headers=headers(ingest))).json()
    assert (shown["folder"], shown["export_format"], shown["saved"]) == (str(ingest.settings.inbox), "auto", False)


REFUSED = [
    ({"folder": "mail-inbox", "export_format": "auto"}, "mail_import.folder_not_absolute", "folder"),
    ({"folder": "/srv/mail\x00inbox", "export_format": "auto"}, "mail_import.folder_invalid", "folder"),
    ({"folder": "/srv/mail\ninbox", "export_format": "auto"}, "mail_import.folder_invalid", "folder"),
    ({"folder": "/etc", "export_format": "auto"}, "mail_import.folder_reserved", "folder"),
    ({"folder": "/srv/nowhere/at-all", "export_format": "auto"}, "mail_import.folder_not_found", "folder"),
    ({"folder": "{tmp}", "export_format": "pst"}, "mail_import.format_unknown", "export_format"),
]
"""A relative path, control characters, a system folder, a folder missing on the host, an unknown format."""


async def test_a_refused_value_is_a_422_naming_its_field_and_code_and_nothing_is_saved(
    client: httpx.AsyncClient, ingest: MailIngest, tmp_path: Path
) -> None:
    # One service for every case (starting one takes seconds); each refusal is checked on its own.
    for template, code, field in REFUSED:
        body = {k: v.replace("{tmp}", str(tmp_path)) for k, v in template.items()}
        response = await client.put(PATH, json=body, headers=headers(ingest))
        assert response.status_code == 422, (body, response.text)
        extra = response.json()["extra"]
        assert extra["code"] == code, body
        assert [(e["field"], e["code"]) for e in extra["errors"]] == [(field, code)]
        await unchanged(client, ingest)
    assert not (tmp_path / "done").exists()  # a refused change creates nothing in the folder either


async def test_a_body_with_a_missing_or_unknown_field_is_a_400_and_nothing_is_saved(
    client: httpx.AsyncClient, ingest: MailIngest
) -> None:
    for body in ({"folder": "/srv/x"}, {"folder": "/srv/x", "export_format": "auto", "owner": "root"}):
        response = await client.put(PATH, json=body, headers=headers(ingest))
        assert response.status_code == 400, response.text
    await unchanged(client, ingest)


async def test_only_an_admin_may_see_or_change_the_settings(
    client: httpx.AsyncClient, ingest: MailIngest, tmp_path: Path
) -> None:
    for role in ("manager", "agent"):
        assert (await client.get(PATH, headers=headers(ingest, role))).status_code == 403
        body = {"folder": str(tmp_path), "export_format": "eml"}
        assert (await client.put(PATH, json=body, headers=headers(ingest, role))).status_code == 403
    await unchanged(client, ingest)


async def test_a_saved_folder_is_shown_and_the_running_watcher_takes_files_from_it(
    client: httpx.AsyncClient, ingest: MailIngest, tmp_path: Path
) -> None:
    new = tmp_path / "new-inbox"
    new.mkdir()
    response = await client.put(PATH, json={"folder": f"{new}/", "export_format": "eml"}, headers=headers(ingest))
    assert response.status_code == 200, response.text
    shown = (await client.get(PATH, headers=headers(ingest))).json()
    assert (shown["folder"], shown["export_format"], shown["saved"], shown["updated_by"]) == (
        str(new),
        "eml",
        True,
        "ana-admin",
    )
    assert shown["updated_at"]

    drop(new, "dupa-schimbare.eml", (FIXTURES / "eml_ro_utf8_base64.eml").read_bytes())

    async def imported() -> bool:
        return (new / "done" / "dupa-schimbare.eml").is_file()

    await eventually(imported, timeout=20)
    listed = (await client.get("/api/mail-imports", headers=headers(ingest))).json()
    [entry] = listed["items"]
    assert (entry["status"], entry["folder"], entry["stored_path"]) == ("imported", str(new), "done/dupa-schimbare.eml")
