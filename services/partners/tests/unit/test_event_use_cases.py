"""The partners use cases other contexts' events drive, and the history rebuild, against in-memory fakes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from crm_kit.errors import Invalid, NotFound
from crm_kit.identity import HEADER, Identity, issue
from crm_kit.scoping import TaskOwners
from crm_kit.testing.fakes import FakeClock
from crm_partners.bootstrap import bootstrap, compose
from crm_partners.domain.partners import PartnerInput
from crm_partners.domain.staff import StaffInput
from crm_partners.domain.timeline import Fact
from crm_partners.domain.visibility import HIDDEN_TITLES, Reader
from crm_partners.service_layer import (
    BeginHistoryRebuild,
    ChangeOpportunityStage,
    KeepOpportunity,
    KeepTaskOwners,
    LoseOpportunity,
    RecordHistory,
    RegisterPartner,
    RegisterStaff,
    ReplayFacts,
    SwapInHistory,
    WinOpportunity,
)
from crm_partners.settings import PartnersSettings

from .fakes import FakePublisher, Harness, InMemoryRepository

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def offer(partner_id: str, event_id: str = "e1", at: datetime = T0) -> Fact:
    data = {"document_id": uuid4(), "partner_id": partner_id, "number": "OF-1", "net": Decimal(100)}
    return Fact("OfferIssued", event_id, at, {**data, "gross": Decimal(121), "currency": "RON"})


def task_created(partner_id: str, task_id: str, event_id: str = "t1") -> Fact:
    data = {"task_id": task_id, "partner_id": partner_id, "title": "Salariu confidențial", "source": "manual"}
    return Fact("TaskCreated", event_id, T0, data)


async def partner_id(h: Harness, kind: str = "client") -> str:
    return (await h.uses.register_partner(RegisterPartner(PartnerInput("Acme", kind=kind)))).id


# ---------------------------------------------------------------- history (H1)


async def test_a_fact_goes_once_on_the_history_of_its_partner_whatever_the_redeliveries() -> None:
    h = Harness()
    pid = await partner_id(h)
    assert await h.uses.record_histories([RecordHistory(offer(pid))]) == 1
    assert await h.uses.record_histories([RecordHistory(offer(pid))]) == 0
    [entry] = h.repo.history.values()
    assert (entry.kind, entry.title, entry.occurred_at) == ("offer", "Ofertă OF-1: 100.00 RON fără TVA", T0)


async def test_a_batch_of_facts_goes_on_the_histories_at_once_each_partner_and_fact_once() -> None:
    h = Harness()
    a, b = await partner_id(h), await partner_id(h)
    batch = [RecordHistory(offer(a)), RecordHistory(task_created(b, str(uuid4()))), RecordHistory(offer(a))]
    assert await h.uses.record_histories(batch) == 2
    assert await h.uses.record_histories(batch) == 0  # a redelivered batch adds nothing
    assert await h.uses.record_histories([]) == 0
    assert sorted(e.type for e in h.repo.history.values()) == ["OfferIssued", "TaskCreated"]


async def test_campaign_members_added_go_on_each_members_history_and_a_fact_without_partner_on_none() -> None:
    h = Harness()
    a, b = str(uuid4()), str(uuid4())
    added = Fact("CampaignMembersAdded", "c1", T0, {"campaign_id": uuid4(), "partner_ids": [a, b, a]})
    assert await h.uses.record_histories([RecordHistory(added)]) == 2
    assert await h.uses.record_histories([RecordHistory(Fact("BalanceChanged", "b1", T0, {"partner_id": a}))]) == 0
    assert sorted(pid for pid, _ in h.repo.history) == sorted([a, b])


async def test_the_history_shows_another_agents_task_redacted_and_the_responsible_sees_it_whole() -> None:
    h = Harness()
    pid, task, ana = await partner_id(h), str(uuid4()), str(uuid4())
    await h.uses.record_histories([RecordHistory(task_created(pid, task))])
    await h.uses.record_histories([RecordHistory(offer(pid, at=T0 + timedelta(minutes=1)))])
    await h.uses.keep_task_owners(KeepTaskOwners(task, ana, creator_user="ion"))
    mine, total = await h.uses.history(pid, Reader("agent", "ana", ana), kind=None, limit=10, offset=0)
    theirs, _ = await h.uses.history(pid, Reader("agent", "eva", str(uuid4())), kind=None, limit=10, offset=0)
    assert total == 2 and [e.type for e in mine] == ["OfferIssued", "TaskCreated"]
    assert "Salariu confidențial" in mine[1].title
    assert theirs[1].title == HIDDEN_TITLES["task"] and theirs[0].title == mine[0].title
    only_tasks, n = await h.uses.history(pid, Reader("admin", "root"), kind="task", limit=10, offset=0)
    assert (n, [e.type for e in only_tasks]) == (1, ["TaskCreated"])


async def test_a_manager_sees_the_tasks_of_the_team() -> None:
    h = Harness()
    pid, task = await partner_id(h), str(uuid4())
    boss = await h.uses.register_staff(_staff("Șef", "Service"))
    tech = await h.uses.register_staff(_staff("Tehnician", "Service"))
    await h.uses.record_histories([RecordHistory(task_created(pid, task))])
    await h.uses.keep_task_owners(KeepTaskOwners(task, tech.id))
    [entry], _ = await h.uses.history(pid, Reader("manager", "sef", boss.id), kind=None, limit=10, offset=0)
    assert entry.details.get("hidden") is None


def _staff(name: str, team: str) -> RegisterStaff:
    return RegisterStaff(StaffInput(name, team=team))


async def test_the_history_of_an_unknown_partner_is_not_found_and_an_unknown_kind_is_invalid() -> None:
    h = Harness()
    with pytest.raises(NotFound):
        await h.uses.history(str(uuid4()), Reader("admin", "root"), kind=None, limit=10, offset=0)
    pid = await partner_id(h)
    with pytest.raises(Invalid, match="unknown history kind"):
        await h.uses.history(pid, Reader("admin", "root"), kind="weather", limit=10, offset=0)


async def test_a_reassignment_changes_only_the_tasks_responsible() -> None:
    h = Harness()
    task, ana, eva = str(uuid4()), str(uuid4()), str(uuid4())
    await h.uses.keep_task_owners(KeepTaskOwners(task, ana, creator_staff_id=ana, creator_user="ana"))
    await h.uses.keep_task_owners(KeepTaskOwners(task, eva, reassigned=True))
    assert h.repo.owners[task] == TaskOwners(eva, ana, "ana")
    unknown = str(uuid4())
    await h.uses.keep_task_owners(KeepTaskOwners(unknown, eva, reassigned=True))
    assert h.repo.owners[unknown] == TaskOwners(eva, None, None)


# ---------------------------------------------------------------- opportunities on partners (L2)


def kept(pid: str, **fields: object) -> KeepOpportunity:
    values: dict[str, object] = {
        "opportunity_id": "o1",
        "partner_id": pid,
        "title": "ERP",
        "potential": Decimal(1000),
        "probability": Decimal(20),
        "stage": "new",
        "expected_signing_on": date(2026, 6, 1),
        "owner_staff_id": "s1",
        **fields,
    }
    return KeepOpportunity(**values)  # type: ignore[arg-type]


async def test_an_opened_opportunity_shows_its_whole_state_at_the_time_of_its_event() -> None:
    h = Harness()
    shown = await h.uses.keep_opportunity(kept("p1"))
    assert h.repo.opportunities["o1"] == shown
    assert (shown.updated_at, shown.expected_signing_on, shown.owner_staff_id) == (h.clock.now, date(2026, 6, 1), "s1")
    assert h.publisher.calls == []


async def test_opened_opportunities_are_shown_a_batch_at_once_and_a_change_handled_first_stays() -> None:
    h = Harness()
    await h.uses.keep_opportunity(kept("p1", opportunity_id="o2", title="ERP extins"))  # its change came first
    await h.uses.opportunities_opened([kept("p1"), kept("p2", opportunity_id="o2")])
    assert (h.repo.opportunities["o1"].partner_id, h.repo.opportunities["o2"].title) == ("p1", "ERP extins")
    assert h.publisher.calls == []


async def test_new_tasks_owners_are_kept_a_batch_at_once_and_a_reassignment_handled_first_stays() -> None:
    h = Harness()
    await h.uses.keep_task_owners(KeepTaskOwners("t2", "eva", reassigned=True))  # its TaskAssigned came first
    await h.uses.tasks_created(
        [KeepTaskOwners("t1", "ana", "ion", "ion.user"), KeepTaskOwners("t2", "ana", "ion", "ion.user")]
    )
    assert h.repo.owners["t1"] == TaskOwners("ana", "ion", "ion.user")
    assert h.repo.owners["t2"] == TaskOwners("eva", "ion", "ion.user")


async def test_a_stage_change_keeps_what_it_does_not_say_and_shows_an_unknown_opportunity_too() -> None:
    h = Harness()
    await h.uses.keep_opportunity(kept("p1"))
    h.clock.advance(hours=1)
    moved = await h.uses.change_opportunity_stage(
        ChangeOpportunityStage("o1", "p1", "ERP", Decimal(1000), Decimal(60), "offer")
    )
    assert (moved.stage, moved.probability, moved.expected_signing_on, moved.updated_at) == (
        "offer",
        Decimal(60),
        date(2026, 6, 1),
        h.clock.now,
    )
    fresh = await h.uses.change_opportunity_stage(
        ChangeOpportunityStage("o2", "p1", "CRM", Decimal(5), Decimal(40), "offer")
    )
    assert (fresh.stage, fresh.owner_staff_id) == ("offer", None)


async def test_a_lost_opportunity_shows_lost_with_its_figures_and_an_unknown_one_with_none() -> None:
    h = Harness()
    await h.uses.keep_opportunity(kept("p1"))
    lost = await h.uses.lose_opportunity(LoseOpportunity("o1", "p1"))
    assert (lost.stage, lost.potential, lost.title) == ("lost", Decimal(1000), "ERP")
    unknown = await h.uses.lose_opportunity(LoseOpportunity("o9", "p1"))
    assert (unknown.stage, unknown.potential, unknown.title) == ("lost", Decimal(0), "")


async def test_a_lead_that_wins_an_opportunity_becomes_a_client_and_both_facts_are_published() -> None:
    h = Harness()
    pid = await partner_id(h, kind="lead")
    h.publisher.calls.clear()
    h.clock.advance(days=1)
    client = await h.uses.win_opportunity(WinOpportunity("o1", pid, Decimal(500)))
    assert client is not None and (client.kind, client.version, client.updated_at) == ("client", 2, h.clock.now)
    assert h.repo.partners[pid] == client and h.repo.locked[-1] == pid
    assert h.publisher.calls == [("lead_converted", (client, "o1")), ("partner_updated", client)]
    sale = h.repo.opportunities["o1"]
    assert (sale.stage, sale.potential, sale.probability) == ("sale", Decimal(500), Decimal(100))


async def test_a_client_that_wins_stays_a_client_and_nothing_is_published() -> None:
    h = Harness()
    pid = await partner_id(h)
    await h.uses.keep_opportunity(kept(pid, probability=Decimal(60)))
    h.publisher.calls.clear()
    assert await h.uses.win_opportunity(WinOpportunity("o1", pid, Decimal(999))) is None
    assert await h.uses.win_opportunity(WinOpportunity("o2", str(uuid4()), Decimal(1))) is None
    assert h.publisher.calls == []
    assert (h.repo.opportunities["o1"].stage, h.repo.opportunities["o1"].probability) == ("sale", Decimal(60))


# ---------------------------------------------------------------- history rebuild


async def test_a_replay_fills_the_rebuild_once_per_fact_and_keeps_the_task_owners_it_names() -> None:
    h = Harness()
    pid, task = str(uuid4()), str(uuid4())
    await h.uses.begin_history_rebuild(BeginHistoryRebuild())
    facts = [offer(pid), task_created(pid, task), offer(pid)]
    added = await h.uses.replay_facts(ReplayFacts(facts, [KeepTaskOwners(task, "s1")], recorded_at=T0))
    assert added == 2 and h.repo.history == {}
    assert h.repo.owners[task] == TaskOwners("s1")
    page, total = await h.uses.rebuilt_history(pid, limit=10, offset=0)
    assert total == 2 and {e.type for e in page} == {"OfferIssued", "TaskCreated"}


async def test_beginning_a_rebuild_empties_the_previous_one() -> None:
    h = Harness()
    await h.uses.replay_facts(ReplayFacts([offer("p1")], [], recorded_at=T0))
    await h.uses.begin_history_rebuild(BeginHistoryRebuild())
    assert h.repo.rebuilt == {}


async def test_the_rebuilt_history_is_compared_with_the_live_one() -> None:
    h = Harness()
    await h.uses.record_histories([RecordHistory(offer("p1", "e1"))])
    await h.uses.record_histories([RecordHistory(offer("p1", "e2"))])
    await h.uses.replay_facts(ReplayFacts([offer("p1", "e1"), offer("p2", "e3")], [], recorded_at=T0))
    compared = await h.uses.compare_rebuilt_history()
    assert (compared.partners, compared.missing_from_live, compared.only_in_live) == (2, 1, 1)


async def test_swapping_in_the_rebuild_keeps_live_entries_recorded_since_the_replay_started() -> None:
    h = Harness()
    await h.uses.record_histories([RecordHistory(offer("p1", "old"))])
    started = datetime.now(UTC)
    await h.uses.replay_facts(ReplayFacts([offer("p1", "replayed")], [], recorded_at=started))
    await h.uses.record_histories([RecordHistory(offer("p1", "new"))])
    assert await h.uses.swap_in_rebuilt_history(SwapInHistory(started)) == 2
    assert sorted(eid for _, eid in h.repo.history) == ["new", "replayed"]


# ---------------------------------------------------------------- the composition root takes fakes


def settings(tmp_path: Path) -> PartnersSettings:
    return PartnersSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'p.db'}", blob_dir=tmp_path / "blobs")


async def test_bootstrap_with_fakes_runs_the_http_picker_search_on_them(tmp_path: Path) -> None:
    repo, publisher = InMemoryRepository(), FakePublisher()
    conf = settings(tmp_path)
    service, uses = compose(conf, repository=repo, publisher=publisher, clock=FakeClock(T0))
    partner = await uses.register_partner(RegisterPartner(PartnerInput("Brașov Auto SRL")))
    assert partner.created_at == T0 and publisher.named("partner_registered") == [partner]
    who = Identity(user_id="u1", username="ana", role="agent")
    headers = {HEADER: issue(who, conf.identity_secret, conf.service_name)}
    transport = httpx.ASGITransport(app=service.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://partners") as client:
        found = await client.get("/api/partners/search", params={"q": "bras"}, headers=headers)
        refused = await client.get("/api/partners/search", params={"q": "bras", "kind": "vendor"}, headers=headers)
    assert found.status_code == 200 and [p["id"] for p in found.json()["items"]] == [partner.id]
    assert refused.status_code == 422
    await service.db.dispose()


def test_bootstrap_refuses_a_fake_repository_without_a_fake_publisher(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="both a repository and a publisher"):
        bootstrap(settings(tmp_path), repository=InMemoryRepository())
