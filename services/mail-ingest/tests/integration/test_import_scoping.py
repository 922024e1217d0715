"""Who sees the import log: managers all of it, an agent the imports whose task went to them (and their files)."""

from __future__ import annotations

import uuid

from litestar.testing import AsyncTestClient

from crm_kit.identity import Identity, issue
from crm_mail_ingest.bootstrap import MailIngest

from .conftest import FIXTURES, TRIAGE


def as_(ingest: MailIngest, role: str, staff_id: str | None) -> dict[str, str]:
    who = Identity(user_id=f"u-{role}-{staff_id}", username=f"{role}-{staff_id}", role=role, staff_id=staff_id)
    return {"x-crm-identity": issue(who, ingest.service.settings.identity_secret, "mail-ingest")}


async def test_an_agent_sees_only_the_imports_whose_task_went_to_them_with_their_attachments(
    ingest: MailIngest,
) -> None:
    manager = as_(ingest, "manager", None)
    owner = as_(ingest, "agent", TRIAGE)  # an unknown sender's task goes to the triage person
    other = as_(ingest, "agent", str(uuid.uuid4()))
    unlinked = as_(ingest, "agent", None)
    async with AsyncTestClient(app=ingest.service.app()) as client:
        data = (FIXTURES / "eml_ro_utf8_base64.eml").read_bytes()
        created = await client.post("/api/mail-imports", files={"data": ("centrala.eml", data)}, headers=manager)
        assert created.status_code == 201, created.text
        entry = created.json()
        assert entry["responsible_staff_id"] == TRIAGE
        (attachment,) = entry["attachments"]

        for who, seen in ((manager, 1), (owner, 1), (other, 0), (unlinked, 0)):
            listed = (await client.get("/api/mail-imports", headers=who)).json()
            assert listed["total"] == seen
            assert len(listed["items"]) == seen
            one = await client.get(f"/api/mail-imports/{entry['id']}", headers=who)
            assert one.status_code == (200 if seen else 404)
            refs = await client.get(f"/blob-refs/{attachment['sha256']}", headers=who)
            assert refs.status_code == (200 if seen else 404)
        retry = await client.post(f"/api/mail-imports/{entry['id']}/retry", headers=other)
        assert retry.status_code == 404
