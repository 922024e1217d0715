"""The partners use cases on in-memory fakes: directory, staff, dossiers and CSV imports (no database, no broker)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from uuid import uuid4

import pytest

from crm_kit.errors import Conflict, Invalid, NotFound
from crm_partners.domain.opportunities import PartnerOpportunity
from crm_partners.domain.partners import Partner, PartnerFilter, PartnerInput, SiteInput
from crm_partners.domain.staff import StaffInput
from crm_partners.service_layer import (
    CreateDossier,
    FileDocument,
    RegisterPartner,
    RegisterStaff,
    StartImport,
    UpdatePartner,
    UpdateStaff,
)

from .fakes import Harness, InMemoryRepository

SHA = "a" * 64


async def acme(h: Harness, **fields: object) -> Partner:
    data = PartnerInput(**{"name": "Acme SRL", "sites": [SiteInput("Sediu", ["office@acme.ro"])], **fields})  # type: ignore[arg-type]
    return await h.uses.register_partner(RegisterPartner(data))


# ---------------------------------------------------------------- partners


async def test_registering_a_partner_stores_it_and_publishes_partner_registered() -> None:
    h = Harness()
    partner = await acme(h, fiscal_code="RO18547290", county="CJ")
    assert h.repo.partners[partner.id] == partner
    assert (partner.county, partner.created_at, partner.version) == ("Cluj", h.clock.now, 1)
    assert h.publisher.calls == [("partner_registered", partner)]


async def test_a_partner_with_another_partners_site_email_is_refused_and_nothing_is_stored_nor_published() -> None:
    h = Harness()
    first = await acme(h)
    with pytest.raises(Conflict, match=r"office@acme\.ro already belongs to another partner"):
        await h.uses.register_partner(RegisterPartner(PartnerInput("Alt", sites=[SiteInput("S", ["office@acme.ro"])])))
    assert list(h.repo.partners) == [first.id]
    assert h.publisher.named("partner_registered") == [first]
    assert h.uow.rollbacks == 1


async def test_a_partner_with_the_cui_of_another_is_refused() -> None:
    h = Harness()
    await acme(h, fiscal_code="18547290")
    with pytest.raises(Conflict, match="fiscal code RO18547290 is already partner"):
        await h.uses.register_partner(RegisterPartner(PartnerInput("Beta", fiscal_code="RO18547290")))
    assert len(h.repo.partners) == 1


async def test_a_taken_cui_or_email_names_the_other_partner_by_name_with_a_code_the_ui_translates() -> None:
    h = Harness()
    first = await acme(h, fiscal_code="18547290")
    with pytest.raises(Conflict) as refused:
        await h.uses.register_partner(
            RegisterPartner(PartnerInput("Beta", fiscal_code="RO18547290", sites=[SiteInput("S", ["office@acme.ro"])]))
        )
    assert first.id not in refused.value.message
    assert refused.value.code == "partner.email_taken"
    assert refused.value.params == {"email": "office@acme.ro", "owner": "Acme SRL"}
    codes = {str(e["code"]): e["params"] for e in refused.value.extra["errors"]}  # type: ignore[attr-defined]
    assert codes["partner.fiscal_code_taken"] == {"fiscal_code": "RO18547290", "owner": "Acme SRL"}
    assert len(h.repo.partners) == 1


async def test_a_wrong_check_digit_is_refused_with_its_code_beside_the_field() -> None:
    h = Harness()
    with pytest.raises(Invalid) as refused:
        await h.uses.register_partner(RegisterPartner(PartnerInput("Beta", fiscal_code="14399841")))
    assert refused.value.code == "record.fields_invalid"
    [error] = refused.value.extra["errors"]  # type: ignore[misc]
    assert (error["field"], error["code"], error["params"]) == (
        "fiscal_code",
        "partner.fiscal_code_check_digit",
        {"fiscal_code": "14399841", "expected": 0},
    )
    assert h.repo.partners == {}


async def test_a_partner_whose_representative_is_not_on_the_staff_is_refused() -> None:
    h = Harness()
    with pytest.raises(Invalid, match="no staff member"):
        await h.uses.register_partner(RegisterPartner(PartnerInput("Acme", sales_rep_staff_id=str(uuid4()))))
    assert h.repo.partners == {} and h.publisher.calls == []


async def test_updating_a_partner_saves_the_new_version_publishes_it_and_answers_with_its_opportunities() -> None:
    h = Harness()
    partner = await acme(h)
    opportunity = PartnerOpportunity("o1", partner.id, "ERP", Decimal(100), Decimal(20), "new", h.clock.now)
    h.repo.opportunities["o1"] = opportunity
    h.clock.advance(minutes=5)
    view = await h.uses.update_partner(UpdatePartner(partner.id, {"name": "Acme Group SRL"}))
    assert (view.partner.name, view.partner.version, view.partner.updated_at) == ("Acme Group SRL", 2, h.clock.now)
    assert view.opportunities == [opportunity]
    assert h.repo.partners[partner.id] == view.partner
    assert h.publisher.named("partner_updated") == [view.partner]
    assert h.repo.locked == [partner.id]


async def test_an_update_that_changes_nothing_saves_and_publishes_nothing() -> None:
    h = Harness()
    partner = await acme(h)
    view = await h.uses.update_partner(UpdatePartner(partner.id, {"name": "Acme SRL"}))
    assert view.partner == partner
    assert h.publisher.named("partner_updated") == []


async def test_updating_an_unknown_partner_is_not_found() -> None:
    with pytest.raises(NotFound):
        await Harness().uses.update_partner(UpdatePartner(str(uuid4()), {"name": "X"}))


class StaleRepository(InMemoryRepository):
    """Reads a partner as it was before a concurrent change won (the SQL store's version check sees it)."""

    async def get_partner(self, partner_id: str, *, for_update: bool = False) -> Partner | None:
        found = await super().get_partner(partner_id)
        return replace(found, version=found.version - 1) if found else None


async def test_an_update_that_loses_to_a_concurrent_change_is_a_conflict_and_publishes_nothing() -> None:
    h = Harness()
    partner = await acme(h)
    h.repo.partners[partner.id] = replace(partner, version=2)
    stale = StaleRepository()
    stale.partners = dict(h.repo.partners)
    h.uow.repo = stale
    with pytest.raises(Conflict, match="changed by someone else"):
        await h.uses.update_partner(UpdatePartner(partner.id, {"name": "Late"}))
    assert stale.partners[partner.id].name == "Acme SRL"
    assert h.publisher.named("partner_updated") == []


async def test_a_partner_is_read_with_its_opportunities_and_an_unknown_one_is_not_found() -> None:
    h = Harness()
    partner = await acme(h)
    assert (await h.uses.partner(partner.id)).partner == partner
    with pytest.raises(NotFound):
        await h.uses.partner(str(uuid4()))


async def test_the_partner_list_checks_its_filter_and_names_the_county_as_stored() -> None:
    h = Harness()
    cluj = await acme(h, county="Cluj")
    await h.uses.register_partner(RegisterPartner(PartnerInput("Beta", county="Iași")))
    found, total = await h.uses.partners(PartnerFilter(county="cj", kind=""), limit=10, offset=0)
    assert (found, total) == ([cluj], 1)
    with pytest.raises(Invalid, match="kind must be one of"):
        await h.uses.partners(PartnerFilter(kind="vendor"), limit=10, offset=0)
    with pytest.raises(Invalid):
        await h.uses.partners(PartnerFilter(county="Atlantis"), limit=10, offset=0)
    with pytest.raises(Invalid, match="limit must be between 1 and 500"):
        await h.uses.partners(PartnerFilter(), limit=501, offset=0)


async def test_the_picker_search_finds_word_starts_ignoring_accents_names_starting_with_the_query_first() -> None:
    h = Harness()
    for name in ("Transport Brașov SRL", "Brașov Auto SRL", "Cluj Trans"):
        await h.uses.register_partner(RegisterPartner(PartnerInput(name)))
    found = await h.uses.find_partners("bras", kind="", limit=20)
    assert [p.name for p in found] == ["Brașov Auto SRL", "Transport Brașov SRL"]
    assert await h.uses.find_partners("   ", kind=None, limit=20) == []
    with pytest.raises(Invalid, match="at most 100 characters"):
        await h.uses.find_partners("x" * 101, kind=None, limit=20)
    with pytest.raises(Invalid, match="kind must be one of"):
        await h.uses.find_partners("bras", kind="vendor", limit=20)


# ---------------------------------------------------------------- staff


async def test_registering_a_staff_member_stores_and_publishes_it() -> None:
    h = Harness()
    member = await h.uses.register_staff(RegisterStaff(StaffInput("Ana Pop", user_login="ana", hours_per_day="6")))
    assert h.repo.staff[member.id] == member and member.hours_per_day == Decimal("6.00")
    assert h.publisher.calls == [("staff_registered", member)]


async def test_a_login_already_linked_to_someone_else_is_refused_and_nothing_is_published() -> None:
    h = Harness()
    await h.uses.register_staff(RegisterStaff(StaffInput("Ana Pop", user_login="ana")))
    with pytest.raises(Conflict, match="user login ana is already linked"):
        await h.uses.register_staff(RegisterStaff(StaffInput("Ana Ionescu", user_login="ana")))
    assert len(h.repo.staff) == 1 and len(h.publisher.calls) == 1


async def test_updating_a_staff_member_publishes_the_new_state_and_an_unknown_one_is_not_found() -> None:
    h = Harness()
    member = await h.uses.register_staff(RegisterStaff(StaffInput("Ana Pop")))
    changed = await h.uses.update_staff(UpdateStaff(member.id, {"team": "Service", "user_login": "ana"}))
    assert (changed.team, changed.version) == ("Service", 2)
    assert h.publisher.named("staff_updated") == [changed]
    with pytest.raises(NotFound):
        await h.uses.update_staff(UpdateStaff(str(uuid4()), {"team": "X"}))


async def test_a_staff_member_is_read_and_an_unknown_one_is_not_found() -> None:
    h = Harness()
    member = await h.uses.register_staff(RegisterStaff(StaffInput("Ana Pop")))
    assert await h.uses.staff_member(member.id) == member
    with pytest.raises(NotFound):
        await h.uses.staff_member(str(uuid4()))


async def test_the_staff_picker_finds_word_starts_and_refuses_a_long_query() -> None:
    h = Harness()
    ana = await h.uses.register_staff(RegisterStaff(StaffInput("Ana Țăran")))
    await h.uses.register_staff(RegisterStaff(StaffInput("Ion Pop", active=False)))
    assert await h.uses.find_staff("tara", active=None, limit=5) == [ana]
    assert await h.uses.find_staff("pop", active=True, limit=5) == []
    with pytest.raises(Invalid):
        await h.uses.find_staff("x" * 101, active=None, limit=5)


async def test_the_staff_directory_filters_by_category_and_checks_its_page() -> None:
    h = Harness(list_page_max=10)
    tech = await h.uses.register_staff(RegisterStaff(StaffInput("Ion", categories=["Tehnicieni"])))
    await h.uses.register_staff(RegisterStaff(StaffInput("Ana", categories=["Vânzări"])))
    found = await h.uses.staff(name=None, team=None, category="tehnicieni", active=None, limit=10, offset=0)
    assert found == ([tech], 1)
    with pytest.raises(Invalid, match="offset cannot be negative"):
        await h.uses.staff(name=None, team=None, category=None, active=None, limit=10, offset=-1)


# ---------------------------------------------------------------- dossiers


async def test_a_dossier_is_created_with_its_creator_and_one_for_an_unknown_partner_is_refused() -> None:
    h = Harness()
    partner = await acme(h)
    dossier = await h.uses.create_dossier(CreateDossier("Contracte", None, partner.id, by="ana"))
    assert (dossier.category, h.repo.dossier_creators[dossier.id]) == ("general", "ana")
    with pytest.raises(Invalid, match="no partner"):
        await h.uses.create_dossier(CreateDossier("X", None, str(uuid4())))
    assert list(h.repo.dossiers) == [dossier.id]


async def test_filing_a_stored_blob_keeps_its_size_and_publishes_document_filed() -> None:
    h = Harness()
    h.blobs.sizes[SHA] = 2048
    dossier = await h.uses.create_dossier(CreateDossier("Contracte"))
    doc = await h.uses.file_document(FileDocument(dossier.id, SHA.upper(), "C:\\docs\\contract.pdf", by="ana"))
    assert (doc.sha256, doc.size, doc.file_name, doc.filed_by) == (SHA, 2048, "contract.pdf", "ana")
    assert h.repo.documents == [doc]
    assert h.publisher.named("document_filed") == [(dossier, doc)]


async def test_a_blob_never_uploaded_or_filed_twice_is_refused_and_nothing_is_published_again() -> None:
    h = Harness()
    dossier = await h.uses.create_dossier(CreateDossier("Contracte"))
    with pytest.raises(Invalid, match="upload it first"):
        await h.uses.file_document(FileDocument(dossier.id, SHA, "a.pdf"))
    h.blobs.sizes[SHA] = 1
    await h.uses.file_document(FileDocument(dossier.id, SHA, "a.pdf"))
    with pytest.raises(Conflict, match="already in the dossier Contracte"):
        await h.uses.file_document(FileDocument(dossier.id, SHA, "a.pdf"))
    with pytest.raises(NotFound):
        await h.uses.file_document(FileDocument(str(uuid4()), SHA, "a.pdf"))
    assert len(h.repo.documents) == 1 and len(h.publisher.named("document_filed")) == 1


async def test_a_dossier_is_read_with_its_documents_and_an_unknown_one_is_not_found() -> None:
    h = Harness()
    h.blobs.sizes[SHA] = 10
    dossier = await h.uses.create_dossier(CreateDossier("Contracte"))
    doc = await h.uses.file_document(FileDocument(dossier.id, SHA, "a.pdf"))
    assert await h.uses.dossier(dossier.id) == (dossier, [doc])
    with pytest.raises(NotFound):
        await h.uses.dossier(str(uuid4()))


async def test_a_dossier_is_found_by_a_word_of_its_name_or_its_partner_without_accents_within_one_partner() -> None:
    h = Harness()
    partner = await acme(h)
    brasov = await h.uses.create_dossier(CreateDossier("Contracte Brașov", None, partner.id))
    other = await h.uses.create_dossier(CreateDossier("Brașov diverse"))
    found = await h.uses.find_dossiers("bras", partner_id=None, limit=10)
    assert [f.dossier for f in found] == [other, brasov]  # the name starting with the query first
    assert [f.partner_name for f in found] == [None, partner.name]
    by_partner = await h.uses.find_dossiers(partner.name.split()[0].lower(), partner_id=None, limit=10)
    assert [f.dossier for f in by_partner] == [brasov]
    assert [f.dossier for f in await h.uses.find_dossiers("", partner_id=partner.id, limit=10)] == [brasov]
    assert await h.uses.find_dossiers("", partner_id=None, limit=10) == []
    with pytest.raises(Invalid, match="at most"):
        await h.uses.find_dossiers("x" * 1000, partner_id=None, limit=10)


async def test_dossiers_are_listed_with_counts_and_sizes_and_totalled_per_category() -> None:
    h = Harness()
    h.blobs.sizes[SHA] = 10
    contracts = await h.uses.create_dossier(CreateDossier("Contracte", "contracte"))
    await h.uses.file_document(FileDocument(contracts.id, SHA, "a.pdf"))
    await h.uses.create_dossier(CreateDossier("Diverse"))
    rows, total = await h.uses.dossiers(partner_id=None, category="contracte", limit=10, offset=0)
    assert (rows, total) == ([(contracts, 1, 10)], 1)
    totals = await h.uses.dossier_categories(partner_id=None)
    assert [(c.category, c.dossiers, c.documents, c.bytes) for c in totals] == [
        ("contracte", 1, 1, 10),
        ("general", 1, 0, 0),
    ]
    with pytest.raises(Invalid):
        await h.uses.dossiers(partner_id=None, category=None, limit=0, offset=0)


# ---------------------------------------------------------------- CSV import


CSV = "name;fiscal_code;emails;county\nAlfa SRL;RO18547290;office@alfa.ro;CJ\nBeta SRL;;office@beta.ro;B\n"


async def test_an_import_of_valid_rows_adds_every_partner_and_publishes_them_in_one_bulk_call() -> None:
    h = Harness(import_progress_every=1)
    started = await h.uses.start_import(StartImport("lista.csv", CSV, by="ana"))
    assert (started.status, started.total_rows, started.created_by) == ("validating", 2, "ana")
    await h.uses.wait_for_imports()
    done = await h.uses.import_status(started.id)
    assert (done.status, done.imported, done.processed_rows, done.message) == ("imported", 2, 2, "2 partners imported")
    assert sorted(p.name for p in h.repo.partners.values()) == ["Alfa SRL", "Beta SRL"]
    [(name, partners)] = h.publisher.calls
    assert name == "partners_registered" and {p.id for p in partners} == set(h.repo.partners)


async def test_an_import_gives_the_campaign_chosen_for_the_file_to_each_row_that_names_none() -> None:
    h = Harness()
    chosen, own = str(uuid.uuid4()), str(uuid.uuid4())
    content = f"name,kind,campaign_id\nAlfa SRL,lead,\nBeta SRL,lead,{own}\n"
    started = await h.uses.start_import(StartImport("leads.csv", content, campaign_id=chosen))
    await h.uses.wait_for_imports()
    assert (await h.uses.import_status(started.id)).status == "imported"
    assert {p.name: p.campaign_id for p in h.repo.partners.values()} == {"Alfa SRL": chosen, "Beta SRL": own}


async def test_an_import_counts_the_partners_it_has_written_while_it_writes_them_in_one_transaction() -> None:
    h = Harness(import_store_every=1)
    seen: list[tuple[str, int, int]] = []
    add_partners = h.repo.add_partners

    async def add_and_look(partners: Sequence[Partner]) -> None:
        await add_partners(partners)
        now = await h.uses.import_status(started.id)
        seen.append((now.status, now.processed_rows, now.imported))

    h.repo.add_partners = add_and_look  # type: ignore[method-assign]
    started = await h.uses.start_import(StartImport("lista.csv", CSV))
    await h.uses.wait_for_imports()
    assert seen == [("storing", 2, 0), ("storing", 2, 1)]
    assert [name for name, _ in h.publisher.calls] == ["partners_registered", "partners_registered"]
    done = await h.uses.import_status(started.id)
    assert (done.status, done.imported) == ("imported", 2)


async def test_an_import_with_one_bad_row_is_rejected_whole_with_the_rows_errors_and_publishes_nothing() -> None:
    h = Harness()
    await acme(h)
    h.publisher.calls.clear()
    content = "name,emails,county\nGama SRL,office@acme.ro,CJ\nDelta SRL,,Atlantis\nEpsilon SRL,,B\n"
    started = await h.uses.start_import(StartImport("", content))
    await h.uses.wait_for_imports()
    done = await h.uses.import_status(started.id)
    assert (done.status, done.file_name) == ("rejected", "partners.csv")
    assert done.message == "2 of 3 rows have errors; nothing was imported"
    assert [(e["row"], e["field"]) for e in done.errors] == [(2, "emails"), (3, "county")]
    assert len(h.repo.partners) == 1 and h.publisher.calls == []


async def test_an_import_row_whose_address_is_taken_names_the_other_partner_and_keeps_its_id_for_a_link() -> None:
    h = Harness()
    owner = await acme(h)
    started = await h.uses.start_import(StartImport("p.csv", "name,emails\nGama SRL,office@acme.ro\n"))
    await h.uses.wait_for_imports()
    [error] = (await h.uses.import_status(started.id)).errors
    assert error["message"] == "office@acme.ro already belongs to partner Acme SRL"
    assert error["params"] == {"email": "office@acme.ro", "owner": "Acme SRL", "owner_id": owner.id}


async def test_row_errors_stored_before_they_had_codes_are_read_with_codes_and_the_other_partner_named() -> None:
    h = Harness()
    owner = await acme(h)
    started = await h.uses.start_import(StartImport("old.csv", "name\nA\nB\n"))
    await h.uses.wait_for_imports()
    old_errors = (
        {"row": 2, "field": "emails", "message": f"office@acme.ro already belongs to partner {owner.id}"},
        {"row": 2, "field": "county", "message": "unknown county 'Narnia': use one of the 41 counties or București"},
        {"row": 3, "field": "name", "message": "a partner needs a name"},
        {"row": 3, "field": "emails", "message": "b@x.ro is also on line 2"},
        {"row": 3, "field": "notes", "message": "a text no release ever wrote"},
    )
    h.repo.imports[started.id] = replace(h.repo.imports[started.id], status="rejected", errors=old_errors)
    errors = (await h.uses.import_status(started.id)).errors
    assert [(e.get("code"), e.get("params")) for e in errors] == [
        ("partner.email_taken", {"email": "office@acme.ro", "owner": "Acme SRL", "owner_id": owner.id}),
        ("partner.unknown_county", {"county": "Narnia"}),
        ("partner.name_missing", {}),
        ("partner_import.email_in_file", {"email": "b@x.ro", "line": "2"}),
        (None, None),
    ]


async def test_an_import_names_representatives_by_staff_email_login_or_name_looked_up_in_one_read() -> None:
    h = Harness()
    ana = await h.uses.register_staff(RegisterStaff(StaffInput("Ana Pătrașcu", email="ana@firma.ro")))
    ion = await h.uses.register_staff(RegisterStaff(StaffInput("Ion Popa", user_login="ion")))
    asked: list[set[str]] = []
    by_references = h.repo.staff_by_references

    async def counted(references: object) -> object:
        asked.append(set(references))  # type: ignore[call-overload]
        return await by_references(references)  # type: ignore[arg-type]

    h.repo.staff_by_references = counted  # type: ignore[method-assign,assignment]
    content = (
        "name,reprezentant vanzari,reprezentant service\n"
        "Alfa SRL,ANA@firma.ro,ion\nBeta SRL,ana patrascu,\n"
        f"Gama SRL,{ion.id},Ion Popa\n"
    )
    started = await h.uses.start_import(StartImport("reps.csv", content))
    await h.uses.wait_for_imports()
    assert (await h.uses.import_status(started.id)).status == "imported"
    reps = {p.name: (p.sales_rep_staff_id, p.service_rep_staff_id) for p in h.repo.partners.values()}
    assert reps == {"Alfa SRL": (ana.id, ion.id), "Beta SRL": (ana.id, None), "Gama SRL": (ion.id, ion.id)}
    assert asked == [{"ANA@firma.ro", "ion", "ana patrascu", "Ion Popa"}]  # one read for the whole file


async def test_an_import_row_naming_nobody_or_two_people_says_which_name_with_a_code_the_ui_translates() -> None:
    h = Harness()
    for login in ("ana1", "ana2"):
        await h.uses.register_staff(RegisterStaff(StaffInput("Ana Pop", user_login=login)))
    content = f"name,sales_rep,service_rep_staff_id\nAlfa SRL,Maria Ionescu,\nBeta SRL,Ana Pop,\nGama SRL,,{uuid4()}\n"
    started = await h.uses.start_import(StartImport("reps.csv", content))
    await h.uses.wait_for_imports()
    done = await h.uses.import_status(started.id)
    assert done.status == "rejected" and h.repo.partners == {}
    [nobody, two, unknown_id] = done.errors
    assert (nobody["row"], nobody["field"], nobody["code"], nobody["params"]) == (
        2,
        "sales_rep",
        "partner_import.staff_not_found",
        {"value": "Maria Ionescu"},
    )
    assert (two["code"], two["params"]) == ("partner_import.staff_ambiguous", {"value": "Ana Pop", "count": 2})
    assert (unknown_id["field"], unknown_id["code"]) == ("service_rep_staff_id", "partner_import.staff_not_found")


async def test_an_unreadable_file_is_refused_before_any_import_is_recorded() -> None:
    h = Harness()
    with pytest.raises(Invalid, match="unknown columns"):
        await h.uses.start_import(StartImport("x.csv", "nume,culoare\nA,B\n"))
    assert h.repo.imports == {}


class BrokenStore(InMemoryRepository):
    async def add_partners(self, partners: object) -> None:  # type: ignore[override]
        raise RuntimeError("disk full")


async def test_an_import_that_fails_unexpectedly_is_marked_failed_with_the_reason() -> None:
    h = Harness()
    broken = BrokenStore()
    h.uow.repo = broken
    started = await h.uses.start_import(StartImport("x.csv", CSV))
    await h.uses.wait_for_imports()
    failed = broken.imports[started.id]
    assert (failed.status, failed.message) == ("failed", "RuntimeError: disk full")
    assert broken.partners == {} and h.publisher.calls == []


async def test_imports_are_listed_newest_first_and_an_unknown_one_is_not_found() -> None:
    h = Harness()
    first = await h.uses.start_import(StartImport("a.csv", CSV))
    await h.uses.wait_for_imports()
    h.clock.advance(minutes=1)
    second = await h.uses.start_import(StartImport("b.csv", "name\nZeta SRL\n"))
    await h.uses.wait_for_imports()
    items, total = await h.uses.imports(limit=10, offset=0)
    assert ([i.id for i in items], total) == ([second.id, first.id], 2)
    with pytest.raises(NotFound):
        await h.uses.import_status(str(uuid4()))
    with pytest.raises(Invalid):
        await h.uses.imports(limit=10, offset=-1)


async def test_waiting_for_imports_returns_at_once_when_none_runs() -> None:
    h = Harness()
    await h.uses.wait_for_imports()
    assert h.uow.commits == 0


# ---------------------------------------------------------------- the codes the web UI translates


async def test_a_staff_member_with_bad_fields_is_refused_with_a_code_beside_each_field_and_nothing_is_stored() -> None:
    h = Harness()
    with pytest.raises(Invalid) as refused:
        await h.uses.register_staff(RegisterStaff(StaffInput(" ", email="nu-e-email", hours_per_day="30")))
    assert (refused.value.status_code, refused.value.code) == (422, "record.fields_invalid")
    by_field = {e["field"]: (e["code"], e["params"]) for e in refused.value.extra["errors"]}  # type: ignore[attr-defined]
    assert by_field == {
        "name": ("staff.name_missing", {}),
        "email": ("record.email_invalid", {"email": "nu-e-email"}),
        "hours_per_day": ("staff.hours_per_day_range", {}),
    }
    assert h.repo.staff == {} and h.publisher.calls == []


async def test_a_login_linked_to_someone_else_and_a_document_filed_twice_carry_their_codes() -> None:
    h = Harness()
    ana = await h.uses.register_staff(RegisterStaff(StaffInput("Ana Pop", user_login="ana")))
    with pytest.raises(Conflict) as taken:
        await h.uses.register_staff(RegisterStaff(StaffInput("Ana Ionescu", user_login="ana")))
    assert (taken.value.code, taken.value.params) == ("staff.login_taken", {"login": "ana", "owner": ana.id})
    h.blobs.sizes[SHA] = 1
    dossier = await h.uses.create_dossier(CreateDossier("Contracte"))
    await h.uses.file_document(FileDocument(dossier.id, SHA, "a.pdf"))
    with pytest.raises(Conflict) as twice:
        await h.uses.file_document(FileDocument(dossier.id, SHA, "a.pdf"))
    assert (twice.value.code, twice.value.params) == (
        "dossier.document_already_filed",
        {"file_name": "a.pdf", "dossier": "Contracte"},
    )
    assert len(h.repo.staff) == 1 and len(h.repo.documents) == 1


async def test_an_import_file_with_unknown_columns_is_refused_by_code_naming_them_before_anything_is_recorded() -> None:
    h = Harness()
    with pytest.raises(Invalid) as refused:
        await h.uses.start_import(StartImport("x.csv", "name,culoare\nA,B\n"))
    assert refused.value.code == "partner_import.columns_unknown"
    assert refused.value.params["columns"] == "culoare"
    assert h.repo.imports == {}
