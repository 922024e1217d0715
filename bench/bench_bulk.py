"""Bulk work a user starts and watches, end to end through the gateway, each beside bare SQL doing the same inserts.

The stack (partners, campaigns, opportunities, tasks, notifier and the gateway) runs as one process per
service on PostgreSQL and a topic prefix of its own (``bench.common.process_stack``); the bench drives it
through the public HTTP API only. Each baseline is plain SQLAlchemy Core on asyncpg, on tables of its own
with the services' columns, in a database of its own on the same server:

- CSV import of N partners (``POST /api/partner-imports``, polled until done) against N partner rows plus
  N outbox rows inserted in one transaction.
- M2: member selection by a filter over the N partners of the campaigns' read model, timed until the members
  are listed, against one ``INSERT ... SELECT`` (plus the one outbox row of ``CampaignMembersAdded``).
- M7: one opportunity for every member of a campaign of N/10 members, timed until the opportunities list
  and the campaign's progress route show them all, against N/10 opportunity rows plus outbox rows.
- T2: a task broadcast to STAFF staff members who are users (``POST /api/task-broadcasts``), timed until
  STAFF in-app messages are stored and STAFF ``MessagePosted`` are on the topic, against STAFF message rows
  plus outbox rows.

Each line reports the time end to end against the baseline's (higher_is_better=False: the ratio is
bare/ours). Where the feature has a progress route, the longest wait between two changes of it seen by a
poller every 0.2 s is printed too (the UI's progress figure must move at least every second).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.common import BOOTSTRAP, ProcessStack, count_rows, load, pg_database, process_stack
from bench.report import Figure, report
from crm_contracts import topics
from crm_contracts.notifications import MessagePosted
from crm_contracts.tasks import TaskCreated
from crm_kit.cloudevents import from_headers

PARTNERS = int(os.environ.get("BENCH_BULK_PARTNERS", "100000"))
STAFF = int(os.environ.get("BENCH_BULK_STAFF", "1000"))
MEMBERS = PARTNERS // 10  # every tenth partner is in the county the campaign selects
POLL = 0.2
COUNTIES = ["Alba", "Arad", "Argeș", "Bacău", "Bihor", "Brașov", "Constanța", "Dolj", "Iași", "Timiș"]
DOMAINS = ["IT", "Construcții", "Comerț", "Transport", "HoReCa", "Producție", "Servicii"]
SELECTED = {"county": "Cluj"}


def partner_csv(n: int) -> str:
    """A CSV file of ``n`` client partners; every tenth one is in Cluj."""
    lines = ["kind,name,locality,county,turnover,employees,activity_domain"]
    for i in range(n):
        county = "Cluj" if i % 10 == 0 else COUNTIES[i % len(COUNTIES)]
        lines.append(
            f"client,Firma Bench {i} SRL,Localitatea {i % 300},{county},{1000 * (i % 5000)},{i % 250},"
            f"{DOMAINS[i % len(DOMAINS)]}"
        )
    return "\n".join(lines) + "\n"


# --- the bare baseline's tables: the services' columns, in a database of the baseline's own -------------------

bare_md = sa.MetaData()
b_outbox = sa.Table(
    "outbox",
    bare_md,
    sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(120), nullable=False, unique=True),
    sa.Column("topic", sa.String(200), nullable=False),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("ce_type", sa.String(200), nullable=False),
    sa.Column("headers", sa.JSON(), nullable=False),
    sa.Column("payload", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
)
b_partners = sa.Table(
    "partners",
    bare_md,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("name_key", sa.String(300), nullable=False),
    sa.Column("fiscal_code", sa.String(12)),
    sa.Column("fiscal_digits", sa.String(10), unique=True),
    sa.Column("trade_register", sa.String(40)),
    sa.Column("locality", sa.String(120)),
    sa.Column("locality_key", sa.String(120)),
    sa.Column("county", sa.String(40)),
    sa.Column("address", sa.String(400)),
    sa.Column("turnover", sa.Numeric(18, 2)),
    sa.Column("employees", sa.Integer()),
    sa.Column("activity_domain", sa.String(200)),
    sa.Column("activity_key", sa.String(200)),
    sa.Column("sales_rep_staff_id", sa.Uuid()),
    sa.Column("service_rep_staff_id", sa.Uuid()),
    sa.Column("campaign_id", sa.Uuid()),
    sa.Column("competitors", sa.JSON(), nullable=False),
    sa.Column("interests", sa.JSON(), nullable=False),
    sa.Column("service_responsible", sa.String(200)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
)
b_directory = sa.Table(  # the campaigns' read model of the directory, which M2 selects from
    "directory",
    bare_md,
    sa.Column("partner_id", sa.Uuid(), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("county_folded", sa.String(120), nullable=True),
    sa.Column("turnover", sa.Numeric(18, 2), nullable=True),
    sa.Index("ix_directory_county", "county_folded", "kind"),
)
b_members = sa.Table(
    "members",
    bare_md,
    sa.Column("campaign_id", sa.Uuid(), primary_key=True),
    sa.Column("partner_id", sa.Uuid(), primary_key=True),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("added_by", sa.String(100), nullable=True),
)
b_opportunities = sa.Table(
    "opportunities",
    bare_md,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("partner_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("potential", sa.Numeric(18, 2), nullable=False),
    sa.Column("probability", sa.Numeric(18, 2), nullable=False),
    sa.Column("expected_signing_on", sa.Date(), nullable=True),
    sa.Column("owner_staff_id", sa.Uuid(), nullable=True, index=True),
    sa.Column("campaign_id", sa.Uuid(), nullable=True, index=True),
    sa.Column("stage", sa.String(20), nullable=False),
    sa.Column("stage_entered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
b_messages = sa.Table(
    "messages",
    bare_md,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("recipient", sa.String(100), nullable=False),
    sa.Column("recipient_staff_id", sa.Uuid(), nullable=True),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("link", sa.String(500), nullable=True),
    sa.Column("cause_event_id", sa.String(120), nullable=False),
    sa.Column("partner_id", sa.Uuid(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("cause_event_id", "recipient"),
    sa.Index("ix_b_messages_recipient", "recipient", "read_at"),
)


def outbox_row(topic: str, key: str, ce_type: str, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    """An outbox row as the kit writes one: CloudEvents headers and the JSON payload."""
    event_id = str(uuid.uuid4())
    headers = {"ce_id": event_id, "ce_source": "/crm/bench", "ce_type": ce_type, "ce_time": now.isoformat()}
    return {
        "event_id": event_id,
        "topic": topic,
        "key": key,
        "ce_type": ce_type,
        "headers": headers,
        "payload": json.dumps(payload, default=str).encode(),
        "created_at": now,
    }


async def timed(fn: Callable[[], Awaitable[object]]) -> float:
    """Seconds ``fn`` takes."""
    started = time.perf_counter()
    await fn()
    return time.perf_counter() - started


async def bare_import(engine: AsyncEngine, n: int) -> float:
    """Seconds to insert ``n`` partner rows and ``n`` PartnerRegistered outbox rows in one transaction."""
    now = datetime.now(UTC)
    partners: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for i in range(n):
        county = "Cluj" if i % 10 == 0 else COUNTIES[i % len(COUNTIES)]
        row = {
            "id": uuid.uuid4(), "kind": "client", "name": f"Firma Bench {i} SRL", "name_key": f"firma bench {i} srl",
            "locality": f"Localitatea {i % 300}", "locality_key": f"localitatea {i % 300}", "county": county,
            "turnover": Decimal(1000 * (i % 5000)), "employees": i % 250, "activity_domain": DOMAINS[i % len(DOMAINS)],
            "activity_key": DOMAINS[i % len(DOMAINS)].lower(), "competitors": [], "interests": [],
            "created_at": now, "updated_at": now, "version": 1,
        }  # fmt: skip
        partners.append(row)
        events.append(outbox_row("crm.partners", str(row["id"]), "crm.partners.PartnerRegistered.v1", row, now))

    async def insert() -> None:
        async with engine.begin() as conn:
            await conn.execute(b_partners.insert(), partners)
            await conn.execute(b_outbox.insert(), events)

    return await timed(insert)


async def bare_selection(engine: AsyncEngine, n: int) -> float:
    """Seconds of one INSERT ... SELECT of the Cluj partners of ``n`` into a campaign, plus its outbox row."""
    rows = [
        {"partner_id": uuid.uuid4(), "kind": "client", "name": f"Firma Bench {i} SRL",
         "county_folded": "cluj" if i % 10 == 0 else COUNTIES[i % len(COUNTIES)].lower(),
         "turnover": Decimal(1000 * (i % 5000))}
        for i in range(n)
    ]  # fmt: skip
    async with engine.begin() as conn:
        await conn.execute(b_directory.insert(), rows)
    await asyncio.sleep(0)
    campaign_id, now = uuid.uuid4(), datetime.now(UTC)
    d = b_directory.c

    async def select() -> None:
        async with engine.begin() as conn:
            chosen = sa.select(
                sa.literal(campaign_id, sa.Uuid()), d.partner_id, sa.literal(now, sa.DateTime(timezone=True)),
                sa.literal("bench"),
            ).where(d.county_folded == "cluj", d.kind.in_(["client", "lead"]))  # fmt: skip
            added = await conn.execute(
                b_members.insert()
                .from_select(["campaign_id", "partner_id", "added_at", "added_by"], chosen)
                .returning(b_members.c.partner_id)
            )
            ids = [str(p) for p in added.scalars()]
            payload = {"campaign_id": str(campaign_id), "partner_ids": ids}
            await conn.execute(
                b_outbox.insert(),
                [outbox_row("crm.campaigns", str(campaign_id), "crm.campaigns.CampaignMembersAdded.v1", payload, now)],
            )

    return await timed(select)


async def bare_opportunities(engine: AsyncEngine, n: int) -> float:
    """Seconds to insert ``n`` opportunity rows and their OpportunityOpened outbox rows in one transaction."""
    now, campaign_id = datetime.now(UTC), uuid.uuid4()
    opps = [
        {"id": uuid.uuid4(), "partner_id": uuid.uuid4(), "title": "Campania bench", "potential": Decimal(0),
         "probability": Decimal(0), "campaign_id": campaign_id, "stage": "new", "stage_entered_at": now,
         "created_at": now, "updated_at": now}
        for _ in range(n)
    ]  # fmt: skip
    events = [
        outbox_row("crm.opportunities", str(o["id"]), "crm.opportunities.OpportunityOpened.v1", o, now) for o in opps
    ]

    async def insert() -> None:
        async with engine.begin() as conn:
            await conn.execute(b_opportunities.insert(), opps)
            await conn.execute(b_outbox.insert(), events)

    return await timed(insert)


async def bare_messages(engine: AsyncEngine, n: int) -> float:
    """Seconds to insert ``n`` in-app message rows and their MessagePosted outbox rows in one transaction."""
    now = datetime.now(UTC)
    msgs = [
        {"id": uuid.uuid4(), "recipient": f"user{i}", "recipient_staff_id": uuid.uuid4(),
         "title": "Task nou: Inventar anual", "body": "Ați primit un task nou: Inventar anual.\n" * 3,
         "link": f"/tasks/{uuid.uuid4()}", "cause_event_id": str(uuid.uuid4()), "created_at": now}
        for i in range(n)
    ]  # fmt: skip
    events = [
        outbox_row("crm.notifications", m["recipient"], "crm.notifications.MessagePosted.v1", m, now) for m in msgs
    ]

    async def insert() -> None:
        async with engine.begin() as conn:
            await conn.execute(b_messages.insert(), msgs)
            await conn.execute(b_outbox.insert(), events)

    return await timed(insert)


# --- ours, through the gateway -------------------------------------------------------------------------------


class Progress:
    """Polls a progress figure every POLL seconds while a job runs; the longest time it stood still."""

    def __init__(self, read: Callable[[], Awaitable[object]]) -> None:
        self.read = read
        self.longest_still = 0.0
        self.changes = 0

    async def watch(self, done: asyncio.Event) -> None:
        last_value: object = None
        last_change = time.perf_counter()
        while not done.is_set():
            value = await self.read()
            now = time.perf_counter()
            if value != last_value:
                self.changes += 1
                last_value, last_change = value, now
            self.longest_still = max(self.longest_still, now - last_change)
            await asyncio.sleep(POLL)


async def until(check: Callable[[], Awaitable[bool]], timeout: float, stack: ProcessStack) -> None:
    """Poll ``check`` every POLL seconds until it holds.

    Raises:
        TimeoutError: it did not within ``timeout`` seconds.
    """
    deadline = time.perf_counter() + timeout
    while not await check():
        stack.check_alive()
        if time.perf_counter() > deadline:
            raise TimeoutError(f"not done within {timeout:.0f} s")
        await asyncio.sleep(POLL)


async def csv_import(stack: ProcessStack) -> tuple[float, Progress]:
    """Seconds from the upload of PARTNERS rows to the import's ``imported`` status; its progress watcher."""
    content = partner_csv(PARTNERS)
    state: dict[str, Any] = {}

    async def read() -> object:
        if "id" not in state:
            return None
        answer = await stack.client.get(f"/api/partner-imports/{state['id']}")
        state["last"] = answer.json()
        return (state["last"]["status"], state["last"]["processed_rows"], state["last"]["imported"])

    progress = Progress(read)
    done = asyncio.Event()
    watcher = asyncio.create_task(progress.watch(done))
    started = time.perf_counter()
    answer = await stack.client.post("/api/partner-imports", json={"file_name": "bench.csv", "content": content})
    assert answer.status_code == 202, answer.text
    state["id"] = answer.json()["id"]

    async def finished() -> bool:
        await read()
        status = state["last"]["status"]
        assert status in ("validating", "storing", "imported"), state["last"]
        return bool(status == "imported")

    await until(finished, 1800, stack)
    elapsed = time.perf_counter() - started
    done.set()
    await watcher
    assert state["last"]["imported"] == PARTNERS, state["last"]
    return elapsed, progress


async def new_campaign(client: httpx.AsyncClient) -> str:
    today = date.today()
    answer = await client.post(
        "/api/campaigns",
        json={"name": "Campania bench", "starts_on": today.isoformat(), "ends_on": (today + timedelta(90)).isoformat()},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def member_selection(stack: ProcessStack, campaign_id: str) -> float:
    """Seconds from the filter's POST to the MEMBERS members listed."""

    async def select() -> None:
        answer = await stack.client.post(f"/api/campaigns/{campaign_id}/members", json={"filter": SELECTED})
        assert answer.status_code in (200, 201), answer.text

        async def listed() -> bool:
            got = await stack.client.get(f"/api/campaigns/{campaign_id}/members", params={"limit": 1})
            return bool(got.json()["total"] == MEMBERS)

        await until(listed, 600, stack)

    return await timed(select)


async def generate_opportunities(stack: ProcessStack, campaign_id: str) -> tuple[float, Progress]:
    """Seconds from M7's POST until every member's opportunity is listed and counted as opened."""

    async def read() -> object:
        return (await stack.client.get(f"/api/campaigns/{campaign_id}/opportunities")).json()

    progress = Progress(read)
    done = asyncio.Event()
    watcher = asyncio.create_task(progress.watch(done))
    started = time.perf_counter()
    answer = await stack.client.post(f"/api/campaigns/{campaign_id}/opportunities", json={"all_members": True})
    assert answer.status_code == 202, answer.text

    async def visible() -> bool:
        listed = await stack.client.get("/api/opportunities", params={"campaign_id": campaign_id, "limit": 1})
        return bool(listed.json()["total"] == MEMBERS)

    async def opened() -> bool:
        return bool((await stack.client.get(f"/api/campaigns/{campaign_id}/opportunities")).json()["opened"] == MEMBERS)

    await until(visible, 1800, stack)
    listed_after = time.perf_counter() - started
    await until(opened, 600, stack)
    elapsed = time.perf_counter() - started
    done.set()
    await watcher
    print(f"  M7: {MEMBERS} opportunities listed after {listed_after:.1f} s, counted opened after {elapsed:.1f} s")
    return elapsed, progress


async def register_staff(stack: ProcessStack) -> None:
    """STAFF staff members who are users, in the category the broadcast names; waits until tasks and the
    notifier know them all."""
    queue = list(range(STAFF))

    async def one_client() -> None:
        while queue:
            i = queue.pop()
            answer = await stack.client.post(
                "/api/staff",
                json={"name": f"Angajat Bench {i}", "email": f"angajat{i}@bench.example", "user_login": f"user{i}",
                      "hours_per_day": 8, "categories": ["bench-t2"]},
            )  # fmt: skip
            assert answer.status_code == 201, answer.text

    await asyncio.gather(*(one_client() for _ in range(16)))

    async def known() -> bool:
        tasks = await count_rows(stack.database_urls["tasks"], "staff")
        notifier = await count_rows(stack.database_urls["notifier"], "staff")
        return tasks >= STAFF and notifier >= STAFF

    await until(known, 600, stack)


async def broadcast(stack: ProcessStack) -> tuple[float, float]:
    """T2: seconds until STAFF messages are stored and until STAFF MessagePosted are on the topic.

    Where the time goes is printed too: when the POST was answered (tasks stored with their outbox rows),
    when the last TaskCreated reached the tasks topic (tasks' relay), and when the notifier had stored every
    message and published every MessagePosted.
    """
    consumer = AIOKafkaConsumer(
        f"{stack.prefix}{topics.NOTIFICATIONS}",
        f"{stack.prefix}{topics.TASKS}",
        bootstrap_servers=BOOTSTRAP,
        auto_offset_reset="latest",
    )
    await consumer.start()
    while not consumer.assignment():
        await asyncio.sleep(0.05)
    for tp in consumer.assignment():
        await consumer.position(tp)  # "latest" resolved now: every event after this is seen
    seen = created = 0
    created_after = 0.0
    started = time.perf_counter()
    answer = await stack.client.post(
        "/api/task-broadcasts",
        json={"categories": ["bench-t2"], "title": "Inventar anual", "description": "Numărați stocul.",
              "deadline": (datetime.now(UTC) + timedelta(days=7)).isoformat()},
    )  # fmt: skip
    answered_after = time.perf_counter() - started
    assert answer.status_code == 201, answer.text
    stored_after = 0.0
    try:
        while seen < STAFF:
            stack.check_alive()
            batch = await consumer.getmany(timeout_ms=50)
            for records in batch.values():
                for r in records:
                    kind = from_headers(r.headers).type
                    if kind == MessagePosted.ce_type():
                        seen += 1
                    elif kind == TaskCreated.ce_type():
                        created += 1
                        if created == STAFF:
                            created_after = time.perf_counter() - started
            if not stored_after and await count_rows(stack.database_urls["notifier"], "messages") >= STAFF:
                stored_after = time.perf_counter() - started
            if time.perf_counter() - started > 600:
                raise TimeoutError(f"only {seen} MessagePosted within 600 s")
        published_after = time.perf_counter() - started
    finally:
        await consumer.stop()
    if not stored_after:
        stored_after = published_after  # each MessagePosted is written with its message: published means stored
    print(
        f"  T2: POST answered after {answered_after:.2f} s, {created} TaskCreated on the topic after"
        f" {created_after:.2f} s"
    )
    return stored_after, published_after


async def main() -> None:
    async with pg_database("bulkbare") as bare_url:
        engine = create_async_engine(bare_url)
        async with engine.begin() as conn:
            await conn.run_sync(bare_md.create_all)
        try:
            async with process_stack(
                ["partners", "campaigns", "opportunities", "tasks", "notifier"],
                # One file of PARTNERS rows (the default limit is 50,000 rows a file).
                {"partners": {"import_max_rows": max(PARTNERS, 50_000)}},
            ) as stack:
                await _run(stack, engine)
        finally:
            await engine.dispose()


async def _run(stack: ProcessStack, engine: AsyncEngine) -> None:
    ours, progress = await csv_import(stack)
    bare = await bare_import(engine, PARTNERS)
    report(
        Figure(
            f"bulk: CSV import of {PARTNERS} partners, end to end (PG, load {load()})",
            ours,
            bare,
            "s",
            higher_is_better=False,
            goal="goal >= 0.25x",
        )
    )
    print(f"  import progress: {progress.changes} changes, stood still at most {progress.longest_still:.1f} s")

    campaign_id = await new_campaign(stack.client)
    started = time.perf_counter()

    async def directory_known() -> bool:
        answer = await stack.client.post(
            f"/api/campaigns/{campaign_id}/members/preview", json={"filter": {"kinds": ["client", "lead"]}}
        )
        return bool(answer.json()["matching"] >= PARTNERS)

    await until(directory_known, 1800, stack)
    print(f"  campaigns knew the {PARTNERS} imported partners {time.perf_counter() - started:.1f} s after the import")

    ours = await member_selection(stack, campaign_id)
    bare = await bare_selection(engine, PARTNERS)
    report(
        Figure(
            f"bulk: M2 selection of {MEMBERS} members over {PARTNERS} partners (PG, load {load()})",
            ours,
            bare,
            "s",
            higher_is_better=False,
            goal="goal >= 0.25x",
        )
    )

    ours, progress = await generate_opportunities(stack, campaign_id)
    bare = await bare_opportunities(engine, MEMBERS)
    report(
        Figure(
            f"bulk: M7 {MEMBERS} opportunities opened and visible (PG, load {load()})",
            ours,
            bare,
            "s",
            higher_is_better=False,
            goal="goal >= 0.25x",
        )
    )
    print(f"  M7 progress: {progress.changes} changes, stood still at most {progress.longest_still:.1f} s")

    await register_staff(stack)
    stored, published = await broadcast(stack)
    bare = await bare_messages(engine, STAFF)
    print(
        f"  T2: {STAFF} messages stored after {stored:.2f} s,"
        f" {STAFF} MessagePosted on the topic after {published:.2f} s"
    )
    report(
        Figure(
            f"bulk: T2 broadcast to {STAFF} staff, messages stored + published (PG, load {load()})",
            published,
            bare,
            "s",
            higher_is_better=False,
            goal="goal >= 0.25x",
        )
    )
