"""MIME header values to text, as well as Python's ``email`` package with ``policy=default`` reads them.

A ``.eml`` is parsed with the fast ``compat32`` policy; its header values arrive here raw (8-bit
bytes kept as surrogates, encoded words undecoded). The common case — plain ASCII, no encoded
word, a simple ``Name <addr>`` — is decoded directly; everything else goes through the modern
header registry (RFC 2047 encoded words, RFC 5322 comments and quoted local parts), which costs
~0.1 ms a header and is only paid where it is needed. Raw 8-bit bytes are UTF-8 (RFC 6532) when
they decode as such, else the message's legacy charset; ``errors="replace"`` only where the bytes
are really broken.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email import policy
from email.message import Message
from email.policy import Compat32

from crm_mail_ingest.domain.addresses import parse_addresses
from crm_mail_ingest.domain.model import Address

_ENCODED_WORD_CHARSET = re.compile(r"=\?([^?*\s]+)((?:\*[^?]*)?\?[bBqQ]\?)")
_CHARSET_ALIASES = {
    # Visual/logical Hebrew and Arabic (RFC 1556): the same bytes as the plain ISO charsets,
    # which Python knows; it does not know the "-i"/"-e" names and gives U+FFFD for every letter.
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-8-e": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "iso-8859-6-e": "iso-8859-6",
}
_ADDR = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_SIMPLE_MAILBOX = re.compile(
    rf"^\s*(?:(?:\"(?P<quoted>[^\"\\]*)\"|(?P<name>[A-Za-z0-9 .'_-]*?))\s*<\s*(?P<a1>{_ADDR})\s*>|(?P<a2>{_ADDR}))\s*$"
)
"""A mailbox the fast path reads exactly as the header registry would (no comments, escapes, groups)."""

_MAX_GRAMMAR_CHARS = 8192
"""The longest address header read with the RFC 5322 grammar (a hostile 170 KB list takes ~2 s)."""

LegacyCharset = Callable[[], str]
"""Gives the charset for raw 8-bit header bytes that are not UTF-8 (computed only when needed)."""


class UnfoldingCompat32(Compat32):
    """``compat32`` (fast, raw values) that unfolds header lines as ``policy=default`` does.

    Without this, a parameter folded inside its quotes (``boundary="----=_NextPart<CRLF> _000"``)
    keeps the line break, and a multipart message loses every part.
    """

    def header_source_parse(self, sourcelines: list[str]) -> tuple[str, str]:
        """Name and value of one header, the value's line breaks removed (its whitespace kept)."""
        name, value = sourcelines[0].split(":", 1)
        value = value.lstrip(" \t") + "".join(sourcelines[1:])
        return name, value.replace("\r", "").replace("\n", "")

    def header_fetch_parse(self, name: str, value: str) -> str:
        """The raw value (8-bit bytes as surrogates), decoded by the functions below, not by ``Header``."""
        return value


MIME_POLICY = UnfoldingCompat32()
"""The policy ``.eml`` files are parsed with."""


_SURROGATE = re.compile("[\udc80-\udcff]")


def _has_surrogates(value: str) -> bool:
    return not value.isascii() and _SURROGATE.search(value) is not None


def fix_8bit(value: str, legacy: LegacyCharset) -> str:
    """Raw 8-bit bytes (surrogates) as text: UTF-8 when they are UTF-8 (RFC 6532), else the legacy charset."""
    if not _has_surrogates(value):
        return value
    raw = value.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode(legacy(), "replace")
    except LookupError:
        return raw.decode("cp1252", "replace")


def _plain(value: str) -> bool:
    """ASCII without encoded words: the value is its own text."""
    return value.isascii() and "=?" not in value


def _aliased(value: str) -> str:
    return _ENCODED_WORD_CHARSET.sub(
        lambda m: f"=?{_CHARSET_ALIASES.get(m[1].lower(), m[1])}{m[2]}" if m[1].lower() in _CHARSET_ALIASES else m[0],
        value,
    )


def unstructured(value: str | None, legacy: LegacyCharset) -> str:
    """A Subject-like header's text: encoded words decoded (leniently), whitespace collapsed."""
    if not value:
        return ""
    if _plain(value):
        return " ".join(value.split())
    if "=?" not in value:
        # Raw 8-bit text without encoded words: decide its charset ourselves (Python assumes UTF-8).
        return " ".join(fix_8bit(value, legacy).split())
    text = str(policy.default.header_factory("subject", _aliased(value)))
    return " ".join(fix_8bit(text, legacy).split())


def mailboxes(value: str | None, legacy: LegacyCharset, *, exact: bool = True) -> list[Address]:
    """The mailboxes of an address header (From, To, Cc): address lower case, display name decoded.

    ``exact=False`` (To, Cc: long lists, only listed on the task) reads plain ASCII lists with the
    tolerant splitter; the RFC 5322 grammar costs milliseconds on a list of hundreds.
    """
    if not value or not value.strip():
        return []
    simple = _SIMPLE_MAILBOX.match(value) if value.isascii() else None
    if simple is not None:
        addr = simple["a1"] or simple["a2"]
        name = simple["quoted"] if simple["quoted"] is not None else (simple["name"] or "")
        return [Address(addr.lower(), " ".join(name.split()))]
    if len(value) > _MAX_GRAMMAR_CHARS:
        # Hundreds of mailboxes in one header: the grammar would take seconds; read it tolerantly.
        return parse_addresses(unstructured(value, legacy))
    if _plain(value) and (not exact or ("(" not in value and '"' not in value and "\\" not in value)):
        # Lists of plain mailboxes: the tolerant splitter that also reads the text exports.
        return parse_addresses(value)
    header = policy.default.header_factory("from", _aliased(value))
    found: list[Address] = []
    for mailbox in getattr(header, "addresses", ()):
        addr = fix_8bit(mailbox.addr_spec, legacy)
        if addr == "<>":
            addr = ""
        found.append(Address(addr.lower(), " ".join(fix_8bit(mailbox.display_name, legacy).split())))
    if found:
        return found
    # Nothing the grammar accepts: read the decoded text as the text exports are read.
    return parse_addresses(unstructured(value, legacy))


def file_name(part: Message, legacy: LegacyCharset) -> str | None:
    r"""An attachment's name (``filename``, else ``name``): RFC 2231, encoded words and 8-bit bytes decoded.

    Quoted values keep their backslashes (old clients wrote ``"C:\TEMP\a.png"`` unescaped), as
    ``compat32`` does; folded values were unfolded by the parser.
    """
    name: str | None = None
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        raw = part.get(header)
        if isinstance(raw, str) and _has_surrogates(raw):
            # 8-bit bytes in a parameter: the header registry reads them (compat32 would give U+FFFD).
            found = getattr(policy.default.header_factory(header, raw), "params", {}).get(param)
            if isinstance(found, str) and found:
                name = fix_8bit(found, legacy)
                break
    if name is None:
        name = part.get_filename()
    if not name:
        return None
    return unstructured(name, legacy) if "=?" in name or _has_surrogates(name) else name
