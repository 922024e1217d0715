"""E1/E2: who a document email goes to and what it carries, from the read models (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field

from crm_kit.errors import Invalid, NotFound
from crm_notifier.domain.headers import check_address, check_header
from crm_notifier.domain.models import Row


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


@dataclass(frozen=True)
class EmailRequest:
    """An email someone asked for (E1/E2): checked, addressed and sized, before any delivery exists."""

    email_id: str
    requested_by: str
    partner_id: str | None
    recipients: list[str]
    subject: str
    body: str
    document_id: str | None
    attachments: list[AttachmentRef]


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
            raise NotFound("the partner is not known to the notifier yet", code="record.not_found")
        if not partner.site_emails:
            raise Invalid(
                f"{partner.name} has no email address on its sites",
                field="to_partner_id",
                code="email.partner_without_address",
                params={"partner": partner.name},
            )
        found += partner.site_emails
    if contact_ids:
        if partner is None:
            raise Invalid(
                "choose the partner whose contact persons get the email",
                field="to_contact_ids",
                code="email.contacts_need_partner",
            )
        by_id = {str(c.get("contact_id")): c for c in partner.contacts}
        for cid in contact_ids:
            contact = by_id.get(cid)
            if contact is None:
                raise NotFound(
                    f"contact {cid} is not a contact person of {partner.name}",
                    field="to_contact_ids",
                    code="record.not_found",
                )
            if not contact.get("email"):
                raise Invalid(
                    f"contact {contact.get('name')} has no email address",
                    field="to_contact_ids",
                    code="email.contact_without_address",
                    params={"contact": str(contact.get("name") or "")},
                )
            found.append(str(contact["email"]))
    for staff_id, email in staff_emails.items():
        if not email:
            raise Invalid(
                f"staff member {staff_id} has no email address in the directory",
                field="to_staff_ids",
                code="email.staff_without_address",
                params={"staff_id": staff_id},
            )
        found.append(email)
    found += extra
    unique: list[str] = []
    for address in found:
        normalised = check_address(address)
        if normalised not in unique:
            unique.append(normalised)
    if not unique:
        raise Invalid(
            "the email has no recipient: choose the partner, contacts, staff or addresses", code="email.no_recipient"
        )
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
            code="email.too_large",
            params={"size_mb": f"{estimate / 1_048_576:.1f}", "limit_mb": f"{limit / 1_048_576:.1f}"},
        )
    return estimate


def document_attachments(
    document: Row | None, files: list[Row], *, printout: bool, attach_files: bool
) -> list[AttachmentRef]:
    """The document's printout and filed files, as asked.

    Raises:
        Invalid: attachments asked without a document, or a printout the document does not have yet.
    """
    if not (printout or attach_files):
        return []
    if document is None:
        raise Invalid(
            "choose the document whose printout or files to attach", field="document_id", code="email.document_missing"
        )
    found: list[AttachmentRef] = []
    if printout:
        if not document["printout_sha256"]:
            raise Invalid(
                f"document {document['number']} has no printout yet",
                field="attach_printout",
                code="email.document_without_printout",
                params={"number": str(document["number"])},
            )
        found.append(AttachmentRef(f"{document['number']}.pdf".replace("/", "-"), document["printout_sha256"]))
    if attach_files:
        found += [AttachmentRef(f["file_name"], f["sha256"], f["size"]) for f in files]
    return found


def article_photos(codes: list[str], articles: dict[str, Row]) -> list[AttachmentRef]:
    """The photos of the chosen articles, named ``<code>-<n>.jpg``.

    Raises:
        NotFound: an article the notifier does not know (yet).
    """
    found: list[AttachmentRef] = []
    for code in codes:
        article = articles.get(code)
        if article is None:
            raise NotFound(
                f"article {code} is not known to the notifier (yet)", field="article_codes", code="record.not_found"
            )
        found += [AttachmentRef(f"{code}-{i}.jpg", sha) for i, sha in enumerate(article["photos"], start=1)]
    return found


def sized(attachment: AttachmentRef, size: int | None) -> AttachmentRef:
    """An attachment with its size in the blob store, its file name safe in a header.

    Raises:
        Invalid: the blob is missing (``size`` None), or the file name holds a line break.
    """
    if size is None:
        raise Invalid(
            f"the file {attachment.file_name} is missing from the blob store",
            field="attachments",
            code="email.attachment_missing",
            params={"file_name": attachment.file_name},
        )
    return AttachmentRef(check_header("file name", attachment.file_name), attachment.sha256, size)
