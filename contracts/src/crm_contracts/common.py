"""Value objects that several topics' events share (lines, attachments, sources)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from crm_contracts.base import Money

ContractKind = Literal["subscription", "commercial"]
"""A contract's kind: a monthly subscription or a one-off commercial contract."""


class Part(BaseModel):
    """A frozen value object inside an event payload."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Attachment(Part):
    file_name: str = Field(description="The original file name (metadata only, never a path).")
    sha256: str = Field(description="The blob's address in the shared blob store.")
    size: int = Field(default=0, description="Size in bytes.")
    content_type: str | None = Field(default=None, description="MIME type when known.")


class DocumentLine(Part):
    line_id: UUID | None = Field(default=None, description="The line's id (contracts: the requested service's line).")
    article_code: str = Field(description="ERP article code.")
    description: str | None = Field(default=None, description="Article name or free text.")
    qty: Decimal = Field(description="Quantity, in the article's unit.")
    unit: str | None = Field(default=None, description="Unit of measure.")
    price: Money | None = Field(default=None, description="Unit price net of VAT; null = the article's list price.")
    vat_rate: Decimal | None = Field(default=None, description="VAT rate in percent, e.g. 21.")
    net: Money | None = Field(default=None, description="Line value net of VAT.")
    vat: Money | None = Field(default=None, description="Line VAT.")


class Source(Part):
    opportunity_id: UUID | None = Field(default=None, description="The opportunity the document came from.")
    task_id: UUID | None = Field(default=None, description="The task the document came from.")
    campaign_id: UUID | None = Field(default=None, description="The marketing campaign the document belongs to.")
    offer_id: UUID | None = Field(default=None, description="The offer an order or contract was accepted from.")
