"""The partner read model: site emails and representatives from crm.partners (I2), kept by a use case."""

from __future__ import annotations

from crm_contracts.partners import PartnerRegistered, PartnerUpdated
from crm_kit.inbox import Context, Subscriptions
from crm_mail_ingest.domain.importing import PartnerDirectoryEntry
from crm_mail_ingest.service_layer import UpdatePartner, UseCases


def build_subscriptions(uses: UseCases) -> Subscriptions:
    """The service's handlers: each translates an event into one use-case call."""
    subs = Subscriptions()

    @subs.on(PartnerRegistered)
    @subs.on(PartnerUpdated)
    async def partner_changed(ctx: Context, event: PartnerRegistered | PartnerUpdated) -> None:
        """The payload is the partner's whole state: it replaces what the read model knows."""
        entry = PartnerDirectoryEntry(
            partner_id=str(event.partner_id),
            name=event.name,
            sales_rep_staff_id=str(event.sales_rep_staff_id) if event.sales_rep_staff_id else None,
            service_rep_staff_id=str(event.service_rep_staff_id) if event.service_rep_staff_id else None,
            emails=tuple(email for site in event.sites for email in site.emails),
        )
        await uses.partner_changed(UpdatePartner(entry))

    return subs
