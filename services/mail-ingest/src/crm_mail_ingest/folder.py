"""The import folder on disk: scan, claim (move into processing/), move to done/ or failed/.

Every move is a hard link plus an unlink of the old name, so a name that already exists is
never overwritten and two processes can never claim the same file. Nothing is deleted except a
failed file whose very bytes failed/ already keeps (repeated uploads must not fill the disk) and
the reason file of a retried one (its text stays in the import log).
"""

from __future__ import annotations

import contextlib
import errno
import filecmp
import os
import time
from collections.abc import Iterator
from pathlib import Path

from crm_mail_ingest.domain.import_settings import FolderProblem
from crm_mail_ingest.domain.importing import Claimed
from crm_mail_ingest.domain.intake import RESERVED_DIRS, Seen, attachment_dir_names, is_candidate
from crm_mail_ingest.domain.model import AttachmentData


class ImportFolder:
    """The inbox and its done/, failed/ and processing/ subfolders."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.done = root / "done"
        self.failed = root / "failed"
        self.processing = root / "processing"

    def ensure(self) -> None:
        """Create the folder and its subfolders (nothing if they exist)."""
        for path in (self.root, self.done, self.failed, self.processing):
            path.mkdir(parents=True, exist_ok=True)

    def scan(self, limit: int = 100_000) -> dict[str, Seen]:
        """Candidate files in the inbox (not folders, not in-progress names), with size and mtime."""
        found: dict[str, Seen] = {}
        with os.scandir(self.root) as entries:
            for entry in entries:
                if len(found) >= limit:
                    break
                if not is_candidate(entry.name) or entry.name in RESERVED_DIRS:
                    continue
                try:
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                found[entry.name] = Seen(st.st_size, st.st_mtime_ns)
        return found

    def orphans(self, older_than_seconds: float) -> list[Path]:
        """Files left in processing/ (a crash or an outage), claimed longer ago than the grace time."""
        now = time.time()
        out = []
        with os.scandir(self.processing) as entries:
            for entry in entries:
                try:
                    if entry.is_file(follow_symlinks=False) and now - entry.stat().st_ctime >= older_than_seconds:
                        out.append(Path(entry.path))
                except OSError:
                    continue
        return sorted(out)

    def claim(self, name: str) -> Claimed | None:
        """Move ``name`` (and its attachments folder) into processing/; None when it is gone or taken."""
        source = self.root / name
        target = self.processing / name
        if not _move(source, target):
            return None
        claimed = Claimed(file_name=name, path=target)
        for dirname in attachment_dir_names(name):
            candidate = self.root / dirname
            if dirname != name and candidate.is_dir() and not candidate.is_symlink():
                dest = self.processing / dirname
                try:
                    if not dest.exists():
                        candidate.rename(dest)
                        claimed.attachments_dir = dest
                except OSError:
                    pass
                break
        return claimed

    def claim_file(self, source: Path, name: str) -> Claimed:
        """Claim a file that is not in the inbox (an upload, a retried file) under a free name.

        A retried file leaves failed/ with its reason: the reason file goes too (its text stays on
        the ``retried`` entry of the import log), so a second failure takes the same name again
        instead of ``-2`` beside a reason that has no file.
        """
        for candidate in _alternatives(name):
            target = self.processing / candidate
            if not (self.root / candidate).exists() and _move(source, target):
                if source.parent == self.failed:
                    with contextlib.suppress(FileNotFoundError):
                        (self.failed / f"{source.name}.reason.txt").unlink()
                return Claimed(file_name=candidate, path=target)
        raise FileExistsError(f"no free name for {name}")

    def resumed(self, path: Path) -> Claimed:
        """A file found in processing/ after a restart, with its attachments folder if there is one."""
        claimed = Claimed(file_name=path.name, path=path)
        for dirname in attachment_dir_names(path.name):
            candidate = self.processing / dirname
            if dirname != path.name and candidate.is_dir():
                claimed.attachments_dir = candidate
                break
        return claimed

    def destination(self, name: str, failed: bool) -> Path:
        """A free path in done/ or failed/ for a file named ``name``."""
        folder = self.failed if failed else self.done
        for candidate in _alternatives(name):
            if not (folder / candidate).exists() and not (folder / f"{candidate}.reason.txt").exists():
                return folder / candidate
        raise FileExistsError(name)

    def finish(self, claimed: Claimed, destination: Path, reason: str | None) -> Path:
        """Move a processed file to its destination (a free one if that got taken); write the reason."""
        target = destination
        if not _move(claimed.path, target):
            if not claimed.path.exists():
                return target if target.exists() else destination
            if target.parent == self.failed and _same_content(claimed.path, target):
                claimed.path.unlink()  # failed/ already keeps these bytes: one copy, not one per attempt
            else:
                target = self.destination(claimed.file_name, failed=destination.parent == self.failed)
                _move(claimed.path, target)
        if claimed.attachments_dir is not None and claimed.attachments_dir.exists():
            dest_dir = target.parent / claimed.attachments_dir.name
            if dest_dir.exists():
                dest_dir = target.parent / f"{target.name}.attachments"
            with contextlib.suppress(OSError):
                claimed.attachments_dir.rename(dest_dir)
        if reason is not None:
            _write_atomically(target.parent / f"{target.name}.reason.txt", reason + "\n")
        return target

    def relative(self, path: Path) -> str:
        """``path`` relative to the folder, as the import log stores it."""
        return path.relative_to(self.root).as_posix()


def folder_problem(root: Path) -> FolderProblem | None:
    """Why ``root`` cannot be an import folder on this host; None when it can (its subfolders are then there).

    Writing is tried, not inferred from the mode bits: done/, failed/ and processing/ are created and
    a probe file is written and removed, as the watcher will do (a read-only mount, ACLs, quotas).
    """
    if not root.exists():
        return "not_found"
    if not root.is_dir():
        return "not_a_folder"
    folder = ImportFolder(root)
    probe = root / f".write-probe-{os.getpid()}.part"  # a name the scan ignores
    try:
        folder.ensure()
        probe.write_bytes(b"")
        probe.unlink()
    except OSError:
        return "not_writable"
    return None


def read_sidecar(folder: Path | None, max_bytes: int) -> tuple[list[AttachmentData], int]:
    """The files of an attachments folder (not recursive, no symlinks), and their total size."""
    if folder is None:
        return [], 0
    items: list[AttachmentData] = []
    total = 0
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if not entry.is_file(follow_symlinks=False):
            continue
        size = entry.stat(follow_symlinks=False).st_size
        total += size
        if total > max_bytes:
            return items, total
        with open(entry.path, "rb") as f:
            items.append(AttachmentData(file_name=entry.name, content=f.read()))
    return items, total


def _alternatives(name: str) -> Iterator[str]:
    """``name``, then ``stem-2.ext``, ``stem-3.ext``, ... (lazily)."""
    yield name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    suffix = f".{ext}" if ext else ""
    for n in range(2, 100_000):
        yield f"{stem}-{n}{suffix}"


def _move(source: Path, target: Path) -> bool:
    """Move without ever overwriting: False when the source is gone or the target exists."""
    try:
        os.link(source, target, follow_symlinks=False)
    except FileNotFoundError:
        return False
    except FileExistsError:
        # A crash between link and unlink left both names on one file: finish that move.
        try:
            same = os.path.samefile(source, target)
        except OSError:
            return False
        if same:
            source.unlink()
        return same
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EMLINK):
            raise
        # No hard links here (another filesystem): rename if the target is free.
        if target.exists():
            return False
        source.rename(target)
        return True
    source.unlink()
    return True


def _same_content(a: Path, b: Path) -> bool:
    try:
        return filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
