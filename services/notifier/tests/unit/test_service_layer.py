"""Every use case of the notifier against in-memory fakes: the rule's outcome, what was published, rollbacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm_kit.errors import Conflict, Invalid, NotFound
from crm_kit.testing.fakes import FakeClock, FakeUnitOfWork
from crm_notifier.domain.composing import AttachmentRef
from crm_notifier.domain.failures import RetryPolicy
from crm_notifier.domain.models import EmailViewer, Preferences, ServerConfig
from crm_notifier.ports import Publisher, Repository
from crm_notifier.rendering import Renderer
from crm_notifier.service_layer import (
    AddMailServer,
    ChangeMailServer,
    ChangeSettings,
    CheckMailServer,
    ClaimDeliveries,
    DeleteCredentials,
    FailDelivery,
    FileDocument,
    HandOver,
    MarkAllRead,
    MarkRead,
    MarkSent,
    QueueRequestedEmail,
    RecoverDeliveries,
    RemoveMailServer,
    RequestEmail,
    Reseal,
    ResealReport,
    RetryDelivery,
    SaveArticle,
    SaveDocument,
    SavePartner,
    SaveStaffMember,
    SendMessage,
    SetCredentials,
    TellFollowUp,
    TellTaskAssigned,
    TellTaskCreated,
    TellTaskDue,
    TellTaskReplied,
    UseCases,
)

from .fakes import FakeBlobs, FakeMailer, FakePublisher, FakeSealer, InMemoryRepository

ANA = "0190a000-0000-7000-8000-00000000a0a0"  # a user
ION = "0190a000-0000-7000-8000-00000000b0b0"  # not a user: emailed at the directory address
NEW = "0190a000-0000-7000-8000-00000000c0c0"  # not in the directory yet
PARTNER = "0190a000-0000-7000-8000-0000000000p1"
DOC = "0190a000-0000-7000-8000-0000000000d1"
PDF, PHOTO = "a" * 64, "b" * 64
FALLBACK = ServerConfig(key="settings", name="settings", host="127.0.0.1", port=2525, tls_mode="none", sender="crm@x")
ADMIN = EmailViewer("admin", "root")


class Notifier:
    """The use cases over fresh fakes, and the fakes themselves."""

    def __init__(self, max_message_bytes: int = 20 * 1024 * 1024) -> None:
        self.repo = InMemoryRepository()
        self.publisher = FakePublisher()
        self.clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        # Typed by the ports (the kit's UnitOfWork is invariant in them): mypy checks the fakes against them here.
        self.uow: FakeUnitOfWork[Repository, Publisher] = FakeUnitOfWork(self.repo, self.publisher, self.clock)
        self.mailer = FakeMailer()
        self.blobs = FakeBlobs({PDF: 1000, PHOTO: 2000})
        self.sealer = FakeSealer("current")
        self.uses = UseCases(
            self.uow,
            templates=Renderer("https://crm.firma.ro", "ro"),
            sealer=self.sealer,
            mailer=self.mailer,
            blobs=self.blobs,
            fallback_server=FALLBACK,
            retry=RetryPolicy(max_attempts=3, first_delay=5, max_delay=60),
            max_message_bytes=max_message_bytes,
        )

    async def with_staff(self) -> Notifier:
        await self.uses.staff_changed(SaveStaffMember(ANA, "Ana", "Ana@Firma.ro", "ana"))
        await self.uses.staff_changed(SaveStaffMember(ION, "Ion", "ion@firma.ro", None))
        return self

    @property
    def emails(self) -> list[dict]:  # type: ignore[type-arg]
        return sorted(self.repo.deliveries.values(), key=lambda d: d["cause_event_id"])


@pytest.fixture
async def n() -> Notifier:
    return await Notifier().with_staff()


def created(cause: str, staff_id: str | None, *, source: str = "manual", creator: str | None = None) -> TellTaskCreated:
    return TellTaskCreated(cause, "t1", "Ofertă", "", None, None, staff_id, creator, source)


def follow_up(cause: str, delegate: str) -> TellFollowUp:
    at = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
    return TellFollowUp(cause, "o1", "Contract Alfa", "offer", at, "Sunați", delegate, PARTNER)


def email_request(**more: object) -> RequestEmail:
    return RequestEmail(requested_by="ana", subject="Oferta 5", **more)  # type: ignore[arg-type]


# Read models ---------------------------------------------------------------------------------------------------


async def test_a_staff_member_is_remembered_and_the_notices_that_waited_for_them_are_delivered() -> None:
    n = Notifier()
    await n.uses.tasks_assigned([TellTaskAssigned("e1", "t1", "Ofertă", "bob", NEW, None)])
    assert [p["staff_id"] for p in n.repo.parked] == [NEW] and not n.publisher.calls
    await n.uses.staff_changed(SaveStaffMember(NEW, "Nou", "NOU@firma.ro", "nou"))
    assert n.repo.staff[NEW].email == "nou@firma.ro"
    assert n.repo.parked == []
    assert [(m["recipient"], m["cause_event_id"]) for m in n.publisher.of("message_posted")] == [("nou", "e1")]


async def test_a_partner_keeps_each_site_address_once_in_lower_case() -> None:
    n = Notifier()
    contacts: list[dict[str, str | None]] = [{"contact_id": "c1", "name": "Dan", "email": "Dan@Alfa.ro"}]
    await n.uses.partner_changed(SavePartner(PARTNER, "Alfa", ["Office@alfa.ro", "office@ALFA.ro"], contacts))
    card = n.repo.partners[PARTNER]
    assert (card.site_emails, card.contacts[0]["email"]) == (["office@alfa.ro"], "dan@alfa.ro")


async def test_an_article_is_remembered_with_its_photos() -> None:
    n = Notifier()
    await n.uses.article_changed(SaveArticle("A1", "Pompă", [PHOTO]))
    assert n.repo.article_rows["A1"]["photos"] == [PHOTO]


async def test_a_document_is_remembered_and_its_printout_arrives_later() -> None:
    n = Notifier()
    await n.uses.document_changed(SaveDocument(DOC, PARTNER, "invoice", "F/5", None))
    await n.uses.document_changed(SaveDocument(DOC, PARTNER, "invoice", "F/5", PDF))
    assert n.repo.documents[DOC]["printout_sha256"] == PDF


async def test_a_filed_file_is_remembered_with_its_document() -> None:
    n = Notifier()
    await n.uses.document_filed(FileDocument(DOC, PHOTO, "plan.jpg", 2000))
    assert await n.repo.document_files(DOC) == [
        {"document_id": DOC, "sha256": PHOTO, "file_name": "plan.jpg", "size": 2000}
    ]


# Notices -------------------------------------------------------------------------------------------------------


async def test_a_new_task_tells_its_responsible_but_not_the_one_who_created_it_for_themselves(n: Notifier) -> None:
    await n.uses.tasks_created([created("e1", ANA), created("e2", ANA, creator=ANA), created("e3", None)])
    (message,) = n.publisher.of("message_posted")
    assert (message["recipient"], message["title"], message["link"]) == ("ana", "Task nou: Ofertă", "/tasks/t1")
    assert message["cause_event_id"] == "e1"


async def test_a_broadcast_redelivered_reads_its_people_once_per_batch_and_tells_each_of_them_once() -> None:
    n = Notifier()
    people = [f"0190a000-0000-7000-8000-{i:012d}" for i in range(200)]
    for i, staff_id in enumerate(people):
        await n.uses.staff_changed(SaveStaffMember(staff_id, f"Om {i}", f"om{i}@firma.ro", f"om{i}"))
    batch = [created(f"e{i}", staff_id, source="broadcast") for i, staff_id in enumerate(people)]
    n.repo.staff_reads = 0
    await n.uses.tasks_created(batch)
    await n.uses.tasks_created(batch)  # the batch again (a redelivery past the inbox): nothing twice
    assert n.repo.staff_reads == 2  # one read per batch, not one per person
    assert len(n.repo.message_rows) == 200
    assert sorted(m["recipient"] for m in n.publisher.of("message_posted")) == sorted(f"om{i}" for i in range(200))


async def test_a_new_task_for_someone_without_a_login_is_one_email(n: Notifier) -> None:
    await n.uses.tasks_created([created("e1", ION)])
    assert [(e["recipient"], e["subject"], e["status"]) for e in n.emails] == [
        ("ion@firma.ro", "Task nou: Ofertă", "pending")
    ]
    assert n.publisher.calls == []


async def test_one_follow_up_emails_a_delegate_without_a_login_exactly_once(n: Notifier) -> None:
    # The follow-up arrives twice: FollowUpScheduled, then the TaskCreated of the task it becomes.
    await n.uses.follow_up_scheduled(follow_up("f1", ION))
    await n.uses.tasks_created([created("t1", ION, source="follow_up")])
    (email,) = n.emails
    assert (email["recipient"], email["cause_event_id"]) == ("ion@firma.ro", "f1")
    assert email["subject"].startswith("Activitate de urmărire: Contract Alfa")


async def test_one_follow_up_tells_a_delegate_who_is_a_user_once_by_the_task(n: Notifier) -> None:
    await n.uses.follow_up_scheduled(follow_up("f1", ANA))
    await n.uses.tasks_created([created("t1", ANA, source="follow_up")])
    assert n.emails == []
    assert [m["cause_event_id"] for m in n.publisher.of("message_posted")] == ["t1"]


async def test_an_assigned_task_is_news_to_its_new_responsible_once_per_cause(n: Notifier) -> None:
    news = TellTaskAssigned("e1", "t1", "Ofertă", "bob", ANA, None)
    await n.uses.tasks_assigned([news, news])
    await n.uses.tasks_assigned([news])
    assert len(n.repo.message_rows) == 1
    assert len(n.publisher.of("message_posted")) == 1


async def test_a_reply_is_news_to_the_creator_named_by_its_author_but_not_their_own(n: Notifier) -> None:
    await n.uses.task_replied(TellTaskReplied("e1", "t1", "Ofertă", "Gata", "ion", ION, ANA, None))
    await n.uses.task_replied(TellTaskReplied("e2", "t1", "Ofertă", "Eu", "ana", ANA, ANA, None))
    (message,) = n.publisher.of("message_posted")
    assert message["cause_event_id"] == "e1" and "Ion" in message["body"]
    assert "-- " not in message["body"] and not message["body"].rstrip().endswith("CRM")  # no email signature in-app


async def test_a_notice_by_email_is_signed_and_the_same_notice_in_app_is_not(n: Notifier) -> None:
    await n.uses.tasks_assigned(
        [
            TellTaskAssigned("e1", "t1", "Ofertă", "bob", ANA, None),
            TellTaskAssigned("e2", "t2", "Ofertă", "bob", ION, None),
        ]
    )
    (email,) = n.emails  # Ion is not a user: emailed
    assert email["recipient"] == "ion@firma.ro" and email["body"].endswith("\n-- \nCRM\n")
    (message,) = n.publisher.of("message_posted")  # Ana is: in the app
    assert "-- " not in message["body"] and not message["body"].rstrip().endswith("CRM")


async def test_a_reminder_goes_on_the_tasks_channel(n: Notifier) -> None:
    due = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
    await n.uses.tasks_due([TellTaskDue("e1", "t1", "Ofertă", due, 2, ANA, None, "email")])
    assert [(e["recipient"], e["kind"]) for e in n.emails] == [("ana@firma.ro", "task_due")]
    assert n.publisher.calls == []


async def test_a_requested_email_is_queued_once_per_address_and_an_unsafe_one_fails_at_once() -> None:
    n = Notifier()
    cmd = QueueRequestedEmail(
        "e1", "m1", "ana", PARTNER, ["a@alfa.ro", "b@alfa.ro"], "Oferta", "x", DOC, [AttachmentRef("o.pdf", PDF, 9)]
    )
    assert await n.uses.queue_requested_email(cmd) == 2
    assert await n.uses.queue_requested_email(cmd) == 0
    assert {e["status"] for e in n.emails} == {"pending"} and n.publisher.calls == []
    unsafe = QueueRequestedEmail("e2", "m2", "ana", None, ["c@alfa.ro"], "Hi\nBcc: x@evil.test", "x", None, [])
    await n.uses.queue_requested_email(unsafe)
    (failed,) = n.publisher.of("email_failed")
    assert failed["status"] == "failed" and "never sent" in failed["error"]


# Emails people request -----------------------------------------------------------------------------------------


async def _with_document(n: Notifier) -> None:
    await n.uses.partner_changed(SavePartner(PARTNER, "Alfa", ["office@alfa.ro"], []))
    await n.uses.document_changed(SaveDocument(DOC, PARTNER, "offer", "OF/5", PDF))
    await n.uses.article_changed(SaveArticle("A1", "Pompă", [PHOTO]))


async def test_a_requested_email_goes_to_the_documents_partner_with_printout_and_photos(n: Notifier) -> None:
    await _with_document(n)
    request = await n.uses.request_email(
        email_request(document_id=DOC, attach_printout=True, article_codes=["A1"], to_staff_ids=[ION])
    )
    assert request.recipients == ["ion@firma.ro"] and request.partner_id == PARTNER
    assert [(a.file_name, a.size) for a in request.attachments] == [("OF-5.pdf", 1000), ("A1-1.jpg", 2000)]
    assert n.publisher.of("email_requested") == [request]


async def test_an_email_whose_attachment_is_missing_is_refused_and_nothing_is_published(n: Notifier) -> None:
    await _with_document(n)
    n.blobs.sizes.pop(PDF)
    with pytest.raises(Invalid, match="missing from the blob store"):
        await n.uses.request_email(email_request(to_partner_id=PARTNER, document_id=DOC, attach_printout=True))
    assert n.publisher.calls == []


async def test_an_email_over_the_size_limit_or_to_an_unknown_partner_is_refused() -> None:
    n = Notifier(max_message_bytes=2500)
    await _with_document(n)
    with pytest.raises(Invalid, match="limit per message"):
        await n.uses.request_email(email_request(to_partner_id=PARTNER, document_id=DOC, attach_printout=True))
    with pytest.raises(NotFound):
        await n.uses.request_email(email_request(to_partner_id="0190a000-0000-7000-8000-000000000000"))
    assert n.publisher.calls == []


async def _queued(n: Notifier) -> None:
    await n.uses.queue_requested_email(QueueRequestedEmail("e1", "m1", "ana", None, ["a@alfa.ro"], "A", "", None, []))
    attachment = [AttachmentRef("o.pdf", PDF, 9)]
    await n.uses.queue_requested_email(
        QueueRequestedEmail("e2", "m2", "bob", None, ["b@alfa.ro"], "B", "", None, attachment)
    )


async def test_the_email_log_shows_an_agent_only_their_emails_and_refuses_an_unknown_status(n: Notifier) -> None:
    await _queued(n)
    rows, total = await n.uses.email_log(EmailViewer("agent", "ana"))
    assert (total, [r["recipient"] for r in rows]) == (1, ["a@alfa.ro"])
    assert (await n.uses.email_log(ADMIN, status="pending"))[1] == 2
    with pytest.raises(Invalid):
        await n.uses.email_log(ADMIN, status="lost")


async def test_another_agents_email_is_not_found(n: Notifier) -> None:
    await _queued(n)
    theirs = next(e["id"] for e in n.emails if e["requested_by"] == "bob")
    assert (await n.uses.email(ADMIN, theirs))["recipient"] == "b@alfa.ro"
    with pytest.raises(NotFound):
        await n.uses.email(EmailViewer("agent", "ana"), theirs)


async def test_a_blob_is_readable_through_an_email_the_caller_may_see_only(n: Notifier) -> None:
    await _queued(n)
    assert await n.uses.email_references_blob(EmailViewer("agent", "bob"), PDF)
    assert not await n.uses.email_references_blob(EmailViewer("agent", "ana"), PDF)


# In-app messages and settings ----------------------------------------------------------------------------------


async def test_a_message_goes_to_users_and_staff_who_are_users_named_by_its_author(n: Notifier) -> None:
    sent = await n.uses.send_message(SendMessage("bob", "Salut", to_users=["dan"], to_staff_ids=[ANA], link="/tasks/1"))
    assert sent.recipients == ["dan", "ana"]
    assert [(m["recipient"], m["title"]) for m in n.publisher.of("message_posted")] == [
        ("dan", "bob: Salut"),
        ("ana", "bob: Salut"),
    ]


async def test_a_message_to_someone_who_is_not_a_user_or_off_site_is_refused_and_nothing_is_stored(
    n: Notifier,
) -> None:
    with pytest.raises(Invalid, match="not a system user"):
        await n.uses.send_message(SendMessage("bob", "Salut", to_users=["dan"], to_staff_ids=[ION]))
    with pytest.raises(Invalid):
        await n.uses.send_message(SendMessage("bob", "Salut", to_users=["dan"], link="//evil.example"))
    assert (n.repo.message_rows, n.publisher.calls, n.uow.rollbacks) == ({}, [], 1)


async def test_my_messages_are_mine_newest_first_with_the_unread_count(n: Notifier) -> None:
    await n.uses.send_message(SendMessage("bob", "Unu", to_users=["ana"]))
    n.clock.advance(minutes=1)
    await n.uses.send_message(SendMessage("bob", "Doi", to_users=["ana", "dan"]))
    rows, total, unread = await n.uses.my_messages("ana")
    assert ([r["title"] for r in rows], total, unread) == (["bob: Doi", "bob: Unu"], 2, 2)


async def test_a_message_is_marked_read_by_its_recipient_only(n: Notifier) -> None:
    await n.uses.send_message(SendMessage("bob", "Unu", to_users=["ana"]))
    (message_id,) = n.repo.message_rows
    with pytest.raises(NotFound):
        await n.uses.mark_read(MarkRead("dan", message_id))
    row = await n.uses.mark_read(MarkRead("ana", message_id))
    assert row["read_at"] == n.clock.now == n.repo.message_rows[message_id]["read_at"]


async def test_every_message_of_a_user_is_marked_read_at_once(n: Notifier) -> None:
    await n.uses.send_message(SendMessage("bob", "Unu", to_users=["ana", "dan"]))
    await n.uses.send_message(SendMessage("bob", "Doi", to_users=["ana"]))
    assert await n.uses.mark_all_read(MarkAllRead("ana")) == 2
    assert (await n.uses.my_messages("ana"))[2] == 0 and (await n.uses.my_messages("dan"))[2] == 1


async def test_settings_are_the_company_default_until_a_user_chooses(n: Notifier) -> None:
    assert await n.uses.settings_of("ana") == Preferences("ro", True, False)


async def test_a_user_who_chooses_email_gets_task_news_by_email_too(n: Notifier) -> None:
    await n.uses.change_settings(ChangeSettings("ana", "en", True, True))
    assert await n.uses.settings_of("ana") == Preferences("en", True, True)
    await n.uses.tasks_created([created("e1", ANA)])
    assert [(e["recipient"], e["subject"]) for e in n.emails] == [("ana@firma.ro", "New task: Ofertă")]


# Mail servers --------------------------------------------------------------------------------------------------


def server(name: str = "Firma", **more: object) -> AddMailServer:
    return AddMailServer(name=name, host="smtp.firma.ro", port=587, sender="CRM@firma.ro", **more)  # type: ignore[arg-type]


async def test_the_first_mail_server_is_the_default_and_its_password_is_stored_sealed() -> None:
    n = Notifier()
    first = await n.uses.add_mail_server(server(username="crm", password="parola"))
    second = await n.uses.add_mail_server(server("Alta"))
    assert (first["is_default"], second["is_default"]) == (True, False)
    assert (first["sender"], first["password_enc"]) == ("crm@firma.ro", "current:parola")
    assert [s["name"] for s in await n.uses.mail_servers()] == ["Firma", "Alta"]


async def test_a_mail_server_with_a_line_break_in_a_header_value_is_refused_and_not_stored() -> None:
    n = Notifier()
    with pytest.raises(Invalid):
        await n.uses.add_mail_server(server("Firma\r\nBcc: x@evil.test"))
    assert n.repo.servers == {}


async def test_a_mail_server_nobody_uses_is_deleted_and_an_unknown_one_is_not_found() -> None:
    n = Notifier()
    await n.uses.add_mail_server(server())
    other = await n.uses.add_mail_server(server("Alta"))
    await n.uses.remove_mail_server(RemoveMailServer(other["id"]))
    assert [s["name"] for s in await n.uses.mail_servers()] == ["Firma"]
    with pytest.raises(NotFound):
        await n.uses.remove_mail_server(RemoveMailServer(other["id"]))


async def test_the_default_mail_server_and_one_in_users_credentials_are_refused_and_kept() -> None:
    n = Notifier()
    default = await n.uses.add_mail_server(server())
    used = await n.uses.add_mail_server(server("Alta"))
    await n.uses.set_credentials(SetCredentials("ana", used["id"], "ana@firma.ro", "eu"))
    with pytest.raises(Conflict) as refused_default:
        await n.uses.remove_mail_server(RemoveMailServer(default["id"]))
    with pytest.raises(Conflict) as refused_used:
        await n.uses.remove_mail_server(RemoveMailServer(used["id"]))
    assert (refused_default.value.code, refused_used.value.code) == ("mail_server.is_default", "mail_server.in_use")
    assert refused_used.value.params == {"users": 1}
    assert set(n.repo.servers) == {default["id"], used["id"]}


async def test_one_mail_server_is_found_by_its_id_and_an_unknown_one_is_not() -> None:
    n = Notifier()
    added = await n.uses.add_mail_server(server())
    assert (await n.uses.mail_server(added["id"]))["name"] == "Firma"
    with pytest.raises(NotFound):
        await n.uses.mail_server("nope")


async def test_a_change_keeps_what_it_does_not_name_and_may_not_take_the_default_role_away() -> None:
    n = Notifier()
    added = await n.uses.add_mail_server(server(password="parola"))
    changed = await n.uses.change_mail_server(ChangeMailServer(added["id"], {"port": 465, "tls_mode": "tls"}))
    assert (changed["port"], changed["password_enc"]) == (465, "current:parola")
    removed = await n.uses.change_mail_server(ChangeMailServer(added["id"], {"password": None}))
    assert removed["password_enc"] is None
    with pytest.raises(Invalid, match="another server as the default"):
        await n.uses.change_mail_server(ChangeMailServer(added["id"], {"is_default": False}))
    with pytest.raises(NotFound):
        await n.uses.change_mail_server(ChangeMailServer("nope", {"port": 25}))


async def test_the_connection_test_uses_the_users_own_credentials_when_asked_and_reports_a_lost_key() -> None:
    n = Notifier()
    added = await n.uses.add_mail_server(server(username="crm", password="parola"))
    with pytest.raises(Invalid, match="no credentials of your own"):
        await n.uses.check_mail_server(CheckMailServer(added["id"], "ana", use_my_credentials=True))
    await n.uses.set_credentials(SetCredentials("ana", added["id"], "ana@firma.ro", "eu"))
    report = await n.uses.check_mail_server(CheckMailServer(added["id"], "ana", use_my_credentials=True))
    assert report["ok"] and (n.mailer.tested[-1].username, n.mailer.tested[-1].password) == ("ana@firma.ro", "eu")
    n.repo.servers[added["id"]]["password_enc"] = "old-key:parola"
    lost = await n.uses.check_mail_server(CheckMailServer(added["id"], "ana"))
    assert (lost["ok"], lost["steps"]) == (False, []) and "enter it again" in lost["error"]


async def test_a_users_own_credentials_keep_the_stored_password_on_the_same_server_and_can_be_deleted() -> None:
    n = Notifier()
    added = await n.uses.add_mail_server(server())
    await n.uses.set_credentials(SetCredentials("ana", added["id"], "ana", "eu", "Ana@firma.ro"))
    kept = await n.uses.set_credentials(SetCredentials("ana", added["id"], "ana2"))
    assert (kept["password_enc"], kept["sender"]) == ("current:eu", None)
    assert (await n.uses.credentials_of("ana") or {})["username"] == "ana2"
    with pytest.raises(NotFound):
        await n.uses.set_credentials(SetCredentials("ana", "nope", "ana"))
    await n.uses.delete_credentials(DeleteCredentials("ana"))
    assert await n.uses.credentials_of("ana") is None


async def test_passwords_sealed_under_the_old_key_are_sealed_again_and_unknown_ones_counted() -> None:
    n = Notifier()
    main = await n.uses.add_mail_server(server())
    other = await n.uses.add_mail_server(server("Alta"))
    n.repo.servers[main["id"]]["password_enc"] = "old:p1"
    n.repo.servers[other["id"]]["password_enc"] = "lost:p2"
    await n.uses.set_credentials(SetCredentials("ana", main["id"], "ana", "p3"))
    assert await n.uses.reseal(Reseal(FakeSealer("old"))) == ResealReport(resealed=1, current=1, unreadable=1)
    assert n.repo.servers[main["id"]]["password_enc"] == "current:p1"


# The delivery worker -------------------------------------------------------------------------------------------


async def _claimed(n: Notifier, count: int = 1, requested_by: str = "ana") -> list[dict]:  # type: ignore[type-arg]
    recipients = [f"c{i}@alfa.ro" for i in range(count)]
    await n.uses.queue_requested_email(
        QueueRequestedEmail("e1", "m1", requested_by, None, recipients, "A", "", None, [])
    )
    return await n.uses.claim(ClaimDeliveries("w1", 10))


async def test_due_deliveries_are_claimed_once_with_one_more_attempt(n: Notifier) -> None:
    claimed = await _claimed(n, 2)
    assert [(r["status"], r["attempts"], r["claim_token"]) for r in claimed] == [("sending", 1, "w1")] * 2
    assert await n.uses.claim(ClaimDeliveries("w2", 10)) == []


async def test_an_email_goes_through_the_users_own_server_else_the_default_else_the_fallback(n: Notifier) -> None:
    claimed = await _claimed(n)
    assert (await n.uses.servers_for(claimed))[claimed[0]["id"]] == FALLBACK
    added = await n.uses.add_mail_server(server(username="crm", password="parola"))
    assert (await n.uses.servers_for(claimed))[claimed[0]["id"]].key == added["id"]
    await n.uses.set_credentials(SetCredentials("ana", added["id"], "ana", "eu"))
    mine = (await n.uses.servers_for(claimed))[claimed[0]["id"]]
    assert (mine.key, mine.password) == (f"{added['id']}:ana", "eu")
    n.repo.creds["ana"]["password_enc"] = "lost:eu"
    anonymous = (await n.uses.servers_for(claimed))[claimed[0]["id"]]
    assert (anonymous.key, anonymous.username, anonymous.password) == (added["id"], None, None)


async def test_a_hand_over_moves_only_the_deliveries_the_claim_still_owns(n: Notifier) -> None:
    (row,) = await _claimed(n)
    moved = await n.uses.hand_over(HandOver([(row["id"], "w1", "sink"), (row["id"], "someone-else", "sink")]))
    assert moved == {(row["id"], "w1")}
    assert n.repo.deliveries[row["id"]]["message_id"] == f"<{row['id']}@crm-notifier>"


async def test_sent_deliveries_are_recorded_and_published_each_once(n: Notifier) -> None:
    first, second = await _claimed(n, 2)
    await n.uses.hand_over(HandOver([(first["id"], "w1", "sink"), (second["id"], "w1", "sink")]))
    count = await n.uses.mark_sent(MarkSent("sink", [(first, None), (second, "assumed delivered: lost")]))
    assert count == 2
    assert [(r["status"], r["sent_at"], r["error"]) for r in n.publisher.of("email_sent")] == [
        ("sent", n.clock.now, None),
        ("sent", n.clock.now, "assumed delivered: lost"),
    ]
    assert await n.uses.mark_sent(MarkSent("sink", [(first, None)])) == 0


async def test_a_failed_delivery_is_published_once_and_a_lost_claim_changes_nothing(n: Notifier) -> None:
    (row,) = await _claimed(n)
    assert not await n.uses.fail(FailDelivery({**row, "claim_token": "stale"}, "sink", "550 no"))
    assert await n.uses.fail(FailDelivery(row, "sink", "550 no such user"))
    (failed,) = n.publisher.of("email_failed")
    assert (failed["status"], failed["error"], failed["claim_token"]) == ("failed", "550 no such user", None)


async def test_a_temporary_failure_is_retried_later_and_a_permanent_or_last_one_fails(n: Notifier) -> None:
    (row,) = await _claimed(n)
    assert await n.uses.retry_or_fail(RetryDelivery(row, "sink", 451, "busy")) == "pending"
    assert n.repo.deliveries[row["id"]]["next_attempt_at"] == n.clock.now + timedelta(seconds=5)
    assert n.publisher.calls == []
    n.clock.advance(seconds=5)
    (again,) = await n.uses.claim(ClaimDeliveries("w2", 10))
    assert await n.uses.retry_or_fail(RetryDelivery(again, "sink", 550, "no such user")) == "failed"
    assert [f["error"] for f in n.publisher.of("email_failed")] == ["no such user"]


async def test_a_delivery_gives_up_after_its_last_attempt() -> None:
    n = Notifier()
    (row,) = await _claimed(n)
    assert await n.uses.retry_or_fail(RetryDelivery({**row, "attempts": 3}, "sink", None, "down")) == "failed"
    assert n.publisher.of("email_failed")[0]["error"].startswith("gave up after 3 attempts")


async def test_a_silent_workers_deliveries_are_sent_again_or_assumed_delivered(n: Notifier) -> None:
    first, second = await _claimed(n, 2)
    await n.uses.hand_over(HandOver([(second["id"], "w1", "sink")]))
    assert await n.uses.recover(RecoverDeliveries(60)) == 0  # not silent long enough
    n.clock.advance(seconds=61)
    assert await n.uses.recover(RecoverDeliveries(60)) == 2
    assert n.repo.deliveries[first["id"]]["status"] == "pending"
    (sent,) = n.publisher.of("email_sent")
    assert (sent["id"], sent["status"]) == (second["id"], "sent") and "assumed delivered" in sent["error"]


# The codes the web UI translates (problem body ``extra.code`` / ``extra.params``) -----------------------------


async def test_an_email_over_the_size_limit_is_refused_by_code_with_both_sizes_and_nothing_is_published() -> None:
    n = Notifier(max_message_bytes=2500)
    await _with_document(n)
    with pytest.raises(Invalid) as refused:
        await n.uses.request_email(email_request(to_partner_id=PARTNER, document_id=DOC, attach_printout=True))
    assert (refused.value.status_code, refused.value.code) == (422, "email.too_large")
    assert refused.value.params == {"size_mb": "0.0", "limit_mb": "0.0"}
    assert n.publisher.calls == []


async def test_a_message_to_someone_who_is_not_a_user_or_to_a_link_off_site_is_refused_by_code(n: Notifier) -> None:
    with pytest.raises(Invalid) as not_a_user:
        await n.uses.send_message(SendMessage("bob", "Salut", to_users=["dan"], to_staff_ids=[ION]))
    assert (not_a_user.value.code, not_a_user.value.params) == ("message.not_a_user", {"name": "Ion"})
    assert not_a_user.value.extra["field"] == "to_staff_ids"
    with pytest.raises(Invalid) as off_site:
        await n.uses.send_message(SendMessage("bob", "Salut", to_users=["dan"], link="//evil.example"))
    assert (off_site.value.code, off_site.value.params) == ("message.link_invalid", {"link": "//evil.example"})
    assert (n.repo.message_rows, n.publisher.calls) == ({}, [])


async def test_an_email_log_filter_on_an_unknown_status_and_an_email_with_an_attachment_gone_carry_codes(
    n: Notifier,
) -> None:
    with pytest.raises(Invalid) as status:
        await n.uses.email_log(ADMIN, status="lost")
    assert (status.value.code, status.value.params) == ("record.choose_from_list", {"value": "lost"})
    await _with_document(n)
    n.blobs.sizes.pop(PDF)
    with pytest.raises(Invalid) as gone:
        await n.uses.request_email(email_request(to_partner_id=PARTNER, document_id=DOC, attach_printout=True))
    assert (gone.value.code, gone.value.params) == ("email.attachment_missing", {"file_name": "OF-5.pdf"})
    assert n.publisher.calls == []
