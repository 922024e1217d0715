"""A page's own refusal of an address that names nothing reads in the user's language, not in English."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from crm_gateway.ui import problems
from crm_gateway.ui.api import ApiError
from crm_gateway.ui.areas.opportunities import offer_view


class OpportunityWithoutOffers:
    """An API client whose opportunity has no documents (the offer in the address is not one of its)."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def get(self, path: str, **_: Any) -> dict[str, Any]:
        self.paths.append(path)
        return {"id": "o1", "documents": []}


async def test_an_offer_that_is_not_the_opportunitys_is_not_found_in_each_language() -> None:
    api = OpportunityWithoutOffers()
    opportunity_id = uuid4()
    with pytest.raises(ApiError) as gone:
        await offer_view.fn(api=api, opportunity_id=opportunity_id, offer_id=uuid4())
    assert gone.value.status == 404
    assert problems.message("ro", gone.value) == "Nu a fost găsit."
    assert problems.message("en", gone.value) == "Not found."
    assert api.paths == [f"/api/opportunities/{opportunity_id}"]  # nothing more was asked for
