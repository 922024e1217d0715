"""The one reader of submitted web forms: typed values out of a form body, and picker data that may be missing.

Litestar hands a URL-encoded or multipart body over as a dict whose values are a string, a list of strings
(a repeated field) or an upload. Every area reads it through these helpers, so a blank field, a repeated
field and a number typed the Romanian way (``1.250,50``) mean the same thing on every page.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from litestar.datastructures import UploadFile

from crm_gateway.ui.api import ApiClient, ApiError

FormBody = Mapping[str, Any]


def text(form: FormBody, key: str) -> str | None:
    """The trimmed text of a field.

    Args:
        form: The submitted form body.
        key: The field name.

    Returns:
        The last value of the field, trimmed; None when it is missing, blank or a file upload.
    """
    value = form.get(key)
    if isinstance(value, list):
        value = value[-1] if value else None
    if value is None or isinstance(value, UploadFile):
        return None
    return str(value).strip() or None


def many(form: FormBody, key: str) -> list[str]:
    """Every non-blank value of a repeated field (ticked boxes, a multi-select), trimmed, in form order.

    Args:
        form: The submitted form body.
        key: The field name.

    Returns:
        The values; empty when the field is missing. Uploads are left out.
    """
    value = form.get(key)
    values = value if isinstance(value, list) else [] if value is None else [value]
    texts = (str(v).strip() for v in values if not isinstance(v, UploadFile) and v is not None)
    return [t for t in texts if t]


def number(typed: str | None) -> str | None:
    """A number typed the Romanian way (``1.250,50``) or plainly (``1250.50``), as the API's decimal string.

    Args:
        typed: The field's text (see ``text``).

    Returns:
        The plain decimal string; the text as typed when it is not a number, so that the API's
        validation names the field; None for None.
    """
    if typed is None:
        return None
    plain = typed.replace(" ", "")
    if "," in plain:
        plain = plain.replace(".", "").replace(",", ".")
    try:
        Decimal(plain)
    except InvalidOperation:
        return typed
    return plain


def whole(typed: str | None) -> int | str:
    """A whole number typed in a form; anything else goes to the API as typed, which names the field.

    Args:
        typed: The field's text (see ``text``); blank counts as 0.

    Returns:
        The number, or the text as typed.
    """
    try:
        return int(typed or "0")
    except ValueError:
        return typed or ""


async def optional(api: ApiClient, path: str, params: dict[str, Any] | None = None) -> Any | None:
    """Data from another service for a picker or a side panel; None when that service does not answer.

    Args:
        api: The caller's API client.
        path: The API path to read.
        params: Its query parameters.

    Returns:
        The parsed JSON, or None when the API refuses or is down.
    """
    try:
        return await api.get(path, params=params)
    except ApiError:
        return None


async def optional_page(api: ApiClient, path: str, params: dict[str, Any] | None = None) -> Any:
    """A page of records for a picker; an empty page (``{"items": [], "total": 0}``) when the service is down.

    Args:
        api: The caller's API client.
        path: The collection's API path.
        params: Its query parameters.

    Returns:
        The page as the API returns it, or an empty page.
    """
    page = await optional(api, path, params)
    return {"items": [], "total": 0} if page is None else page


async def optional_items(api: ApiClient, path: str, params: dict[str, Any] | None = None) -> list[Any]:
    """The items of a page of records for a picker; empty when the service is down.

    Args:
        api: The caller's API client.
        path: The collection's API path.
        params: Its query parameters.

    Returns:
        The page's items.
    """
    page = await optional(api, path, params)
    return list(page.get("items", [])) if isinstance(page, dict) else []
