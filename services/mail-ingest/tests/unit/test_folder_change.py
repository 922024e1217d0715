"""C4 on a real disk: the folder worker takes files from the folder saved now, without a restart.

The import folder, the watcher and the parsing are the real ones (files in ``tmp_path``, no worker
processes); the store and the events are the in-memory fakes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crm_kit.errors import Invalid
from crm_kit.testing.fakes import FakeClock, FakeUnitOfWork
from crm_mail_ingest.bootstrap import MailIngest, build
from crm_mail_ingest.domain.importing import ImportRow, Viewer
from crm_mail_ingest.folder import ImportFolder, folder_problem
from crm_mail_ingest.service_layer import ChangeImportSettings, RecordFiles, RetryImport
from crm_mail_ingest.settings import MailIngestSettings

from .fakes import FakePublisher, InMemoryRepository

FIXTURES = Path(__file__).parent.parent / "fixtures"


def drop(folder: Path, name: str, fixture: str) -> None:
    """Drop a file the documented way: written under an ignored name, then renamed in."""
    part = folder / f"{name}.part"
    part.write_bytes((FIXTURES / fixture).read_bytes())
    os.replace(part, folder / name)


@pytest.fixture
def ingest(tmp_path: Path) -> MailIngest:
    settings = MailIngestSettings(
        inbox=tmp_path / "old",
        blob_dir=tmp_path / "blobs",
        database_url="sqlite+aiosqlite://",
        prepare_processes=0,
    )
    return build(settings, repository=InMemoryRepository(), publisher=FakePublisher(), clock=FakeClock())


async def scan(ingest: MailIngest) -> int:
    """What the worker's loop does in one pass: follow the saved settings, then scan."""
    await ingest.watcher.follow()
    return await ingest.watcher.scan_once()


def entries_rows(ingest: MailIngest) -> list[ImportRow]:
    uow = ingest.uses.uow
    assert isinstance(uow, FakeUnitOfWork) and isinstance(uow.repo, InMemoryRepository)
    return list(uow.repo.imports.values())


def entries(ingest: MailIngest) -> dict[str, tuple[str, str, str]]:
    return {r["file_name"]: (r["folder"], r["stored_path"], r["format"]) for r in entries_rows(ingest)}


async def test_after_a_change_the_next_scans_take_files_from_the_new_folder_and_leave_the_old_one(
    tmp_path: Path,
    ingest: MailIngest,
) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    await ingest.files.start()
    drop(old, "before.eml", "eml_ro_utf8_base64.eml")
    assert await scan(ingest) == 0 and await scan(ingest) == 1  # taken after two equal scans

    await ingest.uses.change_import_settings(ChangeImportSettings(str(new), "auto", changed_by="admin"))
    assert {p.name for p in new.iterdir()} >= {"done", "failed", "processing"}  # created at the change
    drop(old, "left.eml", "eml_en_utf8_qp.eml")
    drop(new, "after.eml", "eml_en_utf8_qp.eml")
    assert await scan(ingest) == 0 and await scan(ingest) == 1

    assert entries(ingest) == {
        "before.eml": (str(old), "done/before.eml", "eml"),
        "after.eml": (str(new), "done/after.eml", "eml"),
    }
    assert (new / "done" / "after.eml").is_file() and (old / "done" / "before.eml").is_file()
    assert (old / "left.eml").is_file()  # a file dropped into the old folder stays where it is


async def test_files_imported_after_a_format_change_are_read_in_the_new_format(
    tmp_path: Path, ingest: MailIngest
) -> None:
    new = tmp_path / "new"
    new.mkdir()
    await ingest.files.start()
    await ingest.uses.change_import_settings(ChangeImportSettings(str(new), "outlook", changed_by="admin"))
    drop(new, "forced.txt", "thunderbird_en_utf8.txt")
    await scan(ingest)
    await scan(ingest)
    assert entries(ingest)["forced.txt"][2] == "outlook"


async def test_a_file_taken_before_the_change_finishes_in_the_folder_it_was_taken_from(
    tmp_path: Path, ingest: MailIngest
) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    new.mkdir()
    await ingest.files.start()
    drop(old, "in-flight.eml", "eml_ro_utf8_base64.eml")
    [taken] = await ingest.files.take(["in-flight.eml"])
    await ingest.uses.change_import_settings(ChangeImportSettings(str(new), "auto", changed_by="admin"))
    [row] = await ingest.uses.record(RecordFiles((taken,)))
    assert (row["folder"], row["stored_path"]) == (str(old), "done/in-flight.eml")
    assert (old / "done" / "in-flight.eml").is_file() and not list((new / "done").iterdir())


async def test_a_missing_folder_is_refused_and_the_worker_keeps_the_old_one(tmp_path: Path, ingest: MailIngest) -> None:
    await ingest.files.start()
    with pytest.raises(Invalid) as caught:
        await ingest.uses.change_import_settings(ChangeImportSettings(str(tmp_path / "nope"), "auto", "admin"))
    assert caught.value.code == "mail_import.folder_not_found"
    assert not (tmp_path / "nope").exists()
    assert await ingest.watcher.follow() is False and ingest.watcher.folder.root == tmp_path / "old"


def test_the_host_check_finds_a_missing_folder_a_file_and_a_folder_whose_done_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "done").write_text("not a folder")
    assert folder_problem(tmp_path / "missing") == "not_found"
    assert folder_problem(tmp_path / "a-file") == "not_a_folder"
    assert folder_problem(blocked) == "not_writable"
    fine = tmp_path / "fine"
    fine.mkdir()
    assert folder_problem(fine) is None
    assert sorted(p.name for p in fine.iterdir()) == ["done", "failed", "processing"]  # no probe left behind
    assert ImportFolder(fine).scan() == {}


async def test_a_link_to_a_system_folder_is_refused_after_following_it(tmp_path: Path, ingest: MailIngest) -> None:
    (tmp_path / "looks-fine").symlink_to("/etc")
    assert await ingest.files.check_folder(str(tmp_path / "looks-fine")) == "reserved"


async def test_an_old_failure_retried_after_the_change_is_taken_from_and_finishes_in_its_own_folder(
    tmp_path: Path, ingest: MailIngest
) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    new.mkdir()
    await ingest.files.start()
    (old / "gol.eml").write_bytes(b"")
    assert await scan(ingest) == 0 and await scan(ingest) == 1
    [failed] = [r for r in entries_rows(ingest) if r["file_name"] == "gol.eml"]
    assert (failed["status"], failed["folder"], failed["stored_path"]) == ("failed", str(old), "failed/gol.eml")

    await ingest.uses.change_import_settings(ChangeImportSettings(str(new), "auto", changed_by="admin"))
    (new / "failed" / "gol.eml").write_bytes(b"another file of that name, in the new folder")
    (old / "failed" / "gol.eml").write_bytes((FIXTURES / "eml_en_utf8_qp.eml").read_bytes())  # the fix
    row = await ingest.uses.retry(RetryImport(failed["id"], Viewer("admin", None)))

    assert (row["status"], row["folder"], row["stored_path"]) == ("imported", str(old), "done/gol.eml")
    assert (old / "done" / "gol.eml").is_file() and not (new / "done" / "gol.eml").exists()
    assert (new / "failed" / "gol.eml").read_bytes() == b"another file of that name, in the new folder"
