"""Which campaign a document counts for, and the facts it adds (M3-M5).

A document counts at most once per measure. The ERP may name the campaign on the document itself; an
order or contract may come from an opportunity a campaign generated (and may arrive before that
opportunity does); an invoice follows its order or contract; a CRM user may attach a document by hand.
"""

from __future__ import annotations

from uuid import UUID

from crm_campaigns.domain.campaigns import Campaign
from crm_campaigns.domain.documents import Contract, CostDocument, Invoice, Order
from crm_campaigns.domain.results import COST_KINDS, Fact, Measure, Via, invoice_month
from crm_kit.errors import Conflict, Invalid


def posted_cost_campaign(doc: CostDocument, known: set[UUID]) -> UUID | None:
    """The campaign a posted cost document counts for (M3).

    The one it names, if that is a campaign we know and its kind is a marketing cost; else none.
    """
    if doc.campaign_id is None or doc.kind not in COST_KINDS or doc.campaign_id not in known:
        return None
    return doc.campaign_id


def opportunity_takes(source_campaign_id: UUID | None, known: set[UUID]) -> bool:
    """Whether an order or contract from a campaign's opportunity counts for it when the opportunity shows up.

    Yes, unless the document names a campaign of its own.
    """
    return source_campaign_id is None or source_campaign_id not in known


def invoice_campaigns(order: Order | None, contract: Contract | None) -> list[tuple[UUID, Via, bool]]:
    """The campaigns an invoice counts for, how, and whether in the monthly return too.

    Its order's campaign (invoiced revenue), and its contract's (invoiced revenue, plus the monthly return
    when the contract is a subscription).
    """
    found: list[tuple[UUID, Via, bool]] = []
    if order is not None and order.campaign_id is not None:
        found.append((order.campaign_id, Via.ORDER, False))
    if contract is not None and contract.campaign_id is not None:
        found.append((contract.campaign_id, Via.CONTRACT, contract.is_subscription))
    return found


def joins_with_its_invoice(contract: Contract | None) -> bool:
    """Whether counting one of its invoices in a campaign's return brings the contract into that campaign.

    Then the return is updated automatically as the contract's invoices are issued (M5). A subscription that
    counts for no campaign yet does; a commercial contract, or one that counts already
    (for this campaign or, then its invoices count there, for another), does not.
    """
    return contract is not None and contract.is_subscription and contract.campaign_id is None


def campaign_of_counted_invoices(returns: list[Fact]) -> UUID | None:
    """The campaign a newly known subscription joins through the returns its invoices count in already.

    A user may count an invoice in a campaign's return before its contract is known here; the contract then
    joins that campaign as ``joins_with_its_invoice`` says it would have (the earliest such return decides).
    """
    attached = sorted((f for f in returns if f.measure == Measure.RETURN), key=lambda f: (f.effective_on, f.source_id))
    return attached[0].campaign_id if attached else None


def cost_fact(doc: CostDocument, campaign_id: UUID, via: Via) -> Fact:
    """A cost document as realized cost, net of VAT, on its date."""
    return Fact(
        campaign_id=campaign_id,
        measure=Measure.COST,
        source_id=doc.document_id,
        net=doc.net,
        effective_on=doc.date,
        via=via,
        source_kind=doc.kind,
        number=doc.number,
        partner_id=doc.partner_id,
    )


def order_fact(order: Order, campaign_id: UUID, via: Via) -> Fact:
    """A client order as accepted revenue, net of VAT, on its issue date."""
    return Fact(
        campaign_id=campaign_id,
        measure=Measure.ACCEPTED,
        source_id=order.order_id,
        net=order.net,
        effective_on=order.issued_on,
        via=via,
        source_kind="order",
        number=order.number,
        partner_id=order.partner_id,
    )


def counted_month(invoice: Invoice) -> str:
    """The month an invoice counts in, unless a user chose one: the contract month it bills, else its issue month."""
    return invoice_month(invoice.issued_on, invoice.period)


def invoice_facts(
    invoice: Invoice, campaign_id: UUID, via: Via, *, subscription: bool, month: str
) -> tuple[Fact, Fact | None]:
    """An invoice as invoiced revenue in ``month`` and, for a subscription, in that month's return."""

    def fact(measure: Measure) -> Fact:
        return Fact(
            campaign_id=campaign_id,
            measure=measure,
            source_id=invoice.invoice_id,
            net=invoice.net,
            effective_on=invoice.issued_on,
            via=via,
            source_kind="invoice",
            number=invoice.number,
            partner_id=invoice.partner_id,
            month=month,
        )

    return fact(Measure.INVOICED), fact(Measure.RETURN) if subscription else None


def check_cost_kind(doc: CostDocument) -> None:
    """Refuse to attach a document that is not a marketing cost.

    Raises:
        Invalid: its kind never counts as cost.
    """
    if doc.kind not in COST_KINDS:
        raise Invalid(f"a {doc.kind} does not count as marketing cost", code="campaign.not_a_marketing_cost")


def check_not_elsewhere(existing: Fact | None, campaign_id: UUID, what: str) -> None:
    """Refuse to attach a document that already counts for another campaign.

    Raises:
        Conflict: it counts elsewhere (the other campaign is named).
    """
    if existing is not None and existing.campaign_id != campaign_id:
        raise Conflict(
            f"this {what} already counts for another campaign",
            campaign_id=str(existing.campaign_id),
            code="campaign.already_counted",
        )


def check_counted_here(counted: Fact | None, campaign_id: UUID, what: str) -> Fact:
    """The fact just counted; a consumer that gave the document to another campaign meanwhile wins.

    Raises:
        Conflict: it counts for another campaign.
    """
    if counted is None or counted.campaign_id != campaign_id:
        raise Conflict(f"this {what} already counts for another campaign", code="campaign.already_counted")
    return counted


def check_return_month(campaign: Campaign, month: str) -> None:
    """Refuse a return month outside the campaign's validity (M5).

    Raises:
        Invalid: the month is outside the campaign's return months.
    """
    window = campaign.return_window()
    if month not in window:
        raise Invalid(
            f"{month} is outside the campaign's return months ({window[0]} to {window[-1]})",
            code="campaign.month_outside_return",
            params={"month": month, "first": window[0], "last": window[-1]},
        )


def check_one_return_month(existing: Fact | None, month: str, number: str) -> None:
    """Refuse to count an invoice in a second month's return.

    Raises:
        Conflict: the invoice already counts in another month's return.
    """
    if existing is not None and existing.month != month:
        raise Conflict(
            f"invoice {number} already counts in the return of {existing.month}",
            code="campaign.invoice_already_counted",
            params={"number": number, "month": existing.month},
        )
