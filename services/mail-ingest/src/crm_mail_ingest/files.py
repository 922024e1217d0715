"""``ports.Files``: the import folder on disk and the worker processes that claim, read and parse its files.

Reading, parsing and storing attachments is CPU work independent per file: ``prepare`` worker
processes (``CRM_MAIL_INGEST_PREPARE_PROCESSES``) do it while the service process writes the
previous batch and the relay publishes, and one ``record`` worker builds a batch's events and moves
its files after the commit. Two pools, so a batch being recorded never waits behind the next one's
parsing. With 0 processes everything runs in the service process.

The folder and the default export format follow what an administrator saved (C4, ``follow``): new files
are taken from the folder of the moment, and a file already taken finishes in the folder it was taken
from (its own path says which), so a change never strands or misfiles one in flight.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

from crm_kit.blobs import BlobStore
from crm_kit.ids import new_id
from crm_mail_ingest.domain.import_settings import FolderProblem, ImportSettings, is_reserved
from crm_mail_ingest.domain.importing import Claimed, Prepared
from crm_mail_ingest.folder import ImportFolder, folder_problem
from crm_mail_ingest.preparation import PrepareOptions, claim_and_prepare, finish_all, prepare_all, worker_init
from crm_mail_ingest.settings import MailIngestSettings

_CHUNK_FILES = 25
"""Files per task sent to a worker process (small enough that both workers share a batch)."""
_T = TypeVar("_T")
_R = TypeVar("_R")

_POOLS: dict[tuple[str, int], ProcessPoolExecutor] = {}


def _pool(role: str, processes: int) -> ProcessPoolExecutor:
    """The process's pool of ``processes`` workers for one role (every instance shares it; it ends with the process)."""
    pool = _POOLS.get((role, processes))
    if pool is None:
        pool = _POOLS[role, processes] = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=worker_init,
            initargs=(os.getpid(),),
        )
    return pool


class FolderFiles:
    """The import folder and its worker processes (``ports.Files``); the settings are read when used."""

    def __init__(self, folder: ImportFolder, blobs: BlobStore, settings: MailIngestSettings) -> None:
        self.folder = folder
        """The import folder new files are taken from (the saved one, C4; at first the environment's)."""
        self.blobs = blobs
        self.settings = settings
        self.export_format = settings.export_format
        """The default export format files are read in (the saved one, C4; at first the environment's)."""
        self.in_flight: set[str] = set()
        self._parent = os.getpid()

    @property
    def options(self) -> PrepareOptions:
        """The settings preparing a file uses, read now (an administrator may raise a limit)."""
        return PrepareOptions(
            max_file_bytes=self.settings.max_file_bytes,
            max_header_chars=self.settings.max_header_chars,
            export_format=self.export_format,
            local_timezone=self.settings.local_timezone,
            blobs=self.blobs,
        )

    @property
    def parallel(self) -> bool:
        """Whether files are prepared in worker processes."""
        return self._pool() is not None

    async def start(self) -> None:
        """Create the folders and start the worker processes now (their imports take a moment)."""
        await asyncio.to_thread(self.folder.ensure)
        pool = self._pool()
        if pool is not None:
            loop = asyncio.get_running_loop()
            warm = [
                loop.run_in_executor(pool, prepare_all, [], self.options)
                for _ in range(self.settings.prepare_processes)
            ]
            await asyncio.gather(*warm, self.in_record_worker(finish_all, []))

    async def check_folder(self, folder: str) -> FolderProblem | None:
        """Why ``folder`` cannot be the import folder here (missing, a file, not writable, a system folder)."""
        real = await asyncio.to_thread(os.path.realpath, folder)
        if is_reserved(real):
            return "reserved"  # a link to /etc is /etc: the watcher would move its files
        return await asyncio.to_thread(folder_problem, Path(folder))

    async def follow(self, settings: ImportSettings) -> bool:
        """Take new files from ``settings.folder`` (done/, failed/, processing/ created) in its format."""
        self.export_format = settings.export_format
        root = Path(settings.folder)
        if root == self.folder.root:
            return False
        folder = ImportFolder(root)
        await asyncio.to_thread(folder.ensure)
        self.folder = folder
        return True

    async def take(self, names: Sequence[str]) -> list[Prepared]:
        """Claim the named inbox files (into processing/) and prepare them; gone or taken names are skipped."""
        root = self.folder.root
        # A worker process stops claiming once the service process is gone (checked by pid).
        parent = self._parent if self._pool() is not None else None
        self.in_flight.update(names)
        try:
            parts = await self._run(list(names), lambda chunk: (claim_and_prepare, root, chunk, self.options, parent))
        except BaseException:
            # What a worker claimed stays in processing/; the next sweep imports it.
            self.in_flight.difference_update(names)
            raise
        prepared = [p for part in parts for p in part]
        self.in_flight.difference_update(set(names) - {p.claimed.path.name for p in prepared})
        return prepared

    async def prepare(self, claimed: Sequence[Claimed]) -> list[Prepared]:
        """The work outside the database (read, parse, store attachments), in the worker processes."""
        self.in_flight.update(c.path.name for c in claimed)
        try:
            parts = await self._run(list(claimed), lambda chunk: (prepare_all, chunk, self.options))
        except BaseException:
            self.release(claimed)
            raise
        return [p for part in parts for p in part]

    def release(self, claimed: Sequence[Claimed]) -> None:
        """Forget files as in flight (they are done, or left in processing/ for a later pass)."""
        self.in_flight.difference_update(c.path.name for c in claimed)

    async def orphans(self, grace_seconds: float) -> list[Claimed]:
        """Files left in processing/ for ``grace_seconds`` (a crash or an outage), not in flight here."""
        paths = await asyncio.to_thread(self.folder.orphans, grace_seconds)
        return [self.folder.resumed(p) for p in paths if p.name not in self.in_flight]

    async def stage(self, content: bytes, file_name: str) -> Claimed:
        """Write an upload beside the folder (a name the watcher ignores), then claim it under a free name."""
        await asyncio.to_thread(self.folder.ensure)
        staging = self.folder.root / f".upload-{new_id().hex}.part"
        await asyncio.to_thread(staging.write_bytes, content)
        return await asyncio.to_thread(self.folder.claim_file, staging, file_name)

    async def claim_failed(self, folder: str | None, stored_path: str | None, file_name: str) -> Claimed | None:
        """Claim a file kept in failed/ of its import folder again (into that folder's processing/).

        None when it is no longer there, or its folder is no longer reachable.
        """
        own = ImportFolder(self._root(folder))
        path = own.root / (stored_path or "")
        if not stored_path or not path.is_file() or own.failed not in path.parents:
            return None
        try:
            return await asyncio.to_thread(own.claim_file, path, file_name)
        except FileNotFoundError:
            return None  # gone meanwhile, or the old folder lost its processing/

    def still_there(self, stored: dict[str, str]) -> dict[str, Path]:
        """Of these kept files (key -> relative path), the ones still on disk."""
        return {key: self.folder.root / path for key, path in stored.items() if (self.folder.root / path).is_file()}

    def destination(self, item: Prepared, taken: set[Path], kept: dict[str, Path] | None = None) -> Path:
        """A free destination in done/ or failed/, not ``taken`` by another file of the batch.

        failed/ keeps each content once: a file that fails again (the same upload repeated)
        points at the copy already there (``kept``), and ``finish`` drops the new one.
        """
        failed = item.status == "failed"
        folder = _folder_of(item.claimed.path)  # a file finishes in the folder it was taken from
        if failed and kept is not None and item.sha256:
            if item.sha256 in kept and kept[item.sha256].parent == folder.failed:
                return kept[item.sha256]
            kept[item.sha256] = destination = self.destination(item, taken)
            return destination
        planned, wanted = item.planned, folder.failed if failed else folder.done
        if planned is not None and planned.parent == wanted and planned not in taken:
            # Free when the worker looked; if it is taken by the move, ``finish`` picks another.
            taken.add(planned)
            return planned
        name = item.claimed.file_name
        while True:
            candidate = folder.destination(name, failed)
            if candidate not in taken:
                taken.add(candidate)
                return candidate
            name = f"{item.import_id[-8:]}-{name}"

    def relative(self, path: Path) -> str:
        """A path in an import folder's done/, failed/ or processing/, relative to that folder."""
        return _folder_of(path).relative(path)

    def folder_of(self, path: Path) -> str:
        """The import folder a path in its done/, failed/ or processing/ belongs to."""
        return str(_folder_of(path).root)

    def path(self, folder: str | None, relative: str) -> Path:
        """The path of a file the import log names (an entry from before C4 has no folder: the environment's)."""
        return self._root(folder) / relative

    def _root(self, folder: str | None) -> Path:
        return Path(folder) if folder else self.settings.inbox

    async def finish(self, moves: Sequence[tuple[str, Claimed, Path, str | None]]) -> dict[str, str]:
        """Move each file to done/ or failed/ (reason beside it); where each moved file now is."""
        if self._pool() is None or len(moves) < 2:
            return await asyncio.to_thread(finish_all, list(moves))
        return await self.in_record_worker(finish_all, list(moves))

    async def in_record_worker(self, fn: Callable[..., _R], *args: Any) -> _R:
        """Run ``fn(*args)`` in the ``record`` worker process (events of a batch, moves), or in a thread."""
        pool = self._pool("record")
        if pool is None:
            return await asyncio.to_thread(fn, *args)
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
        except BrokenProcessPool:
            _POOLS.pop(("record", 1), None)
            raise

    async def _run(self, items: list[_T], call: Callable[[list[_T]], tuple[Any, ...]]) -> list[list[Prepared]]:
        """Run ``call``'s function over chunks of ``items``: in the worker processes, or on the loop."""
        if not items:
            return []
        chunks = [items[i : i + _CHUNK_FILES] for i in range(0, len(items), _CHUNK_FILES)]
        pool = self._pool()
        if pool is None:
            # No worker processes: on the event loop, yielding between small chunks.
            out = []
            for chunk in chunks:
                fn, *args = call(chunk)
                out.append(fn(*args))
                await asyncio.sleep(0)
            return out
        loop = asyncio.get_running_loop()
        try:
            return list(await asyncio.gather(*(loop.run_in_executor(pool, *call(chunk)) for chunk in chunks)))
        except BrokenProcessPool:
            _POOLS.pop(("prepare", self.settings.prepare_processes), None)
            raise

    def _pool(self, role: str = "prepare") -> ProcessPoolExecutor | None:
        """The worker processes of a role, or None when everything runs in the service process."""
        processes = self.settings.prepare_processes
        if not processes:
            return None
        return _pool(role, processes if role == "prepare" else 1)


def _folder_of(path: Path) -> ImportFolder:
    """The import folder of a file in its processing/, done/ or failed/ (each sits right inside the folder)."""
    return ImportFolder(path.parent.parent)
