"""Concurrent imports (the folder worker and an upload at once) never mix up or lose each other's events."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa

from crm_mail_ingest.bootstrap import build
from crm_mail_ingest.service_layer import ImportFiles

from ..corpus import corpus_file  # noqa: TID252  (tests are not an installed package)


async def test_two_batches_imported_at_once_each_get_their_task_events(ingest_settings, database_url) -> None:
    ingest = build(ingest_settings(database_url=database_url))
    await ingest.service.migrate()
    ingest.folder.ensure()
    batches = []
    for first in (0, 100):
        names = []
        for i in range(first, first + 40):
            name, data = corpus_file(i)
            (ingest.folder.root / name).write_bytes(data)
            names.append(name)
        batches.append([c for c in (ingest.folder.claim(n) for n in names) if c is not None])

    results = await asyncio.gather(*(ingest.uses.import_files(ImportFiles(tuple(b))) for b in batches))

    assert [len(r) for r in results] == [40, 40]
    assert {row["status"] for rows in results for row in rows} == {"imported"}
    outbox = ingest.service.metadata.tables["outbox"]
    async with ingest.service.db.read() as conn:
        keys = (
            await conn.execute(sa.select(outbox.c.key).where(outbox.c.ce_type == "crm.tasks.TaskCreated.v1"))
        ).scalars()
        task_ids = set(keys)
    assert task_ids == {row["task_id"] for rows in results for row in rows}
    assert len(task_ids) == 80
    assert len(list(Path(ingest.folder.done).iterdir())) == 80
    await ingest.service.db.dispose()
