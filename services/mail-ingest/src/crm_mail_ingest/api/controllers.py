"""Mail import endpoints: upload (same path as a dropped file), the import log, retry."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import ServiceUnavailableException
from litestar.params import Body, FromPath, QueryParameter, SkipValidation

from crm_kit.errors import Conflict, Invalid, NotFound
from crm_kit.ids import new_id
from crm_kit.inbox import TRANSIENT
from crm_kit.pagination import Limit, Offset
from crm_kit.store import Database
from crm_kit.uploads import FileUpload
from crm_mail_ingest.api.schemas import MailImportList, MailImportOut
from crm_mail_ingest.domain.intake import safe_file_name
from crm_mail_ingest.folder import Claimed, ImportFolder
from crm_mail_ingest.importer import Importer
from crm_mail_ingest.store import repository

STATUSES = ("imported", "failed", "ignored", "duplicate", "retried")


class MailImportController(Controller):
    path = "/api/mail-imports"
    tags = ["mail import"]

    @post("/", status_code=201, request_max_body_size=64 * 1024 * 1024)
    async def upload(
        self,
        importer: NamedDependency[SkipValidation[Importer]],
        folder: NamedDependency[SkipValidation[ImportFolder]],
        data: Annotated[FileUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> MailImportOut:
        """Import one exported email file (Outlook, Thunderbird text or .eml, in part `data`) like a dropped one."""
        content = await data.data.read()
        name = safe_file_name(data.data.filename or "")
        await asyncio.to_thread(folder.ensure)
        staging = folder.root / f".upload-{new_id().hex}.part"
        await asyncio.to_thread(staging.write_bytes, content)
        claimed = await asyncio.to_thread(folder.claim_file, staging, name)
        return MailImportOut.from_row(await _import(importer, claimed))

    @get("/")
    async def list_imports(
        self,
        db: NamedDependency[SkipValidation[Database]],
        status: Annotated[
            str | None, QueryParameter(description="imported, failed, ignored, duplicate or retried")
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> MailImportList:
        """The import log, newest first: file name, status, partner, task and the reason."""
        if status is not None and status not in STATUSES:
            raise Invalid(f"status must be one of {', '.join(STATUSES)}", status=status)
        async with db.read() as conn:
            rows, total = await repository.list_imports(conn, status=status, limit=limit, offset=offset)
        return MailImportList(items=[MailImportOut.from_row(r) for r in rows], total=total)

    @get("/{import_id:str}")
    async def get_import(
        self, db: NamedDependency[SkipValidation[Database]], import_id: FromPath[str]
    ) -> MailImportOut:
        """One import log entry."""
        return MailImportOut.from_row(await _entry(db, import_id))

    @post("/{import_id:str}/retry", status_code=201)
    async def retry(
        self,
        db: NamedDependency[SkipValidation[Database]],
        importer: NamedDependency[SkipValidation[Importer]],
        folder: NamedDependency[SkipValidation[ImportFolder]],
        import_id: FromPath[str],
    ) -> MailImportOut:
        """Import a failed file again (after fixing the cause); the old entry becomes 'retried'."""
        row = await _entry(db, import_id)
        if row["status"] != "failed":
            raise Conflict(f"only a failed import can be retried; this one is {row['status']}")
        path = folder.root / (row["stored_path"] or "")
        if not row["stored_path"] or not path.is_file() or folder.failed not in path.parents:
            raise Conflict("the file is no longer in failed/: drop it into the import folder again")
        try:
            claimed = await asyncio.to_thread(folder.claim_file, path, row["file_name"])
        except FileExistsError:
            raise Conflict("a file of that name is being imported; try again in a moment") from None
        async with db.transaction() as conn:
            await repository.set_status(conn, import_id, "retried")
        return MailImportOut.from_row(await _import(importer, claimed))


async def _import(importer: Importer, claimed: Claimed) -> dict[str, Any]:
    """Import one claimed file; a store outage is a 503 (the file stays in processing/ and is resumed)."""
    try:
        rows = await importer.import_files([claimed])
    except TRANSIENT:
        raise ServiceUnavailableException(
            "the import log is not available right now; the file is kept and will be imported when it is back"
        ) from None
    return rows[0]


async def _entry(db: Database, import_id: str) -> dict[str, Any]:
    async with db.read() as conn:
        row = await repository.get_import(conn, import_id)
    if row is None:
        raise NotFound(f"no mail import {import_id}")
    return row
