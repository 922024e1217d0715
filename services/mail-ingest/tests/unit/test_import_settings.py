"""C4 on the fakes: the saved import folder and default format, their rules, and the files following them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from crm_kit.errors import Conflict, Invalid
from crm_kit.testing.fakes import FakeClock, FakeUnitOfWork
from crm_mail_ingest.domain.import_settings import (
    MAX_FOLDER_CHARS,
    ImportSettings,
    check_import_settings,
    is_reserved,
)
from crm_mail_ingest.domain.importing import Claimed, Viewer
from crm_mail_ingest.ports import Publisher, Repository
from crm_mail_ingest.service_layer import ChangeImportSettings, RetryImport, UploadFile, UseCases

from .fakes import ROOT, FakeEvents, FakeFiles, FakePublisher, InMemoryRepository, broken, email

NEW = "/srv/crm/mail-inbox"
ADMIN = Viewer("admin", None)


@dataclass
class World:
    uses: UseCases
    repo: InMemoryRepository
    files: FakeFiles
    clock: FakeClock


@pytest.fixture
def world() -> World:
    repo, files, clock = InMemoryRepository(), FakeFiles(), FakeClock()
    files.folders[NEW] = True
    uow: FakeUnitOfWork[Repository, Publisher] = FakeUnitOfWork(repo, FakePublisher(), clock)
    uses = UseCases(
        uow,
        files=files,
        events=FakeEvents(),
        triage_staff_id=None,
        max_body_chars=1024,
        max_file_bytes=lambda: 1000,
        batch_files=2,
        import_defaults=ImportSettings(str(ROOT), "auto"),
        clock=clock,
    )
    return World(uses, repo, files, clock)


def change(folder: str = NEW, export_format: str = "thunderbird") -> ChangeImportSettings:
    return ChangeImportSettings(folder, export_format, changed_by="admin")


async def refused(world: World, cmd: ChangeImportSettings) -> Invalid:
    """The refusal of ``cmd``, after checking that nothing was saved and the files still follow the old folder."""
    with pytest.raises(Invalid) as caught:
        await world.uses.change_import_settings(cmd)
    assert world.repo.settings is None
    assert (world.files.root, world.files.export_format) == (ROOT, "auto")
    return caught.value


def fields(error: Invalid) -> dict[str, str]:
    errors = error.extra["errors"]
    assert isinstance(errors, list)
    return {e["field"]: e["code"] for e in errors}


async def test_with_nothing_saved_the_environments_folder_and_format_are_in_force(world: World) -> None:
    settings = await world.uses.import_settings()
    assert settings == ImportSettings(str(ROOT), "auto")
    assert settings.updated_at is None


async def test_a_change_is_saved_with_who_and_when_and_the_files_follow_it_at_once(world: World) -> None:
    saved = await world.uses.change_import_settings(change(NEW + "/", "outlook"))
    assert saved == ImportSettings(NEW, "outlook", world.clock(), "admin")  # the trailing slash dropped
    assert await world.uses.import_settings() == saved
    assert (world.files.root, world.files.export_format) == (Path(NEW), "outlook")


async def test_the_folder_worker_follows_settings_saved_by_another_process(world: World) -> None:
    world.repo.settings = ImportSettings(NEW, "eml", world.clock(), "admin")  # the API in another process
    assert await world.uses.follow_import_settings() == world.repo.settings
    assert (world.files.root, world.files.export_format) == (Path(NEW), "eml")


async def test_a_relative_folder_is_refused_and_nothing_is_saved(world: World) -> None:
    error = await refused(world, change("mail-inbox"))
    assert (error.status_code, error.code, fields(error)) == (
        422,
        "mail_import.folder_not_absolute",
        {"folder": "mail_import.folder_not_absolute"},
    )


@pytest.mark.parametrize("folder", ["/srv/mail\x00inbox", "/srv/mail\ninbox", "/srv/\tmail", "/srv/mail\u2028x"])
async def test_a_folder_with_control_characters_is_refused_and_nothing_is_saved(world: World, folder: str) -> None:
    assert (await refused(world, change(folder))).code == "mail_import.folder_invalid"


async def test_a_folder_with_parent_parts_is_refused_not_resolved(world: World) -> None:
    assert (await refused(world, change("/srv/../etc"))).code == "mail_import.folder_invalid"


async def test_an_empty_folder_is_refused_as_required(world: World) -> None:
    assert (await refused(world, change(""))).code == "mail_import.folder_required"


async def test_a_folder_longer_than_the_limit_is_refused_naming_the_limit(world: World) -> None:
    error = await refused(world, change("/" + "a" * MAX_FOLDER_CHARS))
    assert (error.code, error.params) == ("mail_import.folder_too_long", {"limit": MAX_FOLDER_CHARS})


@pytest.mark.parametrize("folder", ["/", "/etc", "/etc/", "/usr/local/mail", "/proc/1", "//etc"])
async def test_a_system_folder_is_refused_because_the_watcher_would_move_its_files(world: World, folder: str) -> None:
    assert (await refused(world, change(folder))).code == "mail_import.folder_reserved"


async def test_an_unknown_format_is_refused_beside_its_field(world: World) -> None:
    error = await refused(world, change(NEW, "pst"))
    assert fields(error) == {"export_format": "mail_import.format_unknown"}


async def test_a_bad_folder_and_a_bad_format_are_both_named(world: World) -> None:
    error = await refused(world, change("inbox", "OUTLOOK"))
    assert fields(error) == {"folder": "mail_import.folder_not_absolute", "export_format": "mail_import.format_unknown"}


async def test_a_folder_missing_on_the_host_is_refused_naming_it(world: World) -> None:
    error = await refused(world, change("/srv/nowhere"))
    assert (error.code, error.params) == ("mail_import.folder_not_found", {"folder": "/srv/nowhere"})


async def test_a_folder_the_service_cannot_write_in_is_refused(world: World) -> None:
    world.files.folders["/srv/read-only"] = False
    assert (await refused(world, change("/srv/read-only"))).code == "mail_import.folder_not_writable"


async def test_an_upload_after_a_change_goes_into_the_new_folder_and_records_it(world: World) -> None:
    await world.uses.change_import_settings(change())
    world.files.inbox["a.eml"] = email("a.eml")
    row = await world.uses.upload(UploadFile(b"...", "a.eml"))
    assert (row["folder"], row["stored_path"]) == (NEW, "done/a.eml")


async def test_an_upload_follows_settings_saved_by_another_process(world: World) -> None:
    world.repo.settings = ImportSettings(NEW, "eml", world.clock(), "admin")
    world.files.inbox["a.eml"] = email("a.eml")
    await world.uses.upload(UploadFile(b"...", "a.eml"))
    assert (world.files.root, world.files.export_format) == (Path(NEW), "eml")


async def test_a_failure_kept_in_the_old_folder_is_retried_from_there_not_from_the_new_one(world: World) -> None:
    world.files.inbox["x.txt"] = broken("x.txt")
    old = await world.uses.upload(UploadFile(b"", "x.txt"))
    assert (old["folder"], old["stored_path"]) == (str(ROOT), "failed/x.txt")
    await world.uses.change_import_settings(change())
    # failed/ of the new folder has a file of the same name: a retry of the old entry must not take it.
    world.files.failed_files["failed/x.txt"] = Claimed("x.txt", Path(NEW) / "failed" / "x.txt")
    with pytest.raises(Conflict, match="no longer in failed/"):
        await world.uses.retry(RetryImport(old["id"], ADMIN))
    world.files.failed_files["failed/x.txt"] = Claimed("x.txt", ROOT / "failed" / "x.txt")
    world.files.inbox["x.txt"] = email("x.txt")
    new = await world.uses.retry(RetryImport(old["id"], ADMIN))
    assert (new["status"], new["folder"]) == ("imported", str(ROOT))


def test_the_rules_keep_a_plain_absolute_folder_and_each_known_format() -> None:
    for export_format in ("auto", "outlook", "thunderbird", "eml"):
        assert check_import_settings("/srv//mail/./inbox/", export_format).folder == "/srv/mail/inbox"


def test_a_folder_named_like_a_system_folder_but_beside_it_is_not_reserved() -> None:
    assert not is_reserved("/etcetera/mail") and not is_reserved("/srv/etc") and not is_reserved("/var/mail")
    assert is_reserved("/etc") and is_reserved("/etc/mail") and is_reserved("/")


def test_a_shared_folder_itself_is_reserved_but_a_folder_of_its_own_inside_it_is_not() -> None:
    # /tmp as the inbox would have the watcher move every other program's temporary files.
    assert is_reserved("/tmp") and is_reserved("/tmp/") and is_reserved("/home") and is_reserved("/var")
    assert not is_reserved("/tmp/crm-mail") and not is_reserved("/home/crm/mail-inbox")
