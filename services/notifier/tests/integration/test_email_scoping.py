"""E3 scoping: an agent sees the emails they asked for; another agent sees neither the email nor its files."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crm_contracts.commercial import ArticleUpdated
from crm_contracts.notifications import EmailSent
from crm_kit.blobs import BlobStore
from crm_kit.service import start_in_background
from crm_kit.testing import eventually, publish, read_events
from crm_notifier.bootstrap import bootstrap
from crm_notifier.testing import api_client, identity_headers


async def test_another_agent_sees_neither_the_email_nor_its_attachment_and_a_manager_sees_both(
    kafka_bootstrap, topics, smtp_sink, notifier_settings
) -> None:
    settings = notifier_settings(smtp_sink.port)
    running = await start_in_background(bootstrap(settings))
    secret = settings.identity_secret
    ana = identity_headers(secret, "ana", role="agent")
    ion = identity_headers(secret, "ion", role="agent")
    mara = identity_headers(secret, "mara", role="manager")
    photo = BlobStore(settings.blob_dir).put(b"\xff\xd8\xff a photo for the client")
    try:
        await publish(
            kafka_bootstrap,
            topics,
            ArticleUpdated(
                code="RTR-1", name="Router", unit="buc", price=Decimal(50), vat_rate=Decimal(21), photos=[photo]
            ),
        )
        async with api_client(running.service.app()) as client:
            assert (await client.get(f"/blob-refs/{photo}", headers=ana)).status_code == 404, "no email carries it yet"
            request = {
                "to_addresses": ["client@alfa.ro"],
                "subject": "Salariul lui Ion",
                "body": "Confidențial.",
                "article_codes": ["RTR-1"],
            }

            async def accepted() -> bool:
                response = await client.post("/api/emails", json=request, headers=ana)
                assert response.status_code in (202, 404), response.text
                return response.status_code == 202

            await eventually(accepted)

            async def log_of(who: dict[str, str]) -> dict[str, Any]:
                response = await client.get("/api/emails", headers=who)
                assert response.status_code == 200, response.text
                return dict(response.json())

            async def logged() -> dict[str, Any] | None:
                log = await log_of(ana)
                return log if log["total"] == 1 else None

            (email,) = (await eventually(logged))["items"]
            assert (await log_of(ion)) == {"items": [], "total": 0}
            assert (await log_of(mara))["total"] == 1
            assert (await client.get(f"/api/emails/{email['id']}", headers=ion)).status_code == 404
            assert (await client.get(f"/api/emails/{email['id']}", headers=ana)).status_code == 200

            # The blob check the gateway asks: the photo is readable through an email the caller may see.
            assert (await client.get(f"/blob-refs/{photo}", headers=ana)).status_code == 200
            assert (await client.get(f"/blob-refs/{photo}", headers=mara)).status_code == 200
            assert (await client.get(f"/blob-refs/{photo}", headers=ion)).status_code == 404
        events = await read_events(
            kafka_bootstrap,
            topics,
            "crm.notifications",
            until=lambda evs: any(isinstance(e, EmailSent) for _, e in evs),
        )
        (sent,) = [e for _, e in events if isinstance(e, EmailSent)]
        assert sent.requested_by == "ana", "the partner history needs who asked, to show it to them only"
    finally:
        await running.stop()
