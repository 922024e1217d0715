"""E1-E3: email a document (recipients and attachments from the read models), and the email log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED

from crm_kit.blobs import BlobError
from crm_kit.errors import Invalid, NotFound
from crm_kit.http import BlobRefCheck
from crm_kit.identity import Identity
from crm_kit.ids import new_id
from crm_kit.pagination import Limit, Offset
from crm_kit.scoping import may_see_email
from crm_notifier.api.context import ApiContext
from crm_notifier.api.schemas import EmailIn
from crm_notifier.domain.composing import AttachmentRef, check_size, recipients
from crm_notifier.domain.headers import check_header
from crm_notifier.store import repository as repo

STATUSES = ("pending", "sending", "handed_over", "sent", "failed")


def email_view(row: dict[str, Any]) -> dict[str, Any]:
    """One email to one recipient, as the log shows it (E3)."""
    return {
        "id": row["id"],
        "email_id": row["email_id"],
        "cause_event_id": row["cause_event_id"],
        "kind": row["kind"],
        "recipient": row["recipient"],
        "subject": row["subject"],
        "status": row["status"],
        "attempts": row["attempts"],
        "server": row["server"],
        "error": row["error"],
        "partner_id": row["partner_id"],
        "document_id": row["document_id"],
        "requested_by": row["requested_by"],
        "attachments": row["attachments"],
        "message_id": row["message_id"],
        "created_at": row["created_at"],
        "sent_at": row["sent_at"],
    }


class EmailController(Controller):
    path = "/api/emails"
    tags = ["emails (E1-E3)"]

    @post("/", status_code=HTTP_202_ACCEPTED)
    async def request_email(
        self, api: NamedDependency[ApiContext], identity: NamedDependency[Identity], data: JSONBody[EmailIn]
    ) -> dict[str, Any]:
        """Email a document to the partner, its contacts or staff, with printout, files and article photos."""
        subject = check_header("subject", data.subject)
        async with api.db.read() as conn:
            document = await repo.get_document(conn, data.document_id) if data.document_id else None
            if data.document_id and document is None:
                raise NotFound(f"document {data.document_id} is not known to the notifier (yet)")
            partner_id = data.to_partner_id or (document["partner_id"] if document else None)
            partner = await repo.get_partner(conn, partner_id) if partner_id else None
            if partner is None and data.to_contact_ids and not data.to_partner_id:
                partner = await repo.partner_of_contacts(conn, data.to_contact_ids)
            if data.to_partner_id and partner is None:
                raise NotFound(f"partner {data.to_partner_id} is not known to the notifier (yet)")
            staff = await repo.staff_by_ids(conn, data.to_staff_ids) if data.to_staff_ids else {}
            missing = [s for s in data.to_staff_ids if s not in staff]
            if missing:
                raise NotFound(f"unknown staff member {missing[0]}", field="to_staff_ids")
            addresses = recipients(
                partner,
                to_partner=bool(data.to_partner_id),
                contact_ids=data.to_contact_ids,
                staff_emails={s: staff[s].email for s in data.to_staff_ids},
                extra=data.to_addresses,
            )
            attachments: list[AttachmentRef] = []
            if data.attach_printout or data.attach_files:
                if document is None:
                    raise Invalid("choose the document whose printout or files to attach", field="document_id")
                if data.attach_printout:
                    if not document["printout_sha256"]:
                        raise Invalid(f"document {document['number']} has no printout yet", field="attach_printout")
                    name = f"{document['number']}.pdf".replace("/", "-")
                    attachments.append(AttachmentRef(name, document["printout_sha256"]))
                if data.attach_files:
                    for f in await repo.document_files(conn, document["document_id"]):
                        attachments.append(AttachmentRef(f["file_name"], f["sha256"], f["size"]))
            if data.article_codes:
                found = await repo.articles(conn, data.article_codes)
                for code in data.article_codes:
                    article = found.get(code)
                    if article is None:
                        raise NotFound(f"article {code} is not known to the notifier (yet)", field="article_codes")
                    for i, sha in enumerate(article["photos"], start=1):
                        attachments.append(AttachmentRef(f"{code}-{i}.jpg", sha))
        sized: list[AttachmentRef] = []
        for a in attachments:
            try:
                size = api.blobs.size(a.sha256)
            except (FileNotFoundError, BlobError):
                raise Invalid(f"the file {a.file_name} is missing from the blob store", field="attachments") from None
            sized.append(AttachmentRef(check_header("file name", a.file_name), a.sha256, size))
        check_size(sized, data.body, api.settings.max_message_bytes)
        email_id = new_id()
        files = [{"file_name": a.file_name, "sha256": a.sha256, "size": a.size} for a in sized]
        async with api.db.transaction() as conn:
            await api.publisher.email_requested(
                conn,
                email_id=email_id,
                requested_by=identity.username,
                partner_id=partner.partner_id if partner else partner_id,
                recipients=addresses,
                subject=subject,
                body=data.body,
                document_id=data.document_id,
                attachments=files,
                now=datetime.now(UTC),
            )
        return {
            "id": str(email_id),
            "email_id": str(email_id),
            "status": "requested",
            "recipients": addresses,
            "subject": subject,
            "partner_id": partner.partner_id if partner else partner_id,
            "document_id": data.document_id,
            "attachments": files,
        }

    @get("/")
    async def email_log(
        self,
        api: NamedDependency[ApiContext],
        identity: NamedDependency[Identity],
        partner_id: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        email_id: FromQuery[str | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """E3: the emails the caller may see (``crm_kit.scoping.may_see_email``), newest first, filtered."""
        if status and status not in STATUSES:
            raise Invalid(f"status is one of {', '.join(STATUSES)}", field="status")
        async with api.db.read() as conn:
            rows, total = await repo.emails(
                conn,
                email_viewer(identity),
                partner_id=partner_id,
                status=status,
                email_id=email_id,
                limit=limit,
                offset=offset,
            )
        return {"items": [email_view(r) for r in rows], "total": total}

    @get("/{delivery_id:str}")
    async def one_email(
        self, api: NamedDependency[ApiContext], identity: NamedDependency[Identity], delivery_id: FromPath[str]
    ) -> dict[str, Any]:
        """One email to one recipient; another agent's email is 404, as if it did not exist."""
        async with api.db.read() as conn:
            row = await repo.delivery(conn, delivery_id)
        if (
            row is None
            or row["channel"] != "email"
            or not may_see_email(
                role=identity.role,
                username=identity.username,
                staff_id=identity.staff_id,
                requested_by=row["requested_by"],
                recipient_staff_id=None if row["staff_id"] is None else str(row["staff_id"]),
            )
        ):
            raise NotFound(f"no email {delivery_id}")
        return email_view(row)


def email_viewer(identity: Identity) -> repo.EmailViewer:
    """The caller as the email log's scope sees them."""
    return repo.EmailViewer(identity.role, identity.username, identity.staff_id)


def blob_check(api: ApiContext) -> BlobRefCheck:
    """The gateway's blob check: a blob is readable through an email the caller may see (its attachments)."""

    async def check(identity: Identity, sha256: str) -> bool:
        async with api.db.read() as conn:
            return await repo.email_references_blob(conn, email_viewer(identity), sha256)

    return check
