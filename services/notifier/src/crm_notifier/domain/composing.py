"""E1/E2: who a document email goes to and what it carries, from the read models (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field

from crm_kit.errors import Invalid, NotFound
from crm_notifier.domain.headers import check_address


@dataclass(frozen=True)
class PartnerCard:
    """A partner as the notifier knows it: the emails of its sites and its contact persons."""

    partner_id: str
    name: str
    site_emails: list[str] = field(default_factory=list)
    contacts: list[dict[str, str | None]] = field(default_factory=list)


@dataclass(frozen=True)
class AttachmentRef:
    """A blob to attach, by its sha256."""

    file_name: str
    sha256: str
    size: int = 0


def recipients(
    partner: PartnerCard | None,
    *,
    to_partner: bool,
    contact_ids: list[str],
    staff_emails: dict[str, str | None],
    extra: list[str],
) -> list[str]:
    """The addresses an email goes to, each once, in the order asked.

    Raises:
        NotFound: a contact that is not the partner's.
        Invalid: a chosen person without an address, or no address at all.
    """
    found: list[str] = []
    if to_partner:
        if partner is None:
            raise NotFound("the partner is not known to the notifier yet")
        if not partner.site_emails:
            raise Invalid(f"{partner.name} has no email address on its sites", field="to_partner_id")
        found += partner.site_emails
    if contact_ids:
        if partner is None:
            raise Invalid("choose the partner whose contact persons get the email", field="to_contact_ids")
        by_id = {str(c.get("contact_id")): c for c in partner.contacts}
        for cid in contact_ids:
            contact = by_id.get(cid)
            if contact is None:
                raise NotFound(f"contact {cid} is not a contact person of {partner.name}", field="to_contact_ids")
            if not contact.get("email"):
                raise Invalid(f"contact {contact.get('name')} has no email address", field="to_contact_ids")
            found.append(str(contact["email"]))
    for staff_id, email in staff_emails.items():
        if not email:
            raise Invalid(f"staff member {staff_id} has no email address in the directory", field="to_staff_ids")
        found.append(email)
    found += extra
    unique: list[str] = []
    for address in found:
        normalised = check_address(address)
        if normalised not in unique:
            unique.append(normalised)
    if not unique:
        raise Invalid("the email has no recipient: choose the partner, contacts, staff or addresses")
    return unique


def check_size(attachments: list[AttachmentRef], body: str, limit: int) -> int:
    """The estimated size of the email (attachments grow by a third in base64).

    Raises:
        Invalid: larger than the limit per message.
    """
    estimate = len(body.encode()) + sum(a.size * 4 // 3 + 200 for a in attachments) + 2000
    if estimate > limit:
        raise Invalid(
            f"the email would be about {estimate / 1_048_576:.1f} MB; the limit per message is "
            f"{limit / 1_048_576:.1f} MB: attach fewer files",
            size=estimate,
            limit=limit,
        )
    return estimate
