"""The partner history (H1) is built from every topic's events, and a replay from offset 0 rebuilds it the same."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from crm_contracts import campaigns as cmp
from crm_contracts import commercial as com
from crm_contracts import mail as ml
from crm_contracts import notifications as ntf
from crm_contracts import opportunities as opp
from crm_contracts import tasks as tsk
from crm_contracts.base import Event
from crm_kit.testing import eventually, publish
from crm_partners.events.replay import replay_history
from crm_partners.service_layer import SwapInHistory

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def other_contexts_events(partner: UUID, other: UUID) -> list[Event]:
    """One fact of each kind another context publishes about a partner (and a few that must not show)."""
    opportunity, offer, order, contract, invoice, task = (uuid4() for _ in range(6))
    money = {"net": Decimal("1000.00"), "vat": Decimal("210.00"), "gross": Decimal("1210.00")}
    return [
        opp.OpportunityOpened(
            opportunity_id=opportunity,
            partner_id=partner,
            title="Licențe ERP",
            potential=Decimal("50000"),
            probability=Decimal(20),
        ),
        opp.StageChanged(
            opportunity_id=opportunity,
            partner_id=partner,
            title="Licențe ERP",
            from_stage="new",
            to_stage="offer",
            potential=Decimal("50000"),
            weight=Decimal(40),
            weighted_potential=Decimal("20000"),
            probability=Decimal(40),
            changed_at=NOW,
        ),
        com.OfferIssued(
            document_id=offer, partner_id=partner, number="OF-2026-000001", issued_on=date(2026, 3, 2), **money
        ),
        com.ClientOrderPlaced(
            document_id=order, partner_id=partner, number="CC-2026-000001", issued_on=date(2026, 3, 3), **money
        ),
        com.ContractSigned(
            document_id=contract,
            partner_id=partner,
            number="CT-2026-000001",
            issued_on=date(2026, 3, 4),
            kind="subscription",
            starts_on=date(2026, 4, 1),
            **money,
        ),
        com.InvoiceIssued(
            document_id=invoice,
            invoice_id=invoice,
            partner_id=partner,
            number="FA-2026-000001",
            issued_on=date(2026, 3, 5),
            **money,
        ),
        com.PaymentReceived(payment_id=uuid4(), partner_id=partner, amount=Decimal("1210.00"), date=date(2026, 3, 6)),
        com.CostDocumentPosted(
            document_id=uuid4(),
            kind="purchase_invoice",
            number="F-77",
            date=date(2026, 3, 6),
            net=Decimal("300"),
            partner_id=partner,
        ),
        tsk.TaskCreated(
            task_id=task,
            title="Instalare licențe",
            source="manual",
            responsible_staff_id=None,
            partner_id=partner,
            registered_at=NOW,
        ),
        tsk.TaskReplied(task_id=task, reply_id=uuid4(), partner_id=partner, text="Gata", by_user="ana"),
        ntf.EmailSent(
            delivery_id=uuid4(),
            recipient="office@acme.ro",
            cause_event_id="x",
            partner_id=partner,
            subject="Oferta OF-2026-000001",
            server="smtp",
            attempt=1,
            sent_at=NOW,
        ),
        ml.EmailImported(
            message_id="<m1@acme.ro>",
            import_id=uuid4(),
            file_name="m1.txt",
            sender="office@acme.ro",
            subject="Întrebare",
            partner_id=partner,
            task_id=uuid4(),
        ),
        cmp.CampaignMembersAdded(campaign_id=uuid4(), partner_ids=[partner, other]),
        # not on this partner's history: another partner's fact, a command, a balance, a reminder
        com.OfferIssued(
            document_id=uuid4(), partner_id=other, number="OF-2026-000002", issued_on=date(2026, 3, 2), **money
        ),
        opp.OfferRequested(request_id=uuid4(), opportunity_id=opportunity, partner_id=partner, lines=[]),
        com.BalanceChanged(partner_id=partner, balance=Decimal("0")),
    ]


async def test_events_of_every_context_show_on_the_partner_history_newest_first_and_a_replay_rebuilds_it_the_same(
    partners, kafka_bootstrap
) -> None:
    partner = (await partners.post("/api/partners", {"name": "Acme", "kind": "lead"})).json()
    pid = UUID(partner["id"])
    events = other_contexts_events(pid, uuid4())
    envelopes = await publish(kafka_bootstrap, partners.settings.topic_prefix, *events)
    # the same fact delivered twice is one entry
    await publish(kafka_bootstrap, partners.settings.topic_prefix, events[2], event_id=envelopes[2].id)
    expected = 13 + 1  # the facts above about this partner, and its own PartnerRegistered

    async def full() -> dict | None:  # type: ignore[type-arg]
        body = (await partners.get(f"/api/partners/{pid}/history", limit=100)).json()
        return body if body["total"] == expected else None

    history = await eventually(full, timeout=60)
    items = history["items"]
    assert len(items) == expected
    assert [i["type"] for i in items[:3]] == ["CampaignMembersAdded", "EmailImported", "EmailSent"]
    assert items[-1]["type"] == "PartnerRegistered"
    times = [i["occurred_at"] for i in items]
    assert times == sorted(times, reverse=True)
    assert {i["kind"] for i in items} == {
        "partner",
        "opportunity",
        "offer",
        "order",
        "contract",
        "invoice",
        "payment",
        "cost",
        "task",
        "email",
        "campaign",
    }
    offer = next(i for i in items if i["kind"] == "offer")
    assert offer["title"].startswith("Ofertă OF-2026-000001") and offer["details"]["net"] == "1000.00"

    only_tasks = (await partners.get(f"/api/partners/{pid}/history", kind="task")).json()
    assert only_tasks["total"] == 2 and [i["type"] for i in only_tasks["items"]] == ["TaskReplied", "TaskCreated"]
    docs = (await partners.get(f"/api/partners/{pid}/history", kind="offer,invoice")).json()
    assert docs["total"] == 2
    page2 = (await partners.get(f"/api/partners/{pid}/history", limit=5, offset=5)).json()
    assert page2["total"] == expected and page2["items"] == items[5:10]
    assert (await partners.get(f"/api/partners/{pid}/history", kind="weather")).status_code == 422
    assert (await partners.get(f"/api/partners/{uuid4()}/history")).status_code == 404

    # the rebuild: replay every topic from offset 0 into a fresh projection
    report = await replay_history(partners.service, partners.uses, timeout=60)
    assert report.same_as_live, report
    assert report.entries >= expected
    rebuilt, total = await partners.uses.rebuilt_history(str(pid), limit=100, offset=0)
    assert total == expected
    assert [(e.event_id, e.kind, e.title, e.occurred_at.isoformat()) for e in rebuilt] == [
        (i["event_id"], i["kind"], i["title"], i["occurred_at"]) for i in items
    ]
    await partners.uses.swap_in_rebuilt_history(SwapInHistory(datetime.fromisoformat(report.started_at)))
    assert (await partners.get(f"/api/partners/{pid}/history", limit=100)).json() == history
