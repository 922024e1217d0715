"""HTTP schemas: request bodies (pydantic) and the JSON shapes of responses (not the event contracts)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from crm_commercial.domain.articles import Article, VatRate
from crm_commercial.domain.documents import Document, Line, LineRequest
from crm_commercial.ports import FoundDocument


class Body(BaseModel):
    """A request body: unknown fields are refused so typos surface as a 400."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LineIn(Body):
    article_code: str = Field(min_length=1, max_length=40, description="Article code from the catalogue.")
    qty: Decimal = Field(description="Quantity, positive.")
    price: Decimal | None = Field(default=None, description="Unit price net of VAT; omitted = list price.")
    description: str | None = Field(default=None, max_length=400, description="Text instead of the article name.")

    def request(self) -> LineRequest:
        return LineRequest(article_code=self.article_code, qty=self.qty, price=self.price, description=self.description)


class SourceIn(Body):
    opportunity_id: UUID | None = None
    task_id: UUID | None = None
    campaign_id: UUID | None = None
    offer_id: UUID | None = None


class ArticleIn(Body):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    unit: str = Field(min_length=1, max_length=20)
    price: Decimal
    vat_rate: Decimal
    photos: list[str] = Field(default_factory=list, max_length=20)

    def article(self) -> Article:
        return Article(
            code=self.code.strip(),
            name=self.name.strip(),
            unit=self.unit.strip(),
            price=self.price,
            vat_rate=self.vat_rate,
            photos=tuple(self.photos),
        )


class ArticleUpdateIn(Body):
    name: str = Field(min_length=1, max_length=200)
    unit: str = Field(min_length=1, max_length=20)
    price: Decimal
    vat_rate: Decimal
    photos: list[str] = Field(default_factory=list, max_length=20)


class VatRateIn(Body):
    code: str = Field(min_length=1, max_length=20)
    rate: Decimal
    name: str = Field(min_length=1, max_length=100)
    active: bool = True


class SettingsIn(Body):
    article_scope: Literal["all", "list"] = Field(description="C5: pick from all articles, or from a chosen list.")
    article_codes: list[str] = Field(default_factory=list, description="The chosen list (scope 'list').")


class DocumentIn(Body):
    type: Literal["offer", "order", "contract"]
    partner_id: UUID
    lines: list[LineIn] = Field(max_length=500)
    source: SourceIn = Field(default_factory=SourceIn)
    request_id: UUID | None = Field(default=None, description="Idempotency key: the same id twice gives one document.")
    valid_until: dt.date | None = None
    kind: Literal["subscription", "commercial"] | None = None
    starts_on: dt.date | None = None
    months: int | None = None
    monthly_value: Decimal | None = None


class ContractIn(Body):
    partner_id: UUID
    kind: Literal["subscription", "commercial"] = "commercial"
    starts_on: dt.date | None = None
    months: int | None = None
    monthly_value: Decimal | None = None
    lines: list[LineIn] = Field(max_length=500)
    source: SourceIn = Field(default_factory=SourceIn)
    request_id: UUID | None = None


class AcceptIn(Body):
    then: Literal["none", "order", "contract", "both"] = "none"
    contract_kind: Literal["subscription", "commercial"] = "commercial"
    starts_on: dt.date | None = None
    months: int | None = None
    monthly_value: Decimal | None = None


class RejectIn(Body):
    reason_code: str = Field(max_length=60)
    note: str | None = Field(default=None, max_length=2000)


class EndIn(Body):
    ended_on: dt.date


class InvoiceIn(Body):
    """An invoice from an order, from a contract month, or with its own lines."""

    order_id: UUID | None = None
    contract_id: UUID | None = None
    period: str | None = Field(default=None, description="Contract month, YYYY-MM.")
    partner_id: UUID | None = None
    lines: list[LineIn] = Field(default_factory=list, max_length=500)
    task_id: UUID | None = None
    source: SourceIn = Field(default_factory=SourceIn)
    request_id: UUID | None = None


class CostDocumentIn(Body):
    kind: Literal[
        "purchase_invoice", "purchase_receipt", "expense_report", "payroll_note", "internal_consumption", "treasury"
    ]
    partner_id: UUID | None = None
    number: str = Field(min_length=1, max_length=60)
    date: dt.date
    net: Decimal
    vat: Decimal = Decimal(0)
    campaign_id: UUID | None = Field(default=None, description="Add to campaign marketing costs.")
    description: str | None = Field(default=None, max_length=400)


class PaymentIn(Body):
    partner_id: UUID
    amount: Decimal
    date: dt.date
    invoice_id: UUID | None = None
    request_id: UUID | None = None


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def article_out(article: Article, currency: str) -> dict[str, Any]:
    """An article; its list price is in the company's currency (``CRM_COMMERCIAL_CURRENCY``)."""
    return {
        "code": article.code,
        "name": article.name,
        "unit": article.unit,
        "price": money(article.price),
        "currency": currency,
        "vat_rate": number(article.vat_rate),
        "photos": list(article.photos),
    }


def rate_out(rate: VatRate) -> dict[str, Any]:
    return {"code": rate.code, "rate": number(rate.rate), "name": rate.name, "active": rate.active}


def article_pick(article: Article) -> dict[str, Any]:
    """What an article picker shows and keeps: the code (its key), the name, and what a line takes from it."""
    return {
        "code": article.code,
        "name": article.name,
        "unit": article.unit,
        "price": money(article.price),
        "vat_rate": number(article.vat_rate),
    }


def document_pick(found: FoundDocument) -> dict[str, Any]:
    """What a document picker shows: its number and partner as the name, enough to tell two apart."""
    doc = found.document
    out: dict[str, Any] = {
        "id": doc.id,
        "name": " — ".join(part for part in (doc.number, found.partner_name) if part),
        "type": doc.type,
        "number": doc.number,
        "partner_id": doc.partner_id,
        "partner_name": found.partner_name,
        "issued_on": doc.issued_on.isoformat(),
        "status": doc.status,
        "gross": money(doc.gross),
        "currency": doc.currency,
    }
    optional = {
        "kind": doc.kind,
        "starts_on": doc.starts_on.isoformat() if doc.starts_on else None,
        "ends_on": doc.ends_on.isoformat() if doc.ends_on else None,
        "ended_on": doc.ended_on.isoformat() if doc.ended_on else None,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    return out


def line_pick(line: Line) -> dict[str, Any]:
    """What a contract line picker shows and keeps: the line's id (its key), article code and description."""
    return {"id": line.line_id, "code": line.article_code, "name": line.description, **line_out(line)}


def line_out(line: Line) -> dict[str, Any]:
    return {
        "line_id": line.line_id,
        "article_code": line.article_code,
        "description": line.description,
        "unit": line.unit,
        "qty": number(line.qty),
        "price": money(line.price),
        "vat_rate": number(line.vat_rate),
        "net": money(line.net),
        "vat": money(line.vat),
        "gross": money(line.gross),
    }


def document_out(doc: Document, *, today: dt.date | None = None, article_code: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": doc.id,
        "type": doc.type,
        "number": doc.number,
        "partner_id": doc.partner_id,
        "issued_on": doc.issued_on.isoformat(),
        "status": doc.status,
        "lines": [line_out(line) for line in doc.lines],
        "net": money(doc.net),
        "vat": money(doc.vat),
        "gross": money(doc.gross),
        "currency": doc.currency,
        "source": {k: v for k, v in vars(doc.source).items() if v is not None},
        "request_id": doc.request_id,
        "printout_sha256": doc.printout_sha256,
        # An invoice's printout is rendered after it is issued; its address answers from the start.
        "printout_url": f"/api/documents/{doc.id}/printout" if doc.printout_sha256 or doc.type == "invoice" else None,
    }
    optional: dict[str, Any] = {
        "kind": doc.kind,
        "valid_until": doc.valid_until.isoformat() if doc.valid_until else None,
        "starts_on": doc.starts_on.isoformat() if doc.starts_on else None,
        "ends_on": doc.ends_on.isoformat() if doc.ends_on else None,
        "ended_on": doc.ended_on.isoformat() if doc.ended_on else None,
        "months": doc.months,
        "monthly_value": money(doc.monthly_value),
        "order_id": doc.order_id,
        "contract_id": doc.contract_id,
        "task_id": doc.task_id,
        "invoice_id": doc.invoice_id,
        "period": doc.period,
        "reason_code": doc.reason_code,
        "note": doc.note,
        "external_number": doc.external_number,
        "campaign_id": doc.source.campaign_id,
        "decided_at": doc.decided_at.isoformat() if doc.decided_at else None,
        "decided_by": doc.decided_by,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    if doc.type == "contract" and today is not None:
        out["active"] = doc.is_active_on(today)
        if article_code is not None:
            out["covers"] = doc.covers(article_code)
            out["covering_line_ids"] = [line.line_id for line in doc.lines if line.article_code == article_code]
    return out
