"""Every commercial use case against in-memory fakes of its ports: the rule, what is published, what is kept."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from crm_commercial.domain.articles import Article, ArticleScope, VatRate
from crm_commercial.domain.documents import Document, DocumentRequest, LineRequest, Source
from crm_commercial.domain.partners import Partner, UnknownPartner
from crm_commercial.ports import ParkedCommand, Publisher, Repository
from crm_commercial.service_layer import (
    AcceptOffer,
    AddArticle,
    AnswerRequest,
    ChangeArticle,
    ChooseArticleScope,
    EndContract,
    InvoiceContractMonth,
    InvoiceOrder,
    IssueDocument,
    PartnerChanged,
    PostCostDocument,
    PrintInvoice,
    RecordPayment,
    RejectOffer,
    SaveVatRate,
    UseCases,
)
from crm_kit.errors import Conflict, Invalid, NotFound
from crm_kit.testing.fakes import FakeClock, FakeUnitOfWork

from .fakes import FakeBlobs, FakePrinter, FakePublisher, InMemoryRepository

D = Decimal
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLIENT = "7d8a1a0e-0000-4000-8000-000000000001"
OTHER = "7d8a1a0e-0000-4000-8000-000000000002"


@dataclass
class World:
    uses: UseCases
    uow: FakeUnitOfWork[Repository, Publisher]
    repo: InMemoryRepository
    published: FakePublisher
    printer: FakePrinter
    blobs: FakeBlobs
    clock: FakeClock


@pytest.fixture
def world() -> World:
    repo = InMemoryRepository()
    for rate in (VatRate("S", D(21), "standard"), VatRate("R", D(11), "redusă"), VatRate("Z", D(0), "zero")):
        repo.rates[rate.code] = rate
    repo.catalogue["SRV"] = Article("SRV", "Oră de service", "ora", D("150.00"), D(21))
    repo.catalogue["LIC"] = Article("LIC", "Licență ERP", "buc", D("1000.00"), D(21))
    repo.partners[CLIENT] = Partner(CLIENT, "client", "Șantierul Naval Constanța S.A.", "RO1234567")
    repo.partners[OTHER] = Partner(OTHER, "client", "Ferma Râșnov")
    clock, published = FakeClock(NOW), FakePublisher()
    # Typed with the ports: mypy checks the fakes against the Protocols the use cases depend on.
    uow: FakeUnitOfWork[Repository, Publisher] = FakeUnitOfWork(repo, published, clock)
    printer, blobs = FakePrinter(), FakeBlobs()
    uses = UseCases(uow, printer=printer, blobs=blobs, clock=clock)
    return World(uses, uow, repo, published, printer, blobs, clock)


def lines(*items: tuple[str, str]) -> tuple[LineRequest, ...]:
    return tuple(LineRequest(code, D(qty)) for code, qty in items)


def issue(doc_type: Any = "offer", partner: str = CLIENT, **extra: Any) -> IssueDocument:
    return IssueDocument(doc_type, partner, extra.pop("lines", lines(("SRV", "2"))), **extra)


def request_id() -> str:
    return str(uuid.uuid4())


# VAT rates, articles, picker scope -------------------------------------------------------------------------------


async def test_a_vat_rate_is_saved_but_a_second_code_for_the_same_percentage_is_refused(world: World) -> None:
    saved = await world.uses.save_vat_rate(SaveVatRate(" SR ", D(9), " super-redusă "))
    assert saved == VatRate("SR", D(9), "super-redusă")
    with pytest.raises(Conflict, match="already in the catalogue as S"):
        await world.uses.save_vat_rate(SaveVatRate("S2", D(21), "alta"))
    assert set(world.repo.rates) == {"S", "R", "Z", "SR"}


async def test_a_rate_that_articles_still_use_cannot_be_retired(world: World) -> None:
    with pytest.raises(Conflict, match="articles still use 21%"):
        await world.uses.save_vat_rate(SaveVatRate("S", D(21), "standard", active=False))
    assert world.repo.rates["S"].active
    retired = await world.uses.save_vat_rate(SaveVatRate("Z", D(0), "zero", active=False))
    assert not retired.active


async def test_the_vat_catalogue_is_listed_highest_rate_first(world: World) -> None:
    assert [r.code for r in await world.uses.vat_rates()] == ["S", "R", "Z"]


async def test_the_picker_scope_names_only_known_articles(world: World) -> None:
    with pytest.raises(Invalid, match="unknown articles in the picker list: NOPE"):
        await world.uses.choose_article_scope(ChooseArticleScope("list", frozenset({"SRV", "NOPE"})))
    assert await world.uses.article_scope() == ArticleScope()
    chosen = await world.uses.choose_article_scope(ChooseArticleScope("list", frozenset({"SRV"})))
    assert await world.uses.article_scope() == chosen == ArticleScope("list", frozenset({"SRV"}))


async def test_the_picker_offers_only_the_chosen_articles_and_the_catalogue_all_of_them(world: World) -> None:
    await world.uses.choose_article_scope(ChooseArticleScope("list", frozenset({"SRV"})))
    picker = await world.uses.articles(None, picker=True, limit=50, offset=0)
    everything = await world.uses.articles(None, picker=False, limit=50, offset=0)
    assert [a.code for a in picker.items] == ["SRV"]
    assert ([a.code for a in everything.items], everything.total) == (["LIC", "SRV"], 2)


async def test_a_new_article_is_saved_and_announced(world: World) -> None:
    item = Article("CRT", "Carte tehnică", "buc", D("45.00"), D(11))
    assert await world.uses.add_article(AddArticle(item)) == item
    assert world.repo.catalogue["CRT"] == item
    assert world.published.calls == [("article_updated", item)]


async def test_adding_an_article_whose_code_exists_is_a_conflict_that_announces_nothing(world: World) -> None:
    with pytest.raises(Conflict, match="article SRV already exists"):
        await world.uses.add_article(AddArticle(Article("SRV", "Alt nume", "ora", D(1), D(21))))
    assert world.repo.catalogue["SRV"].name == "Oră de service"
    assert world.published.calls == []


async def test_an_article_with_a_vat_rate_outside_the_catalogue_or_a_photo_not_uploaded_is_refused(
    world: World,
) -> None:
    with pytest.raises(Invalid, match="VAT rate 19% is not in the catalogue"):
        await world.uses.add_article(AddArticle(Article("X", "X", "buc", D(1), D(19))))
    with pytest.raises(Invalid, match="photo not in the blob store"):
        await world.uses.add_article(AddArticle(Article("X", "X", "buc", D(1), D(21), photos=("a" * 64,))))
    photo = world.blobs.put(b"\x89PNG")
    await world.uses.add_article(AddArticle(Article("X", "X", "buc", D(1), D(21), photos=(photo,))))
    assert world.repo.catalogue["X"].photos == (photo,)


async def test_changing_an_article_announces_it_and_an_unknown_one_is_not_found(world: World) -> None:
    changed = replace(world.repo.catalogue["SRV"], price=D("160.00"))
    await world.uses.change_article(ChangeArticle(changed))
    assert world.published.of("article_updated") == [changed]
    with pytest.raises(NotFound, match="no article NOPE"):
        await world.uses.change_article(ChangeArticle(replace(changed, code="NOPE")))
    assert "NOPE" not in world.repo.catalogue


async def test_reading_an_article_finds_it_or_says_not_found(world: World) -> None:
    assert (await world.uses.article("LIC")).name == "Licență ERP"
    with pytest.raises(NotFound):
        await world.uses.article("NOPE")


# Issuing ---------------------------------------------------------------------------------------------------------


async def test_an_offer_is_priced_numbered_rendered_and_announced_with_its_printout(world: World) -> None:
    issued = await world.uses.issue(issue("offer", lines=lines(("SRV", "2"), ("LIC", "1"))))
    offer = issued.document
    assert issued.created
    assert (offer.number, offer.net, offer.vat, offer.gross) == (
        "OF-2026-000001",
        D("1300.00"),
        D("273.00"),
        D("1573.00"),
    )
    assert offer.valid_until == date(2026, 4, 1)  # 30 days by default
    assert offer.printout_sha256 is not None
    assert world.blobs.get(offer.printout_sha256).startswith(b"%PDF offer OF-2026-000001")
    assert world.published.calls == [("document_issued", offer)]


async def test_the_same_request_id_twice_issues_one_document(world: World) -> None:
    rid = request_id()
    first = await world.uses.issue(issue("order", request_id=rid))
    again = await world.uses.issue(issue("order", request_id=rid))
    assert (again.document, again.created) == (first.document, False)
    assert len(world.repo.docs) == 1
    assert world.published.names() == ["document_issued"]


async def test_an_article_outside_the_picker_scope_is_refused_and_takes_no_number(world: World) -> None:
    await world.uses.choose_article_scope(ChooseArticleScope("list", frozenset({"SRV"})))
    with pytest.raises(Invalid, match="LIC"):
        await world.uses.issue(issue("offer", lines=lines(("LIC", "1"))))
    assert (world.repo.docs, world.repo.series, world.published.calls) == ({}, {}, [])
    issued = await world.uses.issue(issue("offer", lines=lines(("SRV", "1"))))
    assert issued.document.number == "OF-2026-000001"


async def test_a_document_for_a_partner_the_directory_has_not_announced_is_refused(world: World) -> None:
    with pytest.raises(UnknownPartner, match="register it in the partner directory first"):
        await world.uses.issue(issue("order", partner=str(uuid.uuid4())))
    assert world.repo.docs == {}


async def test_an_invoice_moves_the_balance_and_is_announced_before_its_printout_exists(world: World) -> None:
    invoice = (await world.uses.issue(issue("invoice", lines=lines(("SRV", "1")), apply_scope=False))).document
    assert (invoice.number, invoice.gross, invoice.printout_sha256) == ("FCT-2026-000001", D("181.50"), None)
    assert world.repo.docs[invoice.id].number == "FCT-2026-000001"
    assert world.repo.balances[CLIENT] == D("181.50")
    assert world.published.calls == [("balance_changed", (CLIENT, D("181.50"), "RON")), ("document_issued", invoice)]
    assert world.printer.rendered == []  # rendered after the commit, by print_invoice


async def test_invoice_numbers_stay_gapless_when_an_invoice_is_refused_in_between(world: World) -> None:
    await world.uses.issue(issue("invoice"))
    with pytest.raises(Invalid, match="quantity must be positive"):
        await world.uses.issue(issue("invoice", lines=lines(("SRV", "0"))))
    third = await world.uses.issue(issue("invoice"))
    assert third.document.number == "FCT-2026-000002"
    assert world.uow.rollbacks == 1


async def test_a_document_is_issued_on_the_business_day_of_bucharest_not_of_utc(world: World) -> None:
    world.clock.now = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # 1 April, 01:30 in Bucharest
    issued = await world.uses.issue(issue("order"))
    assert issued.document.issued_on == issued.today == date(2026, 4, 1)
    assert world.uses.business_day(world.clock.now) == date(2026, 4, 1)


async def test_a_contract_gets_its_terms_and_a_subscription_without_months_is_refused(world: World) -> None:
    with pytest.raises(Invalid, match="needs its duration"):
        await world.uses.issue(issue("contract", kind="subscription"))
    signed = await world.uses.issue(issue("contract", kind="subscription", months=12, starts_on=date(2026, 4, 1)))
    contract = signed.document
    assert (contract.status, contract.starts_on, contract.ends_on) == ("active", date(2026, 4, 1), date(2027, 3, 31))
    assert contract.number == "CTR-2026-000001"


# Commands of other contexts --------------------------------------------------------------------------------------


def answer(request: DocumentRequest, command_id: str = "cmd-1") -> AnswerRequest:
    return AnswerRequest(command_id, "crm.tasks.InvoiceRequested.v1", "corr-1", request)


async def test_a_command_issues_its_document_and_accepts_the_offer_it_follows(world: World) -> None:
    offer = (await world.uses.issue(issue("offer"))).document
    order_request = DocumentRequest(
        "order", CLIENT, lines(("SRV", "2")), Source(offer_id=offer.id), request_id=request_id()
    )
    await world.uses.answer_request(answer(order_request))
    assert world.published.names() == ["document_issued", "document_issued", "offer_accepted"]
    assert world.repo.docs[offer.id].status == "accepted"
    assert await world.repo.by_request(order_request.request_id or "") is not None


async def test_a_command_answered_already_is_not_answered_again(world: World) -> None:
    request = DocumentRequest("order", CLIENT, lines(("SRV", "1")), request_id=request_id())
    await world.uses.answer_request(answer(request))
    await world.uses.answer_request(answer(request, "cmd-2"))
    assert world.published.names() == ["document_issued"]


async def test_a_command_that_can_never_succeed_is_rejected_and_leaves_nothing_else(world: World) -> None:
    request = DocumentRequest("offer", CLIENT, lines(("NOPE", "1")), request_id=request_id())
    await world.uses.answer_request(answer(request))
    assert world.published.calls == [("request_rejected", (request, "line 1: unknown article 'NOPE'"))]
    assert (world.repo.docs, world.repo.series, world.repo.parked) == ({}, {}, [])


async def test_a_command_for_an_unknown_partner_waits_and_is_answered_as_caused_by_itself(world: World) -> None:
    newcomer = str(uuid.uuid4())
    request = DocumentRequest("invoice", newcomer, lines(("SRV", "1")), request_id=request_id(), apply_scope=False)
    await world.uses.answer_request(answer(request, "cmd-9"))
    assert world.repo.parked == [ParkedCommand("cmd-9", "crm.tasks.InvoiceRequested.v1", "corr-1", request)]
    assert world.published.calls == []

    await world.uses.partner_changed(PartnerChanged(Partner(newcomer, "client", "Ferma Nouă")))
    assert world.repo.partners[newcomer].name == "Ferma Nouă"
    assert world.repo.parked == []
    assert world.published.caused_by == [("balance_changed", "cmd-9"), ("document_issued", "cmd-9")]
    (invoice,) = world.published.of("document_issued")
    assert isinstance(invoice, Document) and invoice.request_id == request.request_id


async def test_a_batch_of_registrations_keeps_new_partners_and_answers_each_ones_waiting_commands(world: World) -> None:
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    for n, partner_id in enumerate((first, second)):
        request = DocumentRequest(
            "invoice", partner_id, lines(("SRV", "1")), request_id=request_id(), apply_scope=False
        )
        await world.uses.answer_request(answer(request, f"cmd-{n}"))
    assert len(world.repo.parked) == 2

    await world.uses.partners_registered(
        [PartnerChanged(Partner(first, "client", "Ferma Unu")), PartnerChanged(Partner(second, "client", "Ferma Doi"))]
    )
    assert (world.repo.partners[first].name, world.repo.partners[second].name) == ("Ferma Unu", "Ferma Doi")
    assert world.repo.parked == []
    assert [c for _, c in world.published.caused_by if _ == "document_issued"] == ["cmd-0", "cmd-1"]


async def test_a_replayed_registration_does_not_undo_a_later_change_of_the_partner(world: World) -> None:
    await world.uses.partner_changed(PartnerChanged(Partner(CLIENT, "client", "Șantierul Naval S.A.")))
    await world.uses.partners_registered([PartnerChanged(Partner(CLIENT, "client", "Nume vechi"))])
    assert world.repo.partners[CLIENT].name == "Șantierul Naval S.A."


async def test_a_partner_change_without_parked_commands_only_updates_the_copy(world: World) -> None:
    await world.uses.partner_changed(PartnerChanged(Partner(CLIENT, "client", "Șantierul Naval S.A.")))
    assert world.repo.partners[CLIENT].name == "Șantierul Naval S.A."
    assert world.published.calls == []


# Invoices from an order or a contract month ----------------------------------------------------------------------


async def test_an_order_is_invoiced_once(world: World) -> None:
    order = (await world.uses.issue(issue("order"))).document
    invoice = (await world.uses.invoice_order(InvoiceOrder(order.id))).document
    assert (invoice.order_id, invoice.gross, invoice.lines[0].article_code) == (order.id, order.gross, "SRV")
    with pytest.raises(Conflict, match=f"already invoiced by {invoice.number}"):
        await world.uses.invoice_order(InvoiceOrder(order.id))
    with pytest.raises(NotFound, match="no order"):
        await world.uses.invoice_order(InvoiceOrder(invoice.id))
    assert world.published.names().count("document_issued") == 2


async def test_a_contract_month_is_invoiced_once_and_only_within_the_contract(world: World) -> None:
    contract = (
        await world.uses.issue(issue("contract", kind="subscription", months=3, starts_on=date(2026, 4, 1)))
    ).document
    with pytest.raises(Invalid, match="outside contract"):
        await world.uses.invoice_contract_month(InvoiceContractMonth(contract.id, "2026-07"))
    rid = request_id()
    first = await world.uses.invoice_contract_month(InvoiceContractMonth(contract.id, "2026-05", rid))
    assert (first.document.period, first.document.contract_id, first.created) == ("2026-05", contract.id, True)
    again = await world.uses.invoice_contract_month(InvoiceContractMonth(contract.id, "2026-05", rid))
    assert (again.document, again.created) == (first.document, False)
    with pytest.raises(Conflict, match="2026-05 of contract CTR-2026-000001 was already invoiced"):
        await world.uses.invoice_contract_month(InvoiceContractMonth(contract.id, "2026-05"))


# Offers ----------------------------------------------------------------------------------------------------------


async def test_accepting_an_offer_issues_the_order_and_contract_it_turns_into(world: World) -> None:
    offer = (await world.uses.issue(issue("offer"))).document
    accepted = await world.uses.accept_offer(AcceptOffer(offer.id, then="both", by="ana"))
    assert (accepted.offer.status, accepted.offer.decided_by, accepted.offer.decided_at) == ("accepted", "ana", NOW)
    assert [d.type for d in accepted.follow] == ["order", "contract"]
    assert all(d.source.offer_id == offer.id for d in accepted.follow)
    assert world.repo.follows == {d.id: offer.id for d in accepted.follow}
    assert world.published.names()[1:] == ["offer_accepted", "document_issued", "document_issued"]


async def test_an_offer_is_decided_once_and_the_loser_is_told_who_decided_and_when(world: World) -> None:
    offer = (await world.uses.issue(issue("offer"))).document
    await world.uses.accept_offer(AcceptOffer(offer.id, by="ana"))
    with pytest.raises(Conflict, match="OF-2026-000001 was already accepted at 2026-03-02 11:00 by ana"):
        await world.uses.reject_offer(RejectOffer(offer.id, "PRICE", by="dan"))
    assert world.repo.docs[offer.id].status == "accepted"
    assert world.published.names() == ["document_issued", "offer_accepted"]


async def test_a_lost_race_to_decide_an_offer_is_a_conflict_that_leaves_nothing(world: World) -> None:
    offer = (await world.uses.issue(issue("offer"))).document
    # Another request decides between this one's read and its update: the store refuses the second winner.
    real_get = world.repo.get

    async def stale_get(document_id: str, *, lock: bool = False) -> Document | None:
        found = await real_get(document_id, lock=lock)
        world.repo.docs[offer.id] = replace(offer, status="rejected", decided_by="dan")
        return found

    world.repo.get = stale_get  # type: ignore[method-assign]
    with pytest.raises(Conflict, match="already rejected by dan"):
        await world.uses.accept_offer(AcceptOffer(offer.id, then="order", by="ana"))
    del world.repo.get
    assert [d.type for d in world.repo.docs.values()] == ["offer"]
    assert world.published.names() == ["document_issued"]


async def test_rejecting_an_offer_needs_a_reason_and_announces_it(world: World) -> None:
    offer = (await world.uses.issue(issue("offer"))).document
    with pytest.raises(Invalid, match="needs a reason code"):
        await world.uses.reject_offer(RejectOffer(offer.id, "  "))
    rejected = await world.uses.reject_offer(RejectOffer(offer.id, "PRICE", "too dear", by="ana"))
    assert (rejected.status, rejected.reason_code, rejected.note) == ("rejected", "PRICE", "too dear")
    assert world.published.of("offer_rejected") == [rejected]


async def test_an_offer_rejected_on_its_opportunity_is_rejected_here_once_and_an_accepted_one_stays_so(
    world: World,
) -> None:
    offer = (await world.uses.issue(issue("offer"))).document
    told = RejectOffer(offer.id, "price_too_high", "prea scump", by="ana")
    rejected = await world.uses.record_offer_rejection(told)
    assert rejected is not None and (rejected.status, rejected.reason_code) == ("rejected", "price_too_high")
    assert await world.uses.record_offer_rejection(told) is None  # the command again: nothing changes
    assert world.published.names() == ["document_issued", "offer_rejected"]
    other = (await world.uses.issue(issue("offer"))).document
    await world.uses.accept_offer(AcceptOffer(other.id, by="dan"))
    assert await world.uses.record_offer_rejection(RejectOffer(other.id, "competitor")) is None
    assert world.repo.docs[other.id].status == "accepted"
    with pytest.raises(NotFound):  # not an offer of ours: a failure the inbox records, not a silent skip
        await world.uses.record_offer_rejection(RejectOffer(str(uuid.uuid4()), "competitor"))


# Contracts, costs, payments --------------------------------------------------------------------------------------


async def test_a_contract_ends_once_and_not_before_it_starts(world: World) -> None:
    contract = (await world.uses.issue(issue("contract", starts_on=date(2026, 4, 1)))).document
    with pytest.raises(Invalid, match="cannot end before it starts"):
        await world.uses.end_contract(EndContract(contract.id, date(2026, 3, 1)))
    ended = await world.uses.end_contract(EndContract(contract.id, date(2026, 6, 30)))
    assert (ended.document.status, ended.document.ended_on) == ("ended", date(2026, 6, 30))
    with pytest.raises(Conflict, match="already ended on 2026-06-30"):
        await world.uses.end_contract(EndContract(contract.id, date(2026, 7, 31)))
    assert world.published.of("contract_ended") == [ended.document]


async def test_a_cost_document_is_numbered_in_its_series_and_posted_once(world: World) -> None:
    cost = PostCostDocument("purchase_invoice", " F-77 ", date(2026, 2, 27), D("100"), D("21"), partner_id=OTHER)
    doc = await world.uses.post_cost(cost)
    assert (doc.number, doc.external_number, doc.gross, doc.status) == ("CH-2026-000001", "F-77", D("121"), "posted")
    with pytest.raises(Conflict, match="already posted as CH-2026-000001"):
        await world.uses.post_cost(cost)
    with pytest.raises(Invalid, match="needs its supplier"):
        await world.uses.post_cost(replace(cost, partner_id=None))
    assert world.published.of("cost_document_posted") == [doc]


async def test_a_payment_lowers_the_balance_once_per_request_and_only_for_the_partners_invoice(world: World) -> None:
    invoice = (await world.uses.issue(issue("invoice"))).document
    with pytest.raises(Invalid, match="belongs to another partner"):
        await world.uses.record_payment(RecordPayment(OTHER, D("10"), date(2026, 3, 2), invoice_id=invoice.id))
    rid = request_id()
    paid = await world.uses.record_payment(RecordPayment(CLIENT, D("100.00"), date(2026, 3, 2), invoice.id, rid))
    again = await world.uses.record_payment(RecordPayment(CLIENT, D("100.00"), date(2026, 3, 2), invoice.id, rid))
    assert (paid.document.number, paid.created, again.created) == ("INC-2026-000001", True, False)
    assert world.repo.balances[CLIENT] == invoice.gross - D("100.00")
    assert world.published.names()[-2:] == ["payment_received", "balance_changed"]
    assert (await world.uses.balance(CLIENT)).balance == invoice.gross - D("100.00")


# Printouts -------------------------------------------------------------------------------------------------------


async def test_an_invoice_printout_is_rendered_after_its_commit_recorded_and_announced_once(world: World) -> None:
    invoice = (await world.uses.issue(issue("invoice"))).document
    assert await world.uses.invoices_awaiting_printout(10) == [invoice.id]
    printed = await world.uses.print_invoice(PrintInvoice(invoice.id))
    assert printed.printout_sha256 == world.repo.docs[invoice.id].printout_sha256
    assert world.blobs.exists(printed.printout_sha256 or "")
    again = await world.uses.print_invoice(PrintInvoice(invoice.id))
    assert again == printed
    assert world.printer.rendered == [invoice.number]
    assert world.published.of("invoice_printout_ready") == [printed]
    assert await world.uses.invoices_awaiting_printout(10) == []


async def test_the_printout_is_the_stored_pdf_and_a_missing_one_is_not_found(world: World) -> None:
    offer = (await world.uses.issue(issue("offer"))).document
    printout = await world.uses.printout(offer.id)
    assert printout.pdf.startswith(b"%PDF offer OF-2026-000001")
    invoice = (await world.uses.issue(issue("invoice"))).document
    assert (await world.uses.printout(invoice.id)).pdf.startswith(b"%PDF invoice FCT-2026-000001")
    world.blobs.stored.clear()
    with pytest.raises(NotFound, match="missing from the blob store"):
        await world.uses.printout(offer.id)
    with pytest.raises(NotFound):
        await world.uses.print_invoice(PrintInvoice(str(uuid.uuid4())))


# Queries ---------------------------------------------------------------------------------------------------------


async def test_documents_are_read_by_id_and_type_and_listed_by_partner_and_type(world: World) -> None:
    offer = (await world.uses.issue(issue("offer"))).document
    order = (await world.uses.issue(issue("order", partner=OTHER))).document
    assert (await world.uses.document(offer.id)).document == offer
    with pytest.raises(NotFound, match="no contract"):
        await world.uses.document(offer.id, "contract")
    page = await world.uses.documents(OTHER, None, limit=50, offset=0)
    assert (page.items, page.total, page.today) == ([order], 1, date(2026, 3, 2))
    assert (await world.uses.documents(None, "offer", limit=50, offset=0)).items == [offer]


async def test_contracts_are_listed_by_whether_they_are_in_force_on_a_day(world: World) -> None:
    april = (await world.uses.issue(issue("contract", starts_on=date(2026, 4, 1)))).document
    march = (await world.uses.issue(issue("contract", starts_on=date(2026, 3, 1)))).document
    active_today = await world.uses.contracts(None, active=True, on=None, limit=50, offset=0)
    assert (active_today.items, active_today.today) == ([march], date(2026, 3, 2))
    inactive = await world.uses.contracts(None, active=False, on=None, limit=50, offset=0)
    assert (inactive.items, inactive.total) == ([april], 1)
    in_may = await world.uses.contracts(CLIENT, active=True, on=date(2026, 5, 1), limit=50, offset=0)
    assert in_may.total == 2


async def test_the_balance_of_a_known_partner_starts_at_zero_and_of_an_unknown_one_is_not_found(world: World) -> None:
    assert (await world.uses.balance(OTHER)).balance == D(0)
    with pytest.raises(NotFound, match="no partner"):
        await world.uses.balance(str(uuid.uuid4()))


# Pickers (search as you type) ------------------------------------------------------------------------------------


async def test_the_article_picker_finds_code_and_word_starts_without_accents_and_code_matches_first(
    world: World,
) -> None:
    world.repo.catalogue["MNT"] = Article("MNT", "Mentenanță lunară licență", "luna", D("90.00"), D(21))
    assert [a.code for a in await world.uses.search_articles("licenta")] == ["LIC", "MNT"]
    assert [a.code for a in await world.uses.search_articles("LUNARA")] == ["MNT"]
    assert [a.code for a in await world.uses.search_articles("mn")] == ["MNT"]  # a code's start
    assert [a.code for a in await world.uses.search_articles("ent")] == []  # not a word's start
    assert await world.uses.search_articles("   ") == []


async def test_the_article_picker_offers_only_c5s_chosen_list_when_it_is_on(world: World) -> None:
    await world.uses.choose_article_scope(ChooseArticleScope("list", frozenset({"SRV"})))
    assert [a.code for a in await world.uses.search_articles("l")] == []  # LIC is not in the list
    assert [a.code for a in await world.uses.search_articles("ora")] == ["SRV"]
    assert [a.code for a in await world.uses.search_articles("l", picker=False)] == ["LIC"]


async def test_a_picker_answer_is_bounded_and_a_query_too_long_is_refused(world: World) -> None:
    for n in range(30):
        world.repo.catalogue[f"A{n:02d}"] = Article(f"A{n:02d}", f"Articol {n}", "buc", D(1), D(21))
    assert len(await world.uses.search_articles("articol")) == 20
    assert len(await world.uses.search_articles("articol", limit=5)) == 5
    with pytest.raises(Invalid, match="at most 100 characters"):
        await world.uses.search_articles("x" * 101)
    with pytest.raises(Invalid, match="limit"):
        await world.uses.search_documents("a", limit=51)


async def test_the_document_picker_finds_a_number_anywhere_or_the_partners_name_without_accents(world: World) -> None:
    offer = (await world.uses.issue(issue("offer"))).document
    order = (await world.uses.issue(issue("order", partner=OTHER))).document
    found = await world.uses.search_documents("rasnov")
    assert [(f.document.id, f.partner_name, f.document.lines) for f in found] == [(order.id, "Ferma Râșnov", ())]
    assert [f.document.id for f in await world.uses.search_documents("000001")] == [offer.id, order.id]
    assert [f.document.id for f in await world.uses.search_documents("of-2026")] == [offer.id]
    assert [f.document.id for f in await world.uses.search_documents("naval cons", doc_type="order")] == []
    assert await world.uses.search_documents("") == []  # nothing typed, no partner: nothing offered


async def test_the_contract_picker_finds_contracts_by_partner_and_in_force_today(world: World) -> None:
    april = (await world.uses.issue(issue("contract", starts_on=date(2026, 4, 1)))).document
    march = (await world.uses.issue(issue("contract", starts_on=date(2026, 3, 1)))).document
    await world.uses.issue(issue("order"))
    both = await world.uses.search_contracts("santierul")
    assert {f.document.id for f in both} == {april.id, march.id}
    assert [f.document.id for f in await world.uses.search_contracts("", partner_id=CLIENT, active=True)] == [march.id]
    assert await world.uses.search_contracts("", partner_id=OTHER) == []


async def test_the_contract_line_picker_finds_lines_by_article_code_or_description(world: World) -> None:
    contract = (
        await world.uses.issue(issue("contract", starts_on=date(2026, 4, 1), lines=lines(("SRV", "2"), ("LIC", "1"))))
    ).document
    assert [li.article_code for li in await world.uses.contract_lines(contract.id)] == ["SRV", "LIC"]
    assert [li.article_code for li in await world.uses.contract_lines(contract.id, "licenta")] == ["LIC"]
    assert [li.article_code for li in await world.uses.contract_lines(contract.id, "sr")] == ["SRV"]
    offer = (await world.uses.issue(issue("offer"))).document
    with pytest.raises(NotFound, match="no contract"):
        await world.uses.contract_lines(offer.id)


async def test_a_bulk_import_numbers_invoices_and_costs_in_their_series_and_announces_each(world: World) -> None:
    cost = PostCostDocument("purchase_invoice", "F-1", date(2026, 2, 27), D("100"), D("21"), partner_id=OTHER)
    stored = await world.uses.import_documents([issue("invoice"), cost, issue("invoice", partner=OTHER)])
    assert stored == 3
    assert sorted((d.type, d.partner_id) for d in world.repo.docs.values()) == [
        ("cost", OTHER),
        ("invoice", CLIENT),
        ("invoice", OTHER),
    ]
    assert all(d.number for d in world.repo.docs.values())
    assert world.published.names().count("document_issued") == 2
    assert world.published.names().count("cost_document_posted") == 1


async def test_a_bulk_import_with_one_unknown_partner_stores_nothing(world: World) -> None:
    with pytest.raises(UnknownPartner):
        await world.uses.import_documents([issue("invoice"), issue("invoice", partner=str(uuid.uuid4()))])
    assert world.repo.docs == {}
    assert world.published.calls == []


# The codes the web UI translates (problem body ``extra.code`` / ``extra.params``) -------------------------------


async def test_an_offer_decided_twice_carries_the_code_naming_the_decision_who_and_when(world: World) -> None:
    offer = (await world.uses.issue(issue("offer"))).document
    await world.uses.accept_offer(AcceptOffer(offer.id, by="ana"))
    with pytest.raises(Conflict) as twice:
        await world.uses.reject_offer(RejectOffer(offer.id, "PRICE", by="dan"))
    assert (twice.value.status_code, twice.value.code) == (409, "offer.already_decided_by")
    assert twice.value.params == {
        "number": "OF-2026-000001",
        "offer_decision": "accepted",
        "at": "2026-03-02 11:00",
        "by": "ana",
    }
    assert world.repo.docs[offer.id].status == "accepted"
    assert world.published.names() == ["document_issued", "offer_accepted"]


async def test_the_lost_race_to_decide_an_offer_carries_the_code_without_a_time_it_does_not_know(
    world: World,
) -> None:
    offer = (await world.uses.issue(issue("offer"))).document
    real_get = world.repo.get

    async def stale_get(document_id: str, *, lock: bool = False) -> Document | None:
        found = await real_get(document_id, lock=lock)
        world.repo.docs[offer.id] = replace(offer, status="rejected", decided_by="dan")
        return found

    world.repo.get = stale_get  # type: ignore[method-assign]
    with pytest.raises(Conflict) as lost:
        await world.uses.accept_offer(AcceptOffer(offer.id, then="order", by="ana"))
    del world.repo.get
    assert lost.value.extra["code"] == "offer.already_decided"
    assert lost.value.extra["params"] == {"number": "OF-2026-000001", "offer_decision": "rejected"}
    assert [d.type for d in world.repo.docs.values()] == ["offer"]


async def test_an_order_invoiced_twice_and_a_contract_ended_twice_carry_their_codes(world: World) -> None:
    order = (await world.uses.issue(issue("order"))).document
    invoice = (await world.uses.invoice_order(InvoiceOrder(order.id))).document
    with pytest.raises(Conflict) as again:
        await world.uses.invoice_order(InvoiceOrder(order.id))
    assert again.value.code == "order.already_invoiced"
    assert again.value.params == {"number": order.number, "invoice": invoice.number}
    assert again.value.extra["invoice_id"] == invoice.id
    contract = (await world.uses.issue(issue("contract", starts_on=date(2026, 4, 1)))).document
    await world.uses.end_contract(EndContract(contract.id, date(2026, 6, 30)))
    with pytest.raises(Conflict) as ended:
        await world.uses.end_contract(EndContract(contract.id, date(2026, 7, 31)))
    assert (ended.value.code, ended.value.params) == (
        "contract.already_ended",
        {"number": contract.number, "ended_on": "2026-06-30"},
    )
    assert world.published.names().count("document_issued") == 3


async def test_a_line_with_an_unknown_article_is_refused_by_code_with_its_line_and_takes_no_number(
    world: World,
) -> None:
    with pytest.raises(Invalid) as refused:
        await world.uses.issue(issue("invoice", lines=lines(("SRV", "1"), ("NOPE", "2"))))
    assert (refused.value.status_code, refused.value.code) == (422, "document.line_article_unknown")
    assert refused.value.params == {"line": 2, "code": "NOPE"}
    assert refused.value.extra["field"] == "lines"
    assert world.repo.docs == {}
    assert world.published.names() == []
