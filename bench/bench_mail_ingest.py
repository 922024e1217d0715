"""Mail import: files/s from drop to TaskCreated published, against a bare parse of the same corpus.

The corpus mixes the four shapes the service reads (Outlook RO cp1250, Outlook EN UTF-16LE,
Thunderbird UTF-8, .eml with a PDF attachment). Ours: rename N files into the watched folder,
stop the clock when the relay has published every TaskCreated to the real broker (the folder's
two-scan completeness rule, parsing, blobs, the import log, the outbox and the relay included).
Baseline: read and parse the same files in a loop, nothing else. A second line times the
service's own first step alone (claim, read, hash, parse, blobs) in one process: what the
pipeline spends before any database work. A third puts the absolute rate next to the ~400
messages/minute Twenty publishes for its mailbox import.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import tempfile
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench.common import RUN
from bench.report import Figure, report
from crm_kit import kafka
from crm_kit.service import start_in_background
from crm_mail_ingest.bootstrap import MailIngest, build
from crm_mail_ingest.domain.parsing import parse_export
from crm_mail_ingest.preparation import claim_and_prepare
from crm_mail_ingest.settings import MailIngestSettings

N = 1000
CHUNK = 25
"""Files per call of the preparing step, as ``files.FolderFiles`` hands them to a worker process."""
ROOT = Path(__file__).resolve().parent.parent


def _corpus_module():  # type: ignore[no-untyped-def]
    path = ROOT / "services" / "mail-ingest" / "tests" / "corpus.py"
    spec = importlib.util.spec_from_file_location("mail_ingest_corpus", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bare_parse(folder: Path) -> float:
    tz = ZoneInfo("Europe/Bucharest")
    paths = sorted(p for p in folder.iterdir() if p.is_file())
    # Each .eml has its own MIME boundary, which the email package compiles into a regex: empty
    # the regex cache so a repeated run parses like the first (the service sees each file once).
    re.purge()
    start = time.perf_counter()
    for path in paths:
        parse_export(path.read_bytes(), path.name, local_tz=tz)
    return len(paths) / (time.perf_counter() - start)


def prepare_alone(staging: Path, work: Path) -> float:
    """The service's own first step alone, in this one process: claim, read, hash, parse, blobs.

    No database, events, relay or moves: the ceiling of the pipeline's figure per process (the
    service runs this step in its worker processes, which share the two cores with the rest).
    """
    settings = MailIngestSettings(inbox=work / "alone", blob_dir=work / "alone-blobs", log_level="WARNING")
    ingest = build(settings)
    ingest.folder.ensure()
    names = sorted(p.name for p in staging.iterdir())
    for name in names:
        os.rename(staging / name, ingest.folder.root / name)
    options = ingest.files.options
    re.purge()
    start = time.perf_counter()
    for first in range(0, len(names), CHUNK):
        claim_and_prepare(ingest.folder.root, names[first : first + CHUNK], options, None)
    return len(names) / (time.perf_counter() - start)


async def _published(ingest: MailIngest, outbox: sa.Table) -> int:
    async with ingest.service.db.read() as conn:
        return int(
            (
                await conn.execute(
                    sa.select(sa.func.count())
                    .select_from(outbox)
                    .where(outbox.c.ce_type == "crm.tasks.TaskCreated.v1")
                    .where(outbox.c.sent_at.is_not(None))
                )
            ).scalar_one()
        )


async def pipeline(staging: Path, work: Path, bootstrap: str, warmup: Path) -> float:
    prefix = f"{RUN}{uuid.uuid4().hex[:8]}."
    await kafka.ensure_topics(bootstrap, kafka.all_topic_names(prefix), partitions=2)
    settings = MailIngestSettings(
        kafka_bootstrap=bootstrap,
        topic_prefix=prefix,
        database_url=f"sqlite+aiosqlite:///{work / 'mail.db'}",
        blob_dir=work / "blobs",
        inbox=work / "inbox",
        scan_seconds=0.05,
        batch_files=200,
        log_level="WARNING",
    )
    ingest = build(settings)
    running = await start_in_background(ingest.service, {"relay", "watch"})
    outbox = ingest.service.metadata.tables["outbox"]
    try:
        # Warm up on a few other files: fresh topics elect their leaders, the producer connects.
        ingest.folder.ensure()
        warm = sorted(p.name for p in warmup.iterdir())
        for name in warm:
            os.rename(warmup / name, ingest.folder.root / name)
        while await _published(ingest, outbox) < len(warm):
            await asyncio.sleep(0.05)
        names = sorted(p.name for p in staging.iterdir())
        start = time.perf_counter()
        for name in names:
            os.rename(staging / name, ingest.folder.root / name)
        while await _published(ingest, outbox) < len(warm) + len(names):
            await asyncio.sleep(0.02)
        return len(names) / (time.perf_counter() - start)
    finally:
        await running.stop()


async def main() -> None:
    bootstrap = os.environ.get("CRM_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    corpus = _corpus_module()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        staging = work / "staging"
        corpus.write_corpus(staging, N)
        warmup = work / "warmup"
        warmup.mkdir()
        for i in range(N, N + 40):
            name, data = corpus.corpus_file(i)
            (warmup / name).write_bytes(data)
        baseline = max(bare_parse(staging) for _ in range(3))
        alone = work / "staging-alone"
        corpus.write_corpus(alone, N)
        first_step = prepare_alone(alone, work)
        ours = await pipeline(staging, work, bootstrap, warmup)
    report(
        Figure(
            "mail-ingest files/s drop -> TaskCreated published",
            ours,
            baseline,
            "files/s",
            higher_is_better=True,
            goal=">= 0.5x of a bare parse",
        )
    )
    report(
        Figure(
            "mail-ingest: claim + read + hash + parse + blobs alone",
            first_step,
            baseline,
            "files/s",
            higher_is_better=True,
            goal="one process; the first step of the figure above",
        )
    )
    report(
        Figure(
            "mail-ingest messages/min vs Twenty's mailbox import",
            ours * 60,
            400.0,
            "msg/min",
            higher_is_better=True,
            goal="absolute rate next to ~400 msg/min",
        )
    )
