"""The work on a file before the database: claim, read, hash, parse, store attachments.

It is CPU work (parsing) plus file I/O, independent per file, so ``files.FolderFiles`` runs it in worker
processes (``CRM_MAIL_INGEST_PREPARE_PROCESSES``) while the service process writes the previous
batch to the database and the relay publishes: that is what lets the import use a second core.
Everything here is picklable and imports no database or broker code, so a worker starts quickly.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from crm_kit.blobs import BlobError, BlobStore
from crm_kit.ids import new_id
from crm_mail_ingest.domain.identity import message_key
from crm_mail_ingest.domain.importing import Claimed, Prepared
from crm_mail_ingest.domain.model import ParseFailure, StoredAttachment
from crm_mail_ingest.domain.parsing import parse_export
from crm_mail_ingest.domain.routing import automated_reason
from crm_mail_ingest.folder import ImportFolder, read_sidecar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrepareOptions:
    """What preparing a file needs from the settings (picklable, sent to worker processes)."""

    max_file_bytes: int
    max_header_chars: int
    export_format: str
    local_timezone: str
    blobs: BlobStore


def prepare_file(claimed: Claimed, options: PrepareOptions) -> Prepared:
    """Read, hash and parse one claimed file and store its attachments; never raises for a bad file.

    The returned message keeps its attachments' names and types but not their bytes (they are
    in the blob store), so a result is small to send back from a worker process.
    """
    item = _prepare(claimed, options)
    item.initial = (item.status, item.reason)
    if item.message is not None and item.message.attachments:
        item.message.attachments = [dataclasses.replace(a, content=b"") for a in item.message.attachments]
    return item


def claim_and_prepare(root: Path, names: list[str], options: PrepareOptions, parent: int | None) -> list[Prepared]:
    """Claim each name (move it into processing/) and prepare it; names gone or taken are skipped.

    ``parent`` is the service process's pid: a worker whose service died (kill -9) claims nothing
    more, so no file is moved into processing/ after a restart's resume sweep.
    """
    folder = ImportFolder(root)
    out: list[Prepared] = []
    for name in names:
        if parent is not None and os.getppid() != parent:
            break
        claimed = folder.claim(name)
        if claimed is not None:
            out.append(_with_destination(folder, prepare_file(claimed, options)))
    return out


def prepare_all(claimed: list[Claimed], options: PrepareOptions) -> list[Prepared]:
    """``prepare_file`` for each already claimed file (a resumed, uploaded or retried one).

    Each file's destination is planned in the folder it was claimed into (a retried failure of an
    earlier folder, C4, is claimed back into that one, not into the folder of the moment).
    """
    return [_with_destination(ImportFolder(c.path.parent.parent), prepare_file(c, options)) for c in claimed]


def finish_all(moves: list[tuple[str, Claimed, Path, str | None]]) -> dict[str, str]:
    """After the commit: move each file (import id, claimed file, destination, failure reason).

    Each file moves within the import folder it was taken from (its processing/ is right inside it):
    a folder changed meanwhile (C4) does not pull a file in flight elsewhere. Returns where each moved
    file now is (import id -> path relative to its folder); a file that could not be moved is logged
    and left in processing/ for the next sweep.
    """
    moved: dict[str, str] = {}
    for import_id, claimed, destination, reason in moves:
        folder = ImportFolder(claimed.path.parent.parent)
        try:
            final = folder.finish(claimed, destination, reason)
        except OSError:
            log.exception("could not move %s to %s", claimed.path, destination)
            continue
        moved[import_id] = folder.relative(final)
    return moved


def _with_destination(folder: ImportFolder, item: Prepared) -> Prepared:
    try:
        item.planned = folder.destination(item.claimed.file_name, failed=item.status == "failed")
    except OSError:
        item.planned = None
    return item


def worker_init(parent: int) -> None:
    """Worker process start: exit as soon as the service process is gone (no orphan keeps running)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _prepare(claimed: Claimed, options: PrepareOptions) -> Prepared:
    limit = options.max_file_bytes
    try:
        size = claimed.path.stat().st_size
    except OSError as exc:
        return Prepared(claimed, str(new_id()), "", 0, "failed", f"cannot read the file: {exc.strerror}")
    item = Prepared(claimed, str(new_id()), "", size, "failed")
    try:
        if size > limit:
            item.sha256 = _hash_file(claimed.path)
            item.reason = f"file too large: {size} bytes, the limit is {limit}"
            return item
        data = claimed.path.read_bytes()
        item.sha256 = hashlib.sha256(data).hexdigest()
        sidecar, extra = read_sidecar(claimed.attachments_dir, limit - size)
        if size + extra > limit:
            item.reason = f"file and attachments too large: {size + extra} bytes, the limit is {limit}"
            return item
        message = parse_export(
            data,
            claimed.file_name,
            local_tz=ZoneInfo(options.local_timezone),  # ZoneInfo caches its instances
            sidecar=sidecar,
            max_header_chars=options.max_header_chars,
            force_format=options.export_format,
        )
    except ParseFailure as exc:
        item.reason = str(exc)
        return item
    except Exception as exc:
        log.warning("unexpected failure parsing %s", claimed.file_name, exc_info=True)
        item.reason = f"could not read this file as an email: {type(exc).__name__}: {str(exc)[:300]}"
        return item
    item.message = message
    item.key = message_key(message)
    ignored = automated_reason(message)
    if ignored is not None:
        item.status, item.reason = "ignored", ignored
        return item
    try:
        for attachment in message.attachments:
            sha = options.blobs.put(attachment.content)
            item.attachments.append(
                StoredAttachment(attachment.file_name[:255], sha, len(attachment.content), attachment.content_type)
            )
    except BlobError as exc:
        item.status, item.reason = "failed", f"attachment not stored: {exc}"
        return item
    item.status = "imported"
    return item


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
