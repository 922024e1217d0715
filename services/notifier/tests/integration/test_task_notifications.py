"""Task news, reminders and follow-ups become in-app messages for users and emails for everyone else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

from crm_contracts import topics
from crm_contracts.notifications import EmailSent, MessagePosted
from crm_contracts.opportunities import FollowUpScheduled
from crm_contracts.partners import StaffMemberRegistered
from crm_contracts.tasks import Alert, TaskCreated, TaskDue, TaskReplied
from crm_kit.service import start_in_background
from crm_kit.testing import eventually, publish, read_events
from crm_notifier.bootstrap import bootstrap
from crm_notifier.testing import api_client, identity_headers, read_maildir

ANA = UUID("0190a000-0000-7000-8000-00000000a0a0")
BOB = UUID("0190a000-0000-7000-8000-00000000b0b0")


def staff(staff_id: UUID, name: str, email: str, login: str | None) -> StaffMemberRegistered:
    return StaffMemberRegistered(staff_id=staff_id, name=name, email=email, user_login=login)


def task(responsible: UUID, title: str, creator: UUID | None = None) -> TaskCreated:
    return TaskCreated(
        task_id=uuid4(),
        title=title,
        source="manual",
        creator_staff_id=creator,
        responsible_staff_id=responsible,
        deadline=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        alert=Alert(channel="message", days_before=1),
        registered_at=datetime.now(UTC),
    )


async def test_users_get_in_app_messages_and_staff_without_a_login_get_emails(
    kafka_bootstrap, topics, smtp_sink, notifier_settings
) -> None:
    settings = notifier_settings(smtp_sink.port)
    running = await start_in_background(bootstrap(settings))
    try:
        await publish(
            kafka_bootstrap,
            topics,
            staff(ANA, "Ana Pop", "ana@firma.ro", "ana"),
            staff(BOB, "Bogdan Ion", "bogdan@firma.ro", None),
        )
        created_for_ana = task(ANA, "Ofertă pentru Alfa", creator=BOB)
        created_for_bob = task(BOB, "Montaj la Beta", creator=ANA)
        reply = TaskReplied(
            task_id=created_for_bob.task_id,
            reply_id=uuid4(),
            title="Montaj la Beta",
            by_staff_id=BOB,
            creator_staff_id=ANA,
            text="Am terminat montajul.",
        )
        due = TaskDue(
            task_id=created_for_ana.task_id,
            title="Ofertă pentru Alfa",
            responsible_staff_id=ANA,
            deadline=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
            channel="email",
            days_before=1,
            remind_at=datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
        )
        follow_ups = [
            FollowUpScheduled(
                opportunity_id=uuid4(),
                partner_id=uuid4(),
                title="Extindere rețea",
                stage="offer",
                delegate_staff_id=delegate,
                follow_up_at=datetime.now(UTC) + timedelta(days=2),
            )
            for delegate in (BOB, ANA)
        ]
        await publish(kafka_bootstrap, topics, created_for_ana, created_for_bob, reply, due, *follow_ups)

        # Bogdan is not a system user: his task and his follow-up reach him by email (O7).
        # Ana is a user: her reminder asked for email (T10); her follow-up becomes a task instead.
        mails = await eventually(at_least(3, smtp_sink.maildir))
        by_rcpt = sorted((m["To"], m["Subject"]) for m in mails)
        assert [r for r, _ in by_rcpt] == ["ana@firma.ro", "bogdan@firma.ro", "bogdan@firma.ro"]
        subjects = " | ".join(s for _, s in by_rcpt)
        assert "Reamintire task: Ofertă pentru Alfa (termen în 1 zi)" in subjects
        assert "Task nou: Montaj la Beta" in subjects
        assert "Activitate de urmărire: Extindere rețea" in subjects
        task_mail = next(m for m in mails if "Montaj" in m["Subject"])
        assert f"http://127.0.0.1:8000/tasks/{created_for_bob.task_id}" in task_mail.get_body().get_content()

        async with api_client(running.service.app()) as client:
            inbox = await eventually(lambda: _messages(client, settings, "ana"))
            assert inbox["unread"] == 2
            titles = sorted(m["title"] for m in inbox["items"])
            assert titles == ["Răspuns la taskul: Montaj la Beta", "Task nou: Ofertă pentru Alfa"]
            first = inbox["items"][0]
            read = await client.post(
                f"/api/messages/{first['id']}/read", headers=identity_headers(settings.identity_secret, "ana")
            )
            assert read.status_code == 200
            assert read.json()["unread"] is False
            again = await client.get(
                "/api/messages", params={"unread": "true"}, headers=identity_headers(settings.identity_secret, "ana")
            )
            assert again.json()["unread"] == 1
            theirs = await client.post(
                f"/api/messages/{first['id']}/read", headers=identity_headers(settings.identity_secret, "bob")
            )
            assert theirs.status_code == 404

        events = await read_events(
            kafka_bootstrap,
            topics,
            topics_notifications(),
            until=lambda evs: (
                sum(isinstance(e, EmailSent) for _, e in evs) >= 3
                and sum(isinstance(e, MessagePosted) for _, e in evs) >= 2
            ),
        )
        posted = [e for _, e in events if isinstance(e, MessagePosted)]
        assert {p.recipient for p in posted} == {"ana"}
        assert all(p.link and p.link.startswith("/tasks/") for p in posted)
    finally:
        await running.stop()


async def test_a_notice_for_someone_the_directory_does_not_know_yet_waits_for_them(
    kafka_bootstrap, topics, smtp_sink, notifier_settings
) -> None:
    running = await start_in_background(bootstrap(notifier_settings(smtp_sink.port)))
    try:
        newcomer = uuid4()
        await publish(kafka_bootstrap, topics, task(newcomer, "Primul task"))
        await publish(kafka_bootstrap, topics, staff(newcomer, "Nou Venit", "nou@firma.ro", None))
        mails = await eventually(at_least(1, smtp_sink.maildir))
        assert [m["To"] for m in mails] == ["nou@firma.ro"]
    finally:
        await running.stop()


async def test_a_user_who_chose_english_and_email_gets_task_news_in_english_both_ways(
    kafka_bootstrap, topics, smtp_sink, notifier_settings
) -> None:
    settings = notifier_settings(smtp_sink.port)
    running = await start_in_background(bootstrap(settings))
    try:
        async with api_client(running.service.app()) as client:
            headers = identity_headers(settings.identity_secret, "ana")
            saved = await client.put(
                "/api/notification-settings",
                json={"language": "en", "task_message": True, "task_email": True},
                headers=headers,
            )
            assert saved.status_code == 200
            assert (await client.get("/api/notification-settings", headers=headers)).json()["language"] == "en"
            bad = await client.put("/api/notification-settings", json={"language": "fr"}, headers=headers)
            assert bad.status_code == 400
            await publish(kafka_bootstrap, topics, staff(ANA, "Ana Pop", "ana@firma.ro", "ana"))
            await publish(kafka_bootstrap, topics, task(ANA, "Call Alfa"))
            mails = await eventually(at_least(1, smtp_sink.maildir))
            assert mails[0]["Subject"] == "New task: Call Alfa"
            inbox = await eventually(lambda: _messages(client, settings, "ana"))
            assert inbox["items"][0]["title"] == "New task: Call Alfa"
    finally:
        await running.stop()


def topics_notifications() -> str:
    return topics.NOTIFICATIONS


def at_least(n: int, maildir: Path):  # type: ignore[no-untyped-def]
    async def check():  # type: ignore[no-untyped-def]
        found = read_maildir(maildir)
        return found if len(found) >= n else None

    return check


async def _messages(client, settings, login: str):  # type: ignore[no-untyped-def]
    response = await client.get("/api/messages", headers=identity_headers(settings.identity_secret, login))
    body = response.json()
    return body if body["total"] else None


async def test_a_user_messages_a_colleague_who_then_has_it_unread(
    kafka_bootstrap, topics, smtp_sink, notifier_settings
) -> None:
    settings = notifier_settings(smtp_sink.port)
    running = await start_in_background(bootstrap(settings), {"relay"})
    try:
        async with api_client(running.service.app()) as client:
            ana = identity_headers(settings.identity_secret, "ana")
            sent = await client.post(
                "/api/messages", json={"to_users": ["bob"], "title": "Sună-l pe Alfa", "link": "/tasks"}, headers=ana
            )
            assert sent.status_code == 201
            assert sent.json()["recipients"] == ["bob"]
            inbox = (
                await client.get("/api/messages", headers=identity_headers(settings.identity_secret, "bob"))
            ).json()
            assert (inbox["unread"], inbox["items"][0]["title"]) == (1, "ana: Sună-l pe Alfa")
            nobody = await client.post("/api/messages", json={"title": "x"}, headers=ana)
            assert nobody.status_code == 422
            unknown = await client.post(
                "/api/messages", json={"to_staff_ids": [str(uuid4())], "title": "x"}, headers=ana
            )
            assert unknown.status_code == 404
            outside = await client.post(
                "/api/messages", json={"to_users": ["bob"], "title": "x", "link": "http://evil"}, headers=ana
            )
            assert outside.status_code == 422
    finally:
        await running.stop()
