"""Parked commands keep the document request (the use cases' form), no longer the contract event's payload

Revision ID: 0006
Revises: 0005
"""

import json
from typing import Any, Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# What each command asks for, and which id of the command joins its source (as the subscribers translate it).
# Written out here, not imported: a migration must keep meaning what it meant when it was written.
COMMANDS: dict[str, tuple[str, str, bool]] = {
    "crm.opportunities.OfferRequested.v1": ("offer", "opportunity_id", True),
    "crm.opportunities.ClientOrderRequested.v1": ("order", "opportunity_id", True),
    "crm.opportunities.ContractRequested.v1": ("contract", "opportunity_id", True),
    "crm.tasks.ContractRequested.v1": ("contract", "task_id", False),
    "crm.tasks.InvoiceRequested.v1": ("invoice", "task_id", False),
}
SOURCE_KEYS = ("opportunity_id", "task_id", "campaign_id", "offer_id")


def request_of(ce_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The request form (``crm_commercial.store.repository.request_json``) of a parked command's payload."""
    doc_type, source_id, apply_scope = COMMANDS[ce_type]
    if doc_type == "invoice":
        source = {"task_id": payload["task_id"]}
    else:
        given = payload.get("source") or {}
        source = {k: given[k] for k in SOURCE_KEYS if given.get(k) is not None}
        if payload.get(source_id) is not None:
            source[source_id] = payload[source_id]
    request: dict[str, Any] = {
        "doc_type": doc_type,
        "partner_id": payload["partner_id"],
        "lines": [
            {k: line[k] for k in ("article_code", "qty", "price", "description") if line.get(k) is not None}
            for line in payload.get("lines") or []
        ],
        "source": source,
        "request_id": payload["request_id"],
        "apply_scope": apply_scope,
    }
    for key in ("valid_until", "kind", "starts_on", "months", "monthly_value"):
        if payload.get(key) is not None:
            request[key] = payload[key]
    if doc_type == "invoice":
        request["task_id"] = payload["task_id"]
    return request


def upgrade() -> None:
    bind = op.get_bind()
    parked = sa.table(
        "parked_commands", sa.column("command_id", sa.String), sa.column("ce_type", sa.String), sa.column("payload")
    )
    for command_id, ce_type, payload in bind.execute(sa.select(parked)).all():
        value = json.loads(payload)
        if "doc_type" in value or ce_type not in COMMANDS:
            continue
        request = json.dumps(request_of(ce_type, value))
        bind.execute(parked.update().where(parked.c.command_id == command_id).values(payload=request))


def downgrade() -> None:
    """Nothing to undo in the schema; parked payloads stay in the request form."""
