"""C4: the import folder and the default export format an administrator chooses, and their rules."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Literal

from crm_kit.errors import Invalid

EXPORT_FORMATS: tuple[str, ...] = ("auto", "outlook", "thunderbird", "eml")
"""How a dropped file is read: recognised per file (``auto``), or always as one export format."""

MAX_FOLDER_CHARS = 1024
"""The longest folder path kept (a path on the mail-ingest host; Linux allows 4096, nobody types that)."""

RESERVED_FOLDERS: tuple[str, ...] = (
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/proc",
    "/run",
    "/sbin",
    "/sys",
    "/usr",
)
"""The system's own folders: the watcher moves every file it finds, so none of these (or ``/``) may be the inbox."""

# Names to refuse, never a place this code writes to (hence the noqa for ruff's temporary-folder rule).
SHARED_FOLDERS: tuple[str, ...] = (
    "/home",
    "/media",
    "/mnt",
    "/opt",
    "/root",
    "/srv",
    "/tmp",  # noqa: S108
    "/var",
    "/var/tmp",  # noqa: S108
)
"""Folders where others keep their files: not the inbox themselves (a folder of its own inside them is fine)."""

FolderProblem = Literal["not_found", "not_a_folder", "not_writable", "reserved"]
"""What the mail-ingest host found wrong with a folder that passed the rules of its text."""


@dataclass(frozen=True)
class ImportSettings:
    """The import folder (absolute, on the mail-ingest host) and the default export format.

    ``updated_at``/``updated_by`` are None while nothing was saved (the environment's values apply).
    """

    folder: str
    export_format: str
    updated_at: datetime | None = None
    updated_by: str | None = None


def check_import_settings(folder: str, export_format: str) -> ImportSettings:
    """The settings to save, the folder written in its plain form (``/srv/mail/`` -> ``/srv/mail``).

    Args:
        folder: the import folder as typed: an absolute path on the mail-ingest host.
        export_format: one of ``EXPORT_FORMATS``.

    Raises:
        Invalid: the folder is empty, relative, too long, has control characters or ``..`` parts, or is
            a system folder; or the format is unknown. Each refused field is named in ``errors``.
    """
    errors: list[dict[str, object]] = []
    refused = _folder_error(folder)
    if refused is not None:
        errors.append(refused)
    if export_format not in EXPORT_FORMATS:
        errors.append(
            _error(
                "export_format",
                f"unknown export format {export_format[:40]!r}; one of {', '.join(EXPORT_FORMATS)}",
                code="mail_import.format_unknown",
                params={"formats": ", ".join(EXPORT_FORMATS)},
            )
        )
    if errors:
        raise _invalid(errors)
    return ImportSettings(_plain(folder), export_format)


def folder_refused(folder: str, problem: FolderProblem) -> Invalid:
    """The refusal of a folder the mail-ingest host cannot use (it checked the disk), naming the folder."""
    params: dict[str, object] = {"folder": folder}
    if problem == "not_found":
        error = _error(
            "folder",
            f"the folder {folder} does not exist on the mail-ingest host; create it first",
            code="mail_import.folder_not_found",
            params=params,
        )
    elif problem == "not_a_folder":
        error = _error(
            "folder", f"{folder} is a file, not a folder", code="mail_import.folder_not_a_folder", params=params
        )
    elif problem == "not_writable":
        error = _error(
            "folder",
            f"the mail-ingest service cannot write in {folder} (it moves files into done/ and failed/ there)",
            code="mail_import.folder_not_writable",
            params=params,
        )
    else:
        error = _error(
            "folder",
            f"the folder {folder} leads to a system folder; choose a folder of its own",
            code="mail_import.folder_reserved",
            params=params,
        )
    return _invalid([error])


def is_reserved(folder: str) -> bool:
    """Whether ``folder`` (absolute) is ``/``, a system folder or inside one, or a shared folder itself."""
    path = PurePosixPath(_plain(folder))
    if path == PurePosixPath("/") or any(path == PurePosixPath(f) for f in SHARED_FOLDERS):
        return True
    return any(path == PurePosixPath(r) or PurePosixPath(r) in path.parents for r in RESERVED_FOLDERS)


_UNPRINTABLE = frozenset({"Cc", "Cs", "Zl", "Zp"})
"""Control characters (NUL, tab, line breaks), lone surrogates and Unicode line/paragraph separators."""


def _folder_error(folder: str) -> dict[str, object] | None:
    """The first rule of its text the folder breaks, as a field error; None when it keeps them all."""
    if not folder:
        return _error("folder", "the import folder is required", code="mail_import.folder_required")
    if any(unicodedata.category(c) in _UNPRINTABLE for c in folder):
        return _error(
            "folder",
            "the folder has control characters (a NUL, a tab, a line break)",
            code="mail_import.folder_invalid",
        )
    if len(folder) > MAX_FOLDER_CHARS:
        return _error(
            "folder",
            f"the folder path is {len(folder)} characters; at most {MAX_FOLDER_CHARS}",
            code="mail_import.folder_too_long",
            params={"limit": MAX_FOLDER_CHARS},
        )
    if not folder.startswith("/"):
        return _error(
            "folder",
            f"the folder must be an absolute path on the mail-ingest host (starting with /), not {folder!r}",
            code="mail_import.folder_not_absolute",
        )
    if ".." in PurePosixPath(folder).parts:
        # Refused, not resolved: '/srv/../etc' read lexically is not where its links may lead.
        return _error("folder", "the folder may not have '..' parts", code="mail_import.folder_invalid")
    plain = _plain(folder)
    if is_reserved(plain):
        return _error(
            "folder",
            f"the folder {plain} is a system or shared folder; choose a folder just for imports",
            code="mail_import.folder_reserved",
            params={"folder": plain},
        )
    return None


def _plain(folder: str) -> str:
    """An absolute folder without repeated or trailing slashes or ``.`` parts (``//etc/`` is ``/etc`` on Linux)."""
    return "/" + str(PurePosixPath(folder)).lstrip("/")


def _error(field: str, message: str, *, code: str, params: dict[str, object] | None = None) -> dict[str, object]:
    return {"field": field, "message": message, "code": code, "params": params or {}}


def _invalid(errors: list[dict[str, object]]) -> Invalid:
    """One refusal naming every refused field (the UI shows each beside its field)."""
    first = errors[0]
    params = first["params"]
    return Invalid(
        str(first["message"]),
        code=str(first["code"]),
        params=params if isinstance(params, dict) else {},
        errors=errors,
    )
