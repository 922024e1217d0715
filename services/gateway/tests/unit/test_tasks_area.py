"""The tasks area's own helpers: the T12 chart's geometry and the T11 export's cells (zone, language)."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from crm_gateway.ui.areas.tasks import _chart, _csv_cell, _local_moment


def test_the_chart_scales_every_bar_to_the_busiest_day_and_labels_each_day_with_whole_ticks() -> None:
    days = [date(2026, 3, 2) + timedelta(days=i) for i in range(3)]
    rows = {"2026-03-03": {"resolved": 2, "unresolved": 2}}
    chart = _chart(days, rows, peak=4, language="ro")
    assert [b["label"] for b in chart["bars"]] == ["02.03", "03.03", "04.03"]
    busy = chart["bars"][1]
    assert busy["h_res"] + busy["h_open"] == chart["bottom"] - chart["ticks"][-1]["y"]  # the peak reaches the top tick
    assert [t["value"] for t in chart["ticks"]] == [0, 2, 4]
    assert chart["bars"][0]["h_res"] == chart["bars"][0]["h_open"] == 0
    assert _chart(days, rows, 4, "en")["bars"][0]["label"] == "Mar 2"


def test_a_chart_of_an_empty_period_has_a_zero_axis_and_no_division_by_zero() -> None:
    chart = _chart([date(2026, 3, 2)], {}, peak=0, language="en")
    assert [t["value"] for t in chart["ticks"]] == [0]


def test_export_times_are_in_the_configured_zone_and_codes_are_named_in_the_users_language() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    item = {"registered_at": "2026-03-02T08:00:00+00:00", "status": "resolved", "billable": True, "hours": "1.50"}
    assert _local_moment(item["registered_at"], tokyo) == "2026-03-02T17:00:00+09:00"
    assert _csv_cell("registered_at", item, tokyo, "ro") == "2026-03-02 17:00"
    assert _csv_cell("status", item, tokyo, "en") == "resolved"
    assert _csv_cell("billable", item, tokyo, "ro") == "da"
    assert _csv_cell("hours", item, tokyo, "ro") == "1,5"
    assert _csv_cell("deadline", item, tokyo, "ro") == ""
