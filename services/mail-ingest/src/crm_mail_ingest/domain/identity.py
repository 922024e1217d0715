"""A message's identity: its Message-ID, else a hash of sender, date, subject and body."""

from __future__ import annotations

import hashlib

from crm_mail_ingest.domain.model import ParsedMessage


def message_key(message: ParsedMessage) -> str:
    """The key that makes an email importable once (stored under a unique constraint).

    ``mid:<Message-ID>`` when the export kept it; otherwise ``sha256:<hex>`` of the lower-case
    sender, the date (UTC ISO, or the date text as written), the subject and the body with its
    whitespace collapsed, so a copy of the same export under another file name or with other
    line endings has the same key.
    """
    if message.message_id:
        return "mid:" + message.message_id[:900]
    date = message.sent_at.isoformat() if message.sent_at else " ".join(message.date_text.split())
    parts = [
        (message.sender.email or message.sender.name).lower(),
        date,
        " ".join(message.subject.split()),
        " ".join(message.body.split()),
    ]
    return "sha256:" + hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
