"""kill -9 of ``python -m crm_mail_ingest run`` in the middle of 1,000 files, then a restart (X4)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from crm_contracts.tasks import TaskCreated
from crm_kit.ports import free_port
from crm_kit.testing import read_events

from ..corpus import write_corpus  # noqa: TID252  (tests are not an installed package)

COUNT = 1000


def start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "crm_mail_ingest", "run"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def count(folder: Path) -> int:
    return sum(1 for p in folder.iterdir() if p.is_file()) if folder.exists() else 0


@pytest.mark.slow
async def test_every_message_is_imported_exactly_once_and_no_file_is_lost_after_a_kill_9(
    kafka_bootstrap: str, topics: str, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    names = write_corpus(inbox, COUNT)
    env = {
        **os.environ,
        "CRM_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "CRM_TOPIC_PREFIX": topics,
        "CRM_TOPIC_PARTITIONS": "2",
        "CRM_BLOB_DIR": str(tmp_path / "blobs"),
        "CRM_LOG_LEVEL": "WARNING",
        "CRM_MAIL_INGEST_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'mail.db'}",
        "CRM_MAIL_INGEST_INBOX": str(inbox),
        "CRM_MAIL_INGEST_PORT": str(free_port()),
        "CRM_MAIL_INGEST_SCAN_SECONDS": "0.2",
        "CRM_MAIL_INGEST_BATCH_FILES": "100",
    }
    log = tmp_path / "service.log"
    done, failed = inbox / "done", inbox / "failed"

    t0 = time.monotonic()
    first = start(env, log)
    try:
        deadline = time.monotonic() + 60
        while count(done) < 100 and time.monotonic() < deadline and first.poll() is None:
            await asyncio.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    moved_before_kill = count(done)
    print(f"killed at {time.monotonic() - t0:.1f}s")
    assert 0 < moved_before_kill < COUNT, f"the kill must land mid-batch ({moved_before_kill} done); see {log}"

    second = start(env, log)
    try:
        deadline = time.monotonic() + 90
        while count(done) + count(failed) < COUNT and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        print(f"all moved at {time.monotonic() - t0:.1f}s")
        assert count(done) == COUNT, f"{count(done)} in done/, {count(failed)} in failed/; see {log}"
        assert count(failed) == 0
        assert count(inbox / "processing") == 0
        assert sorted(p.name for p in done.iterdir()) == sorted(names)  # no file lost, none renamed

        def all_there(events: list[tuple[object, object]]) -> bool:
            return len({e.origin.message_id for _, e in events if isinstance(e, TaskCreated)}) >= COUNT

        found = await read_events(kafka_bootstrap, topics, "crm.tasks", until=all_there, timeout=60)
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(20)
        except subprocess.TimeoutExpired:
            second.kill()

    print(f"events read at {time.monotonic() - t0:.1f}s")
    tasks = [(env_, e) for env_, e in found if isinstance(e, TaskCreated)]
    by_message: dict[str | None, set[str]] = defaultdict(set)
    for envelope, event in tasks:
        by_message[event.origin.message_id].add(envelope.id)
    assert len(by_message) == COUNT  # every message has a TaskCreated
    assert all(len(ids) == 1 for ids in by_message.values())  # and exactly one (one event id per message)
    # A relay killed between publishing and marking may publish a row again with the same ce_id;
    # consumers' inboxes drop those. Distinct TaskCreated events on the topic: exactly COUNT.
    assert len({envelope.id for envelope, _ in tasks}) == COUNT
    print(f"kill -9 after {moved_before_kill} files moved; TaskCreated records on the topic: {len(tasks)}")
