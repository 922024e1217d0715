"""What a re-shown form's pickers show of the records it already holds: names, never bare ids or codes."""

from __future__ import annotations

from typing import Any

from crm_gateway.ui.api import ApiError
from crm_gateway.ui.pickers import article_choice, article_choices, contract_choice, document_choice

DOC = "0190a1b2-0000-7000-8000-000000000001"


class FakeApi:
    """The few GETs a picker choice makes, answered from a dict (a missing path is the service's 404)."""

    def __init__(self, records: dict[str, Any]) -> None:
        self.records = records
        self.asked: list[str] = []

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        self.asked.append(path)
        if path not in self.records:
            raise ApiError(404, f"no {path}")
        return self.records[path]


async def test_a_chosen_article_is_shown_as_code_and_name_and_an_unknown_one_by_its_code() -> None:
    api: Any = FakeApi({"/api/articles/SRV": {"code": "SRV", "name": "Oră de service"}})
    assert await article_choice(api, "SRV") == {"code": "SRV", "name": "SRV — Oră de service"}
    assert await article_choice(api, "GONE") == {"code": "GONE", "name": "GONE"}


async def test_no_article_or_text_that_is_no_code_asks_nothing_and_leaves_the_picker_empty() -> None:
    api: Any = FakeApi({})
    for value in (None, "", "  ", "../api/users", "a b"):
        assert await article_choice(api, value) == {"code": "", "name": ""}
    assert api.asked == []


async def test_a_re_shown_invoice_form_names_each_chosen_line_article_and_takes_a_repeated_field_last() -> None:
    api: Any = FakeApi({"/api/articles/LIC": {"code": "LIC", "name": "Licență ERP"}})
    form = {"line_code_0": ["SRV", "LIC"], "line_code_1": ""}
    chosen = await article_choices(api, form, ["line_code_0", "line_code_1", "line_code_2"])
    assert chosen == {
        "line_code_0": {"code": "LIC", "name": "LIC — Licență ERP"},
        "line_code_1": {"code": "", "name": ""},
        "line_code_2": {"code": "", "name": ""},
    }


async def test_a_chosen_document_or_contract_is_shown_by_its_number() -> None:
    api: Any = FakeApi(
        {f"/api/documents/{DOC}": {"number": "FCT-2026-000123"}, f"/api/contracts/{DOC}": {"number": "CTR-2026-7"}}
    )
    assert await document_choice(api, DOC) == {"id": DOC, "name": "FCT-2026-000123"}
    assert await contract_choice(api, DOC) == {"id": DOC, "name": "CTR-2026-7"}
    assert await document_choice(api, "not-an-id") == {"id": "", "name": ""}
