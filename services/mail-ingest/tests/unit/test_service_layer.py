"""Every use case of mail-ingest against in-memory fakes of its ports: no database, no broker, no disk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from crm_kit.errors import Conflict, Invalid, NotFound, TooLarge
from crm_kit.testing.fakes import FakeClock, FakeUnitOfWork
from crm_mail_ingest.bootstrap import build
from crm_mail_ingest.domain.import_settings import ImportSettings
from crm_mail_ingest.domain.importing import Claimed, ImportFailure, ImportRow, PartnerDirectoryEntry, Prepared, Viewer
from crm_mail_ingest.domain.model import StoredAttachment
from crm_mail_ingest.ports import ImportQuery, Publisher, Repository
from crm_mail_ingest.service_layer import (
    AbandonFiles,
    ImportFiles,
    RecordFiles,
    ResumeFiles,
    RetryImport,
    TakeFiles,
    UpdatePartner,
    UploadFile,
    UseCases,
)
from crm_mail_ingest.settings import MailIngestSettings

from .fakes import (
    ROOT,
    FakeEvents,
    FakeFiles,
    FakePublisher,
    InMemoryRepository,
    broken,
    email,
    ignored,
    summary,
)

TRIAGE = "00000000-0000-0000-0000-00000000000t"
SERVICE_REP = "00000000-0000-0000-0000-0000000000s1"
SALES_REP = "00000000-0000-0000-0000-0000000000a1"
ADMIN = Viewer("admin", None)


@dataclass
class World:
    uses: UseCases
    uow: FakeUnitOfWork[Repository, Publisher]
    repo: InMemoryRepository
    publisher: FakePublisher
    files: FakeFiles
    events: FakeEvents
    clock: FakeClock


@pytest.fixture
def world() -> World:
    repo, publisher, files, events, clock = (
        InMemoryRepository(),
        FakePublisher(),
        FakeFiles(),
        FakeEvents(),
        FakeClock(),
    )
    # Typed with the ports: mypy checks the fakes against the Protocols (UnitOfWork's parameters are invariant).
    uow: FakeUnitOfWork[Repository, Publisher] = FakeUnitOfWork(repo, publisher, clock)
    uses = UseCases(
        uow,
        files=files,
        events=events,
        triage_staff_id=TRIAGE,
        max_body_chars=1024,
        max_file_bytes=lambda: 1000,
        batch_files=2,
        import_defaults=ImportSettings(str(ROOT), "auto"),
        clock=clock,
    )
    return World(uses, uow, repo, publisher, files, events, clock)


def partner(
    partner_id: str = "p1", *emails: str, service: str | None = SERVICE_REP, sales: str | None = SALES_REP
) -> UpdatePartner:
    return UpdatePartner(PartnerDirectoryEntry(partner_id, "Client SRL", sales, service, emails or ("ana@client.ro",)))


async def record(world: World, *items: Prepared, resumed: bool = False) -> list[ImportRow]:
    return await world.uses.record(RecordFiles(tuple(items), resumed=resumed))


# -- record: what becomes of a file ------------------------------------------------------------------


async def test_an_email_from_a_partner_site_becomes_a_task_for_its_service_rep(world: World) -> None:
    await world.uses.partner_changed(partner())
    [row] = await record(world, email("a.eml"))
    assert (row["status"], row["partner_id"], row["responsible_staff_id"]) == ("imported", "p1", SERVICE_REP)
    assert row["unknown_sender"] is False
    [task] = world.publisher.tasks()
    assert (task.task_id, task.partner_id, task.responsible_staff_id) == (row["task_id"], "p1", SERVICE_REP)
    assert task.title == "Cerere service"
    assert world.repo.imports[row["id"]]["stored_path"] == "done/a.eml"
    assert world.files.moved == {row["id"]: "done/a.eml"}
    assert world.files.in_flight == set()


async def test_an_emails_task_is_due_the_configured_working_days_after_its_import(world: World) -> None:
    world.clock.now = datetime(2026, 3, 6, 13, 0, tzinfo=UTC)  # Friday, 15:00 in Bucharest
    world.uses.task_deadline_working_days = 2
    await record(world, email("a.eml"))
    world.uses.task_deadline_working_days = 0
    await record(world, email("b.eml", key="<other@client.ro>"))
    due, none = (task.deadline for task in world.publisher.tasks())
    assert due == datetime(2026, 3, 10, 13, 0, tzinfo=UTC)  # Tuesday, 15:00 in Bucharest
    assert none is None


async def test_the_services_settings_give_an_emails_task_one_working_day_by_default() -> None:
    settings = MailIngestSettings(database_url="sqlite+aiosqlite://")
    assert (settings.task_deadline_working_days, settings.local_timezone) == (1, "Europe/Bucharest")


async def test_an_email_from_a_partner_without_a_service_rep_goes_to_its_sales_rep(world: World) -> None:
    await world.uses.partner_changed(partner(service=None))
    [row] = await record(world, email("a.eml"))
    assert row["responsible_staff_id"] == SALES_REP


async def test_an_email_from_a_partner_without_representatives_goes_to_triage(world: World) -> None:
    await world.uses.partner_changed(partner(service=None, sales=None))
    [row] = await record(world, email("a.eml"))
    assert (row["partner_id"], row["responsible_staff_id"], row["unknown_sender"]) == ("p1", TRIAGE, False)


async def test_an_email_from_an_unknown_sender_goes_to_triage_flagged(world: World) -> None:
    [row] = await record(world, email("a.eml", sender="cineva@necunoscut.ro"))
    assert (row["partner_id"], row["responsible_staff_id"], row["unknown_sender"]) == (None, TRIAGE, True)
    [task] = world.publisher.tasks()
    assert task.unknown_sender is True


async def test_an_email_already_imported_is_a_duplicate_naming_the_first_and_publishes_nothing(world: World) -> None:
    [first] = await record(world, email("a.eml", key="mid:<1@x>"))
    world.publisher.calls.clear()
    [again] = await record(world, email("copie.eml", key="mid:<1@x>"))
    assert again["status"] == "duplicate"
    assert again["reason"] == f"duplicate of a.eml (import {first['id']})"
    assert again["task_id"] == first["task_id"]
    assert world.publisher.calls == []
    assert list(world.repo.messages) == ["mid:<1@x>"]


async def test_the_same_email_twice_in_one_batch_is_imported_once(world: World) -> None:
    rows = await record(world, email("a.eml", key="mid:<1@x>"), email("b.eml", key="mid:<1@x>"))
    assert summary(rows) == [("a.eml", "imported"), ("b.eml", "duplicate")]
    assert rows[1]["task_id"] == rows[0]["task_id"]
    assert len(world.publisher.tasks()) == 1


async def test_an_automated_email_is_ignored_but_remembered(world: World) -> None:
    [row] = await record(world, ignored("news.eml"))
    assert (row["status"], row["reason"], row["task_id"]) == ("ignored", "automated sender (no-reply@shop.ro)", None)
    assert world.publisher.calls == []
    assert row["message_key"] in world.repo.messages
    assert world.files.moved == {row["id"]: "done/news.eml"}


async def test_a_file_that_is_not_an_email_fails_with_its_reason_and_is_told(world: World) -> None:
    [row] = await record(world, broken("gol.txt", "empty file"))
    assert (row["status"], row["reason"], row["stored_path"]) == ("failed", "empty file", "failed/gol.txt")
    assert world.publisher.calls == [("import_failed", ImportFailure(row["id"], "gol.txt", "empty file"))]
    assert world.repo.messages == {}


async def test_a_failed_content_already_kept_in_failed_points_at_that_copy(world: World) -> None:
    [first] = await record(world, broken("x.txt", content="same bytes"))
    world.files.failed_files["failed/x.txt"] = Claimed("x.txt", ROOT / "failed" / "x.txt")
    [again] = await record(world, broken("x-again.txt", content="same bytes"))
    assert again["stored_path"] == first["stored_path"] == "failed/x.txt"


async def test_attachments_travel_with_the_task_and_into_the_import_log(world: World) -> None:
    pdf = StoredAttachment("cerere.pdf", "ab" * 32, 10, "application/pdf")
    [row] = await record(world, email("a.eml", attachments=[pdf]))
    assert row["attachments"] == [
        {"file_name": "cerere.pdf", "sha256": "ab" * 32, "size": 10, "content_type": "application/pdf"}
    ]
    assert world.publisher.tasks()[0].attachments == [pdf]
    assert await world.uses.blob_visible(ADMIN, "ab" * 32) is True


async def test_a_long_body_is_cut_on_the_task_and_an_empty_subject_gets_a_title(world: World) -> None:
    await record(world, email("a.eml", subject="", body="x" * 2000))
    [task] = world.publisher.tasks()
    assert task.body == "x" * 1024 + "\n[…]"
    assert task.title == "Email de la ana@client.ro"


async def test_a_batch_the_store_refuses_is_recorded_file_by_file(world: World) -> None:
    # Another import (an upload of the same email) committed mail-b's key after we read the known keys.
    world.repo.refused_keys.add("mid:<b@x>")
    rows = await record(world, email("a.eml", key="mid:<a@x>"), email("b.eml", key="mid:<b@x>"))
    assert summary(rows) == [("a.eml", "imported"), ("b.eml", "failed")]
    assert rows[1]["reason"] == "could not be recorded (see the service log)"
    assert rows[1]["message_key"] is None
    assert world.uow.rollbacks == 2  # the batch, then b alone
    assert [t.file_name for t in world.publisher.tasks()] == ["a.eml"]
    assert [f.file_name for f in world.publisher.failures()] == ["b.eml"]
    assert list(world.repo.messages) == ["mid:<a@x>"]
    assert sorted(world.files.moved.values()) == ["done/a.eml", "failed/b.eml"]


async def test_a_store_outage_is_raised_and_records_nothing_and_moves_nothing(world: World) -> None:
    world.repo.outage = True
    item = email("a.eml")
    world.files.in_flight.add("a.eml")
    with pytest.raises(ConnectionError):
        await record(world, item)
    world.repo.outage = False
    assert world.repo.imports == {}
    assert world.publisher.calls == []
    assert world.files.moved == {}
    assert world.files.in_flight == set()  # left in processing/ for the next sweep


async def test_a_parallel_batch_is_planned_apart_and_its_events_built_ahead(world: World) -> None:
    world.files.parallel = True
    rows = await record(world, email("a.eml"), broken("b.txt"))
    assert summary(rows) == [("a.eml", "imported"), ("b.txt", "failed")]
    assert [len(b) for b in world.events.batches] == [2]
    assert world.publisher.prebuilt == 1
    assert [name for name, _ in world.publisher.calls] == ["email_imported", "import_failed"]


async def test_a_resumed_file_whose_import_committed_is_moved_not_imported_again(world: World) -> None:
    item = email("a.eml")
    [row] = await record(world, item)
    world.repo.imports[row["id"]].update(moved_at=None, stored_path="done/a.eml")  # the crash: not moved
    world.publisher.calls.clear()
    again = email("a.eml")
    again.sha256 = item.sha256
    [resumed] = await record(world, again, resumed=True)
    assert resumed["id"] == row["id"]
    assert world.publisher.calls == []
    assert len(world.repo.imports) == 1
    assert world.repo.imports[row["id"]]["moved_at"] == world.clock.now


async def test_nothing_to_record_is_no_unit_of_work(world: World) -> None:
    assert await record(world) == []
    assert world.uow.commits == 0


# -- the folder worker -------------------------------------------------------------------------------


async def test_start_creates_the_folders_and_warms_the_event_builder(world: World) -> None:
    await world.uses.start()
    assert world.files.started
    assert world.events.batches == [()]


async def test_take_claims_and_prepares_the_named_files_only(world: World) -> None:
    world.files.inbox = {"a.eml": email("a.eml"), "b.eml": email("b.eml")}
    prepared = await world.uses.take(TakeFiles(("a.eml", "gone.eml")))
    assert [p.claimed.file_name for p in prepared] == ["a.eml"]
    assert world.repo.imports == {}
    assert list(world.files.inbox) == ["b.eml"]


async def test_abandon_leaves_prepared_files_for_the_next_sweep(world: World) -> None:
    world.files.inbox = {"a.eml": email("a.eml")}
    prepared = await world.uses.take(TakeFiles(("a.eml",)))
    await world.uses.abandon(AbandonFiles(tuple(prepared)))
    assert world.files.in_flight == set()
    assert world.repo.imports == {}


async def test_import_files_prepares_and_records_claimed_files(world: World) -> None:
    world.files.inbox = {"a.eml": email("a.eml")}
    rows = await world.uses.import_files(ImportFiles((Claimed("a.eml", ROOT / "processing" / "a.eml"),)))
    assert summary(rows) == [("a.eml", "imported")]


async def test_resume_imports_what_processing_kept_in_batches(world: World) -> None:
    names = ["a.eml", "b.eml", "c.eml"]
    world.files.inbox = {n: email(n) for n in names}
    world.files.left = [Claimed(n, ROOT / "processing" / n) for n in names]
    assert await world.uses.resume(ResumeFiles(grace_seconds=0.0)) == 3
    assert sorted(r["file_name"] for r in world.repo.imports.values()) == names
    assert world.uow.commits == 4  # two batches (of two, then one): each recorded, then its moves
    assert len(world.publisher.tasks()) == 3


# -- the API -----------------------------------------------------------------------------------------


async def test_an_upload_is_imported_under_a_safe_name(world: World) -> None:
    world.files.inbox = {"cerere.eml": email("cerere.eml")}
    row = await world.uses.upload(UploadFile(b"From: a@b.ro\n\nx", "C:\\Users\\ana\\cerere.eml"))
    assert (row["file_name"], row["status"]) == ("cerere.eml", "imported")
    assert world.files.staged == [("cerere.eml", b"From: a@b.ro\n\nx")]


async def test_an_upload_over_the_limit_is_refused_before_anything_is_kept(world: World) -> None:
    with pytest.raises(TooLarge) as refused:
        await world.uses.upload(UploadFile(b"x" * 1001, "mare.eml"))
    assert "the file is 1001 bytes; the import limit is 1000 bytes" in str(refused.value)
    assert world.files.staged == []
    assert world.repo.imports == {}


async def _failed(world: World, name: str = "x.txt") -> ImportRow:
    [row] = await record(world, broken(name, "file too large"))
    world.files.failed_files[f"failed/{name}"] = Claimed(name, ROOT / "processing" / name)
    return row


async def test_a_failed_import_is_retried_and_the_old_entry_becomes_retried(world: World) -> None:
    old = await _failed(world)
    world.files.inbox = {"x.txt": email("x.txt")}
    new = await world.uses.retry(RetryImport(str(old["id"]), ADMIN))
    assert (new["status"], new["file_name"]) == ("imported", "x.txt")
    assert world.repo.imports[str(old["id"])]["status"] == "retried"


async def test_only_a_failed_import_can_be_retried(world: World) -> None:
    [row] = await record(world, email("a.eml"))
    with pytest.raises(Conflict, match="only a failed import can be retried; this one is imported"):
        await world.uses.retry(RetryImport(row["id"], ADMIN))


async def test_a_retry_of_a_file_no_longer_in_failed_is_refused_and_changes_nothing(world: World) -> None:
    old = await _failed(world)
    world.files.failed_files.clear()
    with pytest.raises(Conflict, match="no longer in failed/"):
        await world.uses.retry(RetryImport(str(old["id"]), ADMIN))
    assert world.repo.imports[str(old["id"])]["status"] == "failed"


async def test_a_retry_while_a_file_of_that_name_is_imported_is_a_conflict(world: World) -> None:
    old = await _failed(world)
    world.files.busy_names.add("x.txt")
    with pytest.raises(Conflict, match="being imported"):
        await world.uses.retry(RetryImport(str(old["id"]), ADMIN))
    assert world.repo.imports[str(old["id"])]["status"] == "failed"


async def test_an_agent_cannot_retry_an_import_they_may_not_see(world: World) -> None:
    old = await _failed(world)
    with pytest.raises(NotFound):
        await world.uses.retry(RetryImport(str(old["id"]), Viewer("agent", SALES_REP)))
    assert world.repo.imports[str(old["id"])]["status"] == "failed"


async def test_the_import_log_shows_an_agent_only_the_imports_that_went_to_them(world: World) -> None:
    await world.uses.partner_changed(partner())
    await record(world, email("mine.eml"), email("triage.eml", sender="x@necunoscut.ro"))
    mine, total = await world.uses.imports(ImportQuery(Viewer("agent", SERVICE_REP)))
    assert ([r["file_name"] for r in mine], total) == (["mine.eml"], 1)
    everything, total = await world.uses.imports(ImportQuery(Viewer("manager", None)))
    assert (len(everything), total) == (2, 2)
    nobody, total = await world.uses.imports(ImportQuery(Viewer("agent", None)))
    assert (nobody, total) == ([], 0)


async def test_the_import_log_filters_by_status_and_refuses_an_unknown_one(world: World) -> None:
    await record(world, email("a.eml"), broken("b.txt"))
    failed, total = await world.uses.imports(ImportQuery(ADMIN, status="failed"))
    assert ([r["file_name"] for r in failed], total) == (["b.txt"], 1)
    with pytest.raises(Invalid, match="status must be one of"):
        await world.uses.imports(ImportQuery(ADMIN, status="lost"))


async def test_an_import_an_agent_may_not_see_is_not_found_as_if_it_did_not_exist(world: World) -> None:
    [row] = await record(world, email("a.eml", sender="x@necunoscut.ro"))
    assert (await world.uses.get(row["id"], Viewer("agent", TRIAGE)))["id"] == row["id"]
    with pytest.raises(NotFound, match="no mail import"):
        await world.uses.get(row["id"], Viewer("agent", SALES_REP))
    with pytest.raises(NotFound):
        await world.uses.get("no-such-import", ADMIN)


async def test_a_blob_is_visible_only_through_an_import_the_viewer_may_see(world: World) -> None:
    pdf = StoredAttachment("cerere.pdf", "cd" * 32, 10, None)
    await record(world, email("a.eml", sender="x@necunoscut.ro", attachments=[pdf]))
    assert await world.uses.blob_visible(Viewer("agent", TRIAGE), "cd" * 32) is True
    assert await world.uses.blob_visible(Viewer("agent", SALES_REP), "cd" * 32) is False
    assert await world.uses.blob_visible(ADMIN, "ef" * 32) is False


# -- the partner directory ---------------------------------------------------------------------------


async def test_a_partner_change_replaces_its_addresses_and_representatives(world: World) -> None:
    await world.uses.partner_changed(partner("p1", "Ana@Client.ro ", "office@client.ro"))
    await world.uses.partner_changed(partner("p1", "office@client.ro", service=None))
    [row] = await record(world, email("a.eml", sender="ana@client.ro"))
    assert (row["partner_id"], row["unknown_sender"]) == (None, True)  # that address left the partner
    [row] = await record(world, email("b.eml", sender="office@client.ro"))
    assert (row["partner_id"], row["responsible_staff_id"]) == ("p1", SALES_REP)


async def test_an_address_on_two_partners_goes_to_the_lowest_partner_id(world: World) -> None:
    await world.uses.partner_changed(partner("p2", "ana@client.ro", service="s2"))
    await world.uses.partner_changed(partner("p1", "ana@client.ro", service="s1"))
    [row] = await record(world, email("a.eml"))
    assert (row["partner_id"], row["responsible_staff_id"]) == ("p1", "s1")


# -- the composition root ----------------------------------------------------------------------------


async def test_bootstrap_takes_fakes_of_the_store_and_the_events(tmp_path: object) -> None:
    repo, publisher = InMemoryRepository(), FakePublisher()
    settings = MailIngestSettings(
        inbox=tmp_path, blob_dir=tmp_path, database_url="sqlite+aiosqlite://", prepare_processes=0
    )  # type: ignore[arg-type]
    ingest = build(settings, repository=repo, publisher=publisher, clock=FakeClock())
    await ingest.uses.partner_changed(partner())
    assert list(repo.partners) == ["p1"]
    assert isinstance(ingest.uses.uow, FakeUnitOfWork)


# -- the codes the web UI translates (problem body ``extra.code`` / ``extra.params``)


async def test_an_upload_over_the_limit_is_refused_by_code_naming_both_sizes_in_mb(world: World) -> None:
    with pytest.raises(TooLarge) as refused:
        await world.uses.upload(UploadFile(b"x" * 1001, "mare.eml"))
    assert (refused.value.status_code, refused.value.code) == (413, "mail_import.file_too_large")
    assert refused.value.params == {"size_mb": "0.00", "limit_mb": "0.00"}
    assert world.files.staged == [] and world.repo.imports == {}


async def test_a_retry_refused_carries_the_code_of_its_reason_and_changes_nothing(world: World) -> None:
    [row] = await record(world, email("a.eml"))
    with pytest.raises(Conflict) as imported:
        await world.uses.retry(RetryImport(row["id"], ADMIN))
    assert (imported.value.code, imported.value.params) == ("mail_import.not_failed", {"import_status": "imported"})
    old = await _failed(world)
    world.files.busy_names.add("x.txt")
    with pytest.raises(Conflict) as busy:
        await world.uses.retry(RetryImport(str(old["id"]), ADMIN))
    assert busy.value.code == "mail_import.file_busy"
    world.files.busy_names.clear()
    world.files.failed_files.clear()
    with pytest.raises(Conflict) as gone:
        await world.uses.retry(RetryImport(str(old["id"]), ADMIN))
    assert gone.value.code == "mail_import.file_gone"
    assert world.repo.imports[str(old["id"])]["status"] == "failed"
