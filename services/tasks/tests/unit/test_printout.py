"""The estimate's printout prints Romanian: its text extracts back from the PDF as written."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from crm_tasks.domain.billing import estimate
from crm_tasks.domain.model import CatalogueService, Task
from crm_tasks.printout import EstimatePrinter

ROMANIAN_TEXT = "ș ț ă î â Ș Ț"


def test_a_task_printout_with_romanian_letters_extracts_back_as_itself() -> None:
    task = Task(
        uuid4(),
        f"Reparație {ROMANIAN_TEXT}",
        "",
        "client_request",
        uuid4(),
        datetime(2026, 3, 2, 8, tzinfo=UTC),
        resolved_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
    )
    service = CatalogueService("SUP", "Întreținere rețea", Decimal(150), "ART-SUP")
    pdf = EstimatePrinter("RON", ZoneInfo("Europe/Bucharest")).estimate(
        task, estimate(uuid4(), service, Decimal(1)), "Școala Țăndărei"
    )
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for written in (f"Reparație {ROMANIAN_TEXT}", "Școala Țăndărei", "Întreținere rețea", "Total fără TVA (RON)"):
        assert written in text, (written, text)


def test_the_same_estimate_prints_the_same_bytes() -> None:
    task = Task(uuid4(), "Țeavă", "", "manual", uuid4(), datetime(2026, 3, 2, 8, tzinfo=UTC))
    task.resolved_at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    deviz = estimate(uuid4(), CatalogueService("SUP", "Suport", Decimal(100), "ART-SUP"), Decimal(1))
    printer = EstimatePrinter("RON", ZoneInfo("Europe/Bucharest"))
    assert printer.estimate(task, deviz, None) == printer.estimate(task, deviz, None)
