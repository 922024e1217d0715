"""The tasks HTTP API on a real store: checks, defaults, scoping, resolve and billing, broadcasts, bad input."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pypdf import PdfReader

from crm_kit.ids import new_id

if TYPE_CHECKING:
    from tests.conftest import World  # annotations only: tasks' tests are not a package


def deadline(world: World, **kw: float) -> str:
    return (world.clock.now + timedelta(**kw)).isoformat()


async def test_a_new_task_answers_with_availability_conflicts_but_is_created_anyway(world: World) -> None:
    ana = await world.add_staff("ana", hours="8")
    first = await world.client.post(
        "/api/tasks",
        json={
            "title": "Instalare server",
            "responsible_staff_id": str(ana),
            "planned_start": world.clock.now.isoformat(),
            "planned_hours": "6",
        },
        headers=world.as_("ana"),
    )
    assert first.status_code == 201, first.text
    assert first.json()["checks"]["available"] is True
    second = await world.client.post(
        "/api/tasks",
        json={
            "title": "Audit",
            "responsible_staff_id": str(ana),
            "planned_start": world.clock.now.isoformat(),
            "planned_hours": "4",
        },
        headers=world.as_("ana"),
    )
    assert second.status_code == 201
    checks = second.json()["checks"]
    assert checks["available"] is False
    assert [c["title"] for c in checks["conflicts"]] == ["Instalare server"]
    assert await world.count("tasks") == 2


async def test_a_client_request_goes_to_the_service_rep_and_shows_contract_coverage_and_balance(world: World) -> None:
    service_rep = await world.add_staff("sorin")
    sales_rep = await world.add_staff("vlad")
    await world.add_service("SUP", "150.00", "ART-SUP")
    acme = await world.add_partner("Acme SRL", service_rep=service_rep, sales_rep=sales_rep)
    contract_id, line_id = await world.add_contract(acme, "ART-SUP")
    await world.set_balance(acme, "1250.50")
    response = await world.client.post(
        "/api/tasks",
        json={"title": "Imprimanta nu merge", "partner_id": str(acme), "service_code": "SUP", "billable": True},
        headers=world.as_("vlad"),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["responsible_staff_id"] == str(service_rep)
    assert body["source"] == "client_request"
    assert body["contract_id"] == str(contract_id)
    assert body["contract_line_id"] == str(line_id)
    assert body["checks"]["active_contract"]["id"] == str(contract_id)
    assert body["checks"]["covers_service"] is True
    assert body["checks"]["balance"] == "1250.50"
    only_sales = await world.add_partner("Beta SRL", sales_rep=sales_rep)
    response = await world.client.post(
        "/api/tasks", json={"title": "Oferta", "partner_id": str(only_sales)}, headers=world.as_("vlad")
    )
    assert response.json()["responsible_staff_id"] == str(sales_rep)
    assert response.json()["checks"]["active_contract"] is None


async def test_bad_input_gets_a_clear_4xx_and_changes_nothing(any_world: World) -> None:
    world = any_world
    ana = await world.add_staff("ana")
    ok = {"title": "Ceva", "responsible_staff_id": str(ana)}
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({**ok, "responsible_staff_id": str(new_id())}, 422, "no staff member"),
        ({**ok, "partner_id": str(new_id())}, 422, "no partner"),
        ({**ok, "planned_start": world.clock.now.isoformat(), "planned_hours": "-2"}, 422, "more than 0"),
        ({**ok, "planned_start": world.clock.now.isoformat(), "planned_hours": "99999"}, 422, "not plausible"),
        ({**ok, "deadline": "mâine dimineață"}, 400, "deadline"),
        ({**ok, "alert": {"channel": "email", "days_before": 5}}, 422, "1, 2 or 3 days"),
        ({**ok, "title": "  "}, 422, "title"),
        ({**ok, "billable": True}, 422, "billable"),
        ({**ok, "service_code": "NOPE"}, 422, "catalogue"),
    ]
    for body, status, message in cases:
        response = await world.client.post("/api/tasks", json=body, headers=world.as_("ana"))
        assert response.status_code == status, (body, response.text)
        assert message in response.text, response.text
    assert await world.count("tasks") == 0
    assert await world.outbox() == []
    created = await world.client.post("/api/tasks", json=ok, headers=world.as_("ana"))
    task_id = created.json()["id"]
    before = (await world.client.get(f"/api/tasks/{task_id}", headers=world.as_("ana"))).json()
    bad = await world.client.patch(
        f"/api/tasks/{task_id}", json={"title": "Nou", "responsible_staff_id": str(new_id())}, headers=world.as_("ana")
    )
    assert bad.status_code == 422
    after = (await world.client.get(f"/api/tasks/{task_id}", headers=world.as_("ana"))).json()
    assert after["title"] == before["title"] == "Ceva"
    unknown = await world.client.get(f"/api/tasks/{new_id()}", headers=world.as_("ana"))
    assert unknown.status_code == 404
    assert (await world.client.get("/api/tasks", params={"view": "mine"}, headers=world.as_("ana"))).status_code == 422


async def test_agents_see_tasks_for_and_from_them_managers_their_team_admins_all(any_world: World) -> None:
    world = any_world
    ana = await world.add_staff("ana", team="suport")
    bob = await world.add_staff("bob", team="suport")
    await world.add_staff("carla", team="vanzari")
    await world.add_staff("mihai", team="suport")
    await world.add_staff("mara", team="vanzari")
    created = await world.client.post(
        "/api/tasks", json={"title": "Pentru Bob", "responsible_staff_id": str(bob)}, headers=world.as_("ana")
    )
    task_id = created.json()["id"]
    await world.client.post(
        "/api/tasks", json={"title": "Pentru Ana", "responsible_staff_id": str(ana)}, headers=world.as_("carla")
    )

    async def titles(who: str, role: str = "agent", view: str = "all") -> set[str]:
        r = await world.client.get("/api/tasks", params={"view": view}, headers=world.as_(who, role))
        assert r.status_code == 200, r.text
        return {t["title"] for t in r.json()["items"]}

    assert await titles("ana") == {"Pentru Bob", "Pentru Ana"}
    assert await titles("ana", view="for-me") == {"Pentru Ana"}
    assert await titles("ana", view="from-me") == {"Pentru Bob"}
    assert await titles("bob") == {"Pentru Bob"}
    assert await titles("carla") == {"Pentru Ana"}
    assert await titles("mihai", "manager") == {"Pentru Bob", "Pentru Ana"}
    assert await titles("mara", "manager") == {"Pentru Ana"}
    assert await titles("root", "admin") == {"Pentru Bob", "Pentru Ana"}
    forbidden = await world.client.get(f"/api/tasks/{task_id}", headers=world.as_("carla"))
    assert forbidden.status_code == 403
    reply = await world.client.post(f"/api/tasks/{task_id}/replies", json={"text": "x"}, headers=world.as_("carla"))
    assert reply.status_code == 403
    assert (await world.client.get(f"/api/tasks/{task_id}", headers=world.as_("mara", "manager"))).status_code == 403


async def test_replies_form_a_thread_and_tell_the_issuer(world: World) -> None:
    ana = await world.add_staff("ana")
    bob = await world.add_staff("bob")
    task = (
        await world.client.post(
            "/api/tasks", json={"title": "Verifica", "responsible_staff_id": str(bob)}, headers=world.as_("ana")
        )
    ).json()
    r = await world.client.post(
        f"/api/tasks/{task['id']}/replies", json={"text": "Gata, verificat."}, headers=world.as_("bob")
    )
    assert r.status_code == 201
    thread = (await world.client.get(f"/api/tasks/{task['id']}", headers=world.as_("ana"))).json()["replies"]
    assert [x["text"] for x in thread] == ["Gata, verificat."]
    replied = await world.outbox("TaskReplied")
    assert replied[0]["creator_staff_id"] == str(ana)
    assert replied[0]["by_staff_id"] == str(bob)


async def test_resolving_a_billable_uncovered_task_issues_the_estimate_with_printout_and_asks_for_an_invoice(
    any_world: World,
) -> None:
    world = any_world
    await world.add_staff("ana")
    await world.add_service("SUP", "200.00", "ART-SUP")
    acme = await world.add_partner("Acme Țară SRL", service_rep=world.staff["ana"])
    task = (
        await world.client.post(
            "/api/tasks",
            json={"title": "Reparație", "partner_id": str(acme), "service_code": "SUP", "billable": True},
            headers=world.as_("ana"),
        )
    ).json()
    world.clock.advance(hours=1, minutes=20)
    resolved = await world.client.post(f"/api/tasks/{task['id']}/resolve", headers=world.as_("ana"))
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert body["status"] == "resolved"
    assert body["hours"] == "1.50"
    assert body["estimate"]["total"] == "300.00"
    estimate = (await world.outbox("EstimateIssued"))[0]
    assert estimate["total"] == "300.00"
    invoice = (await world.outbox("InvoiceRequested"))[0]
    assert invoice["partner_id"] == str(acme)
    assert invoice["lines"][0]["article_code"] == "ART-SUP"
    assert invoice["lines"][0]["qty"] == "1.50"
    pdf = await world.client.get(f"/api/tasks/{task['id']}/estimate/printout", headers=world.as_("ana"))
    assert pdf.headers["content-type"].startswith("application/pdf")
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Acme Țară SRL" in text
    assert "300,00" in text  # printed the Romanian way (crm_kit.formatting)
    again = await world.client.post(f"/api/tasks/{task['id']}/resolve", headers=world.as_("ana"))
    assert again.status_code == 409


async def test_a_task_covered_by_an_active_contract_gets_an_estimate_but_no_invoice_request(world: World) -> None:
    await world.add_staff("ana")
    await world.add_service("SUP", "200.00", "ART-SUP")
    acme = await world.add_partner("Acme", service_rep=world.staff["ana"])
    await world.add_contract(acme, "ART-SUP")
    task = (
        await world.client.post(
            "/api/tasks",
            json={"title": "Reparație", "partner_id": str(acme), "service_code": "SUP", "billable": True},
            headers=world.as_("ana"),
        )
    ).json()
    world.clock.advance(minutes=10)
    await world.client.post(f"/api/tasks/{task['id']}/resolve", headers=world.as_("ana"))
    assert len(await world.outbox("EstimateIssued")) == 1
    assert await world.outbox("InvoiceRequested") == []


async def test_a_contract_is_drafted_from_a_request_without_an_active_contract_once(world: World) -> None:
    await world.add_staff("ana")
    await world.add_service("SUP", "200.00", "ART-SUP")
    acme = await world.add_partner("Acme", service_rep=world.staff["ana"])
    task = (
        await world.client.post(
            "/api/tasks",
            json={"title": "Abonament", "partner_id": str(acme), "service_code": "SUP"},
            headers=world.as_("ana"),
        )
    ).json()
    assert task["checks"]["covers_service"] is False
    r = await world.client.post(
        f"/api/tasks/{task['id']}/contract", json={"kind": "subscription", "months": 12}, headers=world.as_("ana")
    )
    assert r.status_code == 202, r.text
    requested = (await world.outbox("ContractRequested"))[0]
    assert requested["partner_id"] == str(acme)
    assert requested["source"]["task_id"] == task["id"]
    assert requested["lines"][0]["article_code"] == "ART-SUP"
    twice = await world.client.post(f"/api/tasks/{task['id']}/contract", headers=world.as_("ana"))
    assert twice.status_code == 409


async def test_a_broadcast_makes_one_task_per_recipient_and_reports_progress(any_world: World) -> None:
    world = any_world
    await world.add_staff("boss")
    ana = await world.add_staff("ana", categories=("tehnic",))
    await world.add_staff("bob", categories=("tehnic", "vanzari"))
    carla = await world.add_staff("carla")
    r = await world.client.post(
        "/api/task-broadcasts",
        json={
            "title": "Inventar",
            "description": "Numărați stocul",
            "categories": ["tehnic"],
            "staff_ids": [str(carla), str(ana)],
            "deadline": deadline(world, days=2),
        },
        headers=world.as_("boss", "manager"),
    )
    assert r.status_code == 201, r.text
    cast = r.json()
    assert cast["progress"] == {"total": 3, "resolved": 0, "open": 3}
    assert {t["responsible_name"] for t in cast["tasks"]} == {"Ana", "Bob", "Carla"}
    first = cast["tasks"][0]
    await world.client.post(f"/api/tasks/{first['id']}/resolve", headers=world.as_("boss", "admin"))
    shown = (await world.client.get(f"/api/task-broadcasts/{cast['id']}", headers=world.as_("boss", "manager"))).json()
    assert shown["progress"] == {"total": 3, "resolved": 1, "open": 2}
    bad = await world.client.post(
        "/api/task-broadcasts", json={"title": "X", "staff_ids": [str(new_id())]}, headers=world.as_("boss")
    )
    assert bad.status_code == 422
    assert await world.count("broadcasts") == 1


async def test_changing_the_deadline_reschedules_the_reminder(world: World) -> None:
    ana = await world.add_staff("ana")
    task = (
        await world.client.post(
            "/api/tasks",
            json={
                "title": "Raport",
                "responsible_staff_id": str(ana),
                "deadline": deadline(world, days=5),
                "alert": {"channel": "email", "days_before": 2},
            },
            headers=world.as_("ana"),
        )
    ).json()
    shown = (await world.client.get(f"/api/tasks/{task['id']}", headers=world.as_("ana"))).json()
    assert shown["reminders"][0]["remind_at"] == (world.clock.now + timedelta(days=3)).isoformat()
    new_deadline = world.clock.now + timedelta(days=10)
    r = await world.client.patch(
        f"/api/tasks/{task['id']}", json={"deadline": new_deadline.isoformat()}, headers=world.as_("ana")
    )
    assert r.status_code == 200, r.text
    shown = (await world.client.get(f"/api/tasks/{task['id']}", headers=world.as_("ana"))).json()
    assert shown["reminders"][0]["remind_at"] == (new_deadline - timedelta(days=2)).isoformat()
    assert (await world.outbox("TaskUpdated"))[0]["changes"]["deadline"] == new_deadline.isoformat()


async def test_a_task_updated_event_carries_the_whole_task_so_the_log_alone_rebuilds_it(world: World) -> None:
    ana = await world.add_staff("ana")
    created = await world.client.post(
        "/api/tasks",
        json={"title": "Raport", "description": "lunar", "responsible_staff_id": str(ana)},
        headers=world.as_("ana"),
    )
    assert created.status_code == 201, created.text
    task = created.json()
    new_deadline = world.clock.now + timedelta(days=10)
    r = await world.client.patch(
        f"/api/tasks/{task['id']}",
        json={"title": "Raport anual", "deadline": new_deadline.isoformat()},
        headers=world.as_("ana"),
    )
    assert r.status_code == 200, r.text
    (updated,) = await world.outbox("TaskUpdated")
    state = updated["state"]
    assert state["title"] == "Raport anual"  # the changed fields
    assert datetime.fromisoformat(state["deadline"]) == new_deadline
    assert state["description"] == "lunar"  # and the unchanged ones
    assert state["responsible_staff_id"] == str(ana)
    assert state["status"] == "open"


async def test_reminder_settings_are_kept_and_only_managers_change_them(world: World) -> None:
    body = {"send_message": True, "send_email": False, "days_before": 2, "new_task_refresh_minutes": 0}
    r = await world.client.put("/api/reminder-settings", json=body, headers=world.as_("boss", "manager"))
    assert r.status_code == 200, r.text
    assert (await world.client.get("/api/reminder-settings", headers=world.as_("ana"))).json() == body
    assert (await world.client.put("/api/reminder-settings", json=body, headers=world.as_("ana"))).status_code == 403
    bad = await world.client.put(
        "/api/reminder-settings", json={**body, "days_before": 5}, headers=world.as_("boss", "manager")
    )
    assert bad.status_code == 422


async def test_the_report_and_tracking_list_the_periods_tasks(any_world: World) -> None:
    world = any_world
    ana = await world.add_staff("ana")
    for title in ("Unu", "Doi"):
        await world.client.post(
            "/api/tasks", json={"title": title, "responsible_staff_id": str(ana)}, headers=world.as_("ana")
        )
    tasks = (await world.client.get("/api/tasks", headers=world.as_("ana"))).json()["items"]
    world.clock.advance(hours=2)
    await world.client.post(f"/api/tasks/{tasks[0]['id']}/resolve", headers=world.as_("ana"))
    day = world.clock.now.date().isoformat()
    report = await world.client.get(
        "/api/tasks/report", params={"from": day, "to": day, "format": "csv"}, headers=world.as_("ana")
    )
    assert report.status_code == 200
    lines = report.text.strip().splitlines()
    assert lines[0].startswith("id,title,status")
    assert len(lines) == 3
    as_json = (
        await world.client.get("/api/tasks/report", params={"from": day, "to": day}, headers=world.as_("ana"))
    ).json()
    assert as_json["total"] == 2
    tracking = (
        await world.client.get("/api/tasks/tracking", params={"from": day, "to": day}, headers=world.as_("ana"))
    ).json()
    assert tracking["items"] == [{"staff_id": str(ana), "name": "Ana", "day": day, "resolved": 1, "unresolved": 1}]
    bad = await world.client.get(
        "/api/tasks/tracking", params={"from": day, "to": "2020-01-01"}, headers=world.as_("ana")
    )
    assert bad.status_code == 422


async def test_the_services_catalogue_and_availability(world: World) -> None:
    ana = await world.add_staff("ana", hours="6")
    r = await world.client.post(
        "/api/services",
        json={"code": "INST", "name": "Instalare", "hourly_rate": "120.5", "article_code": "ART-INST"},
        headers=world.as_("root", "admin"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["hourly_rate"] == "120.50"
    dup = await world.client.post(
        "/api/services",
        json={"code": "INST", "name": "x", "hourly_rate": "1", "article_code": "A"},
        headers=world.as_("root", "admin"),
    )
    assert dup.status_code == 409
    listed = (await world.client.get("/api/services", headers=world.as_("ana"))).json()
    assert [s["code"] for s in listed["items"]] == ["INST"]
    await world.client.post(
        "/api/tasks",
        json={
            "title": "Montaj",
            "responsible_staff_id": str(ana),
            "planned_start": world.clock.now.isoformat(),
            "planned_hours": "4",
        },
        headers=world.as_("ana"),
    )
    day = world.clock.now.date().isoformat()
    a = (
        await world.client.get(
            "/api/availability", params={"staff_id": str(ana), "date": day}, headers=world.as_("ana")
        )
    ).json()
    assert (a["planned_hours"], a["free_hours"], a["available"]) == ("4.00", "2.00", True)
    live = (
        await world.client.get(
            "/api/tasks/checks",
            params={
                "responsible_staff_id": str(ana),
                "planned_start": world.clock.now.isoformat(),
                "planned_hours": "3",
            },
            headers=world.as_("ana"),
        )
    ).json()
    assert live["available"] is False
    assert live["conflicts"][0]["title"] == "Montaj"
