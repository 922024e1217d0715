"""How a page reads what it shows (#18): independent reads at the same time, and no list read for two names."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import pytest

from crm_gateway.ui.api import ApiError, together
from crm_gateway.ui.areas.commercial import _documents_page, _invoice_page
from crm_gateway.ui.areas.partners import _partner_page
from crm_gateway.ui.areas.tasks import _task_page

PARTNER = "0190a1b2-0000-7000-8000-000000000001"
TASK = "0190a1b2-0000-7000-8000-000000000002"
SALES = "0190a1b2-0000-7000-8000-0000000000a1"
SERVICE = "0190a1b2-0000-7000-8000-0000000000a2"


class SlowApi:
    """GETs answered from a dict after a pause, counting how many are in flight at once (404 when missing)."""

    def __init__(self, records: dict[str, Any], pause: float = 0.02) -> None:
        self.records = records
        self.pause = pause
        self.asked: list[tuple[str, dict[str, Any] | None]] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        self.asked.append((path, params))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.pause)
        finally:
            self.in_flight -= 1
        if path not in self.records:
            raise ApiError(404, f"no {path}")
        return self.records[path]

    def paths(self) -> list[str]:
        return [path for path, _ in self.asked]


def partner_records(**partner: Any) -> dict[str, Any]:
    return {
        f"/api/partners/{PARTNER}": {"id": PARTNER, "name": "Beta SRL", "sites": [], "contacts": [], **partner},
        f"/api/partners/{PARTNER}/history": {"items": [], "total": 0},
        "/api/dossiers": {"items": [], "total": 0},
        f"/api/staff/{SALES}": {"id": SALES, "name": "Dana Marinescu"},
        f"/api/staff/{SERVICE}": {"id": SERVICE, "name": "Ion Popa"},
        "/api/staff": {"items": [{"id": SALES, "name": "Dana Marinescu"}], "total": 1},
    }


async def test_a_partner_page_names_its_reps_by_reading_only_those_two_staff_members_not_the_staff_list() -> None:
    api: Any = SlowApi(partner_records(sales_rep_staff_id=SALES, service_rep_staff_id=SERVICE))
    page = await _partner_page(api, UUID(PARTNER), kind=None, offset=0)
    assert page.context["staff"][SALES]["name"] == "Dana Marinescu"
    assert page.context["staff"][SERVICE]["name"] == "Ion Popa"
    assert "/api/staff" not in api.paths()
    staff_reads = sorted(p for p in api.paths() if p.startswith("/api/staff/"))
    assert staff_reads == [f"/api/staff/{SALES}", f"/api/staff/{SERVICE}"]


async def test_a_partner_page_reads_the_partner_its_history_its_dossiers_and_campaigns_at_the_same_time() -> None:
    api: Any = SlowApi(partner_records())
    await _partner_page(api, UUID(PARTNER), kind=None, offset=0)
    assert api.most_in_flight == 4
    assert not [p for p in api.paths() if p.startswith("/api/staff")]  # no rep: no staff read at all


async def test_a_rep_the_staff_directory_does_not_know_is_named_by_its_id() -> None:
    gone = "0190a1b2-0000-7000-8000-0000000000ff"
    api: Any = SlowApi(partner_records(sales_rep_staff_id=gone))
    page = await _partner_page(api, UUID(PARTNER), kind=None, offset=0)
    assert page.context["staff"] == {gone: {"id": gone, "name": gone}}


async def test_a_missing_partner_still_fails_the_page_with_the_partners_404() -> None:
    api: Any = SlowApi({})
    with pytest.raises(ApiError) as refused:
        await _partner_page(api, UUID(PARTNER), kind=None, offset=0)
    assert refused.value.status == 404 and refused.value.detail == f"no /api/partners/{PARTNER}"


def open_task(**task: Any) -> dict[str, Any]:
    return {
        "id": TASK,
        "status": "open",
        "partner_id": PARTNER,
        "responsible_staff_id": SALES,
        "planned_start": None,
        "planned_hours": None,
        "service_code": None,
        "invoice_id": None,
        **task,
    }


async def test_a_task_page_reads_everything_beside_the_task_at_the_same_time() -> None:
    api: Any = SlowApi(
        {
            f"/api/tasks/{TASK}": open_task(invoice_id=PARTNER),
            "/api/tasks/checks": {"availability": None},
            "/api/tasks/staff": {"items": [{"id": SALES, "name": "Dana"}], "total": 1},
            "/api/tasks/contracts": {"items": [{"id": "c1"}], "total": 1},
            f"/api/documents/{PARTNER}": {"number": "FCT-7"},
            "/api/services": {"items": [], "total": 0},
        }
    )
    page = await _task_page(api, UUID(TASK))
    assert api.paths()[0] == f"/api/tasks/{TASK}"
    assert api.most_in_flight == 5
    assert page.context["invoice_number"] == "FCT-7"
    assert page.context["contracts"] == [{"id": "c1"}]
    assert page.context["checks"] == {"availability": None}


async def test_a_resolved_task_page_asks_no_availability_and_no_contracts_but_still_its_clients_balance() -> None:
    balance = {"balance": "1250.50", "balance_currency": "RON", "available": None}
    api: Any = SlowApi(
        {
            f"/api/tasks/{TASK}": open_task(status="resolved", planned_start="2026-03-02T08:00:00Z", planned_hours="2"),
            "/api/tasks/staff": {"items": [], "total": 0},
            "/api/services": {"items": [], "total": 0},
            "/api/tasks/checks": balance,
        }
    )
    page = await _task_page(api, UUID(TASK))
    assert sorted(api.paths()) == sorted(
        [f"/api/tasks/{TASK}", "/api/tasks/staff", "/api/services", "/api/tasks/checks"]
    )
    assert dict(api.asked)["/api/tasks/checks"] == {"partner_id": PARTNER}  # the client alone: no plan to check
    assert page.context["checks"] is None and page.context["contracts"] == []
    assert page.context["balance"] == balance
    assert api.most_in_flight == 3  # the staff, the services and the balance: read together, not one after another


async def test_a_resolved_task_without_a_client_asks_for_no_balance() -> None:
    api: Any = SlowApi(
        {
            f"/api/tasks/{TASK}": open_task(status="resolved", partner_id=None),
            "/api/tasks/staff": {"items": [], "total": 0},
            "/api/services": {"items": [], "total": 0},
        }
    )
    page = await _task_page(api, UUID(TASK))
    assert "/api/tasks/checks" not in api.paths() and page.context["balance"] is None


async def test_a_partners_documents_page_reads_the_partner_documents_and_balance_at_the_same_time() -> None:
    api: Any = SlowApi(
        {
            f"/api/partners/{PARTNER}": {"id": PARTNER, "name": "Beta SRL"},
            "/api/documents": {"items": [{"id": "d1"}], "total": 1},
        }
    )
    page = await _documents_page(api, PARTNER, None)
    assert api.most_in_flight == 3
    assert page.context["partner"] == {"id": PARTNER, "name": "Beta SRL"}
    assert page.context["balance"] is None  # no balance yet: the page still shows


async def test_the_new_invoice_page_reads_the_partner_its_orders_and_contracts_at_the_same_time() -> None:
    api: Any = SlowApi(
        {
            f"/api/partners/{PARTNER}": {"id": PARTNER, "name": "Beta SRL"},
            "/api/documents": {"items": [{"id": "o1"}], "total": 1},
            "/api/contracts": {"items": [{"id": "c1"}], "total": 1},
        }
    )
    page = await _invoice_page(api, PARTNER)
    assert api.most_in_flight == 3
    assert (page.context["orders"], page.context["contracts"]) == ([{"id": "o1"}], [{"id": "c1"}])


async def test_the_new_invoice_page_without_a_partner_lists_nothing() -> None:
    api: Any = SlowApi({})
    page = await _invoice_page(api, None)
    assert api.asked == [] and page.context["orders"] == [] and page.context["contracts"] == []


async def test_together_answers_in_argument_order_and_raises_the_first_failure_in_that_order() -> None:
    async def answer(value: str, after: float) -> str:
        await asyncio.sleep(after)
        return value

    async def refuse(status: int, after: float) -> str:
        await asyncio.sleep(after)
        raise ApiError(status, str(status))

    assert await together(answer("a", 0.02), answer("b", 0.0)) == ("a", "b")
    # The later read fails first in time; the page still fails with the first read's error, as one after another.
    with pytest.raises(ApiError) as refused:
        await together(refuse(404, 0.03), refuse(422, 0.0))
    assert refused.value.status == 404
