"""Mail import area (I1-I3, C4): the import log with status filters and retry, and uploading an exported file.

Pages call the mail-ingest API as the logged-in user. An upload goes through the same path as a file
dropped into the import folder; the page then shows the new log entry (imported, duplicate, ignored or
failed with its reason).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import MediaType, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, MultipartBody
from litestar.response import Redirect, Template

from crm_gateway.ui.api import ApiClient, ApiError
from crm_gateway.ui.i18n import N_
from crm_gateway.ui.pickers import names_of, staff_choice

STATUSES = ("imported", "failed", "ignored", "duplicate", "retried")
PAGE = 50


async def _log_page(
    api: ApiClient,
    *,
    status: str | None,
    offset: int,
    error: ApiError | None = None,
    notice: dict[str, Any] | None = None,
) -> Template:
    page = await api.get(
        "/api/mail-imports", params={"status": status if status in STATUSES else None, "limit": PAGE, "offset": offset}
    )
    return Template(
        "mail_imports/list.html",
        context={
            "page": page,
            "status": status if status in STATUSES else "",
            "statuses": STATUSES,
            "offset": offset,
            "page_size": PAGE,
            "error": error,
            "notice": notice,
            "task_titles": await names_of(
                api, "/api/tasks", (i.get("task_id") for i in page["items"]), name_field="title"
            ),
        },
        status_code=error.status if error else 200,
    )


@get("/mail-imports", include_in_schema=False)
async def import_log(
    api: NamedDependency[ApiClient],
    status: FromQuery[str | None] = None,
    offset: FromQuery[int] = 0,
    done: FromQuery[str | None] = None,
) -> Template:
    """The import log, newest first, filtered by status; ``done`` shows the entry just uploaded or retried."""
    notice = None
    if done:
        try:
            notice = await api.get(f"/api/mail-imports/{done}")
        except ApiError:
            notice = None
    return await _log_page(api, status=status, offset=max(offset, 0), notice=notice)


@get("/mail-imports/{import_id:str}", include_in_schema=False)
async def import_entry(api: NamedDependency[ApiClient], import_id: FromPath[str]) -> Template:
    """One entry: the file, where it is now, sender, subject, partner, task, attachments, reason."""
    entry = await api.get(f"/api/mail-imports/{import_id}")
    responsible = await staff_choice(api, entry.get("responsible_staff_id"))
    return Template("mail_imports/detail.html", context={"entry": entry, "responsible": responsible})


@post("/mail-imports/upload", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def upload(
    api: NamedDependency[ApiClient],
    data: MultipartBody[dict[str, Any]],
) -> Redirect | Template:
    """Upload one exported file (Outlook text, Thunderbird text or .eml) into the import path."""
    file = data.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return await _log_page(api, status=None, offset=0, error=ApiError(422, N_("Alegeți un fișier exportat.")))
    content = await file.read()
    try:
        entry = await api.post(
            "/api/mail-imports",
            files={"data": (file.filename, content, file.content_type or "application/octet-stream")},
        )
    except ApiError as exc:
        return await _log_page(api, status=None, offset=0, error=exc)
    return Redirect(f"/mail-imports?{urlencode({'done': entry['id']})}", status_code=303)


@post("/mail-imports/{import_id:str}/retry", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def retry(api: NamedDependency[ApiClient], import_id: FromPath[str]) -> Redirect | Template:
    """Import a failed file again (after its cause was fixed)."""
    try:
        entry = await api.post(f"/api/mail-imports/{import_id}/retry")
    except ApiError as exc:
        return await _log_page(api, status="failed", offset=0, error=exc)
    return Redirect(f"/mail-imports?{urlencode({'done': entry['id']})}", status_code=303)


routes = [import_log, import_entry, upload, retry]
