"""C4 in the web UI: the import folder and the default export format of mail-ingest (administrators only).

The folder is a path on the mail-ingest host; the service checks it there (it exists, it can write in
it, it is not a system folder) and refuses anything else with a code shown beside the field.
"""

from __future__ import annotations

from typing import Any

from litestar import MediaType, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from crm_gateway.domain.users import User
from crm_gateway.ui import forms, permissions
from crm_gateway.ui.api import ApiClient, ApiError
from crm_gateway.ui.i18n import CODES

API = "/api/mail-import-settings"
ACTION = "mail_import_settings.write"
"""Who may open the page (``ui/permissions.py``): the service's guard, mirrored."""


def _page(settings: dict[str, Any], *, error: ApiError | None = None, saved: bool = False) -> Template:
    return Template(
        "mail_imports/settings.html",
        context={"settings": settings, "formats": CODES["export_format"], "error": error, "saved": saved},
        status_code=error.status if error else 200,
    )


def _admin_only(user: User) -> None:
    """A forbidden page answers 403 before any service is called (the API's guard says the same)."""
    permissions.require(user.role, ACTION)


@get("/settings/mail-import", include_in_schema=False)
async def import_settings(
    api: NamedDependency[ApiClient], user: NamedDependency[User], saved: FromQuery[str | None] = None
) -> Template:
    """The import folder and the default export format in force, in a form to change them."""
    _admin_only(user)
    return _page(await api.get(API), saved=bool(saved))


@post("/settings/mail-import", include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def save_import_settings(
    api: NamedDependency[ApiClient], user: NamedDependency[User], data: URLEncodedBody[dict[str, Any]]
) -> Redirect | Template:
    """Save them; a refused value is shown beside its field, with what was typed kept in the form."""
    _admin_only(user)
    body = {"folder": forms.text(data, "folder") or "", "export_format": forms.text(data, "export_format") or ""}
    try:
        await api.put(API, json=body)
    except ApiError as exc:
        try:
            current = await api.get(API)  # who saved what, shown under what was typed
        except ApiError:
            current = {"saved": False}
        return _page({**current, **body}, error=exc)
    return Redirect("/settings/mail-import?saved=1", status_code=303)


routes = [import_settings, save_import_settings]
