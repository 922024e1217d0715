"""The campaign pages in a browser, through the gateway: create, select members with a live count,
results with the monthly return chart and ROI as of a date, generated opportunities with progress."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from crm_contracts.commercial import ContractSigned, CostDocumentPosted, InvoiceIssued
from crm_contracts.common import Source
from crm_contracts.opportunities import OpportunityOpened
from crm_contracts.partners import PartnerRegistered
from crm_kit.ids import new_id
from crm_kit.testing import eventually, publish
from crm_kit.testing.stack import USER_PASSWORD, start_stack

pytestmark = pytest.mark.ui

D = Decimal


async def test_a_manager_runs_a_campaign_from_members_to_roi_as_of_a_date(
    service_env: Any, kafka_bootstrap: str, topics: str, page: Any
) -> None:
    directory = [
        PartnerRegistered(
            partner_id=new_id(), kind="client", name="Soft Cluj SRL", county="Cluj", activity_domain="IT"
        ),
        PartnerRegistered(partner_id=new_id(), kind="lead", name="Date Turda SRL", county="Cluj", activity_domain="IT"),
        PartnerRegistered(partner_id=new_id(), kind="client", name="Brutăria Iași", county="Iași"),
    ]
    await publish(kafka_bootstrap, topics, *directory)
    async with start_stack(service_env, ["campaigns"]) as stack:
        await stack.login(page)
        await page.goto(f"{stack.base_url}/campaigns")
        await page.fill("#new-campaign input[name=name]", "Lansare cloud")
        await page.fill("#new-campaign input[name=starts_on]", "2026-01-01")
        await page.fill("#new-campaign input[name=ends_on]", "2026-03-31")
        await page.fill("#new-campaign input[name=estimated_cost]", "1.000,00")
        await page.fill("#new-campaign input[name=return_months]", "3")
        await page.click("#new-campaign button[type=submit]")
        await page.wait_for_selector("#member-filter")
        campaign_id = UUID(page.url.rstrip("/").split("/")[-1].split("?")[0])

        # The filter builder counts as the user types, before anything is added.
        await page.select_option("#member-filter select[name=county]", "Cluj")
        await page.fill("#member-filter input[name=activity_domain]", "it")
        await page.wait_for_selector("#filter-count[data-matching='2']", timeout=30000)
        await page.click("#member-filter button[type=submit]")
        await page.wait_for_selector("#members-table")
        assert await page.locator("#members-table tbody tr").count() == 2

        # The ERP posts a cost for the campaign; a subscription from it is invoiced in two months.
        contract = ContractSigned(
            document_id=new_id(),
            partner_id=directory[0].partner_id,
            number="AB-7",
            issued_on=dt.date(2026, 1, 20),
            net=D("300.00"),
            vat=D("63.00"),
            gross=D("363.00"),
            kind="subscription",
            starts_on=dt.date(2026, 2, 1),
            monthly_value=D("300.00"),
            source=Source(campaign_id=campaign_id),
        )

        def bill(day: str, period: str) -> InvoiceIssued:
            invoice_id = new_id()
            return InvoiceIssued(
                document_id=invoice_id,
                invoice_id=invoice_id,
                partner_id=directory[0].partner_id,
                number=f"F-{period}",
                issued_on=dt.date.fromisoformat(day),
                net=D("300.00"),
                vat=D("63.00"),
                gross=D("363.00"),
                contract_id=contract.document_id,
                period=period,
            )

        await publish(
            kafka_bootstrap,
            topics,
            CostDocumentPosted(
                document_id=new_id(),
                kind="expense_report",
                number="DC-1",
                date=dt.date(2026, 1, 15),
                net=D("400.00"),
                vat=D("76.00"),
                campaign_id=campaign_id,
            ),
            contract,
            bill("2026-02-01", "2026-02"),
            bill("2026-03-01", "2026-03"),
        )

        async def counted() -> bool:
            results = (await stack.client.get(f"/api/campaigns/{campaign_id}/results")).json()
            return results["invoiced_revenue"] == "600.00" and results["realized_cost"] == "400.00"

        await eventually(counted)
        await page.goto(f"{stack.base_url}/campaigns/{campaign_id}")
        assert await page.inner_text("#realized-cost") == "400,00\xa0lei"
        assert await page.inner_text("#invoiced-revenue") == "600,00\xa0lei"
        assert await page.inner_text("#roi") == "50%"  # ROI as a percentage (#18)
        bars = page.locator("#return-chart g[data-month]")
        assert [await bars.nth(n).get_attribute("data-value") for n in range(3)] == ["0.00", "300.00", "300.00"]
        assert "Decont de cheltuieli" in await page.inner_text("#costs-table")  # the kind's name, not its code (#18)

        # Restated as of the end of February: one invoice only.
        await page.fill("#as-of-form input[name=as_of]", "2026-02-28")
        await page.click("#as-of-form button[type=submit]")
        await page.wait_for_selector("text=28.02.2026")
        assert await page.inner_text("#invoiced-revenue") == "300,00\xa0lei"
        assert await page.inner_text("#roi") == "-25%"

        # Generate opportunities for everyone, twice: each member is asked for once; progress follows.
        await page.goto(f"{stack.base_url}/campaigns/{campaign_id}")
        await page.click("#generate-selected")
        assert "Bifați cel puțin un membru" in await page.inner_text("#page-error")
        await page.click("#generate-all")
        await page.wait_for_selector("#progress[data-pending='2']")
        await page.click("#generate-all")
        await page.wait_for_selector("#progress")
        assert await page.inner_text("#progress [data-requested]") == "2"
        await publish(
            kafka_bootstrap,
            topics,
            OpportunityOpened(
                opportunity_id=new_id(),
                partner_id=directory[0].partner_id,
                title="Lansare cloud",
                potential=D("0"),
                probability=D(0),
                campaign_id=campaign_id,
            ),
        )
        await page.wait_for_selector("#progress[data-pending='1']", timeout=30000)
        assert await page.inner_text("#progress [data-opened]") == "1"
        assert "ROI = (venit facturat - cost realizat) / cost realizat" in await page.text_content("#help")


async def test_an_agent_sees_the_members_and_the_progress_but_no_action_a_manager_keeps(
    service_env: Any, kafka_bootstrap: str, topics: str, page: Any
) -> None:
    member = PartnerRegistered(partner_id=new_id(), kind="client", name="Beta Logistic SA", county="Iași")
    await publish(kafka_bootstrap, topics, member)
    async with start_stack(service_env, ["campaigns"]) as stack:
        created = await stack.client.post(
            "/api/campaigns", json={"name": "Toamnă", "starts_on": "2026-09-01", "ends_on": "2026-11-30"}
        )
        assert created.status_code == 201, created.text
        campaign_id = created.json()["id"]

        async def added() -> bool:
            answer = await stack.client.post(
                f"/api/campaigns/{campaign_id}/members", json={"partner_ids": [str(member.partner_id)]}
            )
            return answer.status_code in (200, 201) and answer.json()["member_count"] == 1

        await eventually(added)
        await stack.create_user("ioana", role="agent")
        await stack.login(page, "ioana", USER_PASSWORD)
        await page.goto(f"{stack.base_url}/campaigns/{campaign_id}")
        assert "Beta Logistic SA" in await page.inner_text("#members-table")
        for forbidden in (
            "#member-filter",
            "#member-pick",
            "form#generate",
            "[name=member_ids]",
            "[data-remove]",
            "#generate-selected",
            "#generate-all",
        ):
            assert await page.locator(forbidden).count() == 0, forbidden
        assert await page.inner_text("#opportunities h3") == "Oportunități generate"
        assert await page.locator("#progress [data-requested]").count() == 1
        await _shoot(page, "campaign-detail-agent-ro")
        await page.goto(f"{stack.base_url}/lang/en?next=/campaigns/{campaign_id}")
        assert await page.inner_text("#opportunities h3") == "Generated opportunities"
        await _shoot(page, "campaign-detail-agent-en")


async def _shoot(page: Any, name: str) -> None:
    """A full-page screenshot into $CRM_UI_SHOTS, when set (to look at the page in both languages)."""
    folder = os.environ.get("CRM_UI_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
