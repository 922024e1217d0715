"""E1-E3: emailing a document with its printout, files and article photos; injection and size refused; the log."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

from crm_contracts.commercial import ArticleUpdated, InvoiceIssued, InvoicePrintoutReady, OfferIssued
from crm_contracts.notifications import EmailFailed, EmailRequested, EmailSent
from crm_contracts.partners import Contact, DocumentFiled, PartnerRegistered, Site, StaffMemberRegistered
from crm_kit.blobs import BlobStore
from crm_kit.service import start_in_background
from crm_kit.testing import eventually, publish, read_events
from crm_notifier.bootstrap import bootstrap
from crm_notifier.testing import api_client, identity_headers, read_maildir


def at_least(n: int, maildir: Path):  # type: ignore[no-untyped-def]
    async def check():  # type: ignore[no-untyped-def]
        found = read_maildir(maildir)
        return found if len(found) >= n else None

    return check


async def test_an_offer_goes_to_the_partner_and_a_contact_with_its_printout_files_and_article_photos(
    kafka_bootstrap, topics, smtp_sink, notifier_settings
) -> None:
    settings = notifier_settings(smtp_sink.port)
    blobs = BlobStore(settings.blob_dir)
    printout = blobs.put(b"%PDF-1.4 offer printout")
    drawing = blobs.put(b"drawing bytes")
    photo = blobs.put(b"\xff\xd8\xff photo of the router")
    partner_id, contact_id, offer_id, filed_id = uuid4(), uuid4(), uuid4(), uuid4()
    running = await start_in_background(bootstrap(settings))
    try:
        await publish(
            kafka_bootstrap,
            topics,
            PartnerRegistered(
                partner_id=partner_id,
                kind="client",
                name="Alfa SRL",
                sites=[Site(site_id=uuid4(), name="Sediu", emails=["office@alfa.ro"])],
                contacts=[Contact(contact_id=contact_id, name="Maria Alfa", email="maria@alfa.ro")],
            ),
            OfferIssued(
                document_id=offer_id,
                partner_id=partner_id,
                number="OF-2026-000007",
                issued_on=date(2026, 11, 27),
                net=Decimal("100.00"),
                vat=Decimal("21.00"),
                gross=Decimal("121.00"),
                printout_sha256=printout,
            ),
            DocumentFiled(
                dossier_id=uuid4(),
                document_id=filed_id,
                sha256=drawing,
                file_name="schita.png",
                size=13,
                source_type="offer",
                source_id=offer_id,
                partner_id=partner_id,
            ),
            ArticleUpdated(
                code="RTR-1", name="Router", unit="buc", price=Decimal("50"), vat_rate=Decimal(21), photos=[photo]
            ),
        )
        request = {
            "to_partner_id": str(partner_id),
            "to_contact_ids": [str(contact_id)],
            "subject": "Oferta OF-2026-000007",
            "body": "Vă trimitem oferta.\n.\nO zi bună!",
            "document_id": str(offer_id),
            "attach_printout": True,
            "attach_files": True,
            "article_codes": ["RTR-1"],
        }
        headers = identity_headers(settings.identity_secret, "ana")
        async with api_client(running.service.app()) as client:

            async def accepted():  # type: ignore[no-untyped-def]
                response = await client.post("/api/emails", json=request, headers=headers)
                return response if response.status_code == 202 else None

            response = await eventually(accepted)
            body = response.json()
            assert body["recipients"] == ["office@alfa.ro", "maria@alfa.ro"]
            assert [a["file_name"] for a in body["attachments"]] == ["OF-2026-000007.pdf", "schita.png", "RTR-1-1.jpg"]

            mails = await eventually(at_least(2, smtp_sink.maildir))
            assert sorted(m["To"] for m in mails) == ["maria@alfa.ro", "office@alfa.ro"]
            for mail in mails:
                assert mail["Subject"] == "Oferta OF-2026-000007"
                assert mail.get_body().get_content() == "Vă trimitem oferta.\n.\nO zi bună!\n"
                files = {a.get_filename(): a.get_content() for a in mail.iter_attachments()}
                assert files == {
                    "OF-2026-000007.pdf": b"%PDF-1.4 offer printout",
                    "schita.png": b"drawing bytes",
                    "RTR-1-1.jpg": b"\xff\xd8\xff photo of the router",
                }

            async def logged():  # type: ignore[no-untyped-def]
                log = (await client.get("/api/emails", params={"partner_id": str(partner_id)}, headers=headers)).json()
                return log if [e["status"] for e in log["items"]] == ["sent", "sent"] else None

            log = await eventually(logged)
            assert log["total"] == 2
            assert {e["server"] for e in log["items"]} == {"settings"}
            assert all(e["attempts"] == 1 and e["email_id"] == body["email_id"] for e in log["items"])
            failed = await client.get("/api/emails", params={"status": "failed"}, headers=headers)
            assert failed.json()["total"] == 0

        events = await read_events(
            kafka_bootstrap,
            topics,
            "crm.notifications",
            until=lambda evs: sum(isinstance(e, EmailSent) for _, e in evs) >= 2,
        )
        requested = [e for _, e in events if isinstance(e, EmailRequested)]
        assert len(requested) == 1
        assert requested[0].requested_by == "ana"
        sent = [e for _, e in events if isinstance(e, EmailSent)]
        assert {e.partner_id for e in sent} == {partner_id}
    finally:
        await running.stop()


async def test_header_injection_is_refused_at_the_api_and_in_events(
    kafka_bootstrap, topics, smtp_sink, notifier_settings
) -> None:
    settings = notifier_settings(smtp_sink.port)
    staff_id = uuid4()
    running = await start_in_background(bootstrap(settings))
    try:
        await publish(
            kafka_bootstrap, topics, StaffMemberRegistered(staff_id=staff_id, name="Ion", email="ion@firma.ro")
        )
        headers = identity_headers(settings.identity_secret, "ana")
        async with api_client(running.service.app()) as client:
            injected_subject = await client.post(
                "/api/emails",
                json={"to_addresses": ["ion@firma.ro"], "subject": "Salut\r\nBcc: victim@evil.example", "body": "x"},
                headers=headers,
            )
            assert injected_subject.status_code == 422
            assert "header injection refused" in injected_subject.json()["detail"]
            injected_address = await client.post(
                "/api/emails",
                json={"to_addresses": ["ion@firma.ro\nBcc: victim@evil.example"], "subject": "Salut", "body": "x"},
                headers=headers,
            )
            assert injected_address.status_code == 422
            no_recipient = await client.post("/api/emails", json={"subject": "Salut"}, headers=headers)
            assert no_recipient.status_code == 422
            assert "no recipient" in no_recipient.json()["detail"]

        # Another system publishes a request with an injected subject: it fails, nothing is sent.
        email_id = uuid4()
        await publish(
            kafka_bootstrap,
            topics,
            EmailRequested(
                email_id=email_id,
                recipients=["ion@firma.ro"],
                subject="Hello\nBcc: victim@evil.example",
                body="x",
            ),
        )
        events = await read_events(
            kafka_bootstrap,
            topics,
            "crm.notifications",
            until=lambda evs: any(isinstance(e, EmailFailed) for _, e in evs),
        )
        failed = next(e for _, e in events if isinstance(e, EmailFailed))
        assert failed.recipient == "ion@firma.ro"
        assert "header injection refused" in failed.error
        assert read_maildir(smtp_sink.maildir) == []
    finally:
        await running.stop()


async def test_an_email_over_the_size_limit_is_refused_with_the_limit_in_words(
    kafka_bootstrap, topics, smtp_sink, notifier_settings
) -> None:
    settings = notifier_settings(smtp_sink.port, max_message_bytes=50_000)
    running = await start_in_background(bootstrap(settings))
    try:
        headers = identity_headers(settings.identity_secret, "ana")
        async with api_client(running.service.app()) as client:
            response = await client.post(
                "/api/emails",
                json={"to_addresses": ["a@b.ro"], "subject": "Mare", "body": "x" * 60_000},
                headers=headers,
            )
            assert response.status_code == 422
            assert "the limit per message is" in response.json()["detail"]
            unknown_document = await client.post(
                "/api/emails",
                json={
                    "to_addresses": ["a@b.ro"],
                    "subject": "Doc",
                    "document_id": str(uuid4()),
                    "attach_printout": True,
                },
                headers=headers,
            )
            assert unknown_document.status_code == 404
    finally:
        await running.stop()


async def test_an_invoice_goes_with_the_printout_announced_after_it_was_issued(
    kafka_bootstrap, topics, smtp_sink, notifier_settings
) -> None:
    settings = notifier_settings(smtp_sink.port)
    printout = BlobStore(settings.blob_dir).put(b"%PDF-1.4 invoice printout")
    partner_id, invoice_id = uuid4(), uuid4()
    running = await start_in_background(bootstrap(settings))
    try:
        await publish(
            kafka_bootstrap,
            topics,
            PartnerRegistered(
                partner_id=partner_id,
                kind="client",
                name="Alfa SRL",
                sites=[Site(site_id=uuid4(), name="Sediu", emails=["office@alfa.ro"])],
            ),
            InvoiceIssued(
                document_id=invoice_id,
                invoice_id=invoice_id,
                partner_id=partner_id,
                number="FCT-2026-000001",
                issued_on=date(2026, 11, 27),
                net=Decimal("100.00"),
                vat=Decimal("21.00"),
                gross=Decimal("121.00"),
            ),
            InvoicePrintoutReady(
                document_id=invoice_id,
                invoice_id=invoice_id,
                partner_id=partner_id,
                number="FCT-2026-000001",
                printout_sha256=printout,
            ),
        )
        request = {
            "to_partner_id": str(partner_id),
            "subject": "Factura FCT-2026-000001",
            "body": "Vă trimitem factura.",
            "document_id": str(invoice_id),
            "attach_printout": True,
        }
        headers = identity_headers(settings.identity_secret, "ana")
        async with api_client(running.service.app()) as client:

            async def accepted():  # type: ignore[no-untyped-def]
                response = await client.post("/api/emails", json=request, headers=headers)
                return response if response.status_code == 202 else None

            response = await eventually(accepted)
            assert [a["file_name"] for a in response.json()["attachments"]] == ["FCT-2026-000001.pdf"]
            (mail,) = await eventually(at_least(1, smtp_sink.maildir))
            files = {a.get_filename(): a.get_content() for a in mail.iter_attachments()}
            assert files == {"FCT-2026-000001.pdf": b"%PDF-1.4 invoice printout"}
    finally:
        await running.stop()
