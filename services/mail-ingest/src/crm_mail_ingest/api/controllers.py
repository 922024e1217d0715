"""Mail import endpoints: upload (same path as a dropped file), the import log, retry."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from litestar import Controller, Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import ServiceUnavailableException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import Body, FromPath, QueryParameter, SkipValidation

from crm_kit.errors import Conflict, Invalid, NotFound, TooLarge
from crm_kit.http import BlobRefCheck
from crm_kit.identity import Identity
from crm_kit.ids import new_id
from crm_kit.inbox import TRANSIENT
from crm_kit.pagination import Limit, Offset
from crm_kit.scoping import may_see_mail_import
from crm_kit.store import Database
from crm_kit.uploads import FileUpload
from crm_mail_ingest.api.schemas import MailImportList, MailImportOut
from crm_mail_ingest.domain.intake import safe_file_name
from crm_mail_ingest.folder import Claimed, ImportFolder
from crm_mail_ingest.importer import Importer
from crm_mail_ingest.store import repository

STATUSES = ("imported", "failed", "ignored", "duplicate", "retried")
UPLOAD_OVERHEAD = 64 * 1024  # multipart boundaries and part headers around the file itself


def too_large_message(size: int | None, limit: int) -> str:
    """Why an upload was refused, with the sizes in words."""
    what = f"the file is {_words(size)}" if size is not None else "the upload is too large"
    return f"{what}; the import limit is {_words(limit)} (CRM_MAIL_INGEST_MAX_FILE_BYTES): nothing was imported or kept"


def _words(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{size} bytes"


class MailImportController(Controller):
    path = "/api/mail-imports"
    tags = ["mail import"]

    @post("/", status_code=201)  # the body limit is set by upload_routes(), from the settings
    async def upload(
        self,
        importer: NamedDependency[SkipValidation[Importer]],
        folder: NamedDependency[SkipValidation[ImportFolder]],
        data: Annotated[FileUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> MailImportOut:
        """Import one exported email file (Outlook, Thunderbird text or .eml, in part `data`) like a dropped one."""
        content = await data.data.read()
        limit = importer.settings.max_file_bytes  # read now: an administrator may raise it
        if len(content) > limit:
            # Refused before anything is written to the import folder: a failed import would keep the file.
            raise TooLarge(too_large_message(len(content), limit), size=len(content), limit=limit)
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
        identity: NamedDependency[Identity],
        status: Annotated[
            str | None, QueryParameter(description="imported, failed, ignored, duplicate or retried")
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> MailImportList:
        """The import log the caller may see (``may_see_mail_import``), newest first: file, status, task, reason."""
        if status is not None and status not in STATUSES:
            raise Invalid(f"status must be one of {', '.join(STATUSES)}", status=status)
        async with db.read() as conn:
            rows, total = await repository.list_imports(
                conn, status=status, limit=limit, offset=offset, role=identity.role, staff_id=identity.staff_id
            )
        return MailImportList(items=[MailImportOut.from_row(r) for r in rows], total=total)

    @get("/{import_id:str}")
    async def get_import(
        self,
        db: NamedDependency[SkipValidation[Database]],
        identity: NamedDependency[Identity],
        import_id: FromPath[str],
    ) -> MailImportOut:
        """One import log entry; one the caller may not see is 404, as if it did not exist."""
        return MailImportOut.from_row(await _entry(db, import_id, identity))

    @post("/{import_id:str}/retry", status_code=201)
    async def retry(
        self,
        db: NamedDependency[SkipValidation[Database]],
        importer: NamedDependency[SkipValidation[Importer]],
        folder: NamedDependency[SkipValidation[ImportFolder]],
        identity: NamedDependency[Identity],
        import_id: FromPath[str],
    ) -> MailImportOut:
        """Import a failed file again (after fixing the cause); the old entry becomes 'retried'."""
        row = await _entry(db, import_id, identity)
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


def upload_routes(max_file_bytes: int) -> Router:
    """The mail import routes, the request body capped just above the file limit.

    Litestar refuses a larger body with 413 from its Content-Length, or once that many bytes have
    streamed in, before the multipart body is parsed; the handler then checks the file itself.
    """

    def too_large(_: Request[Any, Any, Any], __: RequestEntityTooLarge) -> Response[dict[str, Any]]:
        detail = too_large_message(None, max_file_bytes)
        return Response({"status_code": 413, "detail": detail, "extra": {"limit": max_file_bytes}}, status_code=413)

    return Router(
        path="/",
        route_handlers=[MailImportController],
        request_max_body_size=max_file_bytes + UPLOAD_OVERHEAD,
        exception_handlers={RequestEntityTooLarge: too_large},
    )


async def _import(importer: Importer, claimed: Claimed) -> dict[str, Any]:
    """Import one claimed file; a store outage is a 503 (the file stays in processing/ and is resumed)."""
    try:
        rows = await importer.import_files([claimed])
    except TRANSIENT:
        raise ServiceUnavailableException(
            "the import log is not available right now; the file is kept and will be imported when it is back"
        ) from None
    return rows[0]


async def _entry(db: Database, import_id: str, identity: Identity) -> dict[str, Any]:
    async with db.read() as conn:
        row = await repository.get_import(conn, import_id)
    if row is None or not may_see_mail_import(
        role=identity.role, staff_id=identity.staff_id, responsible_staff_id=row["responsible_staff_id"]
    ):
        raise NotFound(f"no mail import {import_id}")
    return row


def blob_check(db: Database) -> BlobRefCheck:
    """The gateway's blob check: a blob is readable through an import the caller may see (its attachments)."""

    async def check(identity: Identity, sha256: str) -> bool:
        async with db.read() as conn:
            return await repository.import_references_blob(conn, identity.role, identity.staff_id, sha256)

    return check
