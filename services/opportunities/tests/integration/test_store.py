"""The API on each store (SQLite and PostgreSQL): opening, moving, refusing, history, weights, pipeline."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import sqlalchemy as sa

from crm_opportunities.domain.documents import Article
from crm_opportunities.domain.model import Partner
from crm_opportunities.service_layer import KeepArticle, KeepPartner, OpenForCampaign, RecordIssuedDocument
from crm_opportunities.store.tables import metadata

from .conftest import AGENT_STAFF, Opps


async def outbox_types(opps: Opps) -> list[str]:
    outbox = metadata.tables["outbox"]
    async with opps.service.db.read() as conn:
        return [r.ce_type for r in await conn.execute(sa.select(outbox.c.ce_type).order_by(outbox.c.id))]


async def test_opening_an_opportunity_records_it_at_new_and_publishes_it(store_opps: Opps) -> None:
    opp = await store_opps.open(expected_signing_on="2026-06-30")
    assert (opp["stage"], opp["potential"], opp["weighted_potential"]) == ("new", "10000.00", "0.00")
    assert opp["owner_staff_id"] == str(AGENT_STAFF)
    assert opp["stage_history"]["items"][0]["changed_by"] == "ana"
    assert await outbox_types(store_opps) == [
        "crm.opportunities.OpportunityOpened.v1",
        "crm.opportunities.StageChanged.v1",
    ]


async def test_stage_moves_build_the_history_with_potential_probability_and_time_in_stage(store_opps: Opps) -> None:
    opp = await store_opps.open()
    moved = await store_opps.stage(opp["id"], stage="presentation", note="demo on Tuesday")
    assert moved.status_code == 200, moved.text
    moved = await store_opps.stage(opp["id"], stage="offer", potential="12000", probability="60")
    body = moved.json()
    assert (body["stage"], body["potential"], body["probability"], body["weighted_potential"]) == (
        "offer",
        "12000.00",
        "60.00",
        "7200.00",  # the potential times the probability the user set (the stage's weight is 50%)
    )
    history = (await store_opps.call("GET", f"/api/opportunities/{opp['id']}/stages")).json()
    assert [h["stage"] for h in history["items"]] == ["new", "presentation", "offer"]
    assert history["items"][1]["note"] == "demo on Tuesday"
    assert history["items"][1]["potential"] == "10000.00"
    assert history["items"][1]["probability"] == "25.00"
    assert [h["current"] for h in history["items"]] == [False, False, True]
    assert set(history["time_in_stage"]) == {"new", "presentation", "offer"}


async def test_a_move_the_pipeline_does_not_allow_is_refused_with_a_clear_409_and_changes_nothing(
    store_opps: Opps,
) -> None:
    opp = await store_opps.open()
    refused = await store_opps.stage(opp["id"], stage="sale")
    assert refused.status_code == 409
    assert "cannot move from 'new' to 'sale'" in refused.json()["detail"]
    assert refused.json()["extra"]["allowed"] == ["presentation", "offer", "lost"]
    again = await store_opps.stage(opp["id"], stage="new")
    assert again.status_code == 409
    assert "already at the stage 'new'" in again.json()["detail"]
    unknown = await store_opps.stage(opp["id"], stage="won")
    assert unknown.status_code == 400
    after = (await store_opps.call("GET", f"/api/opportunities/{opp['id']}")).json()
    assert after["stage"] == "new"
    assert after["stage_history"]["total"] == 1


async def test_losing_without_a_catalogued_reason_is_refused_and_with_one_is_recorded(store_opps: Opps) -> None:
    opp = await store_opps.open()
    no_reason = await store_opps.stage(opp["id"], stage="lost", note="gone quiet")
    assert no_reason.status_code == 422
    assert "needs a reason from the lost-reasons catalogue" in no_reason.json()["detail"]
    assert "no_answer" in no_reason.json()["extra"]["allowed"]
    bad = await store_opps.stage(opp["id"], stage="lost", reason_code="bored")
    assert bad.status_code == 422
    lost = await store_opps.stage(opp["id"], stage="lost", reason_code="no_answer", note="gone quiet")
    assert lost.status_code == 200
    assert (lost.json()["lost_reason_code"], lost.json()["lost_note"]) == ("no_answer", "gone quiet")
    closed = await store_opps.stage(opp["id"], stage="presentation")
    assert closed.status_code == 409
    assert "closed" in closed.json()["detail"]
    assert (await outbox_types(store_opps))[-1] == "crm.opportunities.OpportunityLost.v1"


async def test_the_lost_reasons_catalogue_is_seeded_and_managers_extend_it(store_opps: Opps) -> None:
    reasons = (await store_opps.call("GET", "/api/lost-reasons")).json()
    assert {r["code"] for r in reasons["items"]} == {"competitor", "price_too_high", "no_budget", "no_answer"}
    added = await store_opps.call("POST", "/api/lost-reasons", json={"code": "timing", "text": "Moment nepotrivit"})
    assert added.status_code == 201
    assert added.json()["text"] == "Moment nepotrivit"
    twice = await store_opps.call("POST", "/api/lost-reasons", json={"code": "timing", "text": "again"})
    assert twice.status_code == 409
    assert "already exists" in twice.json()["detail"]
    agent = await store_opps.call("POST", "/api/lost-reasons", json={"code": "x", "text": "y"}, role="agent")
    assert agent.status_code == 403


async def test_configured_stage_weights_drive_the_pipeline_summary(store_opps: Opps) -> None:
    for potential in ("1000", "3000"):
        opp = await store_opps.open(potential=potential)
        await store_opps.stage(opp["id"], stage="offer")
    await store_opps.open(potential="500")
    weights = await store_opps.call("PUT", "/api/stage-weights", json={"weights": {"offer": "40"}})
    assert weights.status_code == 200
    assert weights.json()["weights"]["offer"] == "40.00"
    out_of_range = await store_opps.call("PUT", "/api/stage-weights", json={"weights": {"offer": "140"}})
    assert out_of_range.status_code == 422
    pipeline = (await store_opps.call("GET", "/api/pipeline")).json()
    by_stage = {s["stage"]: s for s in pipeline["stages"]}
    assert (by_stage["offer"]["count"], by_stage["offer"]["potential"], by_stage["offer"]["weighted_potential"]) == (
        2,
        "4000.00",
        "1600.00",
    )
    assert (by_stage["new"]["count"], by_stage["new"]["weighted_potential"]) == (1, "0.00")
    assert pipeline["open"] == {"count": 3, "potential": "4500.00", "weighted_potential": "1600.00"}


async def test_bad_input_gets_a_4xx_never_a_500(store_opps: Opps) -> None:
    opp = await store_opps.open()
    assert (await store_opps.call("POST", "/api/opportunities", json={"title": "x"})).status_code == 400
    negative = await store_opps.call(
        "POST", "/api/opportunities", json={"partner_id": opp["partner_id"], "title": "x", "potential": "-1"}
    )
    assert negative.status_code == 422
    assert (await store_opps.call("GET", "/api/opportunities/0190a000-0000-7000-8000-000000000000")).status_code == 404
    naive = await store_opps.stage(opp["id"], stage="presentation", follow_up_at="2026-05-04T10:00:00")
    assert naive.status_code == 422
    assert "time zone" in naive.json()["detail"]
    no_article = await store_opps.call(
        "POST", f"/api/opportunities/{opp['id']}/offer", json={"lines": [{"article_code": "NOPE", "qty": "1"}]}
    )
    assert no_article.status_code == 422
    assert "not in the article catalogue" in no_article.json()["detail"]
    unauthenticated = await store_opps.client.get("/api/opportunities")
    assert unauthenticated.status_code == 401


async def test_an_offer_issued_while_negotiating_shows_up_without_moving_the_opportunity_back(store_opps: Opps) -> None:
    uses = store_opps.uses()
    await uses.article_changed(KeepArticle(Article("LIC", "Licence", "buc", Decimal("100"), Decimal(21))))
    opp = await store_opps.open()
    for stage in ("presentation", "offer", "negotiation"):
        assert (await store_opps.stage(opp["id"], stage=stage)).status_code == 200
    asked = await store_opps.call(
        "POST", f"/api/opportunities/{opp['id']}/offer", json={"lines": [{"article_code": "LIC", "qty": "2"}]}
    )
    assert asked.status_code == 202
    issued = RecordIssuedDocument(
        kind="offer",
        document_id=uuid4(),
        partner_id=UUID(opp["partner_id"]),
        number="OF-9",
        issued_on=date(2026, 11, 27),
        net=Decimal("200"),
        vat=Decimal("42"),
        gross=Decimal("242"),
        currency="RON",
        lines=(),
        request_id=UUID(asked.json()["request_id"]),
        opportunity_id=UUID(opp["id"]),
        offer_id=None,
        printout_sha256=None,
    )
    await uses.document_issued(issued)
    view = (await store_opps.call("GET", f"/api/opportunities/{opp['id']}")).json()
    assert view["stage"] == "negotiation"
    assert [(d["number"], d["status"], len(d["lines"])) for d in view["documents"]] == [("OF-9", "issued", 1)]


async def test_a_campaign_command_of_500_partners_is_stored_in_a_few_statements(store_opps: Opps) -> None:
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    engine = store_opps.service.db.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        command = OpenForCampaign(uuid4(), tuple(uuid4() for _ in range(500)), uuid4(), AGENT_STAFF, title="Toamna")
        opened = await store_opps.uses().open_for_campaign(command)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)

    assert len(opened) == 500
    # The claims, the weights, the opportunities, their stays and their events: not ~5 per opportunity.
    assert statements.count("INSERT") == 4, statements
    assert len(statements) <= 8, statements
    types = await outbox_types(store_opps)
    assert types[:4] == ["crm.opportunities.OpportunityOpened.v1", "crm.opportunities.StageChanged.v1"] * 2
    assert (len(types), len(set(types))) == (1000, 2)


async def test_an_import_of_registered_partners_is_kept_at_once_and_a_replay_keeps_later_changes(
    store_opps: Opps,
) -> None:
    uses = store_opps.uses()
    imported = [KeepPartner(Partner(uuid4(), f"Import {n:04} SRL", "lead")) for n in range(1500)]
    await uses.partners_registered(imported)
    changed = Partner(imported[0].partner.partner_id, "Import 0000 Group SRL", "client")
    await uses.partner_changed(KeepPartner(changed))
    await uses.partners_registered(imported[:10])  # a replay of the first registrations

    assert [p.name for p in await uses.partners(name="Import 000", limit=20)] == [
        "Import 0000 Group SRL",
        *(f"Import {n:04} SRL" for n in range(1, 10)),
    ]
    assert len(await uses.partners(name="Import", limit=2000)) == 1500


async def test_a_campaigns_opportunities_newest_first_are_read_from_one_index(store_opps: Opps) -> None:
    # M7 polls the list of a campaign's 10,000 opportunities every 0.2 s: a page must not sort them all.
    async with store_opps.service.db.read() as conn:
        indexes = await conn.run_sync(lambda sync: sa.inspect(sync).get_indexes("opportunities"))
    assert ["campaign_id", "created_at", "id"] in [i["column_names"] for i in indexes]
