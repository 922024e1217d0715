"""Timeline rules (H1): which events make entries, for whom, of which kind, and how pages are asked for."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from crm_contracts import campaigns as cmp
from crm_contracts import commercial as com
from crm_contracts import opportunities as opp
from crm_contracts import tasks as tsk
from crm_contracts.base import Envelope, Event
from crm_kit.errors import Invalid
from crm_partners.domain import timeline
from crm_partners.domain.timeline import KINDS, RULES, TimelineEntry, newest_first, page_request
from crm_partners.events.subscribers import HISTORY_EVENTS, fact_of

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def envelope(event: Event, event_id: str = "e1", time: datetime = T0) -> Envelope:
    return Envelope(id=event_id, source="/crm/test", type=event.ce_type(), time=time)


def entries_for(env: Envelope, event: Event) -> list[TimelineEntry]:
    """The entries an event makes, as the subscriber hands it to the history rules."""
    return timeline.entries_for(fact_of(env, event))


def test_every_subscribed_history_event_has_a_rule_and_every_rule_an_event() -> None:
    names = [cls.event_name for cls in HISTORY_EVENTS]
    assert len(names) == len(set(names))
    assert set(names) == set(RULES)


def test_an_invoice_becomes_one_invoice_entry_at_the_time_of_its_event() -> None:
    partner = uuid4()
    invoice = com.InvoiceIssued(
        document_id=uuid4(),
        invoice_id=uuid4(),
        partner_id=partner,
        number="FA-1",
        issued_on=date(2026, 3, 1),
        net=Decimal("100"),
        vat=Decimal("21"),
        gross=Decimal("121"),
    )
    [entry] = entries_for(envelope(invoice), invoice)
    assert (entry.partner_id, entry.kind, entry.type, entry.occurred_at) == (
        str(partner),
        "invoice",
        "InvoiceIssued",
        T0,
    )
    assert entry.title == "Factură FA-1: 100.00 RON fără TVA" and entry.ref_id == str(invoice.document_id)


def test_a_follow_up_and_a_won_opportunity_carry_their_moment_and_amount_for_the_reader_language() -> None:
    partner, opportunity, at = uuid4(), uuid4(), datetime(2026, 12, 20, 10, 0, tzinfo=UTC)
    follow_up = opp.FollowUpScheduled(
        opportunity_id=opportunity,
        partner_id=partner,
        title="Imprimante",
        stage="offer",
        delegate_staff_id=uuid4(),
        follow_up_at=at,
    )
    won = opp.OpportunityWon(opportunity_id=opportunity, partner_id=partner, potential=Decimal("54000"))
    [scheduled] = entries_for(envelope(follow_up), follow_up)
    [sale] = entries_for(envelope(won, "e2"), won)
    assert scheduled.details["follow_up_at"] == at.isoformat() and scheduled.details["title"] == "Imprimante"
    assert (sale.details["potential"], sale.details["currency"]) == ("54000.00", "RON")


def test_campaign_members_added_make_one_entry_per_partner() -> None:
    a, b = uuid4(), uuid4()
    event = cmp.CampaignMembersAdded(campaign_id=uuid4(), partner_ids=[a, b, a])
    assert [e.partner_id for e in entries_for(envelope(event), event)] == [str(a), str(b)]


def test_a_campaign_membership_entry_names_the_campaign_and_an_older_event_without_a_name_still_reads() -> None:
    partner, campaign = uuid4(), uuid4()
    added = cmp.CampaignMembersAdded(campaign_id=campaign, partner_ids=[partner], campaign_name="Toamnă Brașov")
    removed = cmp.CampaignMemberRemoved(campaign_id=campaign, partner_id=partner, campaign_name="Toamnă Brașov")
    older = cmp.CampaignMembersAdded(campaign_id=campaign, partner_ids=[partner])
    [joined] = entries_for(envelope(added), added)
    [left] = entries_for(envelope(removed, "e2"), removed)
    [before] = entries_for(envelope(older, "e3"), older)
    assert (joined.title, joined.details) == (
        "Partener adăugat în campania Toamnă Brașov",
        {"campaign_name": "Toamnă Brașov"},
    )
    assert left.title == "Partener scos din campania Toamnă Brașov" and left.ref_id == str(campaign)
    assert (before.title, before.details) == ("Partener adăugat în campanie", {})


def test_commands_reminders_and_facts_without_a_partner_make_no_entry() -> None:
    command = opp.OfferRequested(request_id=uuid4(), opportunity_id=uuid4(), partner_id=uuid4(), lines=[])
    due = tsk.TaskDue(
        task_id=uuid4(),
        partner_id=uuid4(),
        responsible_staff_id=uuid4(),
        deadline=T0,
        channel="email",
        days_before=1,
        remind_at=T0,
    )
    no_partner = com.CostDocumentPosted(
        document_id=uuid4(), kind="treasury", number="T1", date=date(2026, 3, 1), net=Decimal(1)
    )
    for event in (command, due, no_partner):
        assert entries_for(envelope(event), event) == []
    assert not any(cls.is_command for cls in HISTORY_EVENTS)


def test_every_rule_gives_a_known_kind() -> None:
    assert {e.kind for e in _all_rule_entries()} <= set(KINDS)


def _all_rule_entries() -> list[TimelineEntry]:
    stage = opp.StageChanged(
        opportunity_id=uuid4(),
        partner_id=uuid4(),
        from_stage=None,
        to_stage="lost",
        potential=Decimal(1),
        weight=Decimal(0),
        weighted_potential=Decimal(0),
        probability=Decimal(0),
        changed_at=T0,
    )
    return entries_for(envelope(stage), stage)


def test_a_page_request_checks_kinds_and_bounds() -> None:
    req = page_request("task, offer ,task", 20, 40, max_limit=200)
    assert (req.kinds, req.limit, req.offset) == (("offer", "task"), 20, 40)
    assert page_request(None, 50, 0, max_limit=200).kinds == ()
    with pytest.raises(Invalid, match="unknown history kind"):
        page_request("weather", 20, 0, max_limit=200)
    with pytest.raises(Invalid, match="limit"):
        page_request(None, 201, 0, max_limit=200)
    with pytest.raises(Invalid, match="offset"):
        page_request(None, 10, -1, max_limit=200)


def test_the_history_is_newest_first_and_same_instant_events_keep_a_stable_order() -> None:
    def entry(event_id: str, minutes: int) -> TimelineEntry:
        return TimelineEntry("p", event_id, "task", "TaskCreated", "t", T0 + timedelta(minutes=minutes))

    ordered = newest_first([entry("a", 0), entry("c", 5), entry("b", 5)])
    assert [e.event_id for e in ordered] == ["c", "b", "a"]


def test_an_entry_needs_a_known_kind_and_an_aware_time() -> None:
    with pytest.raises(ValueError, match="kind"):
        TimelineEntry("p", "e", "weather", "X", "t", T0)
    with pytest.raises(ValueError, match="tz-aware"):
        TimelineEntry("p", "e", "task", "X", "t", datetime(2026, 1, 1))


def _entry(ref_type: str | None, ref_id: str | None, **details: object) -> TimelineEntry:
    kind = ref_type if ref_type in KINDS else "email"
    return TimelineEntry("p1", "e1", kind, "X", "t", T0, ref_type=ref_type, ref_id=ref_id, details=dict(details))


@pytest.mark.parametrize(
    ("ref_type", "ref_id", "details", "link"),
    [
        ("opportunity", "o1", {}, "/opportunities/o1"),
        ("task", "t1", {}, "/tasks/t1"),
        ("invoice", "d1", {}, "/documents/d1"),
        ("offer", "d2", {}, "/documents/d2"),
        ("dossier", "f1", {}, "/dossiers/f1"),
        ("campaign", "c1", {}, "/campaigns/c1"),
        ("email", "m1", {"task_id": "t9"}, "/tasks/t9"),
        ("email", "d3", {"status": "sent"}, "/emails?partner_id=p1"),
        ("payment", "y1", {}, "/documents?partner_id=p1"),
        ("task", "t1", {"hidden": True}, None),
        (None, None, {}, None),
    ],
)
def test_each_history_entry_links_to_the_page_of_its_record_and_a_redacted_one_to_none(
    ref_type: str | None, ref_id: str | None, details: dict[str, object], link: str | None
) -> None:
    assert timeline.link_of(_entry(ref_type, ref_id, **details)) == link
