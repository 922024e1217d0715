"""What a search-as-you-type picker (templates/_picker.html) shows before the user types: the chosen record."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote
from uuid import UUID

from crm_gateway.ui.api import ApiClient, ApiError


async def partner_choice(api: ApiClient, partner_id: Any) -> dict[str, str]:
    """The id and name of the partner a form already holds, to show in its picker.

    Args:
        api: The caller's API client (its role decides what it may read).
        partner_id: The id in the form or the query string; blank when none is chosen yet.

    Returns:
        ``{"id": ..., "name": ...}``; both blank when nothing is chosen, the id as name when the
        partners service cannot say (the form still submits the id it was given).
    """
    return await _choice(api, "/api/partners", partner_id)


async def staff_choice(api: ApiClient, staff_id: Any) -> dict[str, str]:
    """The id and name of the staff member a form already holds, to show in its picker (as partner_choice)."""
    return await _choice(api, "/api/staff", staff_id)


async def campaign_choice(api: ApiClient, campaign_id: Any) -> dict[str, str]:
    """The id and name of the campaign a form already holds, to show in its picker (as partner_choice)."""
    return await _choice(api, "/api/campaigns", campaign_id)


async def document_choice(api: ApiClient, document_id: Any) -> dict[str, str]:
    """The id and number of the document a form already holds, to show in its picker (as partner_choice)."""
    return await _choice(api, "/api/documents", document_id, name_field="number")


async def contract_choice(api: ApiClient, contract_id: Any) -> dict[str, str]:
    """The id and number of the contract a form already holds, to show in its picker (as document_choice)."""
    return await _choice(api, "/api/contracts", contract_id, name_field="number")


_ARTICLE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,39}$")


async def article_choice(api: ApiClient, code: Any) -> dict[str, str]:
    """The code and text of the article a form already holds, to show in its picker (``/api/articles/search``).

    Args:
        api: The caller's API client.
        code: The article code in the form; blank when none is chosen yet.

    Returns:
        ``{"code": ..., "name": "CODE — name"}`` as the picker shows a chosen article; both blank when nothing
        is chosen, the code alone when the catalogue cannot say (the form still submits the code).
    """
    chosen = str(code or "").strip()
    if not _ARTICLE_CODE.match(chosen):
        return {"code": "", "name": ""}
    try:
        article = await api.get(f"/api/articles/{quote(chosen, safe='')}")
    except ApiError:
        return {"code": chosen, "name": chosen}
    name = str(article.get("name") or "")
    return {"code": chosen, "name": f"{chosen} — {name}" if name else chosen}


async def article_choices(api: ApiClient, form: dict[str, Any], fields: list[str]) -> dict[str, dict[str, str]]:
    """``article_choice`` of each of a re-shown form's article fields (``line_code_0``, ...), by field name."""
    values = []
    for field in fields:
        value = form.get(field)
        if isinstance(value, list):  # a field sent twice: the last one is the form's value
            value = value[-1] if value else None
        values.append(value)
    # One lookup per chosen article, all at once (article_choice never raises for a missing article).
    chosen = await asyncio.gather(*(article_choice(api, value) for value in values))
    return dict(zip(fields, chosen, strict=True))


async def _choice(api: ApiClient, collection: str, record_id: Any, *, name_field: str = "name") -> dict[str, str]:
    chosen = str(record_id or "").strip()
    if not chosen:
        return {"id": "", "name": ""}
    try:
        record = await api.get(f"{collection}/{UUID(chosen)}")
    except ValueError:
        return {"id": "", "name": ""}  # not an id at all: the picker starts empty
    except ApiError:
        return {"id": chosen, "name": chosen}
    return {"id": chosen, "name": str(record.get(name_field) or chosen)}


async def names_of(api: ApiClient, collection: str, ids: Iterable[Any], *, name_field: str = "name") -> dict[str, str]:
    """The names of the records a page shows (its rows only, each id once, asked concurrently), by id.

    Args:
        api: The caller's API client (a record it may not read keeps its id as name).
        collection: The owning service's collection, e.g. ``/api/partners``.
        ids: The ids the shown rows hold; blanks and non-ids are skipped.
        name_field: The record's field that names it.

    Returns:
        ``{id: name}`` of the records found; an id the service cannot name is left out (the page says a word).
    """
    wanted = sorted({str(i).strip() for i in ids if i and str(i).strip()})
    choices = await asyncio.gather(*(_choice(api, collection, i, name_field=name_field) for i in wanted))
    return {choice["id"]: choice["name"] for choice in choices if choice["id"] and choice["name"] != choice["id"]}
