"""Parsers for exported emails: Outlook "Text only", Thunderbird plain text, and MIME ``.eml``.

Python's ``email`` parser cannot read the text exports (a label such as ``De la`` or ``Către``
ends its header block at once, and it drops ``PM`` from Outlook dates), so the text exports
have a parser of their own here; ``.eml`` files go through the ``email`` package.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Sequence
from datetime import tzinfo
from email.message import Message
from email.parser import BytesParser
from html.parser import HTMLParser

from crm_mail_ingest.domain.addresses import parse_addresses
from crm_mail_ingest.domain.dates import parse_date
from crm_mail_ingest.domain.decoding import UndecodableText, decode, guess_legacy, normalise_romanian
from crm_mail_ingest.domain.headers import MIME_POLICY, LegacyCharset, file_name, mailboxes, unstructured
from crm_mail_ingest.domain.model import Address, AttachmentData, ExportFormat, ParsedMessage, ParseFailure

MAX_HEADER_CHARS = 256 * 1024
"""A header section longer than this is hostile (megabyte-long headers), not an email."""

_LABELS: dict[str, str] = {
    "from": "from", "de la": "from", "de": "from", "expeditor": "from",
    "sent": "date", "date": "date", "trimis": "date", "data": "date", "expediat": "date", "trimis la": "date",
    "to": "to", "catre": "to", "destinatar": "to", "destinatari": "to", "pentru": "to",
    "cc": "cc", "bcc": "bcc", "cci": "bcc",
    "subject": "subject", "subiect": "subject",
    "attachments": "attachments", "atasari": "attachments", "atasamente": "attachments", "anexe": "attachments",
    "importance": "importance", "importanta": "importance", "prioritate": "importance",
    "message-id": "message-id", "reply-to": "reply-to", "raspuns la": "reply-to",
    "list-unsubscribe": "list-unsubscribe", "auto-submitted": "auto-submitted", "precedence": "precedence",
}  # fmt: skip
"""Header labels of the text exports (English and Romanian clients), folded, to a canonical name."""

_OUTLOOK_ONLY = {"sent", "trimis", "attachments", "atasari", "atasamente", "importance", "importanta"}
"""Labels only Outlook writes (Thunderbird says Date/Data; Outlook also puts a tab after the colon)."""
_ADDRESS_HEADERS = {"from", "to", "cc", "bcc", "reply-to"}
_HEADER_LINE = re.compile(r"^(?P<label>[^:\t\r\n]{1,40}?)\s*:(?P<tab>\t?)[ \t]*(?P<value>.*)$")
_RFC_LABEL = re.compile(r"^[!-9;-~]+$")
_MESSAGE_HEADERS = {
    "from", "sender", "to", "cc", "subject", "date", "message-id", "mime-version", "received", "content-type",
}  # fmt: skip
"""Headers a message has (at least one of them); without any, a ``.eml`` is just text."""
_MIME_MARKERS = {"mime-version", "content-type", "received", "return-path", "content-transfer-encoding"}


def fold_label(label: str) -> str:
    """Lower case, no diacritics, single spaces: ``Către`` -> ``catre``, ``Atașări`` -> ``atasari``."""
    decomposed = unicodedata.normalize("NFKD", label.strip().lower())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def parse_export(
    data: bytes,
    file_name: str,
    *,
    local_tz: tzinfo,
    sidecar: Sequence[AttachmentData] = (),
    max_header_chars: int = MAX_HEADER_CHARS,
    force_format: str = "auto",
) -> ParsedMessage:
    """Parse one exported email, whichever format and encoding it is in.

    Args:
        data: the file's bytes.
        file_name: its name (only the extension is used, to recognise ``.eml``).
        local_tz: the zone of dates written without an offset (Outlook's local time).
        sidecar: attachments saved next to a text export (Thunderbird).
        max_header_chars: the longest header section accepted.
        force_format: ``auto`` recognises the format per file (``.eml`` or MIME headers -> eml,
            else a text export); ``eml``, ``outlook`` or ``thunderbird`` forces one (C4 setting).

    Raises:
        ParseFailure: empty, binary, hostile or not an email; the message says which.
    """
    if not data.strip():
        raise ParseFailure("empty file")
    lower_name = file_name.lower()
    if lower_name.endswith(".msg") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ParseFailure("Outlook .msg files are binary: save the message as 'Text only' or as .eml")
    as_mime = force_format == "eml" or (force_format == "auto" and (lower_name.endswith(".eml") or _looks_mime(data)))
    if as_mime:
        message = parse_eml(data, local_tz=local_tz, max_header_chars=max_header_chars)
        message.attachments.extend(sidecar)
        return message
    try:
        decoded = decode(data)
    except UndecodableText as exc:
        raise ParseFailure(str(exc)) from None
    message = parse_text_export(
        decoded.text, decoded.encoding, local_tz=local_tz, sidecar=sidecar, max_header_chars=max_header_chars
    )
    if force_format in ("outlook", "thunderbird"):
        message.format = "outlook" if force_format == "outlook" else "thunderbird"
    return message


def _looks_mime(data: bytes) -> bool:
    head = data[:8192].lstrip()
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return False
    names = set()
    for line in head.splitlines()[:60]:
        if not line.strip():
            break
        name, sep, _ = line.partition(b":")
        if sep and not name.startswith((b" ", b"\t")):
            names.add(name.strip().lower().decode("ascii", "replace"))
    return bool(names & _MIME_MARKERS)


def _header_section(text: str, max_header_chars: int) -> tuple[list[str], str]:
    text = text.lstrip("\r\n\ufeff \t")
    end = -1
    for sep in ("\r\n\r\n", "\n\n", "\r\r"):
        idx = text.find(sep, 0, max_header_chars + 4)
        if idx != -1 and (end == -1 or idx < end):
            end = idx
    if end == -1:
        if len(text) > max_header_chars:
            raise ParseFailure(f"header section longer than {max_header_chars // 1024} KiB: not an email export")
        head, body = text, ""
    else:
        head, body = text[:end], text[end:].lstrip("\r\n")
    return head.replace("\r\n", "\n").replace("\r", "\n").split("\n"), body


def _last_label_line(lines: list[str]) -> int:
    """The index of the last line that starts with a known export label (-1 if none)."""
    for index in range(len(lines) - 1, -1, -1):
        match = _HEADER_LINE.match(lines[index])
        if match and fold_label(match["label"]) in _LABELS:
            return index
    return -1


def parse_text_export(
    text: str,
    encoding: str,
    *,
    local_tz: tzinfo,
    sidecar: Sequence[AttachmentData] = (),
    max_header_chars: int = MAX_HEADER_CHARS,
) -> ParsedMessage:
    """Parse an Outlook "Text only" or Thunderbird plain-text export (already decoded).

    Raises:
        ParseFailure: no ``From``/``Subject`` header block at the top, or a hostile header.
    """
    lines, body = _header_section(text, max_header_chars)
    last_label: int | None = None  # computed on the first unindented line after a Subject
    headers: dict[str, str] = {}
    raw: dict[str, str] = {}
    current: str | None = None
    outlook_votes = 0
    leftover: list[str] = []
    for index, line in enumerate(lines):
        match = _HEADER_LINE.match(line)
        folded = fold_label(match["label"]) if match else ""
        known = _LABELS.get(folded) if match else None
        if known is None and match and _RFC_LABEL.match(match["label"]):
            # Another RFC header a Thunderbird export kept (X-Mailer, ...): keep it, raw.
            current = folded
            raw[folded] = match["value"].strip()
            continue
        if known is not None and match is not None:
            current = known
            if match["tab"] or folded in _OUTLOOK_ONLY:
                outlook_votes += 1
            value = match["value"].strip()
            headers[known] = f"{headers[known]} {value}".strip() if known in headers and known != "date" else value
            continue
        wrapped_subject = False
        if current == "subject" and line.strip() and not (outlook_votes and body):
            if last_label is None:
                last_label = _last_label_line(lines)
            wrapped_subject = index < last_label
        elif current == "subject" and line.strip():
            wrapped_subject = True
        if current is not None and (
            line[:1] in (" ", "\t") or (current in _ADDRESS_HEADERS and line.strip()) or wrapped_subject
        ):
            # A wrapped value: an indented line, an address list going on after a ';', or a long
            # Subject that Outlook wraps without indenting (its header block always ends in a blank
            # line, so such a line is not the body; elsewhere only when a header comes after it).
            if current in headers:
                headers[current] = f"{headers[current]} {line.strip()}"
            elif current in raw:
                raw[current] = f"{raw[current]} {line.strip()}"
            continue
        if not line.strip():
            continue
        # The header block ended without a blank line: the rest is the body.
        leftover = lines[index:]
        break
    if "from" not in headers or not ({"subject", "date"} & headers.keys()):
        raise ParseFailure("no email header block (From:, Subject:/Date:) at the top: not an exported email")
    if leftover:
        body = "\n".join(leftover) + ("\n\n" + body if body else "")
    senders = parse_addresses(headers["from"])
    sender = senders[0] if senders else Address("", headers["from"].strip())
    date_text = headers.get("date", "")
    fmt: ExportFormat = "outlook" if outlook_votes else "thunderbird"
    listed = [n.strip() for n in re.split(r"[;,]\s*", headers.get("attachments", "")) if n.strip()]
    all_headers = {**raw, **headers}
    message_id = all_headers.get("message-id", "").strip().strip("<>").strip() or None
    return ParsedMessage(
        format=fmt,
        encoding=encoding,
        sender=sender,
        subject=normalise_romanian(headers.get("subject", "").strip()),
        body=_clean_body(body),
        sent_at=parse_date(date_text, local_tz) if date_text else None,
        date_text=date_text,
        to=parse_addresses(headers.get("to", "")),
        cc=parse_addresses(headers.get("cc", "")),
        message_id=message_id,
        headers=all_headers,
        attachments=list(sidecar),
        listed_attachments=listed,
    )


def _clean_body(body: str) -> str:
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    return normalise_romanian("\n".join(line.rstrip() for line in body.split("\n")).strip("\n"))


class _HtmlText(HTMLParser):
    """Text of an HTML body (for emails that have no text/plain part)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in ("br", "p", "div", "tr", "li", "h1", "h2", "h3"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head") and self._skip:
            self._skip -= 1
        elif tag in ("p", "div", "h1", "h2", "h3", "table"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML document, one block per line."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset()
    if charset:
        try:
            return payload.decode(charset, "replace")
        except LookupError:
            pass
    try:
        return decode(payload).text
    except UndecodableText:
        return payload.decode("utf-8", "replace")


def _legacy_charset(msg: Message, data: bytes) -> LegacyCharset:
    """The charset of raw 8-bit header bytes that are not UTF-8: the message's declared one, else a guess."""

    def charset() -> str:
        for part in msg.walk():
            declared = part.get_content_charset()
            if declared and declared not in ("us-ascii", "utf-8", "utf8"):
                try:
                    return codecs.lookup(declared).name
                except LookupError:
                    continue
        return guess_legacy(data)

    return charset


def parse_eml(data: bytes, *, local_tz: tzinfo, max_header_chars: int = MAX_HEADER_CHARS) -> ParsedMessage:
    """Parse a MIME message (``.eml``) with its attachments.

    The fast ``compat32`` parser reads the structure (the modern one costs ~10 ms a message);
    header values are decoded by ``headers`` as well as ``policy=default`` decodes them. A message
    without a ``From`` is imported with no sender (a triage task for an unknown sender).

    Raises:
        ParseFailure: hostile headers, no header at all, or MIME the ``email`` package rejects.
    """
    head_end = min((i for i in (data.find(b"\r\n\r\n"), data.find(b"\n\n")) if i != -1), default=len(data))
    if head_end > max_header_chars:
        raise ParseFailure(f"header section longer than {max_header_chars // 1024} KiB: not an email export")
    if b"\x00" in data[:head_end]:
        raise ParseFailure("binary content in the headers: not an email")
    try:
        msg = BytesParser(policy=MIME_POLICY).parsebytes(data)
        legacy = _legacy_charset(msg, data)
        senders = mailboxes(msg.get("From"), legacy)
        subject = unstructured(msg.get("Subject"), legacy)
        date_text = " ".join(str(msg.get("Date", "") or "").split())
        to = mailboxes(msg.get("To"), legacy, exact=False)
        cc = mailboxes(msg.get("Cc"), legacy, exact=False)
        headers = {k.lower(): unstructured(v, legacy) for k, v in msg.items() if len(v) < 4096}
    except Exception as exc:
        raise ParseFailure(f"malformed MIME headers: {type(exc).__name__}: {str(exc)[:200]}") from None
    if not _MESSAGE_HEADERS & headers.keys():
        # "Note: call back" is a header line to the parser; a message has at least one of these.
        raise ParseFailure("no email headers at the top: not an email")
    sender = senders[0] if senders else Address("", "")
    plain: Message | None = None
    html: Message | None = None
    attachments: list[AttachmentData] = []
    try:
        for index, part in enumerate(msg.walk(), start=1):
            if part.is_multipart():
                continue
            disposition = str(part.get("Content-Disposition", "") or "").split(";")[0].strip().lower()
            name = file_name(part, legacy)
            content_type = part.get_content_type()
            if disposition != "attachment" and not name:
                if content_type == "text/plain" and plain is None:
                    plain = part
                    continue
                if content_type == "text/html" and html is None:
                    html = part
                    continue
                if part.get_content_maintype() in ("text", "multipart", "message"):
                    continue
            content = part.get_payload(decode=True)
            if not isinstance(content, bytes):
                continue
            attachments.append(
                AttachmentData(
                    file_name=normalise_romanian(name or f"attachment-{index}"),
                    content=content,
                    content_type=content_type,
                )
            )
        body_part = plain or html
        body_text = ""
        if body_part is not None:
            text = _part_text(body_part)
            body_text = html_to_text(text) if body_part is html else text
    except Exception as exc:
        raise ParseFailure(f"malformed MIME body: {type(exc).__name__}: {str(exc)[:200]}") from None
    message_id = (headers.get("message-id") or "").strip().strip("<>").strip() or None
    return ParsedMessage(
        format="eml",
        encoding=(body_part.get_content_charset() or "us-ascii") if body_part is not None else "us-ascii",
        sender=sender,
        subject=normalise_romanian(" ".join(subject.split())),
        body=_clean_body(body_text),
        sent_at=parse_date(date_text, local_tz) if date_text else None,
        date_text=date_text,
        to=to,
        cc=cc,
        message_id=message_id,
        headers=headers,
        attachments=attachments,
    )
