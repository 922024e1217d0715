"""Who reads what of a partner's history: entries about a task, an email or an import follow their record's rule."""

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

from crm_contracts import mail as ml
from crm_contracts import notifications as ntf
from crm_contracts import tasks as tsk
from crm_contracts.base import Envelope, Event
from crm_kit.scoping import TaskOwners
from crm_partners.domain.timeline import TimelineEntry, entries_for
from crm_partners.domain.visibility import HIDDEN_TITLES, Reader, for_reader
from crm_partners.events.subscribers import fact_of

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PARTNER = uuid4()
ANA, ION, EVA = str(uuid4()), str(uuid4()), str(uuid4())
TASK = uuid4()
OWNERS = {str(TASK): TaskOwners(responsible_staff_id=ANA, creator_staff_id=ION, creator_user="ion")}


def entry(event: Event) -> TimelineEntry:
    (made,) = entries_for(fact_of(Envelope(id=str(uuid4()), source="/t", type=event.ce_type(), time=T0), event))
    return made


def task_created() -> TimelineEntry:
    return entry(
        tsk.TaskCreated(
            task_id=TASK,
            title="Salariu confidențial",
            source="manual",
            responsible_staff_id=uuid4(),
            partner_id=PARTNER,
            registered_at=T0,
        )
    )


def test_a_task_entry_is_shown_in_full_to_its_responsible_and_redacted_for_another_agent() -> None:
    entries = [task_created()]
    (mine,) = for_reader(entries, Reader("agent", "ana", ANA), OWNERS)
    (theirs,) = for_reader(entries, Reader("agent", "eva", EVA), OWNERS)
    assert "Salariu confidențial" in mine.title
    assert theirs.title == HIDDEN_TITLES["task"]
    assert theirs.details == {"hidden": True}
    assert (theirs.kind, theirs.ref_id, theirs.occurred_at) == (mine.kind, mine.ref_id, mine.occurred_at)


def test_every_later_event_of_the_task_follows_the_same_rule_invoice_included() -> None:
    later = [
        entry(tsk.TaskResolved(task_id=TASK, partner_id=PARTNER, resolved_at=T0, hours=Decimal("2"))),
        entry(tsk.TaskReplied(task_id=TASK, reply_id=uuid4(), partner_id=PARTNER, title="Secret", text="da")),
        entry(tsk.TaskInvoiced(task_id=TASK, partner_id=PARTNER, invoice_id=uuid4())),
    ]
    shown = for_reader(later, Reader("agent", "eva", EVA), OWNERS)
    assert all(e.details == {"hidden": True} for e in shown)
    assert all("Secret" not in e.title for e in shown)


def test_a_manager_sees_their_teams_task_and_a_task_of_unknown_owners_stays_hidden_but_for_admins() -> None:
    entries = [task_created()]
    (team,) = for_reader(entries, Reader("manager", "eva", EVA, frozenset({EVA, ANA})), OWNERS)
    (unknown,) = for_reader(entries, Reader("manager", "eva", EVA, frozenset({EVA, ANA})), {})
    (admin,) = for_reader(entries, Reader("admin", "admin"), {})
    assert "Salariu" in team.title
    assert unknown.title == HIDDEN_TITLES["task"]
    assert "Salariu" in admin.title


def test_a_reminder_email_to_a_colleague_is_redacted_for_an_agent_and_shown_to_its_recipient() -> None:
    sent = entry(
        ntf.EmailSent(
            delivery_id=uuid4(),
            recipient="ana@example.ro",
            cause_event_id="c1",
            partner_id=PARTNER,
            subject="Termen: Salariu confidențial",
            server="local",
            attempt=1,
            sent_at=T0,
            staff_id=ANA,
        )
    )
    (to_ana,) = for_reader([sent], Reader("agent", "ana", ANA), {})
    (to_eva,) = for_reader([sent], Reader("agent", "eva", EVA), {})
    (manager,) = for_reader([sent], Reader("manager", "mara", None), {})
    assert "Salariu" in to_ana.title
    assert to_eva.title == HIDDEN_TITLES["email"]
    assert "Salariu" in manager.title


def test_an_imported_email_is_shown_to_the_agent_its_task_went_to_only() -> None:
    imported = entry(
        ml.EmailImported(
            message_id="<m1@x>",
            import_id=uuid4(),
            file_name="a.eml",
            sender="client@x.ro",
            subject="Ofertă privată",
            partner_id=PARTNER,
            task_id=TASK,
            responsible_staff_id=ANA,
        )
    )
    (ana,) = for_reader([imported], Reader("agent", "ana", ANA), {})
    (eva,) = for_reader([imported], Reader("agent", "eva", EVA), {})
    assert "Ofertă privată" in ana.title
    assert "Ofertă privată" not in eva.title


def test_an_entry_about_the_partner_itself_is_shown_to_every_role() -> None:
    plain = TimelineEntry(str(PARTNER), "e1", "partner", "PartnerUpdated", "Partener actualizat", T0)
    assert for_reader([plain], Reader("agent", "eva", None), {}) == [plain]
