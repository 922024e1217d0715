"""Mail import endpoints: upload (same path as a dropped file), the import log, retry; C4's settings."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any

from litestar import Controller, Request, Response, Router, get, post, put
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import ServiceUnavailableException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import Body, FromPath, JSONBody, QueryParameter, SkipValidation

from crm_kit.http import BlobRefCheck
from crm_kit.identity import Identity, requires_role
from crm_kit.inbox import TRANSIENT
from crm_kit.pagination import Limit, Offset
from crm_kit.uploads import FileUpload
from crm_mail_ingest.api.schemas import ImportSettingsIn, ImportSettingsOut, MailImportList, MailImportOut
from crm_mail_ingest.domain.importing import ImportRow, Viewer
from crm_mail_ingest.ports import ImportQuery
from crm_mail_ingest.service_layer import (
    ChangeImportSettings,
    RetryImport,
    UploadFile,
    UseCases,
    too_large_message,
)

UPLOAD_OVERHEAD = 64 * 1024  # multipart boundaries and part headers around the file itself
_UNAVAILABLE = "the import log is not available right now; the file is kept and will be imported when it is back"


def _viewer(identity: Identity) -> Viewer:
    return Viewer(role=identity.role, staff_id=identity.staff_id)


class MailImportController(Controller):
    """Upload a file, read the import log, retry a failed file."""

    path = "/api/mail-imports"
    tags = ["mail import"]

    @post("/", status_code=201)  # the body limit is set by upload_routes(), from the settings
    async def upload(
        self,
        uses: NamedDependency[SkipValidation[UseCases]],
        data: Annotated[FileUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> MailImportOut:
        """Import one exported email file (Outlook, Thunderbird text or .eml, in part `data`) like a dropped one."""
        command = UploadFile(content=await data.data.read(), file_name=data.data.filename or "")
        return MailImportOut.from_row(await _available(uses.upload(command)))

    @get("/")
    async def list_imports(
        self,
        uses: NamedDependency[SkipValidation[UseCases]],
        identity: NamedDependency[Identity],
        status: Annotated[
            str | None, QueryParameter(description="imported, failed, ignored, duplicate or retried")
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> MailImportList:
        """The import log the caller may see (``may_see_mail_import``), newest first: file, status, task, reason."""
        rows, total = await uses.imports(ImportQuery(_viewer(identity), status=status, limit=limit, offset=offset))
        return MailImportList(items=[MailImportOut.from_row(r) for r in rows], total=total)

    @get("/{import_id:str}")
    async def get_import(
        self,
        uses: NamedDependency[SkipValidation[UseCases]],
        identity: NamedDependency[Identity],
        import_id: FromPath[str],
    ) -> MailImportOut:
        """One import log entry; one the caller may not see is 404, as if it did not exist."""
        return MailImportOut.from_row(await uses.get(import_id, _viewer(identity)))

    @post("/{import_id:str}/retry", status_code=201)
    async def retry(
        self,
        uses: NamedDependency[SkipValidation[UseCases]],
        identity: NamedDependency[Identity],
        import_id: FromPath[str],
    ) -> MailImportOut:
        """Import a failed file again (after fixing the cause); the old entry becomes 'retried'."""
        return MailImportOut.from_row(await _available(uses.retry(RetryImport(import_id, _viewer(identity)))))


class ImportSettingsController(Controller):
    """C4: the import folder and the default export format (administrators: the folder is a path on this host)."""

    path = "/api/mail-import-settings"
    tags = ["mail import"]
    # Admins only, reading too: the watcher moves every file of the folder, and the path names the host's disk.
    guards = [requires_role("admin")]

    @get("/")
    async def show(self, uses: NamedDependency[SkipValidation[UseCases]]) -> ImportSettingsOut:
        """The import folder and default export format in force (saved, else the environment's)."""
        return ImportSettingsOut.of(await uses.import_settings())

    @put("/")
    async def change(
        self,
        uses: NamedDependency[SkipValidation[UseCases]],
        identity: NamedDependency[Identity],
        data: JSONBody[ImportSettingsIn],
    ) -> ImportSettingsOut:
        """Save them; the folder must exist here and be writable. The watcher takes files from it at its next scan."""
        command = ChangeImportSettings(data.folder, data.export_format, changed_by=identity.username)
        return ImportSettingsOut.of(await uses.change_import_settings(command))


def upload_routes(max_file_bytes: int) -> Router:
    """The mail import routes, the request body capped just above the file limit.

    Litestar refuses a larger body with 413 from its Content-Length, or once that many bytes have
    streamed in, before the multipart body is parsed; the handler then checks the file itself.
    """

    def too_large(_: Request[Any, Any, Any], __: RequestEntityTooLarge) -> Response[dict[str, Any]]:
        detail = too_large_message(None, max_file_bytes)
        # The code and params let the web UI say it in the user's language (crm_kit.errors' problem body).
        extra = {
            "limit": max_file_bytes,
            "code": "mail_import.upload_too_large",
            "params": {"limit_mb": f"{max_file_bytes / 1_048_576:.2f}"},
        }
        return Response({"status_code": 413, "detail": detail, "extra": extra}, status_code=413)

    return Router(
        path="/",
        route_handlers=[MailImportController],
        request_max_body_size=max_file_bytes + UPLOAD_OVERHEAD,
        exception_handlers={RequestEntityTooLarge: too_large},
    )


async def _available(importing: Awaitable[ImportRow]) -> ImportRow:
    """An import's row; a store outage is a 503 (the file stays in processing/ and is resumed)."""
    try:
        return await importing
    except TRANSIENT:
        raise ServiceUnavailableException(_UNAVAILABLE) from None


def blob_check(uses: UseCases) -> BlobRefCheck:
    """The gateway's blob check: a blob is readable through an import the caller may see (its attachments)."""

    async def check(identity: Identity, sha256: str) -> bool:
        return await uses.blob_visible(_viewer(identity), sha256)

    return check
