"""What a search-as-you-type picker (templates/_picker.html) shows before the user types: the chosen record."""

from __future__ import annotations

from typing import Any
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


async def _choice(api: ApiClient, collection: str, record_id: Any) -> dict[str, str]:
    chosen = str(record_id or "").strip()
    if not chosen:
        return {"id": "", "name": ""}
    try:
        record = await api.get(f"{collection}/{UUID(chosen)}")
    except ValueError:
        return {"id": "", "name": ""}  # not an id at all: the picker starts empty
    except ApiError:
        return {"id": chosen, "name": chosen}
    return {"id": chosen, "name": str(record.get("name") or chosen)}
