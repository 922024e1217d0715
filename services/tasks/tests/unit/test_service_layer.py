"""Every tasks use case against in-memory fakes of its ports: the rule's outcome, what was announced, the rollback."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from crm_kit.errors import Conflict, Forbidden, Invalid, NotFound
from crm_kit.testing.fakes import FakeClock, FakeUnitOfWork
from crm_tasks.domain import rules
from crm_tasks.domain.model import (
    Alert,
    AttachmentRef,
    Caller,
    CatalogueService,
    ContractLineRef,
    ContractRef,
    PartnerRef,
    StaffMember,
    Task,
)
from crm_tasks.ports import Publisher, Repository
from crm_tasks.service_layer import (
    AddService,
    ChangeReminderSettings,
    ChangeTask,
    CreateTask,
    DraftContract,
    EndContract,
    FireDueReminders,
    LaunchBroadcast,
    MarkInvoiced,
    RecordBalance,
    RecordPartner,
    RecordSignedContract,
    RecordStaffMember,
    ReopenTask,
    ReplyToTask,
    ResolveTask,
    ScheduleFollowUp,
    TakeIncomingTask,
    UseCases,
)

from .fakes import FakeBlobs, FakePrinter, FakePublisher, InMemoryRepository

MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@dataclass
class Desk:
    """The use cases on fakes, and the people and clients every test starts with."""

    repo: InMemoryRepository = field(default_factory=InMemoryRepository)
    publisher: FakePublisher = field(default_factory=FakePublisher)
    clock: FakeClock = field(default_factory=lambda: FakeClock(MONDAY))
    blobs: FakeBlobs = field(default_factory=FakeBlobs)
    printer: FakePrinter = field(default_factory=FakePrinter)
    ana: UUID = field(default_factory=uuid4)
    bob: UUID = field(default_factory=uuid4)
    acme: UUID = field(default_factory=uuid4)

    def __post_init__(self) -> None:
        # Typed by the ports, so mypy checks the fakes against the Protocols.
        self.uow: FakeUnitOfWork[Repository, Publisher] = FakeUnitOfWork(self.repo, self.publisher, self.clock)
        self.uses = UseCases(self.uow, blobs=self.blobs, printer=self.printer, clock=self.clock)
        self.repo.staff[self.ana] = StaffMember(self.ana, "Ana", "ana@x.ro", "ana", Decimal(8), ("suport",), "suport")
        self.repo.staff[self.bob] = StaffMember(self.bob, "Bob", "bob@x.ro", "bob", Decimal(8), (), "vanzari")
        self.repo.partners[self.acme] = PartnerRef(self.acme, "Acme SRL", "client", self.bob, self.ana)
        self.repo.catalogue["SUP"] = CatalogueService("SUP", "Suport", Decimal(100), "ART-SUP")

    def who(self, name: str, role: str = "agent") -> Caller:
        return Caller(role, self.ana if name == "ana" else self.bob if name == "bob" else None, name)

    async def task(self, by: str = "ana", **kw: object) -> Task:
        values: dict[str, object] = {"title": "Raport", "responsible_staff_id": self.ana}
        values.update(kw)
        done = await self.uses.create(CreateTask(self.who(by), **values))  # type: ignore[arg-type]
        self.publisher.calls.clear()
        return done.task

    def contract(self, ends_on: date | None = None, article: str = "ART-SUP") -> ContractRef:
        contract = ContractRef(
            uuid4(), self.acme, "CTR-1", "subscription", date(2026, 1, 1), ends_on, (ContractLineRef(uuid4(), article),)
        )
        self.repo.contracts[contract.id] = contract
        return contract


@pytest.fixture
def desk() -> Desk:
    return Desk()


# --- create


async def test_a_client_request_without_a_responsible_goes_to_the_service_rep_and_takes_the_covering_contract(
    desk: Desk,
) -> None:
    contract = desk.contract()
    desk.repo.balances[desk.acme] = (Decimal("12.50"), "RON")
    done = await desk.uses.create(CreateTask(desk.who("bob"), "Imprimanta", partner_id=desk.acme, service_code="SUP"))
    task = done.task
    assert task.responsible_staff_id == desk.ana  # T4: the service rep
    assert task.source == "client_request"
    assert (task.contract_id, task.contract_line_id) == (contract.id, contract.lines[0].line_id)
    assert done.checks.covers_service is True
    assert done.checks.balance == (Decimal("12.50"), "RON")
    assert done.tasks.partners == {desk.acme: "Acme SRL"}
    assert desk.publisher.of("task_created") == [task]
    assert desk.repo.tasks[task.id].registered_at == MONDAY


async def test_a_task_for_a_client_without_representatives_is_refused_and_nothing_is_stored(desk: Desk) -> None:
    lonely = uuid4()
    desk.repo.partners[lonely] = PartnerRef(lonely, "Singur SRL", "client")
    with pytest.raises(Invalid, match="no service or sales representative"):
        await desk.uses.create(CreateTask(desk.who("bob"), "Oferta", partner_id=lonely))
    assert desk.repo.tasks == {}
    assert desk.publisher.calls == []


async def test_a_new_task_warns_of_availability_conflicts_hiding_titles_the_caller_may_not_see(desk: Desk) -> None:
    await desk.task(title="Concediere", planned_start=MONDAY, planned_hours=Decimal(6))
    done = await desk.uses.create(
        CreateTask(
            desk.who("bob"), "Audit", responsible_staff_id=desk.ana, planned_start=MONDAY, planned_hours=Decimal(4)
        )
    )
    assert done.checks.available is False
    [conflict] = done.checks.conflicts
    assert conflict.title == "Concediere"
    assert conflict.task_id in done.checks.hidden  # Bob's caller may not see Ana's own task


async def test_a_task_without_a_responsible_or_client_or_with_a_left_colleague_is_refused(desk: Desk) -> None:
    with pytest.raises(Invalid, match="a client to take it from"):
        await desk.uses.create(CreateTask(desk.who("ana"), "Nimeni"))
    gone = uuid4()
    desk.repo.staff[gone] = StaffMember(gone, "Dan", active=False)
    with pytest.raises(Invalid, match="has left"):
        await desk.uses.create(CreateTask(desk.who("ana"), "Dan", responsible_staff_id=gone))
    assert (desk.repo.tasks, desk.publisher.calls, desk.uow.rollbacks) == ({}, [], 2)


# --- change


async def test_a_new_responsible_is_told_and_a_new_deadline_replans_the_reminders(desk: Desk) -> None:
    task = await desk.task(deadline=MONDAY + timedelta(days=3))
    before = {r.remind_at for r in desk.repo.reminders.values()}
    done = await desk.uses.change(
        ChangeTask(desk.who("ana"), task.id, {"responsible_staff_id": desk.bob, "deadline": MONDAY + timedelta(days=5)})
    )
    assert done.task.responsible_staff_id == desk.bob
    assert desk.publisher.names() == ["task_updated", "task_assigned"]
    _, changes = desk.publisher.of("task_updated")[0]
    assert set(changes) == {"responsible_staff_id", "deadline"}
    assert {r.remind_at for r in desk.repo.reminders.values()} != before


async def test_emptying_the_title_or_the_responsible_is_refused_and_nothing_changes(desk: Desk) -> None:
    task = await desk.task()
    for changes in ({"title": None}, {"responsible_staff_id": None}, {"status": "resolved"}):
        with pytest.raises(Invalid):
            await desk.uses.change(ChangeTask(desk.who("ana"), task.id, changes))
    assert desk.repo.tasks[task.id].title == "Raport"
    assert desk.publisher.calls == []


async def test_a_change_that_breaks_the_billing_rule_rolls_back(desk: Desk) -> None:
    task = await desk.task()
    with pytest.raises(Invalid, match="billable task needs a client"):
        await desk.uses.change(ChangeTask(desk.who("ana"), task.id, {"billable": True, "title": "Nou"}))
    assert desk.repo.tasks[task.id].title == "Raport"
    assert desk.uow.rollbacks == 1


# --- reply


async def test_a_reply_is_kept_on_the_thread_and_tells_the_issuer(desk: Desk) -> None:
    task = await desk.task()
    reply = await desk.uses.reply(ReplyToTask(desk.who("ana"), task.id, "  Gata  "))
    assert reply.text == "Gata"
    assert desk.repo.replies == [reply]
    assert desk.publisher.names() == ["task_replied"]
    with pytest.raises(Forbidden):
        await desk.uses.reply(ReplyToTask(desk.who("bob"), task.id, "Eu?"))
    with pytest.raises(Invalid, match="needs some text"):
        await desk.uses.reply(ReplyToTask(desk.who("ana"), task.id, "   "))
    assert len(desk.repo.replies) == 1


# --- resolve


async def test_resolving_a_billable_uncovered_task_issues_the_estimate_printout_and_asks_for_an_invoice(
    desk: Desk,
) -> None:
    task = await desk.task(partner_id=desk.acme, service_code="SUP", billable=True)
    desk.clock.advance(minutes=50)
    done = await desk.uses.resolve(ResolveTask(desk.who("ana"), task.id))
    resolved = done.items[0]
    assert resolved.status == "resolved"
    assert resolved.hours == Decimal("1.00")  # 50 minutes, up to the quarter hour
    assert resolved.estimate is not None
    assert resolved.estimate.total == Decimal("100.00")
    assert resolved.estimate.printout_sha256 in desk.blobs.stored
    assert desk.printer.printed == [(task.id, "Acme SRL")]
    assert desk.publisher.names() == ["task_resolved", "estimate_issued", "invoice_requested"]


async def test_a_covered_task_gets_an_estimate_but_no_invoice_and_a_second_resolve_is_a_conflict(desk: Desk) -> None:
    desk.contract()
    task = await desk.task(partner_id=desk.acme, service_code="SUP", billable=True)
    await desk.uses.resolve(ResolveTask(desk.who("ana"), task.id))
    assert desk.publisher.names() == ["task_resolved", "estimate_issued"]
    with pytest.raises(Conflict, match="already resolved at 2026-03-02 10:00 by ana"):
        await desk.uses.resolve(ResolveTask(desk.who("ana"), task.id))
    assert len(desk.publisher.calls) == 2


async def test_the_resolve_that_loses_the_race_is_told_who_won_and_announces_nothing(desk: Desk) -> None:
    task = await desk.task()
    won = desk.repo.tasks[task.id]
    won.status, won.resolved_at, won.resolved_by = "resolved", MONDAY, "bob"
    real_get = desk.repo.get_task

    async def stale(task_id: UUID, *, for_update: bool = False) -> Task | None:
        found = await real_get(task_id)
        assert found is not None
        found.status, found.resolved_at, found.resolved_by = "open", None, None  # read before the winner committed
        return found

    desk.repo.get_task = stale  # type: ignore[method-assign]
    with pytest.raises(Conflict, match="by bob"):
        await desk.uses.resolve(ResolveTask(desk.who("ana"), task.id))
    assert desk.publisher.calls == []


# --- reopen


async def test_a_resolved_task_reopens_with_its_reminders_but_an_invoiced_one_does_not(desk: Desk) -> None:
    task = await desk.task(deadline=MONDAY + timedelta(days=3))
    await desk.uses.resolve(ResolveTask(desk.who("ana"), task.id))
    assert desk.repo.reminders == {}
    done = await desk.uses.reopen(ReopenTask(desk.who("ana"), task.id))
    assert done.items[0].status == "open"
    assert desk.repo.reminders != {}
    assert desk.publisher.names()[-1] == "task_reopened"
    await desk.uses.resolve(ResolveTask(desk.who("ana"), task.id))
    desk.repo.tasks[task.id].invoiced = True
    with pytest.raises(Conflict, match="invoiced already"):
        await desk.uses.reopen(ReopenTask(desk.who("ana"), task.id))
    with pytest.raises(Conflict, match="only a resolved task"):
        await desk.uses.reopen(ReopenTask(desk.who("ana"), (await desk.task()).id))


# --- draft a contract


async def test_a_contract_is_requested_once_for_a_client_request_without_cover(desk: Desk) -> None:
    task = await desk.task(partner_id=desk.acme, service_code="SUP", planned_start=MONDAY, planned_hours=Decimal(3))
    request_id = await desk.uses.draft_contract(DraftContract(desk.who("ana"), task.id, "subscription", months=12))
    assert desk.publisher.of("contract_requested") == [(request_id, "subscription", date(2026, 3, 2), 12, Decimal(3))]
    with pytest.raises(Conflict, match="already requested"):
        await desk.uses.draft_contract(DraftContract(desk.who("ana"), task.id))
    assert desk.repo.tasks[task.id].contract_request_id == request_id


async def test_no_contract_is_requested_when_one_covers_the_service_or_the_task_is_not_a_request(desk: Desk) -> None:
    desk.contract()
    covered = await desk.task(partner_id=desk.acme, service_code="SUP")
    with pytest.raises(Conflict, match="CTR-1 already covers"):
        await desk.uses.draft_contract(DraftContract(desk.who("ana"), covered.id))
    with pytest.raises(Conflict, match="needs a client and a service"):
        await desk.uses.draft_contract(DraftContract(desk.who("ana"), (await desk.task()).id))
    with pytest.raises(Invalid, match="months"):
        await desk.uses.draft_contract(DraftContract(desk.who("ana"), covered.id, months=500))
    assert desk.publisher.calls == []


# --- broadcast


async def test_a_broadcast_makes_one_task_per_active_recipient_and_launches_once(desk: Desk) -> None:
    key = uuid4()
    cmd = LaunchBroadcast(desk.who("bob"), "Inventar", staff_ids=[desk.bob], categories=["suport"], broadcast_id=key)
    launched = await desk.uses.launch_broadcast(cmd)
    assert {t.responsible_staff_id for t in launched.tasks.items} == {desk.ana, desk.bob}
    assert {t.broadcast_id for t in launched.tasks.items} == {key}
    assert desk.publisher.names() == ["task_created", "task_created"]
    with pytest.raises(Conflict, match="'Inventar' was already launched at 2026-03-02 10:00 by bob"):
        await desk.uses.launch_broadcast(cmd)
    assert len(desk.repo.tasks) == 2
    with pytest.raises(Invalid, match="categories nimeni"):
        await desk.uses.launch_broadcast(LaunchBroadcast(desk.who("bob"), "X", categories=["nimeni"]))


async def test_a_broadcast_to_a_whole_category_writes_its_tasks_and_their_events_once_each(desk: Desk) -> None:
    for n in range(300):
        member = uuid4()
        desk.repo.staff[member] = StaffMember(member, f"Om {n}", f"om{n}@x.ro", f"om{n}", Decimal(8), ("depozit",))
    key, deadline = uuid4(), MONDAY + timedelta(days=7)
    cmd = LaunchBroadcast(desk.who("bob"), "Inventar", categories=["depozit"], deadline=deadline, broadcast_id=key)
    launched = await desk.uses.launch_broadcast(cmd)
    assert len(launched.tasks.items) == 300
    assert (desk.repo.task_writes, desk.publisher.batches) == ([300], [300])  # not one write per task
    assert {task_id for task_id, _ in desk.repo.reminders} == set(desk.repo.tasks)  # each planned its reminders
    with pytest.raises(Conflict, match="already launched"):
        await desk.uses.launch_broadcast(cmd)  # the same launch again (a retried POST): nothing twice
    assert (len(desk.repo.tasks), desk.repo.task_writes, desk.publisher.batches) == (300, [300], [300])


# --- catalogue and settings


async def test_a_service_is_added_trimmed_once(desk: Desk) -> None:
    added = await desk.uses.add_service(AddService(" INST ", " Instalare ", Decimal("80.5"), " ART-I "))
    assert added == CatalogueService("INST", "Instalare", Decimal("80.50"), "ART-I")
    with pytest.raises(Conflict, match="exists already"):
        await desk.uses.add_service(AddService("INST", "Alta", Decimal(1), "A"))
    with pytest.raises(Invalid, match="hourly rate"):
        await desk.uses.add_service(AddService("NEG", "Negativ", Decimal(-1), "A"))
    assert sorted(desk.repo.catalogue) == ["INST", "SUP"]


async def test_reminder_settings_are_kept_and_a_reminder_five_days_before_is_refused(desk: Desk) -> None:
    kept = await desk.uses.change_reminder_settings(ChangeReminderSettings(False, True, 2, 10))
    assert desk.repo.settings == kept
    with pytest.raises(Invalid, match="1, 2 or 3 days"):
        await desk.uses.change_reminder_settings(ChangeReminderSettings(True, True, 5, 10))
    assert desk.repo.settings == kept
    assert await desk.uses.reminder_settings() == kept


# --- the scheduler


async def test_due_reminders_fire_once_each_in_batches(desk: Desk) -> None:
    for hours in (1, 2, 3):
        await desk.task(deadline=MONDAY + timedelta(days=1, hours=hours), alert=Alert("email", 1))
    assert await desk.uses.fire_due_reminders(FireDueReminders(limit=2)) == 0
    desk.clock.advance(hours=5)
    assert await desk.uses.fire_due_reminders(FireDueReminders(limit=2)) == 2
    assert await desk.uses.fire_due_reminders(FireDueReminders(limit=2)) == 1
    assert await desk.uses.fire_due_reminders(FireDueReminders(limit=2)) == 0
    fired = desk.publisher.of("task_due")
    assert [r.channel for r in fired] == ["email"] * 3
    assert len({r.task_id for r in fired}) == 3


# --- events from other services


async def test_staff_and_partner_events_keep_the_read_models(desk: Desk) -> None:
    carla = StaffMember(uuid4(), "Carla", team="suport")
    await desk.uses.staff_changed(RecordStaffMember(carla))
    beta = PartnerRef(uuid4(), "Beta", "client", sales_rep_staff_id=carla.id)
    await desk.uses.partner_changed(RecordPartner(beta))
    assert desk.repo.staff[carla.id] == carla
    assert desk.repo.partners[beta.id] == beta
    assert desk.publisher.calls == []


async def test_a_batch_of_registrations_keeps_new_partners_and_leaves_known_ones_as_they_are(desk: Desk) -> None:
    gamma, delta = PartnerRef(uuid4(), "Gamma", "client"), PartnerRef(uuid4(), "Delta", "supplier")
    await desk.uses.partner_changed(RecordPartner(PartnerRef(delta.id, "Delta Nou", "supplier")))
    await desk.uses.partners_registered([RecordPartner(gamma), RecordPartner(delta), RecordPartner(gamma)])
    assert desk.repo.partners[gamma.id] == gamma
    assert desk.repo.partners[delta.id].name == "Delta Nou"  # a replayed registration does not undo a change
    assert desk.publisher.calls == []


async def test_a_contract_signed_for_a_tasks_request_becomes_the_tasks_contract_once(desk: Desk) -> None:
    task = await desk.task(partner_id=desk.acme, service_code="SUP")
    contract = ContractRef(
        uuid4(), desk.acme, "CTR-9", "commercial", date(2026, 3, 1), None, (ContractLineRef(uuid4(), "ART-SUP"),)
    )
    await desk.uses.contract_signed(RecordSignedContract(contract, task.id))
    stored = desk.repo.tasks[task.id]
    assert (stored.contract_id, stored.contract_line_id) == (contract.id, contract.lines[0].line_id)
    other = ContractRef(uuid4(), desk.acme, "CTR-10", "commercial", date(2026, 3, 1), None)
    await desk.uses.contract_signed(RecordSignedContract(other, task.id))
    assert desk.repo.tasks[task.id].contract_id == contract.id
    assert set(desk.repo.contracts) == {contract.id, other.id}


async def test_an_ended_contract_no_longer_covers_the_service(desk: Desk) -> None:
    contract = desk.contract()
    await desk.uses.contract_ended(EndContract(contract.id, date(2026, 2, 1)))
    live = await desk.uses.live_checks(desk.who("ana"), partner_id=desk.acme, service_code="SUP")
    assert live.checks.covers_service is False


async def test_a_balance_change_shows_in_the_checks(desk: Desk) -> None:
    await desk.uses.balance_changed(RecordBalance(desk.acme, Decimal("-40"), "RON"))
    live = await desk.uses.live_checks(desk.who("ana"), partner_id=desk.acme)
    assert live.checks.balance == (Decimal("-40"), "RON")


async def test_a_client_with_no_balance_yet_owes_zero_in_the_checks_and_no_client_has_no_balance(desk: Desk) -> None:
    live = await desk.uses.live_checks(desk.who("ana"), partner_id=desk.acme)
    assert live.checks.balance == (Decimal(0), "RON")  # nothing invoiced or paid: 0, not unknown
    assert (await desk.uses.live_checks(desk.who("ana"))).checks.balance is None


async def test_an_invoice_for_a_task_marks_it_invoiced_once(desk: Desk) -> None:
    task = await desk.task()
    invoice = uuid4()
    assert await desk.uses.mark_invoiced(MarkInvoiced(task.id, invoice)) is True
    assert await desk.uses.mark_invoiced(MarkInvoiced(task.id, uuid4())) is False
    assert await desk.uses.mark_invoiced(MarkInvoiced(uuid4(), invoice)) is False
    assert desk.repo.tasks[task.id].invoice_id == invoice
    assert [t.invoice_id for t in desk.publisher.of("task_invoiced")] == [invoice]


async def test_a_follow_up_becomes_one_task_for_the_delegate_however_often_it_arrives(desk: Desk) -> None:
    opportunity = uuid4()
    cmd = ScheduleFollowUp(opportunity, "offer", desk.bob, MONDAY + timedelta(days=2), "Acme ERP", "Sună", desk.acme)
    assert await desk.uses.schedule_follow_up(cmd) is True
    assert await desk.uses.schedule_follow_up(cmd) is False
    [task] = desk.repo.tasks.values()
    assert task.id == rules.follow_up_task_id(opportunity, "offer", desk.bob, cmd.follow_up_at)
    assert (task.title, task.source, task.responsible_staff_id) == ("Follow-up: Acme ERP", "follow_up", desk.bob)
    assert task.origin == {"opportunity_id": str(opportunity)}
    assert desk.publisher.names() == ["task_created"]


async def test_a_follow_up_scheduled_by_a_user_without_a_staff_record_names_their_login_as_issuer(desk: Desk) -> None:
    cmd = ScheduleFollowUp(uuid4(), "offer", desk.bob, MONDAY + timedelta(days=2), "Acme ERP", created_by_user="admin")
    assert await desk.uses.schedule_follow_up(cmd) is True
    [task] = desk.repo.tasks.values()
    assert (task.creator_staff_id, task.creator_user) == (None, "admin")
    [created] = desk.publisher.of("task_created")
    assert created.creator_user == "admin"  # the TaskCreated says who issued it, too


async def test_an_emailed_task_without_a_responsible_goes_to_the_service_rep_once(desk: Desk) -> None:
    emailed = Task(uuid4(), "Imprimanta", "", "email", None, MONDAY, partner_id=desk.acme)
    assert await desk.uses.take_incoming_task(TakeIncomingTask(emailed)) is True
    assert await desk.uses.take_incoming_task(TakeIncomingTask(emailed)) is False
    assert desk.repo.tasks[emailed.id].responsible_staff_id == desk.ana
    [(task, previous, by)] = desk.publisher.of("task_assigned")
    assert (task.id, previous, by) == (emailed.id, None, None)
    stranger = Task(uuid4(), "Spam?", "", "email", None, MONDAY)
    assert await desk.uses.take_incoming_task(TakeIncomingTask(stranger)) is True
    assert desk.repo.tasks[stranger.id].responsible_staff_id is None  # triage
    assert len(desk.publisher.of("task_assigned")) == 1


async def test_a_redelivered_batch_of_task_created_stores_and_assigns_each_new_task_once(desk: Desk) -> None:
    own = await desk.task(title="Al nostru")
    emailed = Task(uuid4(), "Imprimanta", "", "email", None, MONDAY, partner_id=desk.acme)
    batch = [TakeIncomingTask(own), TakeIncomingTask(emailed), TakeIncomingTask(emailed)]
    assert await desk.uses.take_incoming_tasks(batch) == 1
    assert await desk.uses.take_incoming_tasks(batch) == 0  # the whole batch again
    assert set(desk.repo.tasks) == {own.id, emailed.id}
    assert desk.repo.tasks[emailed.id].responsible_staff_id == desk.ana  # T4: the service rep
    assert [task.id for task, _, _ in desk.publisher.of("task_assigned")] == [emailed.id]


# --- queries


async def test_agents_list_the_tasks_for_and_from_them_managers_their_teams_admins_all(desk: Desk) -> None:
    mine = await desk.task()
    theirs = await desk.task(by="bob", responsible_staff_id=desk.bob)
    assert [t.id for t in (await desk.uses.list_tasks(desk.who("ana"))).items] == [mine.id]
    everything = await desk.uses.list_tasks(desk.who("root", "admin"))
    assert {t.id for t in everything.items} == {mine.id, theirs.id}
    assert everything.total == 2
    assert (await desk.uses.list_tasks(desk.who("bob"), view="for-me")).items[0].id == theirs.id
    with pytest.raises(Invalid, match="view is all"):
        await desk.uses.list_tasks(desk.who("ana"), view="mine")


async def test_open_tasks_can_be_listed_soonest_deadline_first_with_no_deadline_last_and_paged(desk: Desk) -> None:
    later = await desk.task(title="Later", deadline=MONDAY + timedelta(days=5))
    undated = await desk.task(title="Undated")
    sooner = await desk.task(title="Sooner", deadline=MONDAY + timedelta(days=1))
    admin = desk.who("root", "admin")
    due = await desk.uses.list_tasks(admin, status="open", order="deadline")
    assert [t.id for t in due.items] == [sooner.id, later.id, undated.id]
    second = await desk.uses.list_tasks(admin, status="open", order="deadline", limit=1, offset=1)
    assert [t.id for t in second.items] == [later.id] and second.total == 3
    with pytest.raises(Invalid, match="order is registered or deadline"):
        await desk.uses.list_tasks(admin, order="soon")


async def test_the_live_checks_propose_the_t4_responsible(desk: Desk) -> None:
    live = await desk.uses.live_checks(desk.who("bob"), partner_id=desk.acme)
    assert live.responsible_staff_id == desk.ana
    with pytest.raises(Invalid, match="no partner"):
        await desk.uses.live_checks(desk.who("bob"), partner_id=uuid4())


async def test_the_report_lists_this_months_tasks_oldest_first(desk: Desk) -> None:
    first = await desk.task(title="Întâi")
    desk.clock.advance(hours=1)
    second = await desk.task(title="Apoi")
    found = await desk.uses.report(desk.who("ana"))
    assert (found.period.first, found.period.last) == (date(2026, 3, 1), date(2026, 3, 2))
    assert [t.id for t in found.tasks.items] == [first.id, second.id]
    with pytest.raises(Invalid, match="ends"):
        await desk.uses.report(desk.who("ana"), date(2026, 3, 2), date(2026, 3, 1))


async def test_tracking_counts_resolved_and_open_tasks_per_person_per_day(desk: Desk) -> None:
    done = await desk.task()
    await desk.task()
    await desk.uses.resolve(ResolveTask(desk.who("ana"), done.id))
    found = await desk.uses.tracking(desk.who("ana"), date(2026, 3, 2), date(2026, 3, 2))
    assert [(r.staff_id, r.resolved, r.unresolved) for r in found.rows] == [(desk.ana, 1, 1)]
    assert found.staff[desk.ana].name == "Ana"


async def test_pickers_list_active_staff_and_partners_by_name(desk: Desk) -> None:
    gone = uuid4()
    desk.repo.staff[gone] = StaffMember(gone, "Dan", active=False)
    assert [p.name for p in await desk.uses.active_staff()] == ["Ana", "Bob"]
    found, total = await desk.uses.partners("acme", 10, 0)
    assert ([p.id for p in found], total) == ([desk.acme], 1)


async def test_a_task_shows_with_its_thread_and_reminders_only_to_who_may_see_it(desk: Desk) -> None:
    task = await desk.task(deadline=MONDAY + timedelta(days=2), alert=Alert("message", 1))
    await desk.uses.reply(ReplyToTask(desk.who("ana"), task.id, "Văzut"))
    detail = await desk.uses.show(desk.who("ana"), task.id)
    assert [r.text for r in detail.replies] == ["Văzut"]
    assert [r.channel for r in detail.reminders] == ["message"]
    with pytest.raises(Forbidden):
        await desk.uses.show(desk.who("bob"), task.id)
    with pytest.raises(NotFound):
        await desk.uses.show(desk.who("ana"), uuid4())


async def test_the_estimate_printout_is_served_once_the_task_is_resolved(desk: Desk) -> None:
    task = await desk.task(partner_id=desk.acme, service_code="SUP")
    with pytest.raises(NotFound, match="no estimate yet"):
        await desk.uses.estimate_printout(desk.who("ana"), task.id)
    await desk.uses.resolve(ResolveTask(desk.who("ana"), task.id))
    printout = await desk.uses.estimate_printout(desk.who("ana"), task.id)
    assert printout.pdf.startswith(b"deviz ")
    desk.blobs.stored.clear()
    with pytest.raises(NotFound, match="missing from the blob store"):
        await desk.uses.estimate_printout(desk.who("ana"), task.id)


async def test_broadcasts_list_with_progress_and_show_only_what_the_caller_may_see(desk: Desk) -> None:
    launched = await desk.uses.launch_broadcast(LaunchBroadcast(desk.who("bob"), "Inventar", staff_ids=[desk.ana]))
    [task] = launched.tasks.items
    await desk.uses.resolve(ResolveTask(desk.who("ana"), task.id))
    listed = await desk.uses.broadcasts(desk.who("bob"))
    assert listed.progress[launched.broadcast.id] == (1, 1)
    shown = await desk.uses.show_broadcast(desk.who("ana"), launched.broadcast.id)
    assert (shown.total, shown.resolved, len(shown.tasks.items)) == (1, 1, 1)
    assert (await desk.uses.broadcasts(desk.who("ana"))).items == []
    with pytest.raises(NotFound):
        await desk.uses.show_broadcast(desk.who("carla"), launched.broadcast.id)


async def test_the_services_catalogue_is_listed_by_code(desk: Desk) -> None:
    await desk.uses.add_service(AddService("AAA", "Primul", Decimal(1), "ART-A"))
    assert [s.code for s in await desk.uses.services()] == ["AAA", "SUP"]


async def test_availability_shows_a_persons_load_and_hides_titles_of_others_tasks(desk: Desk) -> None:
    task = await desk.task(title="Secret", planned_start=MONDAY, planned_hours=Decimal(6))
    load = await desk.uses.availability(desk.who("bob"), desk.ana)
    assert load.day == date(2026, 3, 2)
    assert load.planned_hours == Decimal(6)
    assert load.visible == set()
    assert (await desk.uses.availability(desk.who("ana"), desk.ana)).visible == {task.id}
    with pytest.raises(NotFound):
        await desk.uses.availability(desk.who("ana"), uuid4())


async def test_a_blob_is_readable_only_through_a_task_the_caller_may_see(desk: Desk) -> None:
    task = await desk.task()
    desk.repo.tasks[task.id].attachments = [AttachmentRef("a" * 64, "poza.jpg")]
    assert await desk.uses.may_read_blob(desk.who("ana"), "a" * 64) is True
    assert await desk.uses.may_read_blob(desk.who("bob"), "a" * 64) is False
    assert await desk.uses.may_read_blob(desk.who("ana"), "b" * 64) is False


async def test_a_bulk_import_stores_each_task_with_its_reminders_and_announces_each_one(desk: Desk) -> None:
    deadline = MONDAY + timedelta(days=10)
    stored = await desk.uses.import_tasks(
        [
            CreateTask(desk.who("admin", "admin"), f"Revizie {n}", partner_id=desk.acme, deadline=deadline)
            for n in range(3)
        ]
    )
    assert stored == 3
    assert sorted(t.title for t in desk.repo.tasks.values()) == ["Revizie 0", "Revizie 1", "Revizie 2"]
    assert {t.responsible_staff_id for t in desk.repo.tasks.values()} == {desk.ana}  # the client's service rep (T4)
    assert {task_id for task_id, _ in desk.repo.reminders} == set(desk.repo.tasks)
    assert desk.publisher.names() == ["task_created"] * 3


async def test_a_bulk_import_with_one_unknown_partner_stores_and_announces_nothing(desk: Desk) -> None:
    with pytest.raises(Invalid, match="no partner"):
        await desk.uses.import_tasks(
            [
                CreateTask(desk.who("ana"), "Bun", partner_id=desk.acme),
                CreateTask(desk.who("ana"), "Rău", partner_id=uuid4()),
            ]
        )
    assert (desk.repo.tasks, desk.repo.reminders, desk.publisher.calls, desk.uow.rollbacks) == ({}, {}, [], 1)


# --- the codes the web UI translates (problem body ``extra.code`` / ``extra.params``)


async def test_the_resolve_that_loses_the_race_carries_the_not_open_code_naming_who_won(desk: Desk) -> None:
    task = await desk.task()
    won = desk.repo.tasks[task.id]
    won.status, won.resolved_at, won.resolved_by = "resolved", MONDAY, "bob"
    real_get = desk.repo.get_task

    async def stale(task_id: UUID, *, for_update: bool = False) -> Task | None:
        found = await real_get(task_id)
        assert found is not None
        found.status, found.resolved_at, found.resolved_by = "open", None, None
        return found

    desk.repo.get_task = stale  # type: ignore[method-assign]
    with pytest.raises(Conflict) as lost:
        await desk.uses.resolve(ResolveTask(desk.who("ana"), task.id))
    assert (lost.value.status_code, lost.value.code) == (409, "task.not_open")
    assert lost.value.params == {"at": "2026-03-02 10:00", "by": "bob"}
    assert desk.publisher.calls == []


async def test_a_second_launch_of_a_broadcast_carries_its_code_with_the_title_and_time(desk: Desk) -> None:
    cmd = LaunchBroadcast(desk.who("bob"), "Inventar", staff_ids=[desk.bob], broadcast_id=uuid4())
    await desk.uses.launch_broadcast(cmd)
    with pytest.raises(Conflict) as twice:
        await desk.uses.launch_broadcast(cmd)
    assert twice.value.extra["code"] == "task.broadcast_already_launched"
    assert twice.value.extra["params"] == {"title": "Inventar", "at": "2026-03-02 10:00", "by": "bob"}
    assert len(desk.repo.tasks) == 1


async def test_a_title_too_long_is_refused_with_its_length_and_limit_and_nothing_is_stored(desk: Desk) -> None:
    with pytest.raises(Invalid) as refused:
        await desk.uses.create(CreateTask(desk.who("ana"), "x" * 201, responsible_staff_id=desk.ana))
    assert (refused.value.status_code, refused.value.code) == (422, "task.title_too_long")
    assert refused.value.params == {"length": 201, "limit": 200}
    assert desk.repo.tasks == {}
    assert desk.publisher.calls == []


async def test_a_contract_requested_twice_and_an_invoiced_reopen_carry_their_codes(desk: Desk) -> None:
    task = await desk.task(partner_id=desk.acme, service_code="SUP")
    request_id = await desk.uses.draft_contract(DraftContract(desk.who("ana"), task.id))
    with pytest.raises(Conflict) as again:
        await desk.uses.draft_contract(DraftContract(desk.who("ana"), task.id))
    assert again.value.code == "task.contract_already_requested"
    assert again.value.extra["request_id"] == str(request_id)
    await desk.uses.resolve(ResolveTask(desk.who("ana"), task.id))
    desk.repo.tasks[task.id].invoiced = True
    with pytest.raises(Conflict) as invoiced:
        await desk.uses.reopen(ReopenTask(desk.who("ana"), task.id))
    assert invoiced.value.code == "task.already_invoiced"
    assert desk.repo.tasks[task.id].status == "resolved"
