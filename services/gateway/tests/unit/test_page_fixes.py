"""Pages that stay readable (#18): a queued email is named, the funnel is proportional, history entries link."""

import re
from typing import Any

from litestar.plugins.jinja import JinjaTemplateEngine

from crm_gateway.ui.web import TEMPLATES, Areas, configure_templates


def render(template: str, **context: Any) -> str:
    engine = JinjaTemplateEngine(directory=TEMPLATES)
    configure_templates(engine, Areas(), "Europe/Bucharest", "ro")
    return engine.engine.get_template(template).render(**context)


def email_log(email_id: str) -> str:
    page = {"items": [], "total": 0}
    return render(
        "notifier/emails.html",
        page=page,
        email_id=email_id,
        statuses=[],
        offset=0,
        page_size=50,
        filter_partner={"id": "", "name": ""},
        partner_names={},
    )


def test_the_email_log_right_after_a_send_says_the_email_is_queued_and_reloads_itself() -> None:
    html = email_log("e-1")
    assert 'id="email-queued"' in html and "pus în coadă" in html
    assert '<meta http-equiv="refresh"' in html
    assert "Niciun email." not in html


def test_the_email_log_without_a_send_says_there_is_no_email_and_does_not_reload() -> None:
    html = email_log("")
    assert "Niciun email." in html and "email-queued" not in html and "refresh" not in html


def funnel_widths(counts: dict[str, int]) -> dict[str, float]:
    stages = [
        {"stage": s, "count": n, "potential": "0", "weighted_potential": "0", "weight": "0"} for s, n in counts.items()
    ]
    summary = {"stages": stages, "currency": "RON", "open": {"count": 0, "potential": "0", "weighted_potential": "0"}}
    html = render("opportunities/pipeline.html", summary=summary, widest=max(counts.values()) or 1)
    found = re.findall(r'data-stage="(\w+)">.*?data-width="([\d.]+)"', html, re.S)
    return {stage: float(width) for stage, width in found}


def test_the_funnel_draws_each_stage_as_wide_as_its_count_a_few_as_a_sliver_and_an_empty_one_not_at_all() -> None:
    widths = funnel_widths({"new": 400, "presentation": 100, "negotiation": 1, "offer": 0, "lost": 200})
    assert widths == {"new": 100.0, "presentation": 25.0, "negotiation": 3.0, "offer": 0.0, "lost": 50.0}


def test_a_history_entry_with_a_link_is_a_link_and_one_without_stays_text() -> None:
    entries = [
        {"kind": "task", "title": "Task creat: Imprimanta", "occurred_at": None, "link": "/tasks/t1"},
        {"kind": "task", "title": "Task ascuns", "occurred_at": None, "link": None},
    ]
    html = render(
        "partners/detail.html",
        partner={"id": "p1", "name": "Beta", "sites": [], "contacts": []},
        staff={},
        history={"items": entries, "total": 2},
        history_kinds={"task": "Task"},
        offset=0,
        page_size=50,
    )
    assert '<a href="/tasks/t1">Task creat: Imprimanta</a>' in html
    assert "Task ascuns</li>" in html


def test_a_task_description_keeps_its_line_breaks_and_stays_escaped() -> None:
    task = {"id": "t1", "title": "Email", "description": "Bună ziua,\n<b>rândul 2</b>", "source": "email"}
    html = render("tasks/detail.html", task=task)
    assert '<p class="pre-lines" id="task-description">Bună ziua,\n&lt;b&gt;rândul 2&lt;/b&gt;</p>' in html
    assert ".pre-lines { white-space: pre-line; }" in (TEMPLATES.parent / "static" / "crm.css").read_text()
