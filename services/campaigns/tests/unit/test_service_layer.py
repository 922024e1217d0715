"""Every campaigns use case on in-memory fakes: the rule's outcome, what was published, what a refusal left."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from crm_campaigns.domain.campaigns import new_campaign
from crm_campaigns.domain.documents import Contract, CostDocument, Invoice, Order
from crm_campaigns.domain.members import MemberFilter, Partner
from crm_campaigns.domain.results import Measure, MonthValue, Via
from crm_campaigns.service_layer import (
    AddMembers,
    AttachCost,
    AttachOrder,
    AttachReturn,
    ChangeCampaign,
    CreateCampaign,
    GenerateOpportunities,
    KeepPartner,
    RecordContract,
    RecordCostDocument,
    RecordInvoice,
    RecordOpportunity,
    RecordOrder,
    RemoveMember,
)
from crm_kit.errors import Conflict, Invalid, NotFound

from .fakes import NOW, World, world

START = dt.date(2026, 3, 1)


async def campaign(w: World, name: str = "Primăvara 2026", return_months: int = 3) -> UUID:
    created = await w.uses.create(
        CreateCampaign(name, START, dt.date(2026, 5, 31), by="maria", return_months=return_months)
    )
    w.publisher.calls.clear()
    return created.id


async def partner(
    w: World, name: str = "Client SRL", *, locality: str | None = None, county: str | None = None
) -> UUID:
    p = Partner(uuid4(), "client", name, locality=locality, county=county)
    await w.uses.partner_changed(KeepPartner(p))
    return p.partner_id


def cost(campaign_id: UUID | None = None, kind: str = "purchase_invoice", net: str = "1000") -> CostDocument:
    return CostDocument(uuid4(), kind, "FZ-1", START, Decimal(net), Decimal(190), uuid4(), campaign_id)


def order(campaign_id: UUID | None = None, opportunity_id: UUID | None = None, net: str = "5000") -> Order:
    return Order(uuid4(), uuid4(), "CMD-1", START, Decimal(net), campaign_id, opportunity_id)


def subscription(campaign_id: UUID | None = None, opportunity_id: UUID | None = None) -> Contract:
    return Contract(
        uuid4(),
        uuid4(),
        "CTR-1",
        "subscription",
        issued_on=START,
        starts_on=START,
        net=Decimal(1200),
        monthly_value=Decimal(100),
        source_campaign_id=campaign_id,
        source_opportunity_id=opportunity_id,
    )


def invoice(
    order_id: UUID | None = None, contract_id: UUID | None = None, period: str | None = None, net: str = "100"
) -> Invoice:
    return Invoice(uuid4(), uuid4(), "F-1", dt.date(2026, 4, 10), Decimal(net), order_id, contract_id, period)


# -- campaigns (M1) -------------------------------------------------------------------------------------------


async def test_creating_a_campaign_stores_it_checked_and_publishes_it() -> None:
    w = world()
    created = await w.uses.create(CreateCampaign(" Vară ", START, START, by="maria", objective=" "))
    assert (created.name, created.objective, created.created_at) == ("Vară", None, NOW)
    assert w.repo.campaigns == {created.id: created}
    assert w.publisher.said() == ["campaign_created"]


async def test_a_campaign_that_ends_before_it_starts_is_refused_and_nothing_is_stored() -> None:
    w = world()
    with pytest.raises(Invalid, match="end before it starts"):
        await w.uses.create(CreateCampaign("X", START, START - dt.timedelta(days=1), by="maria"))
    assert (w.repo.campaigns, w.publisher.calls, w.uow.rollbacks) == ({}, [], 1)


async def test_a_changed_return_window_publishes_the_results_again_and_a_new_name_alone_does_not() -> None:
    w = world()
    c = await campaign(w)
    await w.uses.change(ChangeCampaign(c, {"return_months": 4}))
    assert w.publisher.said() == ["campaign_updated", "results_changed"]
    assert [m.month for m in w.publisher.of("results_changed")[0].monthly_return] == [
        "2026-03",
        "2026-04",
        "2026-05",
        "2026-06",
    ]
    w.publisher.calls.clear()
    renamed = await w.uses.change(ChangeCampaign(c, {"name": "Vară"}))
    assert renamed.name == "Vară"
    assert w.publisher.said() == ["campaign_updated"]


async def test_a_field_that_cannot_change_is_refused_and_the_campaign_stays() -> None:
    w = world()
    c = await campaign(w)
    with pytest.raises(Invalid, match="cannot be changed: id"):
        await w.uses.change(ChangeCampaign(c, {"id": uuid4()}))
    with pytest.raises(NotFound):
        await w.uses.change(ChangeCampaign(uuid4(), {"name": "X"}))
    assert w.repo.campaigns[c].name == "Primăvara 2026"
    assert w.publisher.calls == []


# -- members (M2) ---------------------------------------------------------------------------------------------


async def test_members_added_by_id_are_published_sorted_and_a_second_add_adds_none() -> None:
    w = world()
    c = await campaign(w)
    ids = [await partner(w, f"P{n}") for n in range(3)]
    done = await w.uses.add_members(AddMembers(c, "maria", partner_ids=tuple(ids)))
    again = await w.uses.add_members(AddMembers(c, "maria", partner_ids=tuple(ids[:1])))
    assert (done.added, done.member_count) == (sorted(ids), 3)
    assert (again.added, again.member_count) == ([], 3)
    assert w.publisher.of("members_added") == [sorted(ids), []]


async def test_adding_a_partner_the_directory_does_not_know_is_refused_and_adds_nobody() -> None:
    w = world()
    c = await campaign(w)
    known, stranger = await partner(w), uuid4()
    with pytest.raises(Invalid, match="1 partner id") as refused:
        await w.uses.add_members(AddMembers(c, "maria", partner_ids=(known, stranger)))
    assert refused.value.extra["unknown"] == [str(stranger)]
    assert w.repo.members.get(c, {}) == {}
    assert w.publisher.calls == []


async def test_a_filter_selects_partners_whatever_their_diacritics_and_the_preview_counts_them_first() -> None:
    w = world()
    c = await campaign(w)
    await partner(w, "Alfa", locality="Iași")
    await partner(w, "Beta", locality="Cluj")
    wanted = MemberFilter(locality="IASI")
    before = await w.uses.preview(c, wanted)
    done = await w.uses.add_members(AddMembers(c, "maria", filter=wanted))
    after = await w.uses.preview(c, wanted)
    assert (before.matching, before.would_add, len(done.added), after.would_add) == (1, 1, 1, 0)


async def test_a_removed_member_is_published_and_removing_a_stranger_is_not_found() -> None:
    w = world()
    c = await campaign(w)
    p = await partner(w)
    await w.uses.add_members(AddMembers(c, "maria", partner_ids=(p,)))
    await w.uses.remove_member(RemoveMember(c, p))
    with pytest.raises(NotFound, match="not a member"):
        await w.uses.remove_member(RemoveMember(c, p))
    assert w.publisher.of("member_removed") == [p]
    assert w.publisher.names == ["Primăvara 2026", "Primăvara 2026"]  # the partners' history names the campaign


async def test_the_campaigns_a_partner_is_a_member_of_are_listed_for_its_page() -> None:
    w = world()
    spring, autumn = await campaign(w), await campaign(w)
    p, other = await partner(w, "Alfa"), await partner(w, "Beta")
    await w.uses.add_members(AddMembers(autumn, "maria", partner_ids=(p,)))
    await w.uses.add_members(AddMembers(spring, "maria", partner_ids=(other,)))
    found, total = await w.uses.campaigns(name=None, limit=50, offset=0, member=p)
    assert ([c.id for c in found], total) == ([autumn], 1)
    everyone, total = await w.uses.campaigns(name=None, limit=50, offset=0)
    assert total == 2 and {c.id for c in everyone} == {spring, autumn}


async def test_members_are_listed_by_name_with_their_partner_details() -> None:
    w = world()
    c = await campaign(w)
    ids = (await partner(w, "Zeta"), await partner(w, "Alfa", county="Iași"))
    await w.uses.add_members(AddMembers(c, "maria", partner_ids=ids))
    rows, total = await w.uses.members(c, limit=1, offset=0)
    assert ([(m.name, m.county, m.added_at) for m in rows], total) == ([("Alfa", "Iași", NOW)], 2)


# -- documents users attach (M3-M5) ------------------------------------------------------------------------------


async def test_an_attached_cost_counts_once_as_realized_cost_and_the_results_are_published() -> None:
    w = world()
    c = await campaign(w)
    doc = cost()
    await w.uses.cost_posted(RecordCostDocument(doc))

    fact = await w.uses.attach_cost(AttachCost(c, doc.document_id))
    again = await w.uses.attach_cost(AttachCost(c, doc.document_id))

    assert (fact.measure, fact.via, fact.net) == (Measure.COST, Via.ATTACHED, Decimal(1000))
    assert again == fact
    assert w.publisher.said() == ["cost_attached", "results_changed"]
    assert w.publisher.of("results_changed")[0].realized_cost == Decimal("1000.00")


async def test_a_cost_that_is_not_marketing_cost_unknown_or_counted_elsewhere_is_refused() -> None:
    w = world()
    mine, theirs = await campaign(w), await campaign(w, "Alta")
    sale, counted = cost(kind="sales_invoice"), cost(theirs)
    for doc in (sale, counted):
        await w.uses.cost_posted(RecordCostDocument(doc))
    w.publisher.calls.clear()
    with pytest.raises(Invalid, match="a sales_invoice does not count as marketing cost"):
        await w.uses.attach_cost(AttachCost(mine, sale.document_id))
    with pytest.raises(NotFound, match="once the ERP posts it"):
        await w.uses.attach_cost(AttachCost(mine, uuid4()))
    with pytest.raises(Conflict, match="already counts for another campaign") as elsewhere:
        await w.uses.attach_cost(AttachCost(mine, counted.document_id))
    assert elsewhere.value.extra["campaign_id"] == str(theirs)
    assert [f.campaign_id for f in w.repo.facts.values()] == [theirs]
    assert w.publisher.calls == []


async def test_an_attached_order_counts_as_accepted_revenue_with_the_invoices_already_issued_on_it() -> None:
    w = world()
    c = await campaign(w)
    o = order()
    await w.uses.order_placed(RecordOrder(o))
    await w.uses.invoice_issued(RecordInvoice(invoice(order_id=o.order_id, net="700")))

    fact = await w.uses.attach_order(AttachOrder(c, o.order_id))

    assert (fact.measure, fact.net, fact.via) == (Measure.ACCEPTED, Decimal(5000), Via.ATTACHED)
    assert w.publisher.said() == ["order_attached", "invoice_attached", "results_changed"]
    results = await w.uses.results(c, None)
    assert (results.accepted_revenue, results.invoiced_revenue) == (Decimal("5000.00"), Decimal("700.00"))


async def test_an_unknown_order_is_not_found() -> None:
    w = world()
    c = await campaign(w)
    with pytest.raises(NotFound, match="once the ERP places it"):
        await w.uses.attach_order(AttachOrder(c, uuid4()))


async def test_an_invoice_counts_in_one_return_month_inside_the_campaigns_window() -> None:
    w = world()
    c = await campaign(w)
    inv = invoice()
    await w.uses.invoice_issued(RecordInvoice(inv))

    with pytest.raises(Invalid, match="2026-07 is outside the campaign's return months"):
        await w.uses.attach_return(AttachReturn(c, inv.invoice_id, "2026-07"))
    fact = await w.uses.attach_return(AttachReturn(c, inv.invoice_id, "2026-05"))
    with pytest.raises(Conflict, match="already counts in the return of 2026-05"):
        await w.uses.attach_return(AttachReturn(c, inv.invoice_id, "2026-04"))

    assert (fact.measure, fact.month) == (Measure.RETURN, "2026-05")
    assert w.publisher.of("invoice_attached")[0][1] == "2026-05"
    page = await w.uses.facts(c, Measure.RETURN, None, limit=10, offset=0)
    assert (page.total, page.sum) == (1, Decimal(100))


def months(monthly: tuple[MonthValue, ...]) -> list[tuple[str, Decimal]]:
    return [(m.month, m.value) for m in monthly]


async def test_an_invoice_counted_by_hand_brings_its_subscription_in_and_the_next_months_count_by_themselves() -> None:
    w = world()
    c = await campaign(w)
    contract = subscription()  # from no campaign, no opportunity: nothing counts on its own
    await w.uses.contract_signed(RecordContract(contract))
    april = invoice(contract_id=contract.contract_id, period="2026-04")
    await w.uses.invoice_issued(RecordInvoice(april))
    assert w.repo.facts == {}

    await w.uses.attach_return(AttachReturn(c, april.invoice_id, "2026-04"))
    may = invoice(contract_id=contract.contract_id, period="2026-05", net="120")
    await w.uses.invoice_issued(RecordInvoice(may))
    await w.uses.invoice_issued(RecordInvoice(may))  # the same invoice posted again counts once

    results = await w.uses.results(c, None)
    assert months(results.monthly_return) == [
        ("2026-03", Decimal("0.00")),
        ("2026-04", Decimal("100.00")),
        ("2026-05", Decimal("120.00")),
    ]
    assert results.invoiced_revenue == Decimal("220.00")
    assert [(fact.source_id, month) for fact, month in w.publisher.of("invoice_attached")] == [
        (april.invoice_id, "2026-04"),
        (may.invoice_id, "2026-05"),
    ]


async def test_the_other_invoices_of_a_subscription_count_when_one_is_counted_by_hand_but_not_of_a_commercial_one() -> (
    None
):
    w = world()
    c = await campaign(w)
    sub = subscription()
    commercial = Contract(uuid4(), uuid4(), "CTR-2", "commercial", START, START, Decimal(500))
    for contract in (sub, commercial):
        await w.uses.contract_signed(RecordContract(contract))
    march = invoice(contract_id=sub.contract_id, period="2026-03", net="90")
    april = invoice(contract_id=sub.contract_id, period="2026-04")
    once, twice = (invoice(contract_id=commercial.contract_id, period=m, net="7") for m in ("2026-04", "2026-05"))
    for inv in (march, april, once):
        await w.uses.invoice_issued(RecordInvoice(inv))

    await w.uses.attach_return(AttachReturn(c, april.invoice_id, "2026-04"))
    await w.uses.attach_return(AttachReturn(c, once.invoice_id, "2026-04"))
    await w.uses.invoice_issued(RecordInvoice(twice))  # a commercial contract's next invoice: by hand only

    returns = await w.uses.facts(c, Measure.RETURN, None, limit=10, offset=0)
    assert sorted((f.source_id, f.month) for f in returns.items) == sorted(
        [(march.invoice_id, "2026-03"), (april.invoice_id, "2026-04"), (once.invoice_id, "2026-04")]
    )
    assert w.repo.contracts[commercial.contract_id].campaign_id is None


async def test_a_subscription_known_after_one_of_its_invoices_was_counted_by_hand_joins_that_campaign() -> None:
    w = world()
    c = await campaign(w)
    contract = subscription()
    april = invoice(contract_id=contract.contract_id, period="2026-04")
    await w.uses.invoice_issued(RecordInvoice(april))  # the invoice arrives before its contract
    await w.uses.attach_return(AttachReturn(c, april.invoice_id, "2026-04"))
    await w.uses.contract_signed(RecordContract(contract))
    may = invoice(contract_id=contract.contract_id, period="2026-05")
    await w.uses.invoice_issued(RecordInvoice(may))

    assert w.repo.contracts[contract.contract_id].campaign_id == c
    assert (await w.repo.fact_for(Measure.RETURN, may.invoice_id)) is not None


async def test_a_month_that_is_not_a_month_is_refused() -> None:
    w = world()
    with pytest.raises(Invalid, match="YYYY-MM"):
        await w.uses.attach_return(AttachReturn(await campaign(w), uuid4(), "2026-13"))


# -- generated opportunities (M7) ----------------------------------------------------------------------------------


async def test_opportunities_are_requested_once_per_member_in_requests_of_the_chunk_size() -> None:
    w = world(chunk=2)
    c = await campaign(w)
    ids = tuple([await partner(w, f"P{n}") for n in range(3)])
    await w.uses.add_members(AddMembers(c, "maria", partner_ids=ids))
    w.publisher.calls.clear()

    done = await w.uses.generate_opportunities(GenerateOpportunities(c, "maria", all_members=True))

    assert (len(done.requested), done.already_requested, len(done.request_ids)) == (3, 0, 2)
    assert [(len(p), title) for p, title in w.publisher.of("opportunities_requested")] == [
        (2, "Primăvara 2026"),
        (1, "Primăvara 2026"),
    ]
    assert (done.progress.requested, done.progress.pending) == (3, 3)


async def test_asking_again_for_members_already_requested_says_when_and_by_whom_and_publishes_nothing() -> None:
    w = world()
    c = await campaign(w)
    p = await partner(w)
    await w.uses.add_members(AddMembers(c, "maria", partner_ids=(p,)))
    await w.uses.generate_opportunities(GenerateOpportunities(c, "maria", partner_ids=(p,), title="Demo"))
    w.publisher.calls.clear()
    with pytest.raises(
        Conflict, match=r"already requested for all 1 chosen members \(last at 2026-03-02 09:00 UTC by maria\)"
    ):
        await w.uses.generate_opportunities(GenerateOpportunities(c, "ana", all_members=True))
    assert w.publisher.calls == []


async def test_asking_again_for_members_already_requested_carries_the_code_the_ui_translates() -> None:
    w = world()
    c = await campaign(w)
    p = await partner(w)
    await w.uses.add_members(AddMembers(c, "maria", partner_ids=(p,)))
    await w.uses.generate_opportunities(GenerateOpportunities(c, "maria", partner_ids=(p,), title="Demo"))
    w.publisher.calls.clear()
    with pytest.raises(Conflict) as again:
        await w.uses.generate_opportunities(GenerateOpportunities(c, "ana", all_members=True))
    assert (again.value.status_code, again.value.code) == (409, "campaign.already_requested")
    assert again.value.params == {"count": 1, "at": "2026-03-02 09:00 UTC", "by": "maria"}
    assert w.publisher.calls == []


async def test_opportunities_for_partners_that_are_not_members_are_refused() -> None:
    w = world()
    c = await campaign(w)
    stranger = await partner(w)
    with pytest.raises(Invalid, match="not members of this campaign"):
        await w.uses.generate_opportunities(GenerateOpportunities(c, "maria", partner_ids=(stranger,)))
    assert w.repo.requests == {}


async def test_an_opportunity_opened_for_a_member_shows_in_the_progress() -> None:
    w = world()
    c = await campaign(w)
    p = await partner(w)
    await w.uses.add_members(AddMembers(c, "maria", partner_ids=(p,)))
    await w.uses.generate_opportunities(GenerateOpportunities(c, "maria", all_members=True))
    opportunity = uuid4()
    await w.uses.opportunity_opened(RecordOpportunity(opportunity, p, c, "Demo"))
    overview = await w.uses.overview(c)
    assert (overview.progress.members, overview.progress.opened, overview.progress.pending) == (1, 1, 0)
    rows, _ = await w.uses.members(c, limit=10, offset=0)
    assert rows[0].opportunity_id == opportunity
    assert (await w.uses.progress(c)).opened == 1


# -- what other contexts tell us: attribution ---------------------------------------------------------------------


async def test_an_order_that_arrived_before_its_campaign_opportunity_counts_when_the_opportunity_shows_up() -> None:
    w = world()
    c = await campaign(w)
    opportunity = uuid4()
    early = order(opportunity_id=opportunity)
    await w.uses.order_placed(RecordOrder(early))
    assert w.repo.facts == {}

    await w.uses.opportunity_opened(RecordOpportunity(opportunity, early.partner_id, c, "Demo"))

    fact = w.repo.facts[Measure.ACCEPTED, early.order_id]
    assert (fact.campaign_id, fact.via) == (c, Via.OPPORTUNITY)
    assert w.publisher.said() == ["order_attached", "results_changed"]


async def test_an_opportunity_of_no_campaign_we_know_only_feeds_the_read_model() -> None:
    w = world()
    opportunity = uuid4()
    await w.uses.opportunity_opened(RecordOpportunity(opportunity, uuid4(), uuid4(), "Demo"))
    assert opportunity in w.repo.opportunities
    assert (w.repo.facts, w.publisher.calls) == ({}, [])


def _mixed_batch() -> tuple[Callable[[World], Awaitable[None]], list[RecordOpportunity]]:
    """Two campaigns with requested members, documents that arrived before their opportunities, and the
    OpportunityOpened of a batch: of both campaigns, one told twice, a second one for a member, one of a
    campaign we do not know, one of no campaign."""
    c1, c2, elsewhere = uuid4(), uuid4(), uuid4()
    p1, p2, p4, p5 = uuid4(), uuid4(), uuid4(), uuid4()
    opp1, opp2, opp3, opp4, opp5, opp6, opp7 = (uuid4() for _ in range(7))
    early = order(opportunity_id=opp1)
    naming_a_stranger = order(uuid4(), opp1, net="700")
    of_a_stranger = order(opportunity_id=opp3)
    of_no_campaign = order(opportunity_id=opp5)
    on_both_order = order(opportunity_id=opp4, net="300")
    contract = subscription(opportunity_id=opp2)
    invoices = [
        invoice(early.order_id),
        invoice(contract_id=contract.contract_id, period="2026-03"),
        invoice(contract_id=contract.contract_id, period="2026-04"),
        invoice(on_both_order.order_id, contract.contract_id, period="2026-05", net="50"),
    ]

    async def arrange(w: World) -> None:
        for campaign_id, name in ((c1, "Unu"), (c2, "Doi")):
            c = new_campaign(
                campaign_id,
                name=name,
                starts_on=START,
                ends_on=dt.date(2026, 5, 31),
                objective=None,
                segment=None,
                estimated_cost=Decimal(0),
                estimated_revenue=Decimal(0),
                return_months=3,
                now=NOW,
            )
            await w.repo.insert_campaign(c, "maria")
        await w.repo.insert_requests(c1, [p1, p4, p5], request_id=uuid4(), owner_staff_id=None, now=NOW, by="maria")
        await w.repo.insert_requests(c2, [p2], request_id=uuid4(), owner_staff_id=None, now=NOW, by="maria")
        for o in (early, naming_a_stranger, of_a_stranger, of_no_campaign, on_both_order):
            await w.uses.order_placed(RecordOrder(o))
        await w.uses.contract_signed(RecordContract(contract))
        for i in invoices:
            await w.uses.invoice_issued(RecordInvoice(i))
        w.publisher.calls.clear()

    batch = [
        RecordOpportunity(opp1, p1, c1, "Unu"),
        RecordOpportunity(opp2, p2, c2, "Doi"),
        RecordOpportunity(opp1, p1, c1, "Unu"),
        RecordOpportunity(opp3, uuid4(), elsewhere, "?"),
        RecordOpportunity(opp4, p4, c1, "Unu"),
        RecordOpportunity(opp5, uuid4(), None, None),
        RecordOpportunity(opp6, p5, c1, "Unu"),
        RecordOpportunity(opp7, p1, c1, "Unu, again"),
    ]
    return arrange, batch


def _outcome(w: World) -> tuple[Any, ...]:
    told = [(name, arg) for name, arg in w.publisher.calls if name != "results_changed"]
    last_results = {r.campaign_id: r for r in w.publisher.of("results_changed")}
    return (
        w.repo.facts,
        {o.order_id: o.campaign_id for o in w.repo.orders.values()},
        {c.contract_id: c.campaign_id for c in w.repo.contracts.values()},
        {key: r.opportunity_id for key, r in w.repo.requests.items()},
        w.repo.opportunities,
        w.repo.published,
        told,
        last_results,
    )


async def test_a_batch_of_opened_opportunities_counts_and_attributes_as_one_event_at_a_time_would() -> None:
    arrange, batch = _mixed_batch()
    one_by_one, at_once = world(), world()
    await arrange(one_by_one)
    await arrange(at_once)

    for cmd in batch:
        await one_by_one.uses.opportunity_opened(cmd)
    await at_once.uses.opportunities_opened(batch)

    assert _outcome(at_once) == _outcome(one_by_one)
    facts = at_once.repo.facts
    assert {(m, f.campaign_id, f.via) for (m, _), f in facts.items()} >= {
        (Measure.ACCEPTED, batch[0].campaign_id, Via.OPPORTUNITY),
        (Measure.RETURN, batch[1].campaign_id, Via.CONTRACT),
    }
    assert (await at_once.uses.progress(batch[0].campaign_id)).opened == 3  # p1 (its first opportunity), p4, p5
    # The results are told once per campaign after the batch, not after each event.
    assert len(at_once.publisher.of("results_changed")) == 2 < len(one_by_one.publisher.of("results_changed"))


async def test_an_opened_event_seen_twice_counts_once() -> None:
    w = world()
    c = await campaign(w)
    p = await partner(w)
    await w.uses.add_members(AddMembers(c, "maria", partner_ids=(p,)))
    await w.uses.generate_opportunities(GenerateOpportunities(c, "maria", all_members=True))
    opportunity = uuid4()
    early = order(opportunity_id=opportunity)
    await w.uses.order_placed(RecordOrder(early))
    w.publisher.calls.clear()
    first_seen = NOW - dt.timedelta(minutes=5)
    cmd = RecordOpportunity(opportunity, p, c, "Demo", at=first_seen)

    await w.uses.opportunities_opened([cmd, cmd])
    await w.uses.opportunities_opened([replace(cmd, at=NOW)])

    assert (await w.uses.progress(c)).opened == 1
    assert [f.source_id for f in w.repo.facts.values()] == [early.order_id]
    assert w.publisher.said() == ["order_attached", "results_changed"]
    assert w.repo.opportunities[opportunity] == (c, first_seen)


async def test_a_posted_cost_counts_for_the_campaign_it_names_only_when_it_is_a_marketing_cost() -> None:
    w = world()
    c = await campaign(w)
    await w.uses.cost_posted(RecordCostDocument(cost(c, kind="sales_invoice")))
    await w.uses.cost_posted(RecordCostDocument(cost(uuid4())))
    counted = cost(c, net="250")
    await w.uses.cost_posted(RecordCostDocument(counted))
    assert [(f.source_id, f.via) for f in w.repo.facts.values()] == [(counted.document_id, Via.DOCUMENT)]
    assert w.publisher.said() == ["cost_attached", "results_changed"]


async def test_an_order_counts_for_the_campaign_it_names_before_the_campaign_of_its_opportunity() -> None:
    w = world()
    named, of_opportunity = await campaign(w), await campaign(w, "Alta")
    opportunity = uuid4()
    await w.uses.opportunity_opened(RecordOpportunity(opportunity, uuid4(), of_opportunity, "Demo"))
    both = order(named, opportunity)
    only_opportunity = order(None, opportunity)
    for o in (both, only_opportunity, order()):
        await w.uses.order_placed(RecordOrder(o))
    assert {(f.source_id, f.campaign_id, f.via) for f in w.repo.facts.values()} == {
        (both.order_id, named, Via.DOCUMENT),
        (only_opportunity.order_id, of_opportunity, Via.OPPORTUNITY),
    }


async def test_the_invoices_of_a_campaigns_subscription_count_as_revenue_and_in_their_months_return() -> None:
    w = world()
    c = await campaign(w)
    contract = subscription(c)
    await w.uses.contract_signed(RecordContract(contract))
    await w.uses.invoice_issued(RecordInvoice(invoice(contract_id=contract.contract_id, period="2026-04")))
    results = await w.uses.results(c, None)
    assert results.invoiced_revenue == Decimal("100.00")
    assert [(m.month, m.value) for m in results.monthly_return] == [
        ("2026-03", Decimal("0.00")),
        ("2026-04", Decimal("100.00")),
        ("2026-05", Decimal("0.00")),
    ]
    # The contract's attribution publishes the (first) results; the invoice moves them.
    assert w.publisher.said() == ["results_changed", "invoice_attached", "results_changed"]


async def test_an_invoice_on_an_order_of_no_campaign_counts_nowhere() -> None:
    w = world()
    o = order()
    await w.uses.order_placed(RecordOrder(o))
    await w.uses.invoice_issued(RecordInvoice(invoice(order_id=o.order_id)))
    assert (w.repo.facts, w.publisher.calls) == ({}, [])


# -- queries ------------------------------------------------------------------------------------------------------


async def test_campaigns_are_listed_by_name_latest_first_and_an_unknown_one_is_not_found() -> None:
    w = world()
    await campaign(w, "Vară")
    await campaign(w, "Iarnă")
    found, total = await w.uses.campaigns(name="ară", limit=10, offset=0)
    assert ([c.name for c in found], total) == (["Vară"], 1)
    for query in (w.uses.overview, w.uses.progress):
        with pytest.raises(NotFound):
            await query(uuid4())


async def test_the_campaign_picker_finds_word_starts_without_accents_and_answers_at_most_the_limit() -> None:
    w = world()
    brasov = await campaign(w, "Toamnă la Brașov")
    for n in range(25):
        await campaign(w, f"Târg {n:02d}")
    assert [c.id for c in await w.uses.search_campaigns("BRASOV toam")] == [brasov]
    assert await w.uses.search_campaigns("rasov") == []  # not a word's start
    assert await w.uses.search_campaigns("  ") == []
    assert len(await w.uses.search_campaigns("targ")) == 20
    assert len(await w.uses.search_campaigns("targ", limit=3)) == 3
    with pytest.raises(Invalid, match="at most 100 characters"):
        await w.uses.search_campaigns("x" * 101)
    with pytest.raises(Invalid, match="limit"):
        await w.uses.search_campaigns("t", limit=0)


async def test_results_as_of_a_date_count_only_the_facts_in_effect_by_then() -> None:
    w = world()
    c = await campaign(w)
    await w.uses.cost_posted(RecordCostDocument(cost(c, net="400")))
    await w.uses.contract_signed(RecordContract(subscription(c)))
    o = order(c)
    await w.uses.order_placed(RecordOrder(o))
    await w.uses.invoice_issued(RecordInvoice(invoice(order_id=o.order_id, net="600")))
    before = await w.uses.results(c, START - dt.timedelta(days=1))
    after = await w.uses.results(c, None)
    assert (before.realized_cost, before.roi) == (Decimal("0.00"), None)
    assert (after.realized_cost, after.invoiced_revenue, after.roi) == (
        Decimal("400.00"),
        Decimal("600.00"),
        Decimal("0.5000"),
    )
    page = await w.uses.facts(c, Measure.ACCEPTED, None, limit=10, offset=0)
    assert (page.total, page.sum) == (1, Decimal(5000))


async def test_registered_partners_are_kept_in_one_call_and_a_replayed_registration_keeps_a_later_change() -> None:
    w = world()
    first = Partner(uuid4(), "lead", "Alfa SRL", county="Cluj")
    await w.uses.partners_registered([KeepPartner(first), KeepPartner(Partner(uuid4(), "client", "Beta SRL"))])
    changed = Partner(first.partner_id, "client", "Alfa Group SRL", county="Cluj")
    await w.uses.partner_changed(KeepPartner(changed))
    await w.uses.partners_registered([KeepPartner(first)])  # the registration again (a replay)
    assert len(w.repo.partners) == 2
    assert w.repo.partners[first.partner_id].name == "Alfa Group SRL"
