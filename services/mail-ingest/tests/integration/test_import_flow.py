"""Dropped files become tasks on the right partner, on the real broker (I1-I3, C4)."""

from __future__ import annotations

import shutil
import uuid
from typing import Any

import sqlalchemy as sa

from crm_contracts.mail import EmailImported, EmailImportFailed
from crm_contracts.partners import PartnerRegistered, PartnerUpdated, Site
from crm_contracts.tasks import TaskCreated
from crm_kit.service import start_in_background
from crm_kit.testing import eventually, publish, read_events
from crm_mail_ingest.bootstrap import MailIngest, build
from crm_mail_ingest.store.tables import imports, partner_emails

from .conftest import FIXTURES, TRIAGE, drop

SERVICE_REP = uuid.UUID(int=101)
SALES_REP = uuid.UUID(int=102)


async def statuses(ingest: MailIngest) -> dict[str, str]:
    async with ingest.service.db.read() as conn:
        rows = await conn.execute(sa.select(imports.c.file_name, imports.c.status, imports.c.moved_at))
        return {r.file_name: r.status for r in rows if r.moved_at is not None}


async def register_partner(kafka_bootstrap: str, topics: str, ingest: MailIngest, email: str, **reps: Any) -> uuid.UUID:
    partner_id = uuid.uuid4()
    event = PartnerRegistered(
        partner_id=partner_id,
        kind="client",
        name="Client Alfa SRL",
        sites=[Site(site_id=uuid.uuid4(), name="Sediu Cluj", emails=[email])],
        **reps,
    )
    await publish(kafka_bootstrap, topics, event)

    async def known() -> bool:
        async with ingest.service.db.read() as conn:
            rows = await conn.execute(sa.select(partner_emails).where(partner_emails.c.partner_id == str(partner_id)))
            return bool(rows.first())

    await eventually(known)
    return partner_id


async def test_a_dropped_outlook_export_becomes_a_task_on_the_partner_whose_site_has_the_sender(
    service_env, database_url, kafka_bootstrap, topics, ingest_settings
) -> None:
    ingest = build(ingest_settings(database_url=database_url))
    running = await start_in_background(ingest.service)
    try:
        partner_id = await register_partner(
            kafka_bootstrap,
            topics,
            ingest,
            "Ion.Popescu@Client-Alfa.ro",
            service_rep_staff_id=SERVICE_REP,
            sales_rep_staff_id=SALES_REP,
        )
        drop(ingest.folder.root, "imprimanta.txt", (FIXTURES / "outlook_ro_cp1250.txt").read_bytes())

        found = await read_events(
            kafka_bootstrap, topics, "crm.tasks", until=lambda evs: any(isinstance(e, TaskCreated) for _, e in evs)
        )
        task = next(e for _, e in found if isinstance(e, TaskCreated))
        assert task.source == "email"
        assert task.partner_id == partner_id
        assert task.responsible_staff_id == SERVICE_REP
        assert task.title == "Imprimanta defectă la sediul din Cluj - ștampilă și țiglă"
        assert task.origin.email_from == "ion.popescu@client-alfa.ro"
        assert task.origin.email_subject == task.title
        assert task.origin.email_body is not None and task.origin.email_body.startswith("Bună ziua")
        assert task.origin.message_id and task.origin.message_id.startswith("sha256:")
        assert task.origin.unknown_sender is False
        assert "poză.jpg" in task.description  # listed by Outlook, not saved with the export

        mail = await read_events(
            kafka_bootstrap, topics, "crm.mail", until=lambda evs: any(isinstance(e, EmailImported) for _, e in evs)
        )
        imported = next(e for _, e in mail if isinstance(e, EmailImported))
        assert (imported.task_id, imported.partner_id) == (task.task_id, partner_id)

        await eventually(lambda: _moved(ingest, "imprimanta.txt"))
        assert (ingest.folder.done / "imprimanta.txt").exists()
        assert not (ingest.folder.root / "imprimanta.txt").exists()
    finally:
        await running.stop()


async def _moved(ingest: MailIngest, name: str) -> bool:
    return name in await statuses(ingest)


async def test_a_thunderbird_export_brings_its_attachments_folder_into_the_blob_store_and_onto_the_task(
    ingest, kafka_bootstrap, topics
) -> None:
    inbox = ingest.folder.root
    shutil.copytree(FIXTURES / "thunderbird_ro_utf8.attachments", inbox / "cerere.attachments")
    drop(inbox, "cerere.txt", (FIXTURES / "thunderbird_ro_utf8.txt").read_bytes())

    found = await read_events(
        kafka_bootstrap, topics, "crm.tasks", until=lambda evs: any(isinstance(e, TaskCreated) for _, e in evs)
    )
    task = next(e for _, e in found if isinstance(e, TaskCreated))
    assert [a.file_name for a in task.attachments] == ["cerere.pdf", "schiță.jpg"]
    for attachment in task.attachments:
        assert (
            ingest.service.blobs.get(attachment.sha256)
            == (FIXTURES / "thunderbird_ro_utf8.attachments" / attachment.file_name).read_bytes()
        )
    # No partner has this sender: the task waits for triage, flagged.
    assert task.partner_id is None
    assert task.origin.unknown_sender is True
    assert str(task.responsible_staff_id) == TRIAGE
    await eventually(lambda: _moved(ingest, "cerere.txt"))
    assert (ingest.folder.done / "cerere.attachments" / "cerere.pdf").exists()


async def test_a_copy_of_the_same_message_under_another_name_is_a_duplicate_not_a_second_task(
    ingest, kafka_bootstrap, topics
) -> None:
    inbox = ingest.folder.root
    drop(inbox, "a.eml", (FIXTURES / "eml_en_utf8_qp.eml").read_bytes())
    drop(inbox, "b.eml", (FIXTURES / "eml_en_utf8_qp.eml").read_bytes())
    await eventually(lambda: _all_moved(ingest, {"a.eml", "b.eml"}))
    drop(inbox, "a.eml", (FIXTURES / "eml_en_utf8_qp.eml").read_bytes())  # the same name again, later
    await eventually(lambda: _count_rows(ingest, 3))

    async with ingest.service.db.read() as conn:
        rows = (await conn.execute(sa.select(imports.c.status, imports.c.reason, imports.c.task_id))).all()
    assert sorted(r.status for r in rows) == ["duplicate", "duplicate", "imported"]
    task_ids = {r.task_id for r in rows}
    assert len(task_ids) == 1  # the duplicates point at the one task
    found = await read_events(kafka_bootstrap, topics, "crm.tasks", timeout=3)
    assert len([e for _, e in found if isinstance(e, TaskCreated)]) == 1
    assert sorted(p.name for p in ingest.folder.done.iterdir()) == ["a-2.eml", "a.eml", "b.eml"]


async def _all_moved(ingest: MailIngest, names: set[str]) -> bool:
    return names <= set(await statuses(ingest))


async def _count_rows(ingest: MailIngest, n: int) -> bool:
    async with ingest.service.db.read() as conn:
        rows = (await conn.execute(sa.select(imports.c.moved_at))).all()
    return len(rows) == n and all(r.moved_at for r in rows)


async def test_automated_senders_are_recorded_as_ignored_and_become_no_task(ingest, kafka_bootstrap, topics) -> None:
    inbox = ingest.folder.root
    drop(
        inbox,
        "newsletter.txt",
        b"From: Shop <no-reply@shop.ro>\nSubject: Oferte\nDate: 04.03.2025 09:30\n\nReduceri!\n",
    )
    drop(
        inbox,
        "ooo.txt",
        b"From: ion@client.ro\nSubject: Out of office\nAuto-Submitted: auto-replied\n\nSunt in concediu.\n",
    )
    await eventually(lambda: _all_moved(ingest, {"newsletter.txt", "ooo.txt"}))
    assert set((await statuses(ingest)).values()) == {"ignored"}
    found = await read_events(kafka_bootstrap, topics, "crm.tasks", timeout=2)
    assert [e for _, e in found if isinstance(e, TaskCreated)] == []


async def test_an_eml_without_a_from_header_becomes_a_triage_task_for_an_unknown_sender(
    ingest, kafka_bootstrap, topics
) -> None:
    drop(
        ingest.folder.root,
        "fara-expeditor.eml",
        b"Date: Tue, 4 Mar 2025 09:30:00 +0200\r\nMessage-ID: <no-from-1@client.example>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nV\xc4\x83 rog s\xc4\x83 m\xc4\x83 suna\xc8\x9bi.\r\n",
    )

    found = await read_events(
        kafka_bootstrap, topics, "crm.tasks", until=lambda evs: any(isinstance(e, TaskCreated) for _, e in evs)
    )
    task = next(e for _, e in found if isinstance(e, TaskCreated))
    assert task.title == "Email de la expeditor necunoscut"
    assert task.description == "Vă rog să mă sunați."
    assert task.partner_id is None
    assert task.origin.unknown_sender is True
    assert task.origin.email_from == ""
    assert str(task.responsible_staff_id) == TRIAGE
    await eventually(lambda: _moved(ingest, "fara-expeditor.eml"))
    assert (await statuses(ingest))["fara-expeditor.eml"] == "imported"


async def test_hostile_files_each_end_in_failed_with_a_reason_and_the_service_goes_on(
    ingest_settings, kafka_bootstrap, topics
) -> None:
    ingest = build(ingest_settings(max_file_bytes=2_000_000))
    running = await start_in_background(ingest.service)
    inbox = ingest.folder.root
    hostile = {
        "empty.txt": b"",
        "garbage.bin": bytes(range(256)) * 300,
        "too-big.txt": b"From: a@b.ro\nSubject: big\n\n" + b"x" * 2_100_000,
        "long-header.eml": b"From: a@b.ro\nMIME-Version: 1.0\nSubject: " + b"h" * 1_200_000 + b"\n\nbody",
        "not-an-email.txt": "Doar o notă, fără antet.\n\nCeva.".encode("cp1250", "replace"),
        "broken.msg": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500,
    }
    try:
        for name, data in hostile.items():
            drop(inbox, name, data)
        (inbox / "still-copying.txt.part").write_bytes(b"From: a@b.ro\n")
        drop(inbox, "good.txt", (FIXTURES / "outlook_en_utf16le.txt").read_bytes())
        await eventually(lambda: _all_moved(ingest, {*hostile, "good.txt"}))

        result = await statuses(ingest)
        assert {name: result[name] for name in hostile} == dict.fromkeys(hostile, "failed")
        assert result["good.txt"] == "imported"
        for name in hostile:
            assert (ingest.folder.failed / name).exists()
            assert (ingest.folder.failed / f"{name}.reason.txt").read_text().strip()
        assert "file too large" in (ingest.folder.failed / "too-big.txt.reason.txt").read_text()
        assert "empty file" in (ingest.folder.failed / "empty.txt.reason.txt").read_text()
        assert (inbox / "still-copying.txt.part").exists()  # an in-progress name is never taken
        mail = await read_events(
            kafka_bootstrap,
            topics,
            "crm.mail",
            until=lambda evs: len([e for _, e in evs if isinstance(e, EmailImportFailed)]) == len(hostile),
        )
        assert {e.file_name for _, e in mail if isinstance(e, EmailImportFailed)} == set(hostile)
    finally:
        await running.stop()


async def test_a_partner_update_replaces_its_site_emails_and_representatives(ingest, kafka_bootstrap, topics) -> None:
    partner_id, sales, service = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    site = uuid.uuid4()
    await publish(
        kafka_bootstrap,
        topics,
        PartnerRegistered(
            partner_id=partner_id,
            kind="client",
            name="Beta Soft SRL",
            sites=[Site(site_id=site, name="Sediu", emails=["old@beta-soft.ro"])],
            sales_rep_staff_id=sales,
        ),
        PartnerUpdated(
            partner_id=partner_id,
            kind="client",
            name="Beta Soft SRL",
            sites=[Site(site_id=site, name="Sediu", emails=["Ana.Marin@beta-soft.ro"])],
            sales_rep_staff_id=sales,
            service_rep_staff_id=service,
        ),
    )

    async def updated() -> bool:
        async with ingest.service.db.read() as conn:
            rows = await conn.execute(sa.select(partner_emails.c.email))
            return [r.email for r in rows] == ["ana.marin@beta-soft.ro"]

    await eventually(updated)
    drop(ingest.folder.root, "oferta.txt", (FIXTURES / "thunderbird_ro_cp1250.txt").read_bytes())
    found = await read_events(
        kafka_bootstrap, topics, "crm.tasks", until=lambda evs: any(isinstance(e, TaskCreated) for _, e in evs)
    )
    task = next(e for _, e in found if isinstance(e, TaskCreated))
    assert (task.partner_id, task.responsible_staff_id) == (partner_id, service)
