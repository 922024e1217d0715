"""Events on crm.commercial: the ERP side's facts (see EVENTS.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from crm_contracts import topics
from crm_contracts.base import Event, Money
from crm_contracts.common import ContractKind, DocumentLine, Source

CostDocumentKind = Literal[
    "purchase_invoice", "purchase_receipt", "expense_report", "payroll_note", "internal_consumption", "treasury"
]
"""The kinds of cost document the ERP posts."""
RequestedDocument = Literal["offer", "order", "contract", "invoice"]
"""The document a refused command asked for."""


class _CommercialEvent(Event):
    topic: ClassVar[str] = topics.COMMERCIAL


class ArticleUpdated(_CommercialEvent):
    """An article was created or changed in the article catalogue (nomenclator articole)."""

    event_name: ClassVar[str] = "ArticleUpdated"
    key_field: ClassVar[str] = "code"
    code: str = Field(description="Article code.")
    name: str = Field(description="Article name.")
    unit: str = Field(description="Unit of measure.")
    price: Money = Field(description="List price net of VAT.")
    vat_rate: Decimal = Field(description="VAT rate in percent.")
    photos: list[str] = Field(default_factory=list, description="sha256 of the article's photos.")


class _Document(_CommercialEvent):
    key_field: ClassVar[str] = "document_id"
    document_id: UUID = Field(description="The document's id.")
    partner_id: UUID = Field(description="The client.")
    number: str = Field(description="Document number from its series, e.g. OF-2026-000123.")
    issued_on: dt.date = Field(description="Issue date.")
    lines: list[DocumentLine] = Field(default_factory=list, description="Lines with net and VAT.")
    net: Money = Field(description="Total net of VAT.")
    vat: Money = Field(description="Total VAT.")
    gross: Money = Field(description="Total with VAT.")
    currency: str = Field(default="RON", description="ISO currency code.")
    source: Source = Field(default_factory=Source, description="Where the document came from.")
    request_id: UUID | None = Field(default=None, description="The command (OfferRequested, ...) it answers.")
    printout_sha256: str | None = Field(default=None, description="The PDF printout's blob.")


class OfferIssued(_Document):
    """A client offer was issued."""

    event_name: ClassVar[str] = "OfferIssued"
    valid_until: dt.date | None = Field(default=None, description="The offer is valid until this date.")


class OfferAccepted(_CommercialEvent):
    """The client accepted an offer."""

    event_name: ClassVar[str] = "OfferAccepted"
    key_field: ClassVar[str] = "document_id"
    document_id: UUID = Field(description="The offer.")
    partner_id: UUID = Field(description="The client.")
    number: str = Field(description="Offer number.")
    source: Source = Field(default_factory=Source, description="Where the offer came from.")


class OfferRejected(_CommercialEvent):
    """The client rejected an offer, for a catalogued reason (O6)."""

    event_name: ClassVar[str] = "OfferRejected"
    key_field: ClassVar[str] = "document_id"
    document_id: UUID = Field(description="The offer.")
    partner_id: UUID = Field(description="The client.")
    number: str = Field(description="Offer number.")
    reason_code: str = Field(description="Lost reason code (CRM > Nomenclatoare > Motive).")
    note: str | None = Field(default=None, description="Free text.")
    source: Source = Field(default_factory=Source, description="Where the offer came from.")


class ClientOrderPlaced(_Document):
    """A client order was placed."""

    event_name: ClassVar[str] = "ClientOrderPlaced"


class ContractSigned(_Document):
    """A subscription or commercial contract was signed."""

    event_name: ClassVar[str] = "ContractSigned"
    kind: ContractKind = Field(description="subscription or commercial.")
    starts_on: dt.date = Field(description="First day of the contract.")
    ends_on: dt.date | None = Field(default=None, description="Last day; null = open-ended.")
    monthly_value: Money | None = Field(default=None, description="Subscription: monthly value net of VAT.")


class ContractEnded(_CommercialEvent):
    """A contract ended or was terminated."""

    event_name: ClassVar[str] = "ContractEnded"
    key_field: ClassVar[str] = "document_id"
    document_id: UUID = Field(description="The contract.")
    partner_id: UUID = Field(description="The client.")
    number: str = Field(description="Contract number.")
    ended_on: dt.date = Field(description="Last day in force.")


class InvoiceIssued(_Document):
    """An invoice was issued to a client.

    Its number is committed first and the PDF is rendered afterwards, so ``printout_sha256`` is empty
    here; the printout follows in ``InvoicePrintoutReady`` (same key, so after this event).
    """

    event_name: ClassVar[str] = "InvoiceIssued"
    invoice_id: UUID = Field(description="Same as document_id (the name other systems look for).")
    order_id: UUID | None = Field(default=None, description="The order it was issued from.")
    contract_id: UUID | None = Field(default=None, description="The contract it was issued from.")
    task_id: UUID | None = Field(default=None, description="The task it bills (T9).")
    period: str | None = Field(default=None, description="Contract month billed, YYYY-MM.")


class InvoicePrintoutReady(_CommercialEvent):
    """An issued invoice's PDF printout was rendered and stored (after its InvoiceIssued)."""

    event_name: ClassVar[str] = "InvoicePrintoutReady"
    key_field: ClassVar[str] = "document_id"
    document_id: UUID = Field(description="The invoice (the key of its InvoiceIssued).")
    invoice_id: UUID = Field(description="Same as document_id.")
    partner_id: UUID = Field(description="The client.")
    number: str = Field(description="Invoice number, e.g. FCT-2026-000123.")
    printout_sha256: str = Field(description="The PDF printout's blob.")


class CostDocumentPosted(_CommercialEvent):
    """A cost document was posted (purchase invoice, receipt, expense report, ...)."""

    event_name: ClassVar[str] = "CostDocumentPosted"
    key_field: ClassVar[str] = "document_id"
    document_id: UUID = Field(description="The cost document.")
    kind: CostDocumentKind = Field(description="Kind of cost document.")
    number: str = Field(description="Document number.")
    date: dt.date = Field(description="Document date.")
    net: Money = Field(description="Value net of VAT.")
    vat: Money = Field(default=Decimal(0), description="VAT.")
    partner_id: UUID | None = Field(default=None, description="The supplier.")
    campaign_id: UUID | None = Field(default=None, description="Set when added to campaign marketing costs.")
    registration_number: str | None = Field(
        default=None,
        description="The ERP's own registration number of the cost document (series CH), e.g. CH-2026-000007.",
    )
    description: str | None = Field(default=None, description="What the cost was for.")


class PaymentReceived(_CommercialEvent):
    """A client paid."""

    event_name: ClassVar[str] = "PaymentReceived"
    key_field: ClassVar[str] = "partner_id"
    payment_id: UUID = Field(description="The payment.")
    number: str | None = Field(default=None, description="Receipt number from its series, e.g. INC-2026-000012.")
    invoice_id: UUID | None = Field(default=None, description="The invoice the payment settles, when named.")
    partner_id: UUID = Field(description="The client.")
    amount: Money = Field(description="Amount paid (gross).")
    date: dt.date = Field(description="Payment date.")
    currency: str = Field(default="RON", description="ISO currency code.")


class BalanceChanged(_CommercialEvent):
    """A client's balance moved (invoices gross minus payments)."""

    event_name: ClassVar[str] = "BalanceChanged"
    key_field: ClassVar[str] = "partner_id"
    partner_id: UUID = Field(description="The client.")
    balance: Money = Field(description="What the client owes (positive) or has paid ahead (negative).")
    currency: str = Field(default="RON", description="ISO currency code.")


class DocumentRequestRejected(_CommercialEvent):
    """A document command (OfferRequested, ClientOrderRequested, ContractRequested, InvoiceRequested) was refused.

    The reply to a command that can never succeed as sent (an unknown article, a quantity that is not positive,
    an article outside the picker list, ...); it carries the command's id as ``request_id`` and ``ce_causationid``.
    """

    event_name: ClassVar[str] = "DocumentRequestRejected"
    key_field: ClassVar[str] = "request_id"
    request_id: UUID = Field(description="The refused command's request_id.")
    requested: RequestedDocument = Field(description="What was asked for.")
    partner_id: UUID = Field(description="The client named in the command.")
    reason: str = Field(description="Why, in words a user can act on.")
    source: Source = Field(default_factory=Source, description="Where the command came from.")
