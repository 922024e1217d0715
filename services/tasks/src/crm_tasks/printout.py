"""The estimate's PDF printout (fpdf2, DejaVu so Romanian letters print)."""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path

from fpdf import FPDF

from crm_tasks.domain.model import Estimate, Task

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def render_estimate(task: Task, estimate: Estimate, client: str | None, currency: str, tz: tzinfo) -> bytes:
    """The estimate (deviz) of a resolved task as PDF bytes."""
    pdf = FPDF()
    pdf.set_creator("CRM tasks")
    pdf.set_title(f"Deviz {estimate.id}")
    family = "Helvetica"
    if (FONT_DIR / "DejaVuSans.ttf").exists():
        pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        family = "DejaVu"
    pdf.add_page()
    pdf.set_font(family, "B", 16)
    pdf.cell(0, 10, "Deviz / Estimate", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    resolved = task.resolved_at.astimezone(tz).strftime("%d.%m.%Y %H:%M") if task.resolved_at else "-"
    registered = task.registered_at.astimezone(tz).strftime("%d.%m.%Y %H:%M")
    for label, value in (
        ("Nr.", str(estimate.id)),
        ("Client", client or "-"),
        ("Task", task.title),
        ("Înregistrat la", registered),
        ("Rezolvat la", resolved),
    ):
        pdf.cell(40, 7, label)
        pdf.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(family, "B", 10)
    widths = (30, 70, 25, 30, 35)
    for w, head in zip(widths, ("Articol", "Serviciu", "Ore", "Tarif/oră", "Valoare"), strict=True):
        pdf.cell(w, 8, head, border=1)
    pdf.ln()
    pdf.set_font(family, "", 10)
    for line in estimate.lines:
        cells = (line.article_code, line.description, f"{line.hours}", f"{line.rate:.2f}", f"{line.net:.2f}")
        for w, text in zip(widths, cells, strict=True):
            pdf.cell(w, 8, text[:40], border=1)
        pdf.ln()
    pdf.set_font(family, "B", 11)
    pdf.cell(sum(widths[:-1]), 9, f"Total fără TVA ({currency})", border=1)
    pdf.cell(widths[-1], 9, f"{estimate.total:.2f}", border=1)
    return bytes(pdf.output())


class EstimatePrinter:
    """Implements ``crm_tasks.ports.Printer``: the estimates of one currency and local time zone."""

    def __init__(self, currency: str, tz: tzinfo) -> None:
        self.currency = currency
        self.tz = tz

    def estimate(self, task: Task, estimate: Estimate, client: str | None) -> bytes:
        """The estimate (deviz) of a resolved task as PDF bytes."""
        return render_estimate(task, estimate, client, self.currency, self.tz)
