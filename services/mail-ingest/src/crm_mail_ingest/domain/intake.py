"""The import folder's rules: which files are taken, and when a file is complete.

Convention (documented for users in the service README):

* Write elsewhere and rename into the folder (atomic), or write under a name the service
  ignores and rename when done: names starting with ``.`` or ``~``, and names ending in
  ``.part``, ``.tmp``, ``.partial``, ``.crdownload`` or ``.download`` are never taken.
* Slow copies are safe too: a file is taken only when its size and modification time are
  the same on two consecutive scans.
* Folders are not messages. A Thunderbird text export ``X.txt`` may have its attachments in
  a folder beside it named ``X``, ``X_files``, ``X.attachments`` or ``X-attachments``; the
  folder moves with the message. ``done/``, ``failed/`` and ``processing/`` belong to the service.
"""

from __future__ import annotations

from dataclasses import dataclass, field

IGNORED_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload", ".download")
RESERVED_DIRS = ("done", "failed", "processing")


def is_candidate(name: str) -> bool:
    """True for a file name the watcher may take (not hidden, not in-progress)."""
    lower = name.lower()
    return bool(name) and not name.startswith((".", "~")) and not lower.endswith(IGNORED_SUFFIXES)


def attachment_dir_names(file_name: str) -> list[str]:
    """Folder names beside a text export that may hold its attachments, in order of preference."""
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    return [f"{stem}.attachments", f"{stem}-attachments", f"{stem}_files", stem]


@dataclass(frozen=True)
class Seen:
    """A file as one scan saw it."""

    size: int
    mtime_ns: int


@dataclass
class StabilityTracker:
    """Remembers the last scan, to take a file only once it stopped changing."""

    last: dict[str, Seen] = field(default_factory=dict)

    def stable(self, scan: dict[str, Seen]) -> list[str]:
        """The names whose size and mtime are unchanged since the previous scan (in name order)."""
        ready = sorted(name for name, seen in scan.items() if self.last.get(name) == seen)
        self.last = dict(scan)
        return ready

    def forget(self, name: str) -> None:
        self.last.pop(name, None)


def safe_file_name(name: str, fallback: str = "upload.txt") -> str:
    """A file name from input made safe to create in the import folder (never a path)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch if ch.isprintable() and ch not in '<>:"|?*' else "_" for ch in base).strip(" .")
    cleaned = cleaned.lstrip(".~")
    if not cleaned or cleaned.lower().endswith(IGNORED_SUFFIXES) or cleaned in RESERVED_DIRS:
        return fallback
    return cleaned[:180]
