"""``crm replay``: a service's read models rebuilt from offset 0 into a fresh store equal the live ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from crm_kit import replay
from crm_kit.discovery import bootstrap_function, settings_class
from crm_kit.service import Service
from crm_kit.smtp_sink import SmtpSink
from crm_kit.testing import eventually
from crm_kit.testing.stack import start_stack
from crm_notifier.store import tables as notifier_tables
from crm_partners.store import repository as partners_repo
from tests.e2e.test_journeys import created, items


def fresh(service_env: Any, name: str, path: Path, **overrides: Any) -> Service:
    """Service ``name`` on this test's topics, on a new SQLite file."""
    values = service_env(name, database_url=f"sqlite+aiosqlite:///{path}", **overrides)
    service: Service = bootstrap_function(name)(settings_class(name)(**values))
    return service


async def history(service: Service) -> tuple[set[Any], set[Any]]:
    """The partners history (H1): every entry, and the per-partner, per-kind counts."""
    async with service.db.read() as conn:
        entries = await partners_repo.history_rows(conn, partners_repo.LIVE)
        counts_table = partners_repo.LIVE.counts
        counts = {tuple(r) for r in await conn.execute(sa.select(*counts_table.c))}
    return entries, counts


async def staff(service: Service) -> set[tuple[Any, ...]]:
    async with service.db.read() as conn:
        return {tuple(r) for r in await conn.execute(sa.select(*notifier_tables.staff.c))}


async def test_a_replay_from_offset_0_rebuilds_the_partners_history_and_the_notifiers_staff_as_they_are_live(
    service_env: Any, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    notifier_overrides = {"smtp_port": smtp_sink.port}
    async with start_stack(
        service_env,
        ["partners", "opportunities", "tasks", "notifier"],
        overrides={"notifier": notifier_overrides},
    ) as stack:
        api = stack.client
        ion = await created(api, "/api/staff", {"name": "Ion Pop", "email": "ion@example.ro", "categories": []})
        renamed = await api.patch(f"/api/staff/{ion['id']}", json={"name": "Ion Popescu"})
        assert renamed.status_code == 200, renamed.text
        partner = await created(api, "/api/partners", {"kind": "client", "name": "Alfa SRL", "sites": []})
        await created(
            api,
            "/api/opportunities",
            {
                "partner_id": partner["id"],
                "title": "Licențe ERP",
                "potential": "10000.00",
                "expected_signing_on": (datetime.now(UTC) + timedelta(days=30)).date().isoformat(),
                "owner_staff_id": ion["id"],
            },
        )
        await created(
            api,
            "/api/tasks",
            {"title": "Sună clientul", "partner_id": partner["id"], "responsible_staff_id": ion["id"]},
        )
        live_partners = stack.running["partners"].service
        live_notifier = stack.running["notifier"].service

        async def live_history_complete() -> bool:
            entries, _ = await history(live_partners)
            types = {e[3].lower() for e in entries if str(e[0]) == str(partner["id"])}
            return any("task" in t for t in types) and any("opportunit" in t for t in types)

        async def live_staff_renamed() -> bool:
            return any(row[1] == "Ion Popescu" for row in await staff(live_notifier))

        await eventually(live_history_complete, timeout=60)
        await eventually(live_staff_renamed, timeout=60)
        assert await items(api, "/api/tasks", view="all")

        rebuilt_partners = fresh(service_env, "partners", tmp_path / "partners-replay.db")
        partners_report = await replay.replay(rebuilt_partners, live_database_url=live_partners.db.url)
        rebuilt_notifier = fresh(service_env, "notifier", tmp_path / "notifier-replay.db", **notifier_overrides)
        notifier_report = await replay.replay(rebuilt_notifier, live_database_url=live_notifier.db.url)

        live_entries, live_counts = await history(live_partners)
        rebuilt_entries, rebuilt_counts = await history(rebuilt_partners)
        assert rebuilt_entries == live_entries
        assert rebuilt_counts == live_counts
        rebuilt_types = {e[3].lower() for e in rebuilt_entries if str(e[0]) == str(partner["id"])}
        assert any("task" in t for t in rebuilt_types) and any("opportunit" in t for t in rebuilt_types)
        assert await staff(rebuilt_notifier) == await staff(live_notifier)
        assert "Ion Popescu" in {row[1] for row in await staff(rebuilt_notifier)}
        assert partners_report.records > 0 and partners_report.handled > 0
        assert partners_report.dead_lettered == notifier_report.dead_lettered == 0


async def test_a_replay_refuses_the_live_store_and_a_store_that_already_holds_events(
    service_env: Any, tmp_path: Path
) -> None:
    target = tmp_path / "partners-replay.db"
    with pytest.raises(replay.NotFresh):
        await replay.replay(fresh(service_env, "partners", target), live_database_url=f"sqlite+aiosqlite:///{target}")
    used = fresh(service_env, "partners", target)
    await used.migrate()
    async with used.db.transaction() as conn:
        await conn.execute(
            used.consumer.inbox.insert().values(
                consumer="x", event_id="e1", ce_type="t", outcome="done", processed_at=datetime.now(UTC)
            )
        )
    await used.db.dispose()
    with pytest.raises(replay.NotFresh):
        await replay.replay(fresh(service_env, "partners", target))
