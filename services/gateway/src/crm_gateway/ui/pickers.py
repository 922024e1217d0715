"""What a search-as-you-type picker (templates/_picker.html) shows before the user types: the chosen record."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_gateway.ui.api import ApiClient, ApiError

PARTNER_SEARCH = "/api/partners/search"


async def partner_choice(api: ApiClient, partner_id: Any) -> dict[str, str]:
    """The id and name of the partner a form already holds, to show in its picker.

    Args:
        api: The caller's API client (its role decides what it may read).
        partner_id: The id in the form or the query string; blank when none is chosen yet.

    Returns:
        ``{"id": ..., "name": ...}``; both blank when nothing is chosen, the id as name when the
        partners service cannot say (the form still submits the id it was given).
    """
    chosen = str(partner_id or "").strip()
    if not chosen:
        return {"id": "", "name": ""}
    try:
        partner = await api.get(f"/api/partners/{UUID(chosen)}")
    except ValueError:
        return {"id": "", "name": ""}  # not an id at all: the picker starts empty
    except ApiError:
        return {"id": chosen, "name": chosen}
    return {"id": chosen, "name": str(partner.get("name") or chosen)}
