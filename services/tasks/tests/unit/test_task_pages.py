"""The use cases behind the task pages (#18): contract line picker (T5), hours per day (T6), the invoice made on
resolve or why none was (T9), the filtered report (T11), on fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from crm_kit.errors import Invalid
from crm_tasks.domain.model import ContractLineRef, ContractRef
from crm_tasks.service_layer import ChangeTask, CreateTask, MarkInvoiced, ReportFilter, ResolveTask

from .test_service_layer import MONDAY, Desk


@pytest.fixture
def desk() -> Desk:
    return Desk()


def two_line_contract(desk: Desk) -> ContractRef:
    contract = ContractRef(
        uuid4(),
        desk.acme,
        "CTR-7",
        "subscription",
        date(2026, 1, 1),
        None,
        (ContractLineRef(uuid4(), "ART-SUP"), ContractLineRef(uuid4(), "ART-INST", "Instalare imprimante")),
    )
    desk.repo.contracts[contract.id] = contract
    return contract


async def test_the_line_picker_lists_the_clients_contracts_in_force_with_each_line_named(desk: Desk) -> None:
    contract = two_line_contract(desk)
    ended = replace(contract, id=uuid4(), number="CTR-OLD", ends_on=date(2026, 2, 1))
    desk.repo.contracts[ended.id] = ended
    found = await desk.uses.client_contracts(desk.acme)
    assert [c.number for c in found.contracts] == ["CTR-7"]
    # a line without text is named by the catalogue service billed as its article
    assert [ln.name(found.services) for ln in found.contracts[0].lines] == ["Suport", "Instalare imprimante"]


async def test_a_line_chosen_on_a_task_is_shown_by_name_and_announced(desk: Desk) -> None:
    contract = two_line_contract(desk)
    task = await desk.task(partner_id=desk.acme)
    line = contract.lines[1]
    done = await desk.uses.change(
        ChangeTask(desk.who("ana"), task.id, {"contract_id": contract.id, "contract_line_id": line.line_id})
    )
    assert (done.task.contract_id, done.task.contract_line_id) == (contract.id, line.line_id)
    assert done.tasks.contracts[contract.id].line(line.line_id) == line
    _, changes = desk.publisher.of("task_updated")[0]
    assert changes == {"contract_id": str(contract.id), "contract_line_id": str(line.line_id)}


async def test_a_line_of_another_contract_or_another_clients_contract_is_refused_and_nothing_changes(
    desk: Desk,
) -> None:
    contract = two_line_contract(desk)
    other = replace(contract, id=uuid4(), partner_id=uuid4())
    desk.repo.contracts[other.id] = other
    task = await desk.task(partner_id=desk.acme)
    with pytest.raises(Invalid, match="not a line of contract"):
        await desk.uses.change(
            ChangeTask(desk.who("ana"), task.id, {"contract_id": contract.id, "contract_line_id": uuid4()})
        )
    with pytest.raises(Invalid, match="not a contract of this client"):
        await desk.uses.change(ChangeTask(desk.who("ana"), task.id, {"contract_id": other.id}))
    assert desk.repo.tasks[task.id].contract_id is None
    assert desk.publisher.calls == []


async def test_planning_ten_hours_for_an_eight_hour_person_on_a_free_day_is_flagged(desk: Desk) -> None:
    live = await desk.uses.live_checks(
        desk.who("ana"), responsible_staff_id=desk.ana, planned_start=MONDAY, planned_hours=Decimal(10)
    )
    assert live.checks.available is False
    assert live.checks.over_day is True
    assert live.checks.hours_per_day == Decimal(8)
    fits = await desk.uses.live_checks(
        desk.who("ana"), responsible_staff_id=desk.ana, planned_start=MONDAY, planned_hours=Decimal(8)
    )
    assert (fits.checks.available, fits.checks.over_day) == (True, False)


async def billable_request(desk: Desk) -> ResolveTask:
    task = await desk.task(partner_id=desk.acme, service_code="SUP", billable=True)
    return ResolveTask(desk.who("ana"), task.id)


async def test_a_resolved_uncovered_task_says_its_invoice_was_asked_for_then_names_it(desk: Desk) -> None:
    cmd = await billable_request(desk)
    await desk.uses.resolve(cmd)
    assert desk.publisher.names()[-1] == "invoice_requested"
    shown = await desk.uses.show(cmd.caller, cmd.task_id)
    assert shown.invoice is not None and shown.invoice.code == "requested"
    await desk.uses.mark_invoiced(MarkInvoiced(cmd.task_id, uuid4()))
    shown = await desk.uses.show(cmd.caller, cmd.task_id)
    assert shown.invoice is not None and shown.invoice.code == "invoiced"


async def test_a_task_covered_by_a_contract_says_which_contract_covers_it_instead_of_an_invoice(desk: Desk) -> None:
    contract = desk.contract()
    cmd = await billable_request(desk)
    await desk.uses.resolve(cmd)
    assert "invoice_requested" not in desk.publisher.names()
    shown = await desk.uses.show(cmd.caller, cmd.task_id)
    assert shown.invoice is not None
    assert (shown.invoice.code, shown.invoice.contract) == ("covered", contract)


async def test_a_task_that_is_not_billable_says_so_and_an_open_task_has_no_invoice_outcome(desk: Desk) -> None:
    task = await desk.task(partner_id=desk.acme, service_code="SUP")
    assert (await desk.uses.show(desk.who("ana"), task.id)).invoice is None
    await desk.uses.resolve(ResolveTask(desk.who("ana"), task.id))
    shown = await desk.uses.show(desk.who("ana"), task.id)
    assert shown.invoice is not None and shown.invoice.code == "not_billable"


async def test_the_report_filters_by_person_client_and_status_and_pages_with_the_total(desk: Desk) -> None:
    for n in range(3):
        await desk.task(title=f"Ana {n}", partner_id=desk.acme)
        desk.clock.advance(minutes=1)
    await desk.task(title="Bob", responsible_staff_id=desk.bob)
    admin = desk.who("admin", "admin")
    page = await desk.uses.report(admin, which=ReportFilter(responsible_staff_id=desk.ana, limit=2, offset=1))
    assert ([t.title for t in page.tasks.items], page.tasks.total) == (["Ana 1", "Ana 2"], 3)
    clients = await desk.uses.report(admin, which=ReportFilter(partner_id=desk.acme, status="open"))
    assert clients.tasks.total == 3
    assert (await desk.uses.report(admin, which=ReportFilter(status="resolved"))).tasks.total == 0
    with pytest.raises(Invalid, match="status is open or resolved"):
        await desk.uses.report(admin, which=ReportFilter(status="closed"))


async def test_a_task_created_with_its_contract_line_carries_the_contract_for_its_page(desk: Desk) -> None:
    contract = two_line_contract(desk)
    done = await desk.uses.create(
        CreateTask(
            desk.who("ana"),
            "Instalare",
            responsible_staff_id=desk.ana,
            partner_id=desk.acme,
            contract_id=contract.id,
            contract_line_id=contract.lines[1].line_id,
        )
    )
    assert done.tasks.contracts == {contract.id: contract}
    assert done.tasks.services == {"ART-SUP": "Suport"}
