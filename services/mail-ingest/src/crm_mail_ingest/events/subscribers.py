"""The partner read model: site emails and representatives from crm.partners (I2)."""

from __future__ import annotations

from crm_contracts.partners import PartnerRegistered, PartnerUpdated
from crm_kit.inbox import Context, Subscriptions
from crm_mail_ingest.store import repository

subscriptions = Subscriptions()


@subscriptions.on(PartnerRegistered)
@subscriptions.on(PartnerUpdated)
async def keep_partner(ctx: Context, event: PartnerRegistered | PartnerUpdated) -> None:
    """Replace the partner's sites' addresses and representatives (the payload is the whole state)."""
    await repository.save_partner(
        ctx.conn,
        partner_id=str(event.partner_id),
        name=event.name,
        sales_rep_staff_id=str(event.sales_rep_staff_id) if event.sales_rep_staff_id else None,
        service_rep_staff_id=str(event.service_rep_staff_id) if event.service_rep_staff_id else None,
        emails=[email for site in event.sites for email in site.emails],
    )
