"""`make demo-large`: a real company's size (100,000 partners, 200,000 tasks, 20,000 documents), loaded in minutes.

Partners go through the partners CSV import API (POST /api/partner-imports, the bulk path: PartnerRegistered for
each fills every read model). Tasks and documents go through their services' own use cases (``import_tasks``,
``import_documents``) in units of work of about a thousand records, their events through each service's outbox,
which the running service's relay publishes: the other services see them as if users had entered them.

The 99,999th partner (of any size: the one before the last) has a name found nowhere else, ``MARKED_NAME``,
for the browser test and the picker timings: ``Zorilor Logistică 99999 SRL``.

Usage (against ``make start``; every size is a flag)::

    uv run python -m deploy.demo_large --partners 100000 --tasks 200000 --documents 20000
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

import httpx

from crm_commercial.bootstrap import bootstrap as commercial_bootstrap
from crm_commercial.domain.documents import LineRequest
from crm_commercial.events.publisher import KafkaPublisher as CommercialPublisher
from crm_commercial.events.publisher import answer_in_handler
from crm_commercial.ports import Publisher as CommercialPublishing
from crm_commercial.ports import Repository as CommercialPort
from crm_commercial.printing import PdfPrinter
from crm_commercial.printouts import Issuer
from crm_commercial.service_layer import IssueDocument, PostCostDocument
from crm_commercial.service_layer import UseCases as CommercialUseCases
from crm_commercial.settings import CommercialSettings
from crm_commercial.store.repository import SqlRepository as CommercialRepository
from crm_kit.errors import DomainError
from crm_kit.transactions import Emit, SqlUnitOfWork
from crm_kit.unit_of_work import UnitOfWork
from crm_tasks.bootstrap import bootstrap as tasks_bootstrap
from crm_tasks.domain.model import Caller
from crm_tasks.events.publisher import KafkaPublisher as TasksPublisher
from crm_tasks.ports import Publisher as TasksPublishing
from crm_tasks.ports import Repository as TasksPort
from crm_tasks.printout import EstimatePrinter
from crm_tasks.service_layer import CreateTask
from crm_tasks.service_layer import UseCases as TasksUseCases
from crm_tasks.settings import TasksSettings
from crm_tasks.store.repository import SqlRepository as TasksRepository

CHUNK_ROWS = 20_000
"""Rows per CSV import (the partners service takes at most 50,000 by default)."""
UNIT = 1_000
"""Tasks per unit of work: short transactions, so the running services keep answering."""
DOCUMENT_UNIT = 200
"""Documents per unit of work: each is numbered in its series and moves a balance; 1,000 held SQLite's write lock
past the running relay's 30 s busy timeout on a loaded machine ("database is locked", retried)."""
ARTICLE = "SRV-ORA"
MARKED_PREFIX = "Zorilor Logistică"
REQUESTS = UUID("5f0c9a52-7d1e-4b7a-9a43-1d2f8e6c0b11")
"""The namespace of the invoices' request ids: a second run issues none of them again."""

FIRST = ("Alfa", "Beta", "Carpați", "Dunărea", "Est", "Făgăraș", "Gemenii", "Horia", "Iris", "Jiul", "Lotus", "Mureș")
TRADE = ("Construcții", "Transport", "Comerț", "Servicii", "Agro", "Software", "Distribuție", "Consulting", "Metal")
PLACES = (
    ("Cluj-Napoca", "Cluj"),
    ("Brașov", "Brașov"),
    ("București", "București"),
    ("Iași", "Iași"),
    ("Timișoara", "Timiș"),
    ("Constanța", "Constanța"),
    ("Pitești", "Argeș"),
)
TASK_TITLES = ("Revizie anuală", "Ofertă de reînnoire", "Apel de verificare", "Instalare", "Instruire utilizatori")

T = TypeVar("T")


@dataclass(frozen=True)
class Sizes:
    """How much to load."""

    partners: int = 100_000
    tasks: int = 200_000
    documents: int = 20_000


def marked_number(partners: int) -> int:
    """The number of the partner with the distinct name: the 99,999th of 100,000, the one before the last."""
    return max(partners - 1, 1)


def marked_name(partners: int) -> str:
    """The distinct name of the partner the browser test and the picker timings look for."""
    return f"{MARKED_PREFIX} {marked_number(partners)} SRL"


def partner_name(number: int, partners: int) -> str:
    """Partner ``number``'s name: ordinary names, except the marked one's."""
    if number == marked_number(partners):
        return marked_name(partners)
    return f"{FIRST[number % len(FIRST)]} {TRADE[number % len(TRADE)]} {number} SRL"


def partner_csv(first: int, last: int, partners: int, staff_id: str) -> str:
    """The CSV file of partners ``first``..``last`` (1-based, inclusive)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kind", "name", "locality", "county", "employees", "sales_rep_staff_id"])
    for number in range(first, last + 1):
        locality, county = PLACES[number % len(PLACES)]
        kind = "supplier" if number % 10 == 0 else "client"
        writer.writerow([kind, partner_name(number, partners), locality, county, number % 250, staff_id])
    return out.getvalue()


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in slices of ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Gateway:
    """The gateway's API as admin."""

    def __init__(self, base_url: str, password: str) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=120.0)
        self.password = password

    async def login(self) -> None:
        """Get an admin token."""
        answer = await self.client.post("/api/auth/token", json={"username": "admin", "password": self.password})
        answer.raise_for_status()
        self.client.headers["authorization"] = f"Bearer {answer.json()['access_token']}"

    async def staff_member(self, name: str) -> str:
        """The id of the staff member called ``name``, created when missing.

        Without an email address: the notifier emails a task's responsible about every new task, and 200,000
        emails to one person are not what a data load is for.
        """
        listed = await self.client.get("/api/staff", params={"limit": 500})
        listed.raise_for_status()
        for member in listed.json()["items"]:
            if member.get("name") == name:
                return str(member["id"])
        created = await self.client.post(
            "/api/staff", json={"name": name, "hours_per_day": "8", "categories": ["service"]}
        )
        created.raise_for_status()
        return str(created.json()["id"])

    async def article(self) -> None:
        """The article the invoices bill (a second run finds it there)."""
        answer = await self.client.post(
            "/api/articles",
            json={"code": ARTICLE, "name": "Oră de service", "unit": "oră", "price": "150", "vat_rate": "21"},
        )
        if answer.status_code not in (201, 409):
            answer.raise_for_status()

    async def import_partners(self, content: str, file_name: str) -> int:
        """One CSV import, waited for; the number of partners it imported."""
        started = await self.client.post("/api/partner-imports", json={"file_name": file_name, "content": content})
        started.raise_for_status()
        import_id = started.json()["id"]
        while True:
            status = (await self.client.get(f"/api/partner-imports/{import_id}")).json()
            if status["status"] == "imported":
                return int(status["imported"])
            if status["status"] in ("rejected", "failed"):
                raise RuntimeError(f"import {file_name}: {status['message']} {status['errors'][:3]}")
            await asyncio.sleep(0.5)

    async def partner_ids(self) -> list[str]:
        """Every partner's id, page by page."""
        ids: list[str] = []
        while True:
            page = await self.client.get("/api/partners", params={"limit": 500, "offset": len(ids)})
            page.raise_for_status()
            items = page.json()["items"]
            ids += [str(p["id"]) for p in items]
            if len(items) < 500:
                return ids

    async def close(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()


def tasks_use_cases(settings: TasksSettings) -> tuple[TasksUseCases, Callable[[], Any]]:
    """The tasks use cases on the service's own store and outbox (the running service relays the events)."""
    service = tasks_bootstrap(settings)
    uow: UnitOfWork[TasksPort, TasksPublishing] = SqlUnitOfWork(
        service.db, service.outbox, repository=TasksRepository, publisher=TasksPublisher
    )
    uses = TasksUseCases(
        uow,
        blobs=service.blobs,
        printer=EstimatePrinter(settings.currency, ZoneInfo(settings.timezone)),
        timezone=settings.timezone,
        max_planned_hours=settings.max_planned_hours,
    )
    return uses, service.db.dispose


def commercial_use_cases(settings: CommercialSettings) -> tuple[CommercialUseCases, Callable[[], Any]]:
    """The commercial use cases on the service's own store and outbox (as ``tasks_use_cases``)."""
    service = commercial_bootstrap(settings)
    answer = answer_in_handler(service.outbox)

    def publisher(emit: Emit) -> CommercialPublisher:
        return CommercialPublisher(emit, answer)

    uow: UnitOfWork[CommercialPort, CommercialPublishing] = SqlUnitOfWork(
        service.db, service.outbox, repository=CommercialRepository, publisher=publisher
    )
    uses = CommercialUseCases(
        uow,
        printer=PdfPrinter(
            Issuer(settings.company_name, settings.company_fiscal_code, settings.company_address), settings.font_dir
        ),
        blobs=service.blobs,
        currency=settings.currency,
        timezone=ZoneInfo(settings.timezone),
        offer_valid_days=settings.offer_valid_days,
    )
    return uses, service.db.dispose


async def _retrying(
    load: Callable[[], Awaitable[int]], what: str, say: Callable[[str], None], patience: float = 600.0
) -> int:
    """Run one unit of work; while a partner has not reached the service's read model yet, wait and run it again."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return await load()
        except DomainError as exc:
            if "partner" not in exc.message or time.monotonic() > deadline:
                raise
            say(f"  {what}: waiting for the read model ({exc.message[:80]})")
            await asyncio.sleep(2.0)


def task_commands(count: int, partner_ids: Sequence[str], staff_id: str, now: datetime) -> list[CreateTask]:
    """``count`` tasks spread over the partners, with deadlines over the coming months.

    No deadline is past: a past one fires its reminder at once, and 200,000 reminders at once are not a demo.
    """
    caller = Caller("admin", None, "demo-large")
    staff = UUID(staff_id)
    return [
        CreateTask(
            caller=caller,
            title=f"{TASK_TITLES[i % len(TASK_TITLES)]} {i + 1}",
            description="Sarcină din setul mare de date.",
            responsible_staff_id=staff,
            partner_id=UUID(partner_ids[i % len(partner_ids)]),
            deadline=now + timedelta(days=30 + i % 120, hours=i % 8),
        )
        for i in range(count)
    ]


def document_commands(count: int, partner_ids: Sequence[str], today: date) -> list[IssueDocument | PostCostDocument]:
    """``count`` documents: every other one an invoice of service hours, the rest suppliers' invoices (costs)."""
    commands: list[IssueDocument | PostCostDocument] = []
    for i in range(count):
        partner_id = partner_ids[(i * 7) % len(partner_ids)]
        if i % 2 == 0:
            commands.append(
                IssueDocument(
                    doc_type="invoice",
                    partner_id=partner_id,
                    lines=(LineRequest(ARTICLE, Decimal(1 + i % 9)),),
                    request_id=str(uuid5(REQUESTS, f"invoice-{i}")),
                )
            )
        else:
            net = Decimal(100 + i % 900)
            commands.append(
                PostCostDocument(
                    kind="purchase_invoice",
                    number=f"DL-{i}",
                    day=today - timedelta(days=i % 300),
                    net=net,
                    vat=(net * Decimal("0.21")).quantize(Decimal("0.01")),
                    partner_id=partner_id,
                    description="Factură furnizor din setul mare de date.",
                )
            )
    return commands


async def load(
    gateway_url: str,
    password: str,
    sizes: Sizes,
    *,
    tasks_settings: TasksSettings | None = None,
    commercial_settings: CommercialSettings | None = None,
    say: Callable[[str], None] = print,
) -> dict[str, float]:
    """Load ``sizes`` into a running system; returns the seconds each part took.

    Args:
        gateway_url: the gateway (partners go through its API).
        password: the admin's password.
        sizes: how many partners, tasks and documents.
        tasks_settings: the tasks service's settings (its store and topics; default: its environment, as
            ``make start`` runs it).
        commercial_settings: the commercial service's settings (likewise).
        say: where progress lines go.
    """
    timings: dict[str, float] = {}
    gateway = Gateway(gateway_url, password)
    try:
        await gateway.login()
        staff_id = await gateway.staff_member("Dana Marinescu")
        await gateway.article()
        started = time.monotonic()
        for first in range(1, sizes.partners + 1, CHUNK_ROWS):
            last = min(first + CHUNK_ROWS - 1, sizes.partners)
            content = partner_csv(first, last, sizes.partners, staff_id)
            imported = await gateway.import_partners(content, f"demo-large-{first}-{last}.csv")
            say(f"  partners {first}..{last}: {imported} imported ({time.monotonic() - started:.0f} s)")
        timings["partners"] = time.monotonic() - started
        partner_ids = await gateway.partner_ids()
    finally:
        await gateway.close()
    if not partner_ids:
        raise RuntimeError("no partners in the directory")
    now = datetime.now(UTC)

    started = time.monotonic()
    tasks, close_tasks = tasks_use_cases(tasks_settings or TasksSettings())
    try:
        done = 0
        for part in chunks(task_commands(sizes.tasks, partner_ids, staff_id, now), UNIT):
            done += await _retrying(partial(tasks.import_tasks, part), "tasks", say)
            if done % (20 * UNIT) < UNIT:
                say(f"  tasks: {done} ({time.monotonic() - started:.0f} s)")
    finally:
        await close_tasks()
    timings["tasks"] = time.monotonic() - started

    started = time.monotonic()
    commercial, close_commercial = commercial_use_cases(commercial_settings or CommercialSettings())
    try:
        done = 0
        for docs in chunks(document_commands(sizes.documents, partner_ids, now.date()), DOCUMENT_UNIT):
            done += await _retrying(partial(commercial.import_documents, docs), "documents", say)
            if done % (5 * UNIT) < DOCUMENT_UNIT:
                say(f"  documents: {done} ({time.monotonic() - started:.0f} s)")
    finally:
        await close_commercial()
    timings["documents"] = time.monotonic() - started
    return timings


def main() -> None:
    """Parse the sizes and load them into the system `make start` runs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=Sizes.partners)
    parser.add_argument("--tasks", type=int, default=Sizes.tasks)
    parser.add_argument("--documents", type=int, default=Sizes.documents)
    parser.add_argument("--gateway", default=f"http://127.0.0.1:{os.environ.get('CRM_GATEWAY_PORT', '8000')}")
    args = parser.parse_args()
    sizes = Sizes(args.partners, args.tasks, args.documents)
    password = os.environ.get("CRM_ADMIN_PASSWORD", "admin")
    print(f"loading {sizes} into {args.gateway} ...", flush=True)
    timings = asyncio.run(load(args.gateway, password, sizes))
    print("done: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()), flush=True)
    print(f"the marked partner: {marked_name(sizes.partners)}", flush=True)


if __name__ == "__main__":
    main()
