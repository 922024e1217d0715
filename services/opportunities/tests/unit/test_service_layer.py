"""Every opportunities use case on in-memory fakes: the rule's outcome, what was published, what a refusal left."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from crm_kit.errors import Conflict, Invalid, NotFound
from crm_opportunities.domain.documents import Article, Document, DocumentKind, Line, TermsRequest
from crm_opportunities.domain.model import Actor, OpportunityFilter, Partner, StageRequest
from crm_opportunities.domain.stages import Stage
from crm_opportunities.service_layer import (
    AcceptOffer,
    AddLostReason,
    ChangeLostReason,
    ChangeStage,
    KeepArticle,
    KeepCampaign,
    KeepPartner,
    OpenForCampaign,
    OpenOpportunity,
    RecordClientDecision,
    RecordInvoice,
    RecordIssuedDocument,
    RecordRefusal,
    RejectOffer,
    RequestDocument,
    SetStageWeights,
    UpdateOpportunity,
)

from .fakes import T0, World, world

ANA = Actor(name="ana", staff_id=UUID("0190a000-0000-7000-8000-00000000a001"))
DELEGATE = UUID("0190a000-0000-7000-8000-00000000a002")
LIC = Article("LIC", "Licence", "buc", Decimal("100"), Decimal(21))


async def opened(w: World, title: str = "ERP licences", potential: Decimal = Decimal(0)) -> UUID:
    dossier = await w.uses.open(OpenOpportunity(partner_id=uuid4(), title=title, actor=ANA, potential=potential))
    return dossier.opportunity.id


async def moved(w: World, opportunity_id: UUID, *stages: Stage) -> None:
    for stage in stages:
        await w.uses.change_stage(ChangeStage(opportunity_id, StageRequest(stage=stage), ANA))


async def asked(w: World, opportunity_id: UUID, kind: DocumentKind = "offer") -> Document:
    await w.uses.article_changed(KeepArticle(LIC))
    return await w.uses.request_document(RequestDocument(opportunity_id, kind, (Line("LIC", Decimal(2)),), ANA))


def issued(doc: Document, number: str = "OF-1", *, request_id: UUID | None = None) -> RecordIssuedDocument:
    """What commercial's event says of the document it issued for ``doc`` (matched by ``doc``'s request)."""
    return RecordIssuedDocument(
        kind=doc.kind,
        document_id=uuid4(),
        partner_id=uuid4(),
        number=number,
        issued_on=date(2026, 3, 3),
        net=Decimal(200),
        vat=Decimal(42),
        gross=Decimal(242),
        currency="RON",
        lines=doc.lines,
        request_id=request_id or doc.request_id,
        opportunity_id=doc.opportunity_id,
        offer_id=None,
        printout_sha256=None,
    )


async def offer_on_the_table(w: World) -> tuple[UUID, UUID]:
    """An opportunity at 'offer' with an offer commercial issued; the publisher's record starts empty."""
    opp = await opened(w)
    doc = await asked(w, opp)
    record = issued(doc)
    await w.uses.document_issued(record)
    w.publisher.calls.clear()
    return opp, record.document_id


# -- open, update, change stage -----------------------------------------------------------------------------


async def test_opening_records_the_opportunity_at_new_owned_by_the_actor_and_publishes_it() -> None:
    w = world()
    partner = Partner(uuid4(), "Client SRL", "client")
    await w.uses.partner_changed(KeepPartner(partner))

    dossier = await w.uses.open(OpenOpportunity(partner_id=partner.partner_id, title=" ERP ", actor=ANA))

    opp = dossier.opportunity
    assert (opp.stage, opp.title, opp.owner_staff_id, opp.created_at) == ("new", "ERP", ANA.staff_id, T0)
    assert dossier.partner_name == "Client SRL"
    assert [e.stage for e in dossier.history] == ["new"]
    assert w.publisher.said() == ["opened"]


async def test_opening_with_a_blank_title_is_refused_and_leaves_nothing() -> None:
    w = world()
    with pytest.raises(Invalid, match="needs a title"):
        await w.uses.open(OpenOpportunity(partner_id=uuid4(), title="  ", actor=ANA))
    assert (w.repo.opportunities, w.publisher.calls, w.uow.rollbacks) == ({}, [], 1)


async def test_updating_details_saves_and_publishes_the_new_state() -> None:
    w = world()
    opp = await opened(w)
    w.clock.advance(hours=1)

    dossier = await w.uses.update(UpdateOpportunity(opp, potential=Decimal("1234.565"), title="ERP 2"))

    assert (dossier.opportunity.potential, dossier.opportunity.title) == (Decimal("1234.57"), "ERP 2")
    assert [o.potential for o in w.publisher.of("updated")] == [Decimal("1234.57")]


async def test_an_update_that_changes_nothing_publishes_nothing() -> None:
    w = world()
    opp = await opened(w, title="ERP")
    await w.uses.update(UpdateOpportunity(opp, title="ERP"))
    assert w.publisher.said() == ["opened"]


async def test_a_closed_opportunity_keeps_its_details() -> None:
    w = world()
    opp = await opened(w)
    await w.uses.change_stage(ChangeStage(opp, StageRequest(stage="lost", reason_code="no_budget"), ANA))
    with pytest.raises(Conflict, match="closed"):
        await w.uses.update(UpdateOpportunity(opp, title="again"))
    assert "updated" not in w.publisher.said()


async def test_a_stage_change_with_a_follow_up_date_schedules_a_follow_up_for_the_delegate() -> None:
    w = world()
    opp = await opened(w)
    w.clock.advance(hours=2)
    when = T0 + timedelta(days=3)
    request = StageRequest(stage="presentation", note="demo", delegate_staff_id=DELEGATE, follow_up_at=when)

    dossier = await w.uses.change_stage(ChangeStage(opp, request, ANA))

    assert dossier.opportunity.stage == "presentation"
    assert dossier.opportunity.probability == Decimal("25.00")
    assert [(e.stage, e.left_at) for e in dossier.history] == [("new", w.clock.now), ("presentation", None)]
    [move] = w.publisher.of("stage_changed")
    assert move.follow_up is not None
    assert (move.follow_up.delegate_staff_id, move.follow_up.follow_up_at, move.follow_up.note) == (
        DELEGATE,
        when,
        "demo",
    )
    assert move.seconds_in_previous_stage == 2 * 3600


async def test_moving_to_the_stage_it_is_at_says_since_when_and_by_whom_and_changes_nothing() -> None:
    w = world()
    opp = await opened(w)
    await moved(w, opp, "presentation")
    with pytest.raises(Conflict, match=r"already at the stage 'presentation' \(since 2026-03-02 09:00 UTC by ana\)"):
        await moved(w, opp, "presentation")
    assert len(w.repo.entries[opp]) == 2
    assert w.publisher.said() == ["opened", "stage_changed"]


async def test_losing_without_a_reason_is_refused_and_the_opportunity_stays_where_it_was() -> None:
    w = world()
    opp = await opened(w)
    with pytest.raises(Invalid, match="lost-reasons catalogue") as refused:
        await w.uses.change_stage(ChangeStage(opp, StageRequest(stage="lost"), ANA))
    assert refused.value.extra["allowed"] == ["competitor", "no_answer", "no_budget", "price_too_high"]
    assert w.repo.opportunities[opp].stage == "new"
    assert w.publisher.said() == ["opened"]


async def test_a_follow_up_without_a_delegate_from_someone_without_a_staff_id_is_refused() -> None:
    w = world()
    opp = await opened(w)
    request = StageRequest(stage="presentation", follow_up_at=T0 + timedelta(days=1))
    with pytest.raises(Invalid, match="needs a delegate"):
        await w.uses.change_stage(ChangeStage(opp, request, Actor(name="robot")))
    assert w.repo.opportunities[opp].stage == "new"


# -- documents ----------------------------------------------------------------------------------------------


async def test_asking_for_an_offer_records_the_request_publishes_it_and_moves_the_stage_to_offer() -> None:
    w = world()
    opp = await opened(w)

    doc = await asked(w, opp)

    assert (doc.kind, doc.status, doc.valid_until) == ("offer", "requested", (T0 + timedelta(days=30)).date())
    assert doc.lines[0].price == Decimal(100)
    assert w.publisher.said() == ["opened", "document_requested", "stage_changed"]
    assert w.repo.opportunities[opp].stage == "offer"
    assert w.repo.entries[opp][-1].note == "Ofertă cerută"


async def test_a_request_naming_an_article_not_in_the_catalogue_is_refused_and_leaves_nothing() -> None:
    w = world()
    opp = await opened(w)
    with pytest.raises(Invalid, match="not in the article catalogue"):
        await w.uses.request_document(RequestDocument(opp, "offer", (Line("NOPE", Decimal(1)),), ANA))
    assert (w.repo.docs, w.repo.opportunities[opp].stage) == ({}, "new")
    assert w.publisher.said() == ["opened"]


async def test_a_contract_request_without_terms_asks_for_a_commercial_contract_starting_today() -> None:
    w = world()
    opp = await opened(w)
    await moved(w, opp, "presentation", "negotiation")
    await asked(w, opp, "contract")
    [(doc, terms)] = w.publisher.of("document_requested")
    assert (doc.kind, terms.kind, terms.starts_on) == ("contract", "commercial", T0.date())


async def test_a_subscription_contract_without_its_months_is_refused() -> None:
    w = world()
    opp = await opened(w)
    await w.uses.article_changed(KeepArticle(LIC))
    with pytest.raises(Invalid, match="months"):
        await w.uses.request_document(
            RequestDocument(opp, "contract", (Line("LIC", Decimal(1)),), ANA, terms=TermsRequest("subscription"))
        )
    assert w.repo.docs == {}


async def test_accepting_an_offer_asks_for_the_order_and_the_contract_with_its_lines() -> None:
    w = world()
    opp, offer_id = await offer_on_the_table(w)

    done = await w.uses.accept_offer(AcceptOffer(opp, offer_id, "both", ANA))

    assert done.offer.decision == "accepted"
    assert [(d.kind, d.from_offer_id, d.note) for d in done.requests] == [
        ("order", offer_id, "Din oferta OF-1"),
        ("contract", offer_id, "Din oferta OF-1"),
    ]
    assert done.dossier.opportunity.stage == "negotiation"
    assert w.publisher.said() == ["document_requested", "stage_changed", "document_requested"]


async def test_an_offer_is_accepted_once_and_the_second_acceptance_asks_for_nothing() -> None:
    w = world()
    opp, offer_id = await offer_on_the_table(w)
    await w.uses.accept_offer(AcceptOffer(opp, offer_id, "order", ANA))
    before = list(w.publisher.calls)

    with pytest.raises(Conflict, match="the offer OF-1 was already accepted at 2026-03-02 09:00 UTC by ana"):
        await w.uses.accept_offer(AcceptOffer(opp, offer_id, "order", ANA))

    assert w.publisher.calls == before
    assert [d.kind for d in w.repo.docs.values()] == ["offer", "order"]


async def test_the_offers_of_a_closed_opportunity_are_no_longer_decided() -> None:
    w = world()
    opp, offer_id = await offer_on_the_table(w)
    await w.uses.change_stage(ChangeStage(opp, StageRequest(stage="lost", reason_code="competitor"), ANA))
    with pytest.raises(Conflict, match="closed"):
        await w.uses.accept_offer(AcceptOffer(opp, offer_id, "order", ANA))


async def test_losing_an_opportunity_rejects_its_open_offer_for_the_same_reason() -> None:
    w = world()
    opp, offer_id = await offer_on_the_table(w)
    lost = StageRequest(stage="lost", reason_code="competitor", note="au ales alt furnizor")

    dossier = await w.uses.change_stage(ChangeStage(opp, lost, ANA))

    [offer] = [d for d in dossier.documents if d.document_id == offer_id]
    assert (offer.decision, offer.reason_code, offer.note, offer.decided_by) == (
        "rejected",
        "competitor",
        "au ales alt furnizor",
        "ana",
    )
    assert w.publisher.said() == ["stage_changed", "offer_rejected"]  # commercial's offer is rejected too
    [told] = w.publisher.of("offer_rejected")
    assert (told.document_id, told.reason_code) == (offer_id, "competitor")


async def test_an_offer_issued_after_its_opportunity_was_lost_is_rejected_for_the_loss_reason() -> None:
    w = world()
    opp = await opened(w)
    doc = await asked(w, opp)
    await w.uses.change_stage(ChangeStage(opp, StageRequest(stage="lost", reason_code="competitor"), ANA))

    recorded = await w.uses.document_issued(issued(doc))

    assert recorded is not None and (recorded.decision, recorded.reason_code) == ("rejected", "competitor")
    assert w.repo.opportunities[opp].stage == "lost"


async def test_rejecting_one_offer_rejects_the_lost_opportunitys_other_open_offer_too() -> None:
    w = world()
    opp, first = await offer_on_the_table(w)
    second = issued(await asked(w, opp), "OF-2")
    await w.uses.document_issued(second)

    await w.uses.reject_offer(RejectOffer(opp, first, ANA, reason_code="price_too_high"))

    decisions = {d.number: (d.decision, d.reason_code) for d in w.repo.docs.values()}
    assert decisions == {"OF-1": ("rejected", "price_too_high"), "OF-2": ("rejected", "price_too_high")}


async def test_rejecting_an_offer_for_a_catalogued_reason_loses_the_opportunity() -> None:
    w = world()
    opp, offer_id = await offer_on_the_table(w)

    done = await w.uses.reject_offer(RejectOffer(opp, offer_id, ANA, reason_code="price_too_high", note="too dear"))

    assert (done.offer.decision, done.offer.reason_code) == ("rejected", "price_too_high")
    assert done.move is not None
    assert (done.move.entry.stage, done.move.entry.note) == ("lost", "Oferta OF-1 respinsă: too dear")
    assert done.dossier.opportunity.lost_reason_code == "price_too_high"
    assert w.publisher.said() == ["offer_rejected", "stage_changed"]


async def test_an_offer_rejected_while_keeping_the_opportunity_open_moves_nothing() -> None:
    w = world()
    opp, offer_id = await offer_on_the_table(w)
    done = await w.uses.reject_offer(RejectOffer(opp, offer_id, ANA, reason_code="competitor", keep_open=True))
    assert (done.move, done.dossier.opportunity.stage, w.publisher.said()) == (None, "offer", ["offer_rejected"])
    [told] = w.publisher.of("offer_rejected")
    assert (told.document_id, told.reason_code, told.decided_by) == (offer_id, "competitor", "ana")


async def test_rejecting_an_offer_without_a_reason_is_refused_and_the_offer_stays_open() -> None:
    w = world()
    opp, offer_id = await offer_on_the_table(w)
    with pytest.raises(Invalid, match="needs a reason"):
        await w.uses.reject_offer(RejectOffer(opp, offer_id, ANA))
    [offer] = [d for d in w.repo.docs.values() if d.document_id == offer_id]
    assert offer.decision == "open"


# -- what other contexts tell us -----------------------------------------------------------------------------


async def test_an_issued_order_shows_on_its_opportunity_and_moves_it_to_negotiation() -> None:
    w = world()
    opp = await opened(w)
    await moved(w, opp, "presentation")
    doc = await asked(w, opp, "order")
    w.publisher.calls.clear()
    await moved(w, opp, "offer")

    shown = await w.uses.document_issued(issued(doc, "CMD-7"))

    assert shown is not None
    assert (shown.number, shown.status, shown.decision) == ("CMD-7", "issued", None)
    assert w.repo.opportunities[opp].stage == "negotiation"
    assert w.repo.entries[opp][-1].changed_by == "commercial"


async def test_a_document_issued_from_an_opportunity_without_a_request_is_shown_on_it() -> None:
    w = world()
    opp = await opened(w)
    record = issued(Document(uuid4(), opp, "offer", None, T0, None, ()), "OF-9")
    shown = await w.uses.document_issued(record)
    assert shown is not None
    assert (shown.requested_by, shown.decision, w.repo.opportunities[opp].stage) == ("commercial", "open", "offer")


async def test_a_document_of_no_opportunity_of_ours_is_ignored() -> None:
    w = world()
    record = issued(Document(uuid4(), uuid4(), "offer", None, T0, None, ()))
    assert await w.uses.document_issued(record) is None
    assert (w.repo.docs, w.publisher.calls) == ({}, [])


async def test_a_client_acceptance_commercial_recorded_moves_the_opportunity_to_negotiation() -> None:
    w = world()
    opp, offer_id = await offer_on_the_table(w)
    decided = await w.uses.offer_decided_by_client(RecordClientDecision(offer_id, accepted=True))
    assert decided is not None
    assert (decided.decision, decided.decided_by) == ("accepted", "commercial")
    assert w.repo.opportunities[opp].stage == "negotiation"


async def test_a_client_rejection_with_a_catalogued_reason_loses_it_and_a_second_answer_is_ignored() -> None:
    w = world()
    opp, offer_id = await offer_on_the_table(w)
    await w.uses.offer_decided_by_client(RecordClientDecision(offer_id, accepted=False, reason_code="no_budget"))
    assert w.repo.opportunities[opp].stage == "lost"
    assert await w.uses.offer_decided_by_client(RecordClientDecision(offer_id, accepted=True)) is None
    assert w.publisher.said() == ["stage_changed"]


async def test_a_refused_request_shows_why_and_a_refusal_of_another_kind_is_ignored() -> None:
    w = world()
    opp = await opened(w)
    doc = await asked(w, opp)
    assert doc.request_id is not None
    assert await w.uses.document_refused(RecordRefusal(doc.request_id, "invoice", "no")) is None
    refused = await w.uses.document_refused(RecordRefusal(doc.request_id, "offer", "article blocked"))
    assert refused is not None
    assert (refused.status, refused.refusal) == ("refused", "article blocked")


async def test_an_invoice_on_one_of_our_orders_makes_the_sale_and_one_on_no_order_changes_nothing() -> None:
    w = world()
    opp = await opened(w)
    await moved(w, opp, "presentation")
    order = await asked(w, opp, "order")
    record = issued(order, "CMD-1")
    await w.uses.document_issued(record)

    assert await w.uses.invoice_issued(RecordInvoice(order_id=None, number="F-0")) is None
    move = await w.uses.invoice_issued(RecordInvoice(order_id=record.document_id, number="F-1"))

    assert move is not None
    assert (move.entry.stage, move.entry.note) == ("sale", "Factura F-1 emisă")


async def test_a_campaign_opens_one_opportunity_per_partner_however_often_it_asks() -> None:
    w = world()
    campaign, partners = uuid4(), (uuid4(), uuid4())
    await w.uses.campaign_changed(KeepCampaign(campaign, "Toamna 2026"))

    first = await w.uses.open_for_campaign(OpenForCampaign(campaign, (*partners, partners[0]), uuid4(), DELEGATE))
    again = await w.uses.open_for_campaign(OpenForCampaign(campaign, partners, uuid4(), DELEGATE))

    assert [(o.title, o.campaign_id, o.owner_staff_id) for o in first] == [("Toamna 2026", campaign, DELEGATE)] * 2
    assert again == []
    assert w.publisher.said() == ["opened", "opened"]


async def test_an_opportunity_a_campaign_opened_names_the_campaign_it_came_from() -> None:
    w = world()
    campaign = uuid4()
    await w.uses.campaign_changed(KeepCampaign(campaign, "Toamna 2026"))
    [opp] = await w.uses.open_for_campaign(OpenForCampaign(campaign, (uuid4(),), uuid4(), DELEGATE))

    dossier = await w.uses.dossier(opp.id)

    assert dossier.campaign_name == "Toamna 2026"
    assert [e.changed_by for e in dossier.history] == ["campaigns"]  # the page writes "Campanie: Toamna 2026"
    assert (await w.uses.dossier(await opened(w))).campaign_name is None


async def test_a_redelivered_campaign_command_opens_nothing_twice_and_a_later_one_only_the_new_partners() -> None:
    w = world()
    campaign, partners, newcomer = uuid4(), (uuid4(), uuid4(), uuid4()), uuid4()
    command = OpenForCampaign(campaign, partners, uuid4(), DELEGATE, title="Toamna 2026")
    w.repo.stage_weights["new"] = Decimal(5)

    first = await w.uses.open_for_campaign(command)
    redelivered = await w.uses.open_for_campaign(command)
    later = await w.uses.open_for_campaign(OpenForCampaign(campaign, (partners[1], newcomer), uuid4(), DELEGATE))

    assert ([o.partner_id for o in first], redelivered, [o.partner_id for o in later]) == (
        list(partners),
        [],
        [newcomer],
    )
    assert len(w.repo.opportunities) == 4
    assert [move.opportunity.partner_id for move in w.publisher.of("opened")] == [*partners, newcomer]
    # Each one as a single opening makes it: at 'new', its probability the stage's weight, one stay.
    opp = w.repo.opportunities[first[0].id]
    assert (opp.stage, opp.probability, opp.potential, opp.created_at) == ("new", Decimal(5), Decimal(0), T0)
    assert [(e.seq, e.stage, e.changed_by) for e in w.repo.entries[opp.id]] == [(1, "new", "campaigns")]


async def test_partners_and_articles_other_contexts_publish_feed_the_pickers() -> None:
    w = world()
    await w.uses.partner_changed(KeepPartner(Partner(uuid4(), "Beta SRL", "lead")))
    await w.uses.partner_changed(KeepPartner(Partner(uuid4(), "Alfa SA", "client")))
    await w.uses.article_changed(KeepArticle(LIC))
    assert [p.name for p in await w.uses.partners(name="s", limit=10)] == ["Alfa SA", "Beta SRL"]
    assert await w.uses.articles(q="lic", limit=10) == [LIC]
    assert w.publisher.calls == []


async def test_registered_partners_are_kept_in_one_call_and_a_replayed_registration_keeps_a_later_change() -> None:
    w = world()
    first = Partner(uuid4(), "Alfa SRL", "lead")
    await w.uses.partners_registered([KeepPartner(first), KeepPartner(Partner(uuid4(), "Beta SRL", "client"))])
    await w.uses.partner_changed(KeepPartner(Partner(first.partner_id, "Alfa Group SRL", "client")))
    await w.uses.partners_registered([KeepPartner(first)])  # the registration again (a replay)
    assert len(w.repo.known_partners) == 2
    assert w.repo.known_partners[first.partner_id].name == "Alfa Group SRL"
    assert w.publisher.calls == []


# -- catalogues ---------------------------------------------------------------------------------------------


async def test_a_new_lost_reason_is_added_once_and_its_code_cannot_be_taken_again() -> None:
    w = world()
    added = await w.uses.add_lost_reason(AddLostReason("timing", " Moment nepotrivit "))
    assert (added.text, added.active) == ("Moment nepotrivit", True)
    with pytest.raises(Conflict, match="already exists"):
        await w.uses.add_lost_reason(AddLostReason("timing", "again"))
    with pytest.raises(Invalid, match="needs a text"):
        await w.uses.add_lost_reason(AddLostReason("blank", "   "))
    assert w.repo.reasons["timing"].text == "Moment nepotrivit"
    assert "blank" not in w.repo.reasons


async def test_a_retired_lost_reason_keeps_its_text_and_is_no_longer_offered() -> None:
    w = world()
    retired = await w.uses.change_lost_reason(ChangeLostReason("no_answer", active=False))
    assert (retired.text, retired.active) == ("Fără răspuns", False)
    assert "no_answer" not in [r.code for r in await w.uses.lost_reasons(active=True)]
    assert [r.code for r in await w.uses.lost_reasons(active=False)] == ["no_answer"]
    with pytest.raises(NotFound):
        await w.uses.change_lost_reason(ChangeLostReason("nope", text="x"))


async def test_new_stage_weights_say_who_set_them_and_a_bad_weight_changes_none() -> None:
    w = world()
    w.clock.advance(days=1)
    done = await w.uses.set_weights(SetStageWeights({"offer": Decimal(40)}, by="mara"))
    assert (done.weights["offer"], done.updated_at, done.updated_by) == (Decimal("40.00"), w.clock.now, "mara")
    with pytest.raises(Invalid):
        await w.uses.set_weights(SetStageWeights({"presentation": Decimal(10), "lost": Decimal(5)}, by="mara"))
    current = await w.uses.weights()
    assert (current.weights["presentation"], current.updated_by) == (Decimal(25), "mara")


# -- queries ------------------------------------------------------------------------------------------------


async def test_an_unknown_opportunity_is_not_found_by_any_query() -> None:
    w = world()
    for query in (w.uses.dossier, w.uses.stage_history, w.uses.documents):
        with pytest.raises(NotFound):
            await query(uuid4())


async def test_lists_filter_by_stage_and_title_and_count_what_matches() -> None:
    w = world()
    first = await opened(w, "ERP licences")
    await opened(w, "Servers")
    await moved(w, first, "presentation")
    found = await w.uses.find(OpportunityFilter(stage="presentation", title="erp"), limit=10, offset=0)
    assert ([o.id for o, _ in found.rows], found.total, found.weights["presentation"]) == ([first], 1, Decimal(25))


async def test_the_history_and_documents_of_an_opportunity_are_listed_oldest_first() -> None:
    w = world()
    opp = await opened(w)
    doc = await asked(w, opp)
    assert [e.stage for e in await w.uses.stage_history(opp)] == ["new", "offer"]
    assert [d.id for d in await w.uses.documents(opp)] == [doc.id]


async def test_the_pipeline_counts_and_sums_each_stage() -> None:
    w = world()
    for potential in ("1000", "3000"):
        opp = await opened(w, potential=Decimal(potential))
        await moved(w, opp, "offer")
    await opened(w, potential=Decimal(500))
    found = await w.uses.pipeline()
    totals = {t.stage: (t.count, t.potential) for t in found.totals}
    assert (totals["offer"], totals["new"], totals["sale"]) == ((2, Decimal(4000)), (1, Decimal(500)), (0, Decimal(0)))
    assert found.weights["offer"] == Decimal(50)


# -- the codes the web UI translates (problem body ``extra.code`` / ``extra.params``) ------------------------


async def test_a_second_acceptance_carries_the_offer_code_naming_who_decided_and_when() -> None:
    w = world()
    opp, offer_id = await offer_on_the_table(w)
    await w.uses.accept_offer(AcceptOffer(opp, offer_id, "order", ANA))
    before = list(w.publisher.calls)
    with pytest.raises(Conflict) as twice:
        await w.uses.accept_offer(AcceptOffer(opp, offer_id, "order", ANA))
    assert (twice.value.status_code, twice.value.code) == (409, "offer.already_decided_by")
    assert twice.value.params == {
        "number": "OF-1",
        "offer_decision": "accepted",
        "at": "2026-03-02 09:00 UTC",
        "by": "ana",
    }
    assert twice.value.extra["decision"] == "accepted"
    assert w.publisher.calls == before


async def test_a_document_asked_for_too_early_names_its_stage_by_code_and_nothing_is_asked() -> None:
    w = world()
    opp = await opened(w)
    await w.uses.article_changed(KeepArticle(LIC))
    with pytest.raises(Conflict) as early:
        await w.uses.request_document(RequestDocument(opp, "contract", (Line("LIC", Decimal(1)),), ANA))
    assert early.value.code == "opportunity.document_needs_stage"
    assert early.value.params == {"document_kind": "contract", "stage": "negotiation", "current": "new"}
    assert w.repo.docs == {}
    assert "document_requested" not in w.publisher.said()


async def test_a_closed_opportunity_refuses_new_details_and_its_offers_by_code() -> None:
    w = world()
    opp, offer_id = await offer_on_the_table(w)
    await w.uses.change_stage(ChangeStage(opp, StageRequest(stage="lost", reason_code="competitor"), ANA))
    with pytest.raises(Conflict) as offers:
        await w.uses.accept_offer(AcceptOffer(opp, offer_id, "order", ANA))
    assert (offers.value.code, offers.value.params) == ("opportunity.closed_to_offers", {"stage": "lost"})
    with pytest.raises(Conflict) as details:
        await w.uses.update(UpdateOpportunity(opp, title="Altul"))
    assert (details.value.code, details.value.params) == ("opportunity.closed", {"stage": "lost"})
    assert w.repo.opportunities[opp].title == "ERP licences"
