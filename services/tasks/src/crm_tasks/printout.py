"""The estimate's PDF printout (the ``Printer`` port), on the kit's document with a font that prints Romanian."""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path

from crm_kit import formatting
from crm_kit.pdf import document, set_style
from crm_tasks.domain.model import Estimate, Task


def render_estimate(
    task: Task, estimate: Estimate, client: str | None, currency: str, tz: tzinfo, font_dir: Path | None = None
) -> bytes:
    """The estimate (deviz) of a resolved task as PDF bytes.

    Raises:
        FontNotFound: no font that prints Romanian is installed (``crm_kit.pdf``).
    """
    pdf = document(f"Deviz {estimate.id}", creator="CRM tasks", created=task.resolved_at, font_dir=font_dir)
    set_style(pdf, "B", 16)
    pdf.cell(0, 10, "Deviz / Estimate", new_x="LMARGIN", new_y="NEXT")
    set_style(pdf, "", 10)
    resolved = formatting.datetime(task.resolved_at, tz, "ro") if task.resolved_at else "-"
    registered = formatting.datetime(task.registered_at, tz, "ro")
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
    set_style(pdf, "B", 10)
    widths = (30, 70, 25, 30, 35)
    for w, head in zip(widths, ("Articol", "Serviciu", "Ore", "Tarif/oră", "Valoare"), strict=True):
        pdf.cell(w, 8, head, border=1)
    pdf.ln()
    set_style(pdf, "", 10)
    for line in estimate.lines:
        cells = (
            line.article_code,
            line.description,
            formatting.number(line.hours, "ro"),
            formatting.money(line.rate, None, "ro"),
            formatting.money(line.net, None, "ro"),
        )
        for w, text in zip(widths, cells, strict=True):
            pdf.cell(w, 8, text[:40], border=1)
        pdf.ln()
    set_style(pdf, "B", 11)
    pdf.cell(sum(widths[:-1]), 9, f"Total fără TVA ({currency})", border=1)
    pdf.cell(widths[-1], 9, formatting.money(estimate.total, None, "ro"), border=1)
    return bytes(pdf.output())


class EstimatePrinter:
    """Implements ``crm_tasks.ports.Printer``: the estimates of one currency and local time zone."""

    def __init__(self, currency: str, tz: tzinfo, font_dir: Path | None = None) -> None:
        self.currency = currency
        self.tz = tz
        self.font_dir = font_dir

    def estimate(self, task: Task, estimate: Estimate, client: str | None) -> bytes:
        """The estimate (deviz) of a resolved task as PDF bytes."""
        return render_estimate(task, estimate, client, self.currency, self.tz, self.font_dir)
