"""Record scoping through the gateway: agent Ana's task, email, import and files are not agent Ion's to read.

Every view that shows a record follows the record's one rule (``crm_kit.scoping``, docs/security-scoping.md):
the task itself, the task list, the CSV report, the partner history, the email log, the import log and
``/api/blobs``. The gateway's own role-guarded routes come from its route table.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx

from crm_kit.ports import SERVICE_PORTS
from crm_kit.settings import project_root
from crm_kit.testing import eventually
from crm_kit.testing.routes import endpoints
from crm_kit.testing.stack import start_stack

from .test_journeys import created, items

SECRET = "Concediere Popescu"
EML = project_root() / "services/mail-ingest/tests/fixtures/eml_ro_utf8_base64.eml"
GATEWAY_SKIP = re.compile(r"^(?!/api/)|^/api/(healthz|auth/)")
"""The gateway's UI pages and its open API paths; the rest of its own routes need a login."""


async def test_an_agent_reads_none_of_another_agents_records_in_any_view(service_env, tmp_path: Path) -> None:
    async with start_stack(
        service_env,
        list(SERVICE_PORTS),
        parts={"serve", "consume", "relay"},
        overrides={"mail-ingest": {"inbox": tmp_path / "inbox"}},
    ) as stack:
        api = stack.client
        people: dict[str, str] = {}
        for name, team in (("Ana", "suport"), ("Ion", "vanzari"), ("Mara", "suport")):
            body = {"name": name, "email": f"{name.lower()}@example.ro", "hours_per_day": "8", "team": team}
            people[name] = (await created(api, "/api/staff", body))["id"]
        ana = await stack.user_client("ana", role="agent", staff_id=people["Ana"])
        ion = await stack.user_client("ion", role="agent", staff_id=people["Ion"])
        mara = await stack.user_client("mara", role="manager", staff_id=people["Mara"])
        partner = await created(
            api,
            "/api/partners",
            {"kind": "client", "name": "Alfa SRL", "county": "Cluj", "locality": "Cluj-Napoca", "sites": []},
        )

        # Tasks: the task, the list, the CSV report and the partner history.
        task = await created(
            api, "/api/tasks", {"title": SECRET, "responsible_staff_id": people["Ana"], "partner_id": partner["id"]}
        )
        assert (await ana.get(f"/api/tasks/{task['id']}")).status_code == 200
        assert (await ion.get(f"/api/tasks/{task['id']}")).status_code == 403
        assert task["id"] not in {t["id"] for t in await items(ion, "/api/tasks")}
        report = await ion.get("/api/tasks/report", params={"format": "csv"})
        assert report.status_code == 200
        assert SECRET not in report.text

        async def task_history(client: httpx.AsyncClient) -> str:
            response = await client.get(f"/api/partners/{partner['id']}/history", params={"kind": "task"})
            assert response.status_code == 200, response.text
            return response.text if response.json()["total"] else ""

        assert SECRET in await eventually(lambda: task_history(ana), timeout=60)
        assert SECRET in await task_history(mara), "Ana is in Mara's team"
        redacted = await task_history(ion)
        assert redacted
        assert SECRET not in redacted

        # Emails: the log and one email.
        sent = await created(ana, "/api/emails", {"to_addresses": ["client@alfa.ro"], "subject": SECRET, "body": "x"})

        async def ana_log() -> list[dict[str, Any]]:
            return [e for e in await items(ana, "/api/emails") if e["email_id"] == sent["email_id"]]

        (email,) = await eventually(ana_log, timeout=60)
        assert email["email_id"] not in {e["email_id"] for e in await items(ion, "/api/emails")}
        assert (await ion.get(f"/api/emails/{email['id']}")).status_code == 404
        assert (await mara.get(f"/api/emails/{email['id']}")).status_code == 200

        # Mail imports and their attachments, through /api/blobs.
        upload = await api.post("/api/mail-imports", files={"data": ("centrala.eml", EML.read_bytes())})
        assert upload.status_code == 201, upload.text
        entry = upload.json()
        (attachment,) = entry["attachments"]
        assert entry["id"] not in {i["id"] for i in await items(ion, "/api/mail-imports")}
        assert (await ion.get(f"/api/mail-imports/{entry['id']}")).status_code == 404
        assert (await mara.get(f"/api/mail-imports/{entry['id']}")).status_code == 200
        blob = f"/api/blobs/{attachment['sha256']}"
        assert (await api.get(blob)).status_code == 200
        assert (await mara.get(blob)).status_code == 200, "a manager reads the import, so its files"
        refused = await ion.get(blob)
        assert refused.status_code == 404
        assert refused.content != (await api.get(blob)).content
        assert (await ion.get("/api/blobs/" + "0" * 64)).status_code == 404

        # The gateway's own role-guarded routes, from its route table.
        gateway = stack.running["gateway"].service.app()
        wrong, checked = [], 0
        for endpoint in endpoints(gateway, skip=GATEWAY_SKIP):
            if endpoint.roles is not None and "agent" not in endpoint.roles:
                checked += 1
                response = await ion.request(endpoint.method, endpoint.url())
                if response.status_code != 403:
                    wrong.append(f"{endpoint.method} {endpoint.path} -> {response.status_code}")
        assert checked, "the gateway's guarded routes were not found"
        assert not wrong, wrong
